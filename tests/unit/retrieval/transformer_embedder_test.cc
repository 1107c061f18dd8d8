// tests/unit/retrieval/transformer_embedder_test.cc: the CPU forward pass
// (kernels::encode_cpu) against a naive double-precision reference, the model
// loader (config.json + model.safetensors), TransformerEmbedder (batching,
// order, pooling from modules.json, threads, errors), the HF fixture's
// embeddings when tests/data/encoder/tiny/ exists, and a throughput check of
// an all-MiniLM-L6-v2-shaped random model (skipped unless asked for:
// transformer_embedder_test -tc='*throughput*' --no-skip).
#include "retrieval/transformer/transformer_embedder.h"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "encoder_test_util.h"
#include "kernels/encoder.h"
#include "retrieval/transformer/encoder_model.h"

using namespace rg;
using rg::test::TempDir;

namespace {

kernels::EncoderConfig small_config(kernels::Activation act = kernels::Activation::kGeluErf) {
  kernels::EncoderConfig c;
  c.vocab_size = 40;
  c.hidden = 16;
  c.layers = 2;
  c.heads = 4;
  c.intermediate = 24;
  c.max_positions = 20;
  c.type_vocab_size = 2;
  c.layer_norm_eps = 1e-12f;
  c.activation = act;
  return c;
}

kernels::EncoderBatch make_batch(const std::vector<std::vector<int>>& rows, bool left_pad = false,
                                 bool alternate_types = true) {
  kernels::EncoderBatch b;
  b.batch = static_cast<int>(rows.size());
  for (const auto& r : rows) b.seq_len = std::max(b.seq_len, static_cast<int>(r.size()));
  const std::size_t n = static_cast<std::size_t>(b.batch) * b.seq_len;
  b.ids.assign(n, 0);
  b.type_ids.assign(n, 0);
  b.mask.assign(n, 0);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const int off = left_pad ? b.seq_len - static_cast<int>(rows[i].size()) : 0;
    for (std::size_t j = 0; j < rows[i].size(); ++j) {
      const std::size_t k = i * b.seq_len + off + j;
      b.ids[k] = rows[i][j];
      b.type_ids[k] = alternate_types ? static_cast<int>(j % 2) : 0;
      b.mask[k] = 1;
    }
  }
  return b;
}

void check_close(const std::vector<float>& got, const std::vector<double>& want, int dim) {
  REQUIRE(got.size() == want.size());
  for (std::size_t r = 0; r < got.size() / dim; ++r) {
    const double cos = test::cosine(got.data() + r * dim, want.data() + r * dim, dim);
    CHECK(cos > 0.99999);
    for (int i = 0; i < dim; ++i) CHECK(got[r * dim + i] == doctest::Approx(want[r * dim + i]).epsilon(1e-3).scale(1.0));
  }
}

}  // namespace

TEST_CASE("encode_cpu matches a naive double-precision reference") {
  for (auto act : {kernels::Activation::kGeluErf, kernels::Activation::kGeluTanh, kernels::Activation::kRelu}) {
    const auto w = test::random_weights(small_config(act), 7);
    const auto batch = make_batch({{2, 5, 9, 3}, {2, 11, 12, 13, 14, 15, 16, 3}, {2, 3}, {2, 39, 38, 37, 3}});
    for (auto pooling : {kernels::Pooling::kMean, kernels::Pooling::kCls}) {
      const auto got = kernels::encode_cpu(w, batch, pooling);
      check_close(got, test::reference_encode(w, batch, pooling), w.config.hidden);
    }
  }
}

TEST_CASE("encode_cpu: padding does not change a sentence's vector") {
  const auto w = test::random_weights(small_config(), 11);
  const auto alone = kernels::encode_cpu(w, make_batch({{2, 5, 9, 3}}), kernels::Pooling::kMean);
  const auto padded =
      kernels::encode_cpu(w, make_batch({{2, 5, 9, 3}, {2, 1, 1, 1, 1, 1, 1, 1, 1, 3}}), kernels::Pooling::kMean);
  for (int i = 0; i < 16; ++i) CHECK(alone[i] == doctest::Approx(padded[i]).epsilon(1e-5));
  double norm = 0;
  for (int i = 0; i < 16; ++i) norm += alone[i] * alone[i];
  CHECK(norm == doctest::Approx(1.0).epsilon(1e-5));
  // Left padding: positions are the padded indices, as HF computes them.
  const auto left = make_batch({{2, 5, 9, 3}, {2, 7, 7, 7, 7, 3}}, true);
  check_close(kernels::encode_cpu(w, left, kernels::Pooling::kMean),
              test::reference_encode(w, left, kernels::Pooling::kMean), 16);
}

