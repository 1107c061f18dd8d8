// tests/unit/kernels/decoder_cpu_test.cc: the CPU decoder (kernels/cpu/
// decoder_*.cc) against a naive float64 forward pass on tiny random models
// (decoder_test_util.h), against HF transformers' logits when the fixtures of
// tests/data/decoder/ are there, plus the helpers of kernels/decoder.h:
// weight decoding, rotary frequencies, validate(), sampling.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/decoder.h"
#include "tests/unit/kernels/decoder_hf_fixture.h"
#include "tests/unit/kernels/decoder_test_util.h"

namespace {

using namespace rg::kernels;
namespace t = rg::kernels::testing;

const std::vector<int> kPrompt = {1, 17, 42, 96, 0, 5, 5, 63, 28, 77, 11, 90, 3, 54};

// Logits after every token of the prompt, from one prefill.
std::vector<float> prefill_all(DecoderModel& model, const std::vector<int>& tokens) {
  auto session = model.new_session(32);
  std::vector<float> logits;
  session->prefill(std::vector<std::int32_t>(tokens.begin(), tokens.end()), SamplingParams{}, &logits, true);
  REQUIRE(logits.size() == tokens.size() * static_cast<std::size_t>(model.config().vocab_size));
  return logits;
}

double max_error_vs_reference(const t::TestModel& m, const std::vector<float>& logits) {
  const auto ref = t::reference_logits(m, kPrompt);
  double worst = 0.0;
  for (std::size_t i = 0; i < ref.size(); ++i)
    worst = std::max(worst, t::relative_error(logits.data() + i * ref[i].size(), ref[i]));
  return worst;
}

struct Variant {
  const char* name;
  DType dtype = DType::kF32;
  bool qkv_bias = false, tied = false, llama3 = false, interleaved = false, linear = false;
  int window = 0;
};

DecoderConfig variant_config(const Variant& v) {
  DecoderConfig c = t::tiny_config();
  c.qkv_bias = v.qkv_bias;
  c.tied_embeddings = v.tied;
  c.rope_style = v.interleaved ? RopeStyle::kInterleaved : RopeStyle::kHalf;
  c.sliding_window = v.window;
  if (v.llama3) {  // original 64 positions: head_dim 16 then has frequencies in all three bands
    c.rope_scaling = {RopeScaling::Kind::kLlama3, 8.0f, 1.0f, 4.0f, 64};
  } else if (v.linear) {
    c.rope_scaling = {RopeScaling::Kind::kLinear, 4.0f};
  }
  return c;
}

}  // namespace

TEST_CASE("to_f32 decodes every dtype; dtype_bytes and numel") {
  const std::uint16_t f16[] = {0x3C00, 0xC000, 0x0001, 0x7BFF};  // 1, -2, 2^-24, 65504
  const std::uint16_t bf16[] = {0x3F80, 0xC040};                  // 1, -3
  unsigned char q8[34] = {};
  const std::uint16_t half_scale = 0x3800;  // 0.5
  std::memcpy(q8, &half_scale, 2);
  for (int i = 0; i < 32; ++i) q8[2 + i] = static_cast<unsigned char>(static_cast<std::int8_t>(i - 16));
  const float f32[] = {1.5f, -2.25f};

  CHECK(to_f32({DType::kF16, {4}, f16}) == std::vector<float>{1.0f, -2.0f, 5.9604644775390625e-8f, 65504.0f});
  CHECK(to_f32({DType::kBF16, {2}, bf16}) == std::vector<float>{1.0f, -3.0f});
  CHECK(to_f32({DType::kF32, {1, 2}, f32}) == std::vector<float>{1.5f, -2.25f});
  const auto q = to_f32({DType::kQ8_0, {1, 32}, q8});
  REQUIRE(q.size() == 32);
  CHECK(q[0] == -8.0f);
  CHECK(q[31] == 7.5f);
  CHECK_THROWS_AS(to_f32(TensorView{}), std::invalid_argument);
  CHECK_THROWS_AS(to_f32({DType::kQ8_0, {1, 16}, q8}), std::invalid_argument);
  CHECK(dtype_bytes(DType::kQ8_0, 64) == 68);
  CHECK(dtype_bytes(DType::kBF16, 3) == 6);
  CHECK(std::string(dtype_name(DType::kQ8_0)) == "Q8_0");
  CHECK(TensorView{DType::kF32, {3, 5}, nullptr}.numel() == 15);
}

