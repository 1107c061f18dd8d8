// tests/unit/llm/local_model_test.cc: model loading (llm/local/model_loader.h)
// from HF folders (single and sharded safetensors, F32/F16/BF16, tied and
// untied, llama/mistral/qwen2) and from GGUF written by convert_to_gguf
// (F32/F16/BF16/Q8_0): config, shapes, values (q/k rows un-permuted for GGUF
// llama), tokenizer and chat template round trips, Llama 3 RoPE scaling via
// rope_freqs.weight, and errors that name the file and the field or tensor.
#include "llm/local/model_loader.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "kernels/formats/gguf.h"
#include "kernels/formats/gguf_writer.h"
#include "kernels/formats/safetensors_set.h"
#include "llm/local/gguf_convert.h"
#include "llm/local/model_config.h"
#include "llm/local/tokenizer/tokenizer.h"
#include "tests/unit/llm/local_model_test_util.h"

using namespace rg::llm::local;
using rg::kernels::DType;
using rg::kernels::TensorView;
using rg::test::TinyModel;
using rg::test::TinyModelSpec;
using rg::test::TmpDir;
namespace fmt = rg::kernels::formats;

namespace {

std::vector<float> floats(const TensorView& v) { return rg::kernels::to_f32(v); }

// GGUF llama q/k rows -> HF order: GGUF row (head, 2i + j) holds HF row (head, j * d/2 + i).
std::vector<float> unpermute(const std::vector<float>& g, std::int64_t rows, std::int64_t cols, int head_dim) {
  std::vector<float> hf(g.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t head = r / head_dim, k = r % head_dim;
    const std::int64_t src = head * head_dim + (k % 2) * (head_dim / 2) + k / 2;
    std::memcpy(&hf[static_cast<std::size_t>(src * cols)], &g[static_cast<std::size_t>(r * cols)],
                static_cast<std::size_t>(cols) * 4);
  }
  return hf;
}

// Every tensor of `m` equals the written values within `tol` (relative to the
// tensor's largest magnitude; 0 = exact). GGUF llama q/k are un-permuted.
void check_weights(const LoadedModel& m, const TinyModel& t, float tol) {
  const auto& c = m.weights.config;
  const bool permuted = m.format == "gguf" && c.rope_style == rg::kernels::RopeStyle::kInterleaved;
  auto same = [&](const std::string& name, const TensorView& v, bool qk = false) {
    INFO("tensor " << name);
    REQUIRE(t.values.count(name));
    CHECK(v.shape == t.shapes.at(name));
    std::vector<float> got = floats(v);
    if (qk && permuted) got = unpermute(got, v.shape[0], v.shape[1], c.head_dim);
    const auto& want = t.values.at(name);
    REQUIRE(got.size() == want.size());
    float amax = 0, worst = 0;
    for (float x : want) amax = std::max(amax, std::fabs(x));
    for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]));
    if (tol == 0) CHECK(worst == 0.0f);
    else CHECK(worst <= tol * amax);
  };
  same("model.embed_tokens.weight", m.weights.tok_embeddings);
  same("model.norm.weight", m.weights.output_norm);
  if (t.spec.tied) CHECK(m.weights.output.empty());
  else same("lm_head.weight", m.weights.output);
  for (int i = 0; i < c.layers; ++i) {
    const auto& l = m.weights.layers[static_cast<std::size_t>(i)];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    same(p + "input_layernorm.weight", l.attn_norm);
    same(p + "post_attention_layernorm.weight", l.ffn_norm);
    same(p + "self_attn.q_proj.weight", l.wq, true);
    same(p + "self_attn.k_proj.weight", l.wk, true);
    same(p + "self_attn.v_proj.weight", l.wv);
    same(p + "self_attn.o_proj.weight", l.wo);
    same(p + "mlp.gate_proj.weight", l.w_gate);
    same(p + "mlp.up_proj.weight", l.w_up);
    same(p + "mlp.down_proj.weight", l.w_down);
    if (c.qkv_bias) {
      same(p + "self_attn.q_proj.bias", l.bq);
      same(p + "self_attn.k_proj.bias", l.bk);
      same(p + "self_attn.v_proj.bias", l.bv);
    }
  }
}