TEST_CASE("encode_cpu rejects bad input") {
  const auto w = test::random_weights(small_config(), 1);
  auto b = make_batch({{2, 40, 3}});  // id 40 is out of range
  CHECK_THROWS_WITH_AS(kernels::encode_cpu(w, b, kernels::Pooling::kMean),
                       doctest::Contains("token id 40"), std::invalid_argument);
  auto broken = w;
  broken.layers[1].ff1_w.pop_back();
  CHECK_THROWS_AS(kernels::encode_cpu(broken, make_batch({{2, 3}}), kernels::Pooling::kMean),
                  std::invalid_argument);
  kernels::EncoderBatch empty;
  CHECK(kernels::encode_cpu(w, empty, kernels::Pooling::kMean).empty());
}

TEST_CASE("encoder model: loads config.json + model.safetensors with any prefix and dtype") {
  const auto w = test::random_weights(small_config(kernels::Activation::kGeluTanh), 3);
  const auto batch = make_batch({{2, 5, 9, 3}, {2, 11, 3}});
  const auto want = kernels::encode_cpu(w, batch, kernels::Pooling::kMean);
  for (const std::string prefix : {"", "bert.", "model."}) {
    for (const std::string dtype : {"F32", "F16", "BF16"}) {
      TempDir dir;
      std::string error;
      REQUIRE_MESSAGE(test::write_model_folder(dir.path.string(), w, prefix, dtype, &error), error);
      kernels::EncoderWeights loaded;
      REQUIRE_MESSAGE(retrieval::load_encoder_weights(dir.path.string(), &loaded, &error), error);
      CHECK(loaded.config.activation == kernels::Activation::kGeluTanh);
      CHECK(loaded.config.hidden == 16);
      const auto got = kernels::encode_cpu(loaded, batch, kernels::Pooling::kMean);
      const double tol = dtype == "F32" ? 1e-6 : (dtype == "F16" ? 1e-3 : 2e-2);
      for (std::size_t i = 0; i < got.size(); ++i) CHECK(std::abs(got[i] - want[i]) <= tol);
    }
  }
}

TEST_CASE("encoder model: clear errors") {
  const auto w = test::random_weights(small_config(), 3);
  TempDir dir;
  std::string error;
  kernels::EncoderWeights out;
  CHECK_FALSE(retrieval::load_encoder_weights(dir.path.string(), &out, &error));
  CHECK(error.find("config.json") != std::string::npos);
  REQUIRE(test::write_model_folder(dir.path.string(), w));
  // Config says a wider FFN than the tensors have.
  auto cfg = test::read_json_file(dir.file("config.json"));
  cfg["intermediate_size"] = 32;
  test::write_text(dir.file("config.json"), cfg.dump());
  CHECK_FALSE(retrieval::load_encoder_weights(dir.path.string(), &out, &error));
  CHECK(error.find("encoder.layer.0.intermediate.dense.weight") != std::string::npos);
  CHECK(error.find("[24, 16]") != std::string::npos);
  CHECK(error.find("[32, 16]") != std::string::npos);
  cfg["intermediate_size"] = 24;
  cfg["hidden_act"] = "swish";
  test::write_text(dir.file("config.json"), cfg.dump());
  CHECK_FALSE(retrieval::load_encoder_weights(dir.path.string(), &out, &error));
  CHECK(error.find("swish") != std::string::npos);
  cfg["hidden_act"] = "gelu";
  cfg["model_type"] = "xlm-roberta";
  test::write_text(dir.file("config.json"), cfg.dump());
  CHECK_FALSE(retrieval::load_encoder_weights(dir.path.string(), &out, &error));
  CHECK(error.find("xlm-roberta") != std::string::npos);
  cfg["model_type"] = "bert";
  cfg["num_hidden_layers"] = 3;
  test::write_text(dir.file("config.json"), cfg.dump());
  CHECK_FALSE(retrieval::load_encoder_weights(dir.path.string(), &out, &error));
  CHECK(error.find("encoder.layer.2.attention.self.query.weight") != std::string::npos);
  cfg["num_hidden_layers"] = 1;
  test::write_text(dir.file("config.json"), cfg.dump());
  CHECK_FALSE(retrieval::load_encoder_weights(dir.path.string(), &out, &error));
  CHECK(error.find("more encoder layers") != std::string::npos);
}

namespace {

// A model folder with a small random model and a tokenizer over a word list.
std::vector<std::string> small_vocab() {
  std::vector<std::string> v = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "how",
                                "are",   "you",   "the",   "weather", "is",   "good",  "today", "?",
                                "!",     ",",     "bot",   "user"};
  while (v.size() < 40) v.push_back("w" + std::to_string(v.size()));
  return v;
}