TEST_CASE("rope_inverse_frequencies: default, linear and llama3 match HF's formulas") {
  for (const Variant v : {Variant{"default"}, Variant{"linear", DType::kF32, false, false, false, false, true},
                          Variant{"llama3", DType::kF32, false, false, true}}) {
    INFO(std::string(v.name));
    const DecoderConfig c = variant_config(v);
    const auto got = rope_inverse_frequencies(c);
    const auto want = t::reference_inv_freq(c);
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));
  }
  // llama3: the highest frequency is untouched, the lowest divided by the factor.
  const DecoderConfig c = variant_config({"llama3", DType::kF32, false, false, true});
  const auto plain = rope_inverse_frequencies(t::tiny_config());
  const auto scaled = rope_inverse_frequencies(c);
  CHECK(scaled.front() == plain.front());
  CHECK(scaled.back() == doctest::Approx(plain.back() / 8.0f).epsilon(1e-6));
}

TEST_CASE("rope_freq_factors (GGUF rope_freqs) replace rope_scaling") {
  // llama.cpp's converter stores llama3 scaling as per-frequency divisors.
  const DecoderConfig llama3 = variant_config({"llama3", DType::kF32, false, false, true});
  const auto plain = rope_inverse_frequencies(t::tiny_config());
  const auto scaled = rope_inverse_frequencies(llama3);
  DecoderConfig c = t::tiny_config();
  for (std::size_t i = 0; i < plain.size(); ++i) c.rope_freq_factors.push_back(plain[i] / scaled[i]);
  c.rope_scaling = {RopeScaling::Kind::kLinear, 100.0f};  // ignored when factors are set
  const auto got = rope_inverse_frequencies(c);
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(scaled[i]).epsilon(1e-6));

  const t::TestModel m = t::random_model(c, 19);
  auto model = make_cpu_decoder(m.weights(), 2);
  CHECK(max_error_vs_reference(m, prefill_all(*model, kPrompt)) < 1e-5);

  t::TestModel bad = m;
  bad.config.rope_freq_factors.pop_back();
  CHECK(validate(bad.weights()).find("config.rope_freq_factors: 7 of them, expected head_dim / 2 = 8") !=
        std::string::npos);
}

TEST_CASE("cpu decoder logits match the float64 reference") {
  const Variant variants[] = {
      {"f32"},
      {"qkv_bias", DType::kF32, true},
      {"tied", DType::kF32, false, true},
      {"llama3 rope scaling", DType::kF32, false, false, true},
      {"linear rope scaling", DType::kF32, false, false, false, false, true},
      {"interleaved rope", DType::kF32, false, false, false, true},
      {"f16", DType::kF16},
      {"bf16 + bias + tied", DType::kBF16, true, true},
      {"q8_0", DType::kQ8_0},
      {"sliding window 5 (of 14 tokens)", DType::kF32, false, false, false, false, false, 5},
      {"sliding window 1", DType::kF32, true, false, false, false, false, 1},
  };
  for (const Variant& v : variants) {
    INFO(std::string(v.name));
    const t::TestModel m = t::random_model(variant_config(v), 7, v.dtype);
    auto model = make_cpu_decoder(m.weights(), 2);
    const double err = max_error_vs_reference(m, prefill_all(*model, kPrompt));
    INFO("max relative error " << err);
    CHECK(err < 1e-5);
  }
}