std::string load_error(const std::string& path, const LoadOptions& o = {}) {
  try {
    load_model(path, o);
  } catch (const ModelLoadError& e) {
    return e.what();
  }
  FAIL("loading " << path << " did not fail");
  return "";
}

}  // namespace

TEST_CASE("HF folder, single safetensors: config, shapes, values, tokenizer, template") {
  TmpDir d;
  const TinyModel t = rg::test::write_tiny_hf(d / "llama", TinyModelSpec{});
  auto m = load_model(d / "llama");
  CHECK(m->format == "hf");
  const auto& c = m->weights.config;
  CHECK(c.architecture == "llama");
  CHECK(c.vocab_size == 300);
  CHECK(c.hidden == 64);
  CHECK(c.intermediate == 128);
  CHECK(c.layers == 2);
  CHECK(c.heads == 4);
  CHECK(c.kv_heads == 2);
  CHECK(c.head_dim == 16);
  CHECK(c.max_positions == 2048);
  CHECK(c.rms_norm_eps == doctest::Approx(1e-5));
  CHECK(c.rope_theta == 500000.0f);
  CHECK(c.rope_style == rg::kernels::RopeStyle::kHalf);
  CHECK_FALSE(c.qkv_bias);
  CHECK_FALSE(c.tied_embeddings);
  check_weights(*m, t, 0);
  CHECK(m->weights.tok_embeddings.dtype == DType::kF32);
  CHECK(m->parameters == 300 * 64 * 2 + 64 + 2 * (2 * 64 + 64 * 64 * 2 + 32 * 64 * 2 + 3 * 128 * 64));
  CHECK(m->file_bytes > m->tensor_bytes);

  // Tokenizer: from tokenizer.json; stop ids from config.json and generation_config.json.
  CHECK(m->tokenizer.kind == TokenizerKind::kByteLevelBpe);
  CHECK(m->tokenizer.tokens.size() == 300);
  CHECK(std::find(m->tokenizer.stop_ids.begin(), m->tokenizer.stop_ids.end(), 299) != m->tokenizer.stop_ids.end());
  // Template: recognised from tokenizer_config.json, BOS text from the tokenizer.
  REQUIRE(m->chat_template.ok());
  CHECK(m->chat_template.name() == "llama3");
  CHECK(m->chat_template.render({{"user", "hi"}}, true) ==
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n");
  CHECK(m->chat_template.stop_ids(m->tokenizer) == std::vector<std::int32_t>{298, 299});

  // An override by name wins; an unknown name is an error listing the known ones.
  LoadOptions o;
  o.chat_template = "chatml";
  CHECK(load_model(d / "llama", o)->chat_template.name() == "chatml");
  o.chat_template = "vicuna";
  CHECK(load_error(d / "llama", o).find("known: llama3, llama3.1, llama2, mistral") != std::string::npos);
}

TEST_CASE("HF folder, sharded BF16 qwen2, tied: biases, no output, stop ids") {
  TmpDir d;
  TinyModelSpec s;
  s.arch = "qwen2";
  s.tied = true;
  s.dtype = "BF16";
  s.sharded = true;
  s.chat_template = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
                    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
                    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  const TinyModel t = rg::test::write_tiny_hf(d / "qwen", s);
  auto m = load_model(d / "qwen");
  CHECK(m->safetensors->files().size() == 2);
  CHECK(m->weights.config.qkv_bias);
  CHECK(m->weights.config.tied_embeddings);
  check_weights(*m, t, 0);
  CHECK(m->weights.layers[0].wq.dtype == DType::kBF16);
  CHECK(m->chat_template.default_system() == "You are a helpful assistant.");
}

TEST_CASE("convert to GGUF and load back: F32/F16/BF16 exact, Q8_0 within its step") {
  struct Case {
    std::string arch, src_dtype, type;
    bool tied;
    float tol;  // relative to each tensor's largest magnitude
  };
  // Q8_0: half a step (1/254 of the block maximum) plus the fp16 scale's rounding.
  const Case cases[] = {{"llama", "F32", "f32", false, 0},   {"llama", "F16", "f16", false, 0},
                        {"llama", "BF16", "bf16", true, 0},  {"mistral", "F32", "q8_0", false, 1.0f / 254 + 2e-3f},
                        {"qwen2", "BF16", "bf16", true, 0},  {"qwen2", "F16", "q8_0", false, 1.0f / 254 + 2e-3f}};
  for (const Case& k : cases) {
    INFO(k.arch << " " << k.src_dtype << " -> " << k.type);
    TmpDir d;
    TinyModelSpec s;
    s.arch = k.arch;
    s.dtype = k.src_dtype;
    s.tied = k.tied;
    // Mistral v0.1's window (read for mistral, ignored for qwen2 without
    // use_sliding_window, absent for llama).
    if (k.arch != "llama") s.sliding_window = 24;
    const TinyModel t = rg::test::write_tiny_hf(d / "hf", s);
    std::size_t calls = 0;
    ConvertOptions o;
    o.type = k.type;
    const ConvertResult r = convert_to_gguf(d / "hf", d / "m.gguf", o, [&](std::size_t, std::size_t, const std::string&) { ++calls; });
    CHECK(r.tensors == calls);
    CHECK(r.bytes == std::filesystem::file_size(d / "m.gguf"));
    CHECK(r.architecture == (k.arch == "qwen2" ? "qwen2" : "llama"));

    auto hf = load_model(d / "hf");
    auto g = load_model(d / "m.gguf");
    CHECK(g->format == "gguf");
    const auto& a = hf->weights.config;
    const auto& b = g->weights.config;
    CHECK(b.architecture == r.architecture);
    CHECK(b.vocab_size == a.vocab_size);
    CHECK(b.hidden == a.hidden);
    CHECK(b.intermediate == a.intermediate);
    CHECK(b.layers == a.layers);
    CHECK(b.heads == a.heads);
    CHECK(b.kv_heads == a.kv_heads);
    CHECK(b.head_dim == a.head_dim);
    CHECK(b.max_positions == a.max_positions);
    CHECK(b.rms_norm_eps == a.rms_norm_eps);
    CHECK(b.rope_theta == a.rope_theta);
    CHECK(b.qkv_bias == a.qkv_bias);
    CHECK(b.tied_embeddings == a.tied_embeddings);
    CHECK(a.sliding_window == (k.arch == "mistral" ? 24 : 0));
    CHECK(b.sliding_window == a.sliding_window);
    CHECK(b.rope_style == (k.arch == "qwen2" ? rg::kernels::RopeStyle::kHalf : rg::kernels::RopeStyle::kInterleaved));
    check_weights(*g, t, k.tol);
    // Norms and biases stay F32; matrices take the type asked for.
    CHECK(g->weights.output_norm.dtype == DType::kF32);
    const DType want = k.type == "f32" ? DType::kF32 : k.type == "f16" ? DType::kF16 : k.type == "bf16" ? DType::kBF16 : DType::kQ8_0;
    CHECK(g->weights.layers[1].w_down.dtype == want);

    // Tokenizer and template survive the trip.
    const TokenizerSpec& x = hf->tokenizer;
    const TokenizerSpec& y = g->tokenizer;
    CHECK(y.kind == x.kind);
    CHECK(y.pre == x.pre);
    CHECK(y.tokens == x.tokens);
    CHECK(y.merges == x.merges);
    CHECK(y.token_types == x.token_types);
    CHECK(y.stop_ids == x.stop_ids);
    const std::string text = "<|begin_of_text|>hello world, hello!<|eot_id|>";
    CHECK(Tokenizer::create(y)->encode(text) == Tokenizer::create(x)->encode(text));
    CHECK(y.bos_id == x.bos_id);
    CHECK(y.eos_id == x.eos_id);
    CHECK(y.add_bos == x.add_bos);
    CHECK(g->chat_template.name() == hf->chat_template.name());
    CHECK(g->chat_template.jinja() == hf->chat_template.jinja());
  }
}

TEST_CASE("Llama 3 RoPE scaling: HF parameters and GGUF rope_freqs.weight give the same frequencies") {
  TmpDir d;
  TinyModelSpec s;
  s.rope_scaling = {{"rope_type", "llama3"}, {"factor", 32.0}, {"low_freq_factor", 1.0},
                    {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 64}};
  rg::test::write_tiny_hf(d / "hf", s);
  convert_to_gguf(d / "hf", d / "m.gguf", ConvertOptions{});
  auto hf = load_model(d / "hf");
  auto g = load_model(d / "m.gguf");
  CHECK(hf->weights.config.rope_scaling.kind == rg::kernels::RopeScaling::Kind::kLlama3);
  REQUIRE(g->weights.config.rope_freq_factors.size() == 8);
  const auto fa = rg::kernels::rope_inverse_frequencies(hf->weights.config);
  const auto fb = rg::kernels::rope_inverse_frequencies(g->weights.config);
  REQUIRE(fa.size() == fb.size());
  bool some_scaled = false, some_blended = false;
  for (std::size_t i = 0; i < fa.size(); ++i) {
    CHECK(fb[i] == doctest::Approx(fa[i]).epsilon(1e-5));
    const float f = g->weights.config.rope_freq_factors[i];
    some_scaled |= f == 32.0f;
    some_blended |= f > 1.0f && f < 32.0f;
  }
  CHECK(some_scaled);   // the test's small original context puts frequencies in all three bands
  CHECK(some_blended);
}

TEST_CASE("errors name the file and the field or tensor") {
  TmpDir d;
  rg::test::write_tiny_hf(d / "ok", TinyModelSpec{});

  // Unsupported architecture (HF): names the field, the value and the list.
  rg::test::write_tiny_hf(d / "gemma", TinyModelSpec{});
  auto cfg = rg::test::json::parse(std::ifstream(d / "gemma/config.json"));
  cfg["model_type"] = "gemma";
  rg::test::write_file(d / "gemma/config.json", cfg.dump());
  std::string e = load_error(d / "gemma");
  CHECK(e.find("gemma/config.json") != std::string::npos);
  CHECK(e.find("model_type \"gemma\" is not supported (supported: llama, mistral, qwen2)") != std::string::npos);

  // Missing tensor in a sharded folder: the index names a tensor its shard lacks.
  TinyModelSpec sh;
  sh.sharded = true;
  rg::test::write_tiny_hf(d / "sharded", sh);
  auto index = rg::test::json::parse(std::ifstream(d / "sharded/model.safetensors.index.json"));
  index["weight_map"]["model.layers.1.mlp.up_proj.weight"] = "model-00002-of-00002.safetensors";
  index["weight_map"]["model.layers.1.mlp.gate_proj.weight"] = "model-00001-of-00002.safetensors";
  rg::test::write_file(d / "sharded/model.safetensors.index.json", index.dump());
  e = load_error(d / "sharded");
  CHECK(e.find("model.safetensors.index.json") != std::string::npos);
  CHECK(e.find("is not in") != std::string::npos);
  // ... and a tensor absent altogether.
  index["weight_map"].erase("model.layers.1.mlp.up_proj.weight");
  index["weight_map"].erase("model.layers.1.mlp.gate_proj.weight");
  rg::test::write_file(d / "sharded/model.safetensors.index.json", index.dump());
  e = load_error(d / "sharded");
  CHECK(e.find("no tensor \"model.layers.1.mlp.gate_proj.weight\"") != std::string::npos);

  // Shapes that disagree with the config (kernels::validate names the tensor).
  rg::test::write_tiny_hf(d / "shape", TinyModelSpec{});
  cfg = rg::test::json::parse(std::ifstream(d / "shape/config.json"));
  cfg["intermediate_size"] = 96;
  rg::test::write_file(d / "shape/config.json", cfg.dump());
  e = load_error(d / "shape");
  CHECK(e.find("shape") != std::string::npos);
  CHECK(e.find("w_gate") != std::string::npos);

  // Missing tokenizer.json; untied config without lm_head.
  rg::test::write_tiny_hf(d / "notok", TinyModelSpec{});
  std::filesystem::remove(d / "notok/tokenizer.json");
  CHECK(load_error(d / "notok").find("no tokenizer.json") != std::string::npos);
  TinyModelSpec tied;
  tied.tied = true;
  rg::test::write_tiny_hf(d / "nolm", tied);
  cfg = rg::test::json::parse(std::ifstream(d / "nolm/config.json"));
  cfg["tie_word_embeddings"] = false;
  rg::test::write_file(d / "nolm/config.json", cfg.dump());
  CHECK(load_error(d / "nolm").find("no tensor \"lm_head.weight\"") != std::string::npos);

  // GGUF: truncated file, unknown architecture, a missing tensor.
  convert_to_gguf(d / "ok", d / "ok.gguf", ConvertOptions{});
  std::string bytes;
  {
    std::ifstream in(d / "ok.gguf", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  rg::test::write_file(d / "cut.gguf", bytes.substr(0, bytes.size() - 100));
  e = load_error(d / "cut.gguf");
  CHECK(e.find("cut.gguf") != std::string::npos);
  CHECK(e.find("past the end") != std::string::npos);

  auto gguf = fmt::GgufFile::open(d / "ok.gguf", &e);
  REQUIRE(gguf);
  // Re-write the file with one key changed / one tensor left out.
  auto rewrite = [&](const std::string& out, const std::string& arch, const std::string& skip) {
    fmt::GgufWriter w(out);
    for (const auto& [k, v] : gguf->metadata()) w.set(k, k == "general.architecture" ? fmt::GgufValue::str(arch) : v);
    for (const auto& t : gguf->tensors()) {
      if (t.name == skip) continue;
      const unsigned char* src = gguf->data(t);
      std::string error;
      REQUIRE(w.add_tensor(t.name, t.torch_shape(), t.type,
                           [src](unsigned char* o, std::size_t n) { std::memcpy(o, src, n); }, &error));
    }
    std::string error;
    REQUIRE(w.write(&error));
  };
  rewrite(d / "phi3.gguf", "phi3", "");
  e = load_error(d / "phi3.gguf");
  CHECK(e.find("phi3.gguf") != std::string::npos);
  CHECK(e.find("general.architecture \"phi3\" is not supported (supported: llama (also Mistral), qwen2)") !=
        std::string::npos);
  rewrite(d / "hole.gguf", "llama", "blk.1.ffn_up.weight");
  e = load_error(d / "hole.gguf");
  CHECK(e.find("hole.gguf: no tensor \"blk.1.ffn_up.weight\"") != std::string::npos);

  CHECK(load_error(d / "nowhere").find("no such file or folder") != std::string::npos);
}

// The HF transformers fixtures of the CPU decoder (tests/data/decoder/: real
// save_pretrained folders, transformers 5 config layout): loaded as HF
// folders and through GGUF, the CPU decoder gives the same logits, so the
// q/k permutation and rope_style kInterleaved (and rope_freqs.weight for the
// llama3-scaled one) agree with the HF layout.
TEST_CASE("HF fixtures: the HF folder and its GGUF conversion give the same logits") {
#ifndef RG_DECODER_FIXTURE_DIR
  MESSAGE("SKIPPED: RG_DECODER_FIXTURE_DIR not set");
#else
  const std::filesystem::path root(RG_DECODER_FIXTURE_DIR);
  int seen = 0;
  for (const char* name : {"llama32_tied", "llama2_gqa", "qwen2_bias"}) {
    if (!std::filesystem::exists(root / name / "model.safetensors")) continue;
    ++seen;
    INFO("fixture " << std::string(name));
    TmpDir d;
    std::filesystem::copy(root / name, d.path / "hf");
    rg::test::write_file(d / "hf/tokenizer.json", rg::test::tiny_tokenizer_json(true).dump());
    convert_to_gguf(d / "hf", d / "m.gguf", ConvertOptions{"f32"});
    auto hf = load_model(d / "hf");
    auto g = load_model(d / "m.gguf");
    if (std::string(name) == "llama32_tied") {
      CHECK(hf->weights.config.rope_scaling.kind == rg::kernels::RopeScaling::Kind::kLlama3);
      CHECK(hf->weights.config.rope_theta == 500000.0f);
      CHECK(g->weights.config.rope_freq_factors.size() == 8);
    }
    const std::vector<std::int32_t> tokens = {1, 17, 200, 3, 99, 42, 7, 255};
    std::vector<float> a, b;
    rg::kernels::make_cpu_decoder(hf->weights, 1)->new_session(16)->prefill(tokens, {}, &a, true);
    rg::kernels::make_cpu_decoder(g->weights, 1)->new_session(16)->prefill(tokens, {}, &b, true);
    REQUIRE(a.size() == b.size());
    float worst = 0, amax = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      worst = std::max(worst, std::fabs(a[i] - b[i]));
      amax = std::max(amax, std::fabs(a[i]));
    }
    CHECK(worst <= 1e-4f * amax);
  }
  if (seen == 0) MESSAGE("SKIPPED: no fixtures in " << root.string());
#endif
}
