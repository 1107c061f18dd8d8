// tests/unit/llm/local_model_test_util.h: tiny Llama-family models written
// by the tests themselves (a few KB): HF folders (config.json, safetensors
// single or sharded, tokenizer.json, tokenizer_config.json with a chat
// template, generation_config.json), random weights kept in memory so the
// tests can compare what the loader maps.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "kernels/formats/safetensors.h"
#include "tests/unit/llm/llama3_pre_tokenizer_json.h"

namespace rg::test {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct TmpDir {
  fs::path path;
  TmpDir() {
    path = fs::temp_directory_path() / ("rg_local_model_test_" + std::to_string(std::random_device{}()));
    fs::create_directories(path);
  }
  ~TmpDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

inline void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

inline const char* kLlama3Template =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + "
    "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

struct TinyModelSpec {
  std::string arch = "llama";  // llama | mistral | qwen2
  int vocab = 300, hidden = 64, intermediate = 128, layers = 2, heads = 4, kv_heads = 2;
  bool tied = false;
  std::string dtype = "F32";  // safetensors dtype of every tensor
  bool sharded = false;
  json rope_scaling = nullptr;
  json sliding_window = nullptr;  // config.json's sliding_window (Mistral v0.1: 4096)
  std::string chat_template = kLlama3Template;  // "" = no tokenizer_config.json template
};

// Byte-level BPE tokenizer.json: 256 byte tokens, a few merges, Llama 3's
// specials at 297..299 (vocab 300).
// With `bytes_only`, just the 256 byte tokens (for models of vocabulary 256).
inline json tiny_tokenizer_json(bool bytes_only = false) {
  auto byte_char = [](int b) {
    // GPT-2's byte-to-unicode map.
    int cp = b;
    if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))) {
      int n = 0;
      for (int x = 0; x < b; ++x)
        if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255))) ++n;
      cp = 256 + n;
    }
    std::string s;
    if (cp < 0x80) s += static_cast<char>(cp);
    else {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
  };
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_char(b)] = b;
  if (bytes_only)
    return {{"version", "1.0"}, {"added_tokens", json::array()}, {"normalizer", nullptr},
            {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
            {"post_processor", nullptr}, {"decoder", {{"type", "ByteLevel"}}},
            {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array()}, {"byte_fallback", false}}}};
  std::vector<std::string> merges = {"h e", "l l", "he ll", "hell o", "Ġ w", "o r"};
  int next = 256;
  for (const std::string& m : merges) {
    const auto sp = m.find(' ');
    vocab[m.substr(0, sp) + m.substr(sp + 1)] = next++;
  }
  for (int i = next; i < 297; ++i) vocab["<pad" + std::to_string(i) + ">"] = i;
  json added = json::array();
  int id = 297;
  for (const char* t : {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"}) {
    vocab[t] = id;
    added.push_back({{"id", id++}, {"content", t}, {"special", true}, {"normalized", false},
                     {"lstrip", false}, {"rstrip", false}, {"single_word", false}});
  }
  return {{"version", "1.0"},
          {"added_tokens", added},
          {"normalizer", nullptr},
          {"pre_tokenizer", rg::test::llama3_pre_tokenizer_json()},
          {"post_processor", nullptr},
          {"decoder", {{"type", "ByteLevel"}}},
          {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}, {"byte_fallback", false}}}};
}

// The model's tensors (HF names) as fp32 values, rounded to the dtype they
// are stored in, so comparisons can be exact.
struct TinyModel {
  TinyModelSpec spec;
  std::map<std::string, std::vector<float>> values;
  std::map<std::string, std::vector<std::int64_t>> shapes;
};

inline float round_to(const std::string& dtype, float v) {
  using namespace kernels::formats;
  if (dtype == "F16") return half_to_float(float_to_half(v));
  if (dtype == "BF16") return bf16_to_float(float_to_bf16(v));
  return v;
}