TEST_CASE("prefill with all_logits equals token-by-token decode and chunked prefill") {
  const t::TestModel m = t::random_model(variant_config({"bias", DType::kF32, true}), 11);
  auto model = make_cpu_decoder(m.weights(), 2);
  const std::size_t V = static_cast<std::size_t>(m.config.vocab_size);
  const std::vector<float> all = prefill_all(*model, kPrompt);

  auto one_by_one = model->new_session(32);
  auto chunked = model->new_session(32);
  std::vector<float> row, chunk_logits;
  const std::vector<std::int32_t> first(kPrompt.begin(), kPrompt.begin() + 5);
  chunked->prefill(first, SamplingParams{}, &chunk_logits, true);
  const std::vector<std::int32_t> rest(kPrompt.begin() + 5, kPrompt.end());
  std::vector<float> rest_logits;
  chunked->prefill(rest, SamplingParams{}, &rest_logits, true);
  chunk_logits.insert(chunk_logits.end(), rest_logits.begin(), rest_logits.end());
  CHECK(chunked->position() == static_cast<int>(kPrompt.size()));

  double worst_decode = 0.0, worst_chunk = 0.0;
  for (std::size_t i = 0; i < kPrompt.size(); ++i) {
    one_by_one->decode(kPrompt[i], SamplingParams{}, &row);
    REQUIRE(row.size() == V);
    const std::vector<double> want(all.begin() + static_cast<std::ptrdiff_t>(i * V),
                                   all.begin() + static_cast<std::ptrdiff_t>((i + 1) * V));
    worst_decode = std::max(worst_decode, t::relative_error(row.data(), want));
    worst_chunk = std::max(worst_chunk, t::relative_error(chunk_logits.data() + i * V, want));
  }
  CHECK(worst_decode < 1e-5);
  CHECK(worst_chunk < 1e-5);

  // reset() starts over on the same cache.
  one_by_one->reset();
  CHECK(one_by_one->position() == 0);
  one_by_one->decode(kPrompt[0], SamplingParams{}, &row);
  CHECK(t::relative_error(row.data(), std::vector<double>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(V))) < 1e-6);
}

TEST_CASE("interleaved rope on GGUF-permuted q/k rows equals the half-style model") {
  // llama.cpp's convert permutes q/k rows per head so that interleaved pairs
  // (2i, 2i+1) hold what rotate_half pairs as (i, i + d/2): new row 2i+j of a
  // head is old row j*d/2 + i, i.e. the order [0, d/2, 1, d/2+1, ...].
  DecoderConfig c = t::tiny_config();
  const t::TestModel half = t::random_model(c, 23);
  t::TestModel inter = half;
  inter.config.rope_style = RopeStyle::kInterleaved;
  const int D = c.head_dim;
  const auto permute = [&](t::OwnedTensor& w) {
    const t::OwnedTensor old = w;
    const std::size_t cols = static_cast<std::size_t>(w.shape[1]), row_bytes = cols * 4;
    for (std::int64_t head = 0; head < w.shape[0] / D; ++head)
      for (int i = 0; i < D / 2; ++i)
        for (int j = 0; j < 2; ++j) {
          const std::size_t to = static_cast<std::size_t>(head * D + 2 * i + j);
          const std::size_t from = static_cast<std::size_t>(head * D + j * D / 2 + i);
          std::memcpy(w.bytes.data() + to * row_bytes, old.bytes.data() + from * row_bytes, row_bytes);
          std::copy_n(old.values.begin() + static_cast<std::ptrdiff_t>(from * cols), cols,
                      w.values.begin() + static_cast<std::ptrdiff_t>(to * cols));
        }
  };
  for (t::TestLayer& L : inter.layers) {
    permute(L.wq);
    permute(L.wk);
  }
  auto half_model = make_cpu_decoder(half.weights(), 2);
  auto inter_model = make_cpu_decoder(inter.weights(), 2);
  const auto a = prefill_all(*half_model, kPrompt);
  const auto b = prefill_all(*inter_model, kPrompt);
  const std::vector<double> want(a.begin(), a.end());
  double worst = 0.0;
  const std::size_t V = static_cast<std::size_t>(c.vocab_size);
  for (std::size_t i = 0; i < kPrompt.size(); ++i)
    worst = std::max(worst, t::relative_error(b.data() + i * V,
                                              std::vector<double>(want.begin() + static_cast<std::ptrdiff_t>(i * V),
                                                                  want.begin() + static_cast<std::ptrdiff_t>((i + 1) * V))));
  CHECK(worst < 1e-5);
  // Unpermuted weights with interleaved rope are a different model.
  t::TestModel wrong = half;
  wrong.config.rope_style = RopeStyle::kInterleaved;
  CHECK(max_error_vs_reference(half, prefill_all(*make_cpu_decoder(wrong.weights(), 2), kPrompt)) > 1e-3);
}