void write_small_folder(const std::string& dir, unsigned seed) {
  REQUIRE(test::write_model_folder(dir, test::random_weights(small_config(), seed)));
  test::write_text(dir + "/tokenizer.json", test::bert_tokenizer_json(small_vocab()));
}

}  // namespace

TEST_CASE("TransformerEmbedder: batching keeps input order and matches one-by-one") {
  TempDir tmp;
  const std::string dir = (tmp.path / "tiny-model").string();
  std::filesystem::create_directories(dir);
  write_small_folder(dir, 5);
  retrieval::TransformerEmbedder::Options opt;
  opt.device = retrieval::TransformerEmbedder::Device::kCpu;
  opt.max_batch = 3;
  std::string error;
  auto e = retrieval::TransformerEmbedder::load(dir + "/", opt, &error);
  REQUIRE_MESSAGE(e, error);
  CHECK(e->name() == "transformer:tiny-model");
  CHECK(e->dimension() == 16);
  CHECK_FALSE(e->on_gpu());
  CHECK(e->pooling() == kernels::Pooling::kMean);
  CHECK(e->max_seq_len() == 20);  // min(512, max_position_embeddings)
  const std::vector<std::string> texts = {"hello world", "how are you today?", "",
                                          "the weather is good", "bot", "user hello, how are you!",
                                          "hello world", "w30 w31 w32 w33 w34 w35 w36 w37 w38 w39 w21 w22 w23 w24 w25 w26 w27 w28 w29"};
  const auto all = e->embed(texts);
  REQUIRE(all.size() == texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto one = e->embed({texts[i]});
    REQUIRE(one[0].size() == 16);
    for (int k = 0; k < 16; ++k) CHECK(one[0][k] == doctest::Approx(all[i][k]).epsilon(1e-5));
  }
  for (int k = 0; k < 16; ++k) CHECK(all[0][k] == all[6][k]);
  CHECK(e->embed({}).empty());
  // Long text truncated to max_seq_len (20 tokens) without error.
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "hello ";
  CHECK(e->embed({long_text})[0].size() == 16);

  // Several threads at once give the same vectors.
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const auto v = e->embed(texts);
      ok[t] = v == all;
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok == std::vector<int>(4, 1));
}