// Writes an HF folder at `dir`; returns the weights written.
inline TinyModel write_tiny_hf(const std::string& dir, const TinyModelSpec& s, unsigned seed = 7) {
  TinyModel m;
  m.spec = s;
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  const int hd = s.hidden / s.heads;
  auto add = [&](const std::string& name, std::vector<std::int64_t> shape, bool norm = false) {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    std::vector<float> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = round_to(s.dtype, norm ? 1.0f + dist(rng) : dist(rng));
    m.values[name] = v;
    m.shapes[name] = shape;
  };
  add("model.embed_tokens.weight", {s.vocab, s.hidden});
  add("model.norm.weight", {s.hidden}, true);
  if (!s.tied) add("lm_head.weight", {s.vocab, s.hidden});
  for (int i = 0; i < s.layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    add(p + "input_layernorm.weight", {s.hidden}, true);
    add(p + "post_attention_layernorm.weight", {s.hidden}, true);
    add(p + "self_attn.q_proj.weight", {s.heads * hd, s.hidden});
    add(p + "self_attn.k_proj.weight", {s.kv_heads * hd, s.hidden});
    add(p + "self_attn.v_proj.weight", {s.kv_heads * hd, s.hidden});
    if (s.arch == "qwen2") {
      add(p + "self_attn.q_proj.bias", {s.heads * hd});
      add(p + "self_attn.k_proj.bias", {s.kv_heads * hd});
      add(p + "self_attn.v_proj.bias", {s.kv_heads * hd});
    }
    add(p + "self_attn.o_proj.weight", {s.hidden, s.heads * hd});
    add(p + "mlp.gate_proj.weight", {s.intermediate, s.hidden});
    add(p + "mlp.up_proj.weight", {s.intermediate, s.hidden});
    add(p + "mlp.down_proj.weight", {s.hidden, s.intermediate});
  }
  fs::create_directories(dir);
  json config = {{"model_type", s.arch},
                 {"architectures", {s.arch == "qwen2" ? "Qwen2ForCausalLM" : s.arch == "mistral" ? "MistralForCausalLM" : "LlamaForCausalLM"}},
                 {"vocab_size", s.vocab},
                 {"hidden_size", s.hidden},
                 {"intermediate_size", s.intermediate},
                 {"num_hidden_layers", s.layers},
                 {"num_attention_heads", s.heads},
                 {"num_key_value_heads", s.kv_heads},
                 {"rms_norm_eps", 1e-5},
                 {"rope_theta", 500000.0},
                 {"rope_scaling", s.rope_scaling},
                 {"sliding_window", s.sliding_window},
                 {"max_position_embeddings", 2048},
                 {"tie_word_embeddings", s.tied},
                 {"hidden_act", "silu"},
                 {"bos_token_id", 297},
                 {"eos_token_id", 298},
                 {"torch_dtype", s.dtype == "BF16" ? "bfloat16" : s.dtype == "F16" ? "float16" : "float32"}};
  write_file(dir + "/config.json", config.dump(2));
  write_file(dir + "/tokenizer.json", tiny_tokenizer_json().dump());
  json tc = {{"bos_token", "<|begin_of_text|>"}, {"eos_token", "<|end_of_text|>"}};
  if (!s.chat_template.empty()) tc["chat_template"] = s.chat_template;
  write_file(dir + "/tokenizer_config.json", tc.dump(2));
  write_file(dir + "/generation_config.json", json{{"eos_token_id", {298, 299}}}.dump());

  std::vector<kernels::formats::SafeTensorToWrite> a, b;
  json weight_map = json::object();
  int k = 0;
  for (const auto& [name, v] : m.values) {
    auto& dst = s.sharded && (k++ % 2) ? b : a;
    dst.push_back({name, m.shapes[name], v, s.dtype});
    weight_map[name] = s.sharded && (&dst == &b) ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
  }
  std::string error;
  if (!s.sharded) {
    kernels::formats::write_safetensors(dir + "/model.safetensors", a, {{"format", "pt"}}, &error);
  } else {
    kernels::formats::write_safetensors(dir + "/model-00001-of-00002.safetensors", a, {{"format", "pt"}}, &error);
    kernels::formats::write_safetensors(dir + "/model-00002-of-00002.safetensors", b, {{"format", "pt"}}, &error);
    write_file(dir + "/model.safetensors.index.json",
               json{{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}}.dump(2));
  }
  return m;
}

}  // namespace rg::test