TEST_CASE("sample_cpu") {
  const std::vector<float> ties = {1.0f, 3.0f, 3.0f, 2.0f, -1.0f};
  SamplingParams greedy;
  CHECK(sample_cpu(ties, greedy, {}, 0) == 1);

  SUBCASE("top_k = 1 and a tiny top_p are greedy") {
    SamplingParams p;
    p.temperature = 1.0f;
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
      p.seed = seed;
      p.top_k = 1;
      p.top_p = 1.0f;
      CHECK(sample_cpu(ties, p, {}, 3) == 1);
      p.top_k = 0;
      p.top_p = 1e-6f;
      CHECK(sample_cpu(ties, p, {}, 3) == 1);
    }
  }
  SUBCASE("repetition penalty: positive logits divided, negative multiplied, each id once") {
    SamplingParams p;
    p.temperature = 1.0f;
    p.top_k = 1;
    p.repetition_penalty = 2.0f;
    const std::vector<std::int32_t> seen0 = {0};
    CHECK(sample_cpu(std::vector<float>{2.0f, 1.9f}, p, seen0, 1) == 1);    // 2 / 2 < 1.9
    CHECK(sample_cpu(std::vector<float>{-1.0f, -1.5f}, p, seen0, 1) == 1);  // -1 * 2 < -1.5
    CHECK(sample_cpu(std::vector<float>{2.0f, 1.9f}, greedy, seen0, 1) == 0);  // greedy: no penalty
    p.repetition_penalty = 1.5f;  // once: 2 / 1.5 = 1.33 > 1; three times would be 0.59
    CHECK(sample_cpu(std::vector<float>{2.0f, 1.0f}, p, std::vector<std::int32_t>{0, 0, 0}, 3) == 0);
  }
  SUBCASE("reproducible by seed, different across seeds") {
    const std::vector<float> flat(50, 0.0f);
    SamplingParams p;
    p.temperature = 1.0f;
    std::map<int, int> seen;
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      p.seed = seed;
      const int a = sample_cpu(flat, p, {}, 9);
      CHECK(a == sample_cpu(flat, p, {}, 9));
      ++seen[a];
    }
    CHECK(seen.size() > 5);
    const float u = sampling_uniform(1234, 5);
    CHECK(u >= 0.0f);
    CHECK(u < 1.0f);
    CHECK(u == sampling_uniform(1234, 5));
    CHECK(u != sampling_uniform(1234, 6));
  }
  SUBCASE("draws follow the softmax (temperature, top-k, top-p)") {
    const std::vector<float> logits = {0.5f, 2.0f, -1.0f, 1.0f, 1.5f};
    const auto check_distribution = [&](const SamplingParams& p, std::vector<double> want) {
      std::vector<int> count(logits.size(), 0);
      const int n = 20000;
      for (int i = 0; i < n; ++i) ++count[static_cast<std::size_t>(sample_cpu(logits, p, {}, i))];
      for (std::size_t k = 0; k < logits.size(); ++k) {
        INFO("token " << k << ": " << count[k] << " of " << n << ", expected p = " << want[k]);
        CHECK(std::fabs(count[k] / static_cast<double>(n) - want[k]) < 0.02);
      }
    };
    const auto softmax = [&](float temperature, std::vector<int> keep) {
      std::vector<double> p(logits.size(), 0.0);
      double sum = 0.0;
      for (int k : keep) sum += p[static_cast<std::size_t>(k)] = std::exp(logits[static_cast<std::size_t>(k)] / temperature);
      for (double& v : p) v /= sum;
      return p;
    };
    SamplingParams p;
    p.seed = 99;
    p.temperature = 1.0f;
    check_distribution(p, softmax(1.0f, {0, 1, 2, 3, 4}));
    p.temperature = 0.7f;
    check_distribution(p, softmax(0.7f, {0, 1, 2, 3, 4}));
    p.temperature = 1.0f;
    p.top_k = 3;  // ids 1, 4, 3
    check_distribution(p, softmax(1.0f, {1, 4, 3}));
    p.top_k = 0;
    p.top_p = 0.6f;  // probabilities .42 .25 .16 ...: ids 1 and 4 reach 0.6
    check_distribution(p, softmax(1.0f, {1, 4}));
  }
  CHECK_THROWS_AS(sample_cpu(std::vector<float>{}, greedy, {}, 0), std::invalid_argument);
}