TEST_CASE("TransformerEmbedder: pooling from modules.json, max_seq_length, errors") {
  TempDir tmp;
  const std::string dir = tmp.path.string();
  write_small_folder(dir, 9);
  test::write_text(dir + "/modules.json",
                   R"([{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
                       {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},
                       {"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}])");
  std::filesystem::create_directories(dir + "/1_Pooling");
  test::write_text(dir + "/1_Pooling/config.json",
                   R"({"word_embedding_dimension":16,"pooling_mode_cls_token":true,"pooling_mode_mean_tokens":false})");
  test::write_text(dir + "/sentence_bert_config.json", R"({"max_seq_length": 6, "do_lower_case": false})");
  retrieval::TransformerEmbedder::Options opt;
  opt.device = retrieval::TransformerEmbedder::Device::kAuto;
  opt.print_notices = false;
  std::string error;
  auto e = retrieval::TransformerEmbedder::load(dir, opt, &error);
  REQUIRE_MESSAGE(e, error);
  CHECK(e->pooling() == kernels::Pooling::kCls);
  CHECK(e->max_seq_len() == 6);
  if (!e->on_gpu()) CHECK(e->notice().find("CPU") != std::string::npos);
  // CLS pooling over [CLS] hello world how are [SEP] (truncated to 6).
  const auto v = e->embed({"hello world how are you today"});
  kernels::EncoderWeights w;
  REQUIRE(retrieval::load_encoder_weights(dir, &w, &error));
  const auto want = test::reference_encode(w, make_batch({{2, 5, 6, 7, 8, 3}}, false, false), kernels::Pooling::kCls);
  CHECK(test::cosine(v[0].data(), want.data(), 16) > 0.99999);

  test::write_text(dir + "/1_Pooling/config.json", R"({"pooling_mode_max_tokens":true})");
  CHECK_FALSE(retrieval::TransformerEmbedder::load(dir, opt, &error));
  CHECK(error.find("1_Pooling") != std::string::npos);
  CHECK_FALSE(retrieval::TransformerEmbedder::load(dir + "/nope", opt, &error));
  CHECK(error.find("nope") != std::string::npos);
}

TEST_CASE("TransformerEmbedder: HF reference embeddings of the fixture") {
  const std::string dir = test::fixture_dir();
  if (dir.empty()) {
    MESSAGE("SKIPPED: tests/data/encoder/tiny/ is not there (run tests/data/encoder/make_fixture.py)");
    return;
  }
  const auto expected = test::read_json_file(dir + "/expected.json");
  const auto& emb = expected.at("embeddings");
  for (auto pooling : {kernels::Pooling::kMean, kernels::Pooling::kCls}) {
    std::string folder = dir;
    TempDir tmp;
    if (pooling == kernels::Pooling::kCls) {  // same model, bge-style CLS pooling via modules.json
      for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"})
        std::filesystem::copy_file(dir + "/" + f, tmp.file(f));
      test::write_text(tmp.file("modules.json"),
                       R"([{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
                           {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}])");
      std::filesystem::create_directories(tmp.path / "1_Pooling");
      test::write_text(tmp.file("1_Pooling/config.json"), R"({"pooling_mode_cls_token":true})");
      folder = tmp.path.string();
    }
    retrieval::TransformerEmbedder::Options opt;
    opt.device = retrieval::TransformerEmbedder::Device::kCpu;
    opt.max_batch = 7;
    opt.max_seq_len = emb.at("max_length").get<int>();
    std::string error;
    auto e = retrieval::TransformerEmbedder::load(folder, opt, &error);
    REQUIRE_MESSAGE(e, error);
    std::vector<std::string> texts;
    for (const auto& s : emb.at("sentences")) texts.push_back(s.at("text").get<std::string>());
    const auto got = e->embed(texts);
    double worst = 1.0;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const auto& s = emb.at("sentences")[i];
      CHECK(e->tokenizer().encode(texts[i]).ids == s.at("ids").get<std::vector<std::int32_t>>());
      const auto want = s.at(pooling == kernels::Pooling::kCls ? "cls" : "mean").get<std::vector<double>>();
      REQUIRE(want.size() == got[i].size());
      const double cos = test::cosine(got[i].data(), want.data(), static_cast<int>(want.size()));
      worst = std::min(worst, cos);
      CHECK_MESSAGE(cos >= 0.9999, "\"" << texts[i] << "\" cosine " << cos);
      for (std::size_t k = 0; k < want.size(); ++k) CHECK(std::abs(got[i][k] - want[k]) < 1e-4);
    }
    MESSAGE(std::string(pooling == kernels::Pooling::kCls ? "CLS" : "mean") << " pooling: worst cosine to HF "
                                                                  << worst << " over " << texts.size());
  }
}

TEST_CASE("TransformerEmbedder: CPU throughput of an all-MiniLM-L6-v2-shaped model" * doctest::skip()) {
  kernels::EncoderConfig c;
  c.vocab_size = 30522;
  c.hidden = 384;
  c.layers = 6;
  c.heads = 12;
  c.intermediate = 1536;
  c.max_positions = 512;
  TempDir tmp;
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  const char* syll[] = {"ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "ze"};
  for (int i = 0; vocab.size() < 30522; ++i) {
    std::string w = syll[i % 10];
    for (int k = i / 10; k > 0; k /= 10) w += syll[k % 10];
    vocab.push_back(w);
    vocab.push_back("##" + w);
  }
  vocab.resize(30522);
  REQUIRE(test::write_model_folder(tmp.path.string(), test::random_weights(c, 1)));
  test::write_text(tmp.file("tokenizer.json"), test::bert_tokenizer_json(vocab));
  retrieval::TransformerEmbedder::Options opt;
  opt.device = retrieval::TransformerEmbedder::Device::kCpu;
  std::string error;
  auto e = retrieval::TransformerEmbedder::load(tmp.path.string(), opt, &error);
  REQUIRE_MESSAGE(e, error);
  // Chat-like sentences of 4..20 words (~6..40 tokens).
  std::vector<std::string> texts;
  std::mt19937 rng(3);
  for (int i = 0; i < 512; ++i) {
    std::string s;
    const int n = 4 + static_cast<int>(rng() % 17);
    for (int k = 0; k < n; ++k) s += vocab[5 + rng() % 3000] + " ";
    texts.push_back(s);
  }
  std::size_t tokens = 0;
  for (const auto& t : texts) tokens += e->tokenizer().encode(t).ids.size();
  e->embed({texts[0]});  // warm-up
  const auto t0 = std::chrono::steady_clock::now();
  const auto v = e->embed(texts);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("CPU, " << std::thread::hardware_concurrency() << " threads: " << texts.size() << " sentences ("
                  << tokens / texts.size() << " tokens avg) in " << s << " s = " << texts.size() / s
                  << " sentences/s");
  CHECK(v.size() == texts.size());
}
