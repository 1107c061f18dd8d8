// tests/unit/kernels/decoder_hf_fixture.h: reads the HF reference fixtures of
// tests/data/decoder/<name>/ (written by tests/data/decoder/make_fixture.py):
// config.json, model.safetensors (F32 only) and expected.json. A minimal
// loader of its own, so the decoder tests do not depend on llm/local's.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/decoder.h"

namespace rg::kernels::testing {

struct HfFixture {
  std::string name;
  std::string file_bytes;  // model.safetensors; the views point into it
  DecoderWeights weights;
  std::vector<int> tokens;
  std::vector<std::vector<double>> logits;  // HF fp32, one row per token
  std::vector<int> greedy;                  // HF's greedy continuation
  std::vector<double> greedy_margins;       // HF's top-1 minus top-2 logit at each step
  std::vector<double> inv_freq;             // HF's rotary_emb.inv_freq
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// config.json -> DecoderConfig, for transformers 4.x (rope_theta +
// rope_scaling) and 5.x (rope_parameters) spellings.
inline DecoderConfig config_from_hf(const nlohmann::json& j) {
  DecoderConfig c;
  c.architecture = j.value("model_type", "llama");
  c.vocab_size = j.at("vocab_size");
  c.hidden = j.at("hidden_size");
  c.intermediate = j.at("intermediate_size");
  c.layers = j.at("num_hidden_layers");
  c.heads = j.at("num_attention_heads");
  c.kv_heads = j.value("num_key_value_heads", c.heads);
  c.head_dim = j.contains("head_dim") && j["head_dim"].is_number() ? j["head_dim"].get<int>() : c.hidden / c.heads;
  c.max_positions = j.value("max_position_embeddings", 0);
  c.rms_norm_eps = j.value("rms_norm_eps", 1e-6f);
  c.tied_embeddings = j.value("tie_word_embeddings", false);
  c.qkv_bias = c.architecture == "qwen2" || j.value("attention_bias", false);
  nlohmann::json rope = j.contains("rope_parameters") && j["rope_parameters"].is_object() ? j["rope_parameters"]
                        : j.contains("rope_scaling") && j["rope_scaling"].is_object() ? j["rope_scaling"]
                                                                                       : nlohmann::json::object();
  c.rope_theta = rope.value("rope_theta", j.value("rope_theta", 10000.0f));
  const std::string type = rope.value("rope_type", rope.value("type", std::string("default")));
  if (type == "linear") c.rope_scaling.kind = RopeScaling::Kind::kLinear;
  if (type == "llama3") c.rope_scaling.kind = RopeScaling::Kind::kLlama3;
  c.rope_scaling.factor = rope.value("factor", 1.0f);
  c.rope_scaling.low_freq_factor = rope.value("low_freq_factor", 1.0f);
  c.rope_scaling.high_freq_factor = rope.value("high_freq_factor", 4.0f);
  c.rope_scaling.original_max_positions = rope.value("original_max_position_embeddings", 8192);
  return c;
}

inline HfFixture load_hf_fixture(const std::string& dir, const std::string& name) {
  HfFixture f;
  f.name = name;
  const std::string base = dir + "/" + name + "/";
  const DecoderConfig config = config_from_hf(nlohmann::json::parse(read_file(base + "config.json")));

  // safetensors: u64 header length, JSON header, then the tensors' bytes.
  f.file_bytes = read_file(base + "model.safetensors");
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, f.file_bytes.data(), 8);
  const auto header = nlohmann::json::parse(f.file_bytes.substr(8, header_len));
  const char* data = f.file_bytes.data() + 8 + header_len;
  std::map<std::string, TensorView> tensors;
  for (const auto& [key, t] : header.items()) {
    if (key == "__metadata__") continue;
    if (t.at("dtype") != "F32") throw std::runtime_error(base + ": " + key + " is not F32");
    tensors[key] = TensorView{DType::kF32, t.at("shape").get<std::vector<std::int64_t>>(),
                              data + t.at("data_offsets")[0].get<std::size_t>()};
  }
  const auto take = [&](const std::string& key) {
    const auto it = tensors.find(key);
    return it == tensors.end() ? TensorView{} : it->second;
  };
  DecoderWeights& w = f.weights;
  w.config = config;
  w.tok_embeddings = take("model.embed_tokens.weight");
  w.output_norm = take("model.norm.weight");
  if (!config.tied_embeddings) w.output = take("lm_head.weight");
  for (int l = 0; l < config.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    DecoderLayerWeights L;
    L.attn_norm = take(p + "input_layernorm.weight");
    L.wq = take(p + "self_attn.q_proj.weight");
    L.wk = take(p + "self_attn.k_proj.weight");
    L.wv = take(p + "self_attn.v_proj.weight");
    L.bq = take(p + "self_attn.q_proj.bias");
    L.bk = take(p + "self_attn.k_proj.bias");
    L.bv = take(p + "self_attn.v_proj.bias");
    L.wo = take(p + "self_attn.o_proj.weight");
    L.ffn_norm = take(p + "post_attention_layernorm.weight");
    L.w_gate = take(p + "mlp.gate_proj.weight");
    L.w_up = take(p + "mlp.up_proj.weight");
    L.w_down = take(p + "mlp.down_proj.weight");
    w.layers.push_back(L);
  }

  const auto expected = nlohmann::json::parse(read_file(base + "expected.json"));
  f.tokens = expected.at("tokens").get<std::vector<int>>();
  f.logits = expected.at("logits").get<std::vector<std::vector<double>>>();
  f.greedy = expected.at("greedy").get<std::vector<int>>();
  f.greedy_margins = expected.value("greedy_margins", std::vector<double>(f.greedy.size(), 1.0));
  f.inv_freq = expected.value("inv_freq", std::vector<double>{});
  return f;
}

}  // namespace rg::kernels::testing