TEST_CASE("validate names what is wrong") {
  DecoderConfig c = t::tiny_config();
  const t::TestModel good = t::random_model(c, 3);
  CHECK(validate(good.weights()) == "");

  DecoderWeights w = good.weights();
  w.layers[1].wk.shape = {16, 64};
  CHECK(validate(w).find("layers.1.wk: shape [16, 64], expected [32, 64]") != std::string::npos);

  w = good.weights();
  w.layers[0].bq = good.layers[0].attn_norm.view();  // a bias without config.qkv_bias
  CHECK(validate(w).find("layers.0.bq: present, but config.qkv_bias is false") != std::string::npos);

  DecoderConfig biased = c;
  biased.qkv_bias = true;
  w = good.weights();
  w.config = biased;
  CHECK(validate(w).find("layers.0.bq: missing") != std::string::npos);

  DecoderConfig tied = c;
  tied.tied_embeddings = true;
  w = good.weights();
  w.config = tied;
  CHECK(validate(w).find("output: present, but config.tied_embeddings is true") != std::string::npos);
  w = good.weights();
  w.output = TensorView{};
  CHECK(validate(w).find("output: missing") != std::string::npos);

  w = good.weights();
  w.layers.pop_back();
  CHECK(validate(w).find("layers: 1 given, config.layers = 2") != std::string::npos);

  DecoderConfig odd = c;
  odd.kv_heads = 3;
  w.config = odd;
  CHECK(validate(w).find("not a multiple of config.kv_heads") != std::string::npos);

  DecoderConfig q8 = c;
  q8.intermediate = 80;  // w_down rows of 80 weights
  const t::TestModel q8_model = t::random_model(q8, 3);
  w = q8_model.weights();
  w.layers[0].w_down.dtype = DType::kQ8_0;
  CHECK(validate(w).find("layers.0.w_down: Q8_0 rows of 80 weights, not a multiple of 32") != std::string::npos);

  w = good.weights();
  w.layers[1].wk.shape = {16, 64};
  try {
    make_cpu_decoder(w);
    FAIL("make_cpu_decoder accepted bad weights");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("layers.1.wk") != std::string::npos);
  }
}

TEST_CASE("session bounds: ids, capacity, max_positions") {
  const t::TestModel m = t::random_model(t::tiny_config(), 5);
  auto model = make_cpu_decoder(m.weights(), 1);
  CHECK(model->describe() == "cpu");
  CHECK_THROWS_WITH_AS(model->new_session(65), doctest::Contains("65"), std::invalid_argument);
  CHECK_THROWS_AS(model->new_session(0), std::invalid_argument);
  auto s = model->new_session(8);
  CHECK(s->capacity() == 8);
  CHECK_THROWS_WITH_AS(s->prefill(std::vector<std::int32_t>{1, 97}, {}), doctest::Contains("token id 97"),
                       std::invalid_argument);
  CHECK_THROWS_AS(s->decode(-1, {}), std::invalid_argument);
  CHECK_THROWS_AS(s->prefill(std::vector<std::int32_t>{}, {}), std::invalid_argument);
  CHECK_THROWS_WITH_AS(s->prefill(std::vector<std::int32_t>(9, 1), {}), doctest::Contains("capacity of 8"),
                       std::invalid_argument);
  CHECK(s->position() == 0);  // rejected calls change nothing
  s->prefill(std::vector<std::int32_t>(5, 1), {});
  s->prefill(std::vector<std::int32_t>(3, 2), {});
  CHECK(s->position() == 8);
  CHECK_THROWS_WITH_AS(s->decode(4, {}), doctest::Contains("8 tokens + 1 new"), std::invalid_argument);
  s->reset();
  CHECK_NOTHROW(s->decode(4, {}));
}

TEST_CASE("HF transformers fixtures (tests/data/decoder)") {
  namespace fs = std::filesystem;
  std::vector<std::string> names;
  if (fs::is_directory(RG_DECODER_FIXTURE_DIR))
    for (const auto& e : fs::directory_iterator(RG_DECODER_FIXTURE_DIR))
      if (fs::exists(e.path() / "expected.json")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  if (names.empty()) {
    MESSAGE("SKIPPED: no HF fixtures in " RG_DECODER_FIXTURE_DIR " (tests/data/decoder/make_fixture.py)");
    return;
  }
  for (const std::string& name : names) {
    INFO("fixture " << name);
    const t::HfFixture f = t::load_hf_fixture(RG_DECODER_FIXTURE_DIR, name);
    auto model = make_cpu_decoder(f.weights, 2);
    if (!f.inv_freq.empty()) {
      const auto inv = rope_inverse_frequencies(f.weights.config);
      REQUIRE(inv.size() == f.inv_freq.size());
      // Bit for bit: both are fp32 evaluations of the same expression.
      for (std::size_t i = 0; i < inv.size(); ++i) CHECK(inv[i] == static_cast<float>(f.inv_freq[i]));
    }
    auto session = model->new_session(static_cast<int>(f.tokens.size() + f.greedy.size()));
    std::vector<float> logits;
    std::int32_t next = session->prefill(std::vector<std::int32_t>(f.tokens.begin(), f.tokens.end()),
                                         SamplingParams{}, &logits, true);
    const std::size_t V = static_cast<std::size_t>(f.weights.config.vocab_size);
    REQUIRE(f.logits.size() == f.tokens.size());
    double worst = 0.0;
    for (std::size_t i = 0; i < f.tokens.size(); ++i)
      worst = std::max(worst, t::relative_error(logits.data() + i * V, f.logits[i]));
    INFO("max relative error vs HF " << worst);
    CHECK(worst < 1e-4);
    // Greedy continuation, compared while HF's choice is clear (top-2 margin).
    for (std::size_t i = 0; i < f.greedy.size() && f.greedy_margins[i] > 1e-3; ++i) {
      INFO("greedy step " << i);
      CHECK(next == f.greedy[i]);
      next = session->decode(f.greedy[i], SamplingParams{});
    }
    MESSAGE("HF fixture " << name << ": max relative error " << worst);
  }
}

TEST_CASE("speed: 1 layer, hidden 512") {
  DecoderConfig c;
  c.vocab_size = 4096;
  c.hidden = 512;
  c.intermediate = 1408;
  c.layers = 1;
  c.heads = 8;
  c.kv_heads = 2;
  c.head_dim = 64;
  c.max_positions = 512;
  const t::TestModel m = t::random_model(c, 1);
  auto model = make_cpu_decoder(m.weights());
  auto session = model->new_session(512);
  std::vector<std::int32_t> prompt(256);
  for (std::size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<std::int32_t>((i * 37) % 4096);
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  std::int32_t next = session->prefill(prompt, SamplingParams{});
  const auto t1 = clock::now();
  const int steps = 64;
  for (int i = 0; i < steps; ++i) next = session->decode(next, SamplingParams{});
  const auto t2 = clock::now();
  const double prefill_s = std::chrono::duration<double>(t1 - t0).count();
  const double decode_s = std::chrono::duration<double>(t2 - t1).count();
  MESSAGE("cpu decoder, 1 layer, hidden 512, vocab 4096: prefill " << prompt.size() / prefill_s
                                                                    << " tok/s (256 tokens), decode "
                                                                    << steps / decode_s << " tok/s");
  CHECK(session->position() == 256 + steps);
}
