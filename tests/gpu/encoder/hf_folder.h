// tests/gpu/encoder/hf_folder.h: just enough of a Hugging Face BertModel
// folder (config.json + model.safetensors, F32 tensors) to fill
// EncoderWeights, for the standalone GPU check. railguard's own loader lives
// in retrieval/transformer/; this one exists so that the check builds with
// nothing but the kernels and nlohmann/json.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/encoder.h"

namespace rg::kernels::testing {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline EncoderWeights load_hf_bert(const std::string& dir) {
  const auto cfg = nlohmann::json::parse(read_file(dir + "/config.json"));
  EncoderWeights w;
  EncoderConfig& c = w.config;
  c.vocab_size = cfg.at("vocab_size");
  c.hidden = cfg.at("hidden_size");
  c.layers = cfg.at("num_hidden_layers");
  c.heads = cfg.at("num_attention_heads");
  c.intermediate = cfg.at("intermediate_size");
  c.max_positions = cfg.value("max_position_embeddings", 512);
  c.type_vocab_size = cfg.value("type_vocab_size", 2);
  c.layer_norm_eps = cfg.value("layer_norm_eps", 1e-12);
  const std::string act = cfg.value("hidden_act", "gelu");
  c.activation = act == "gelu" ? Activation::kGeluErf
                 : act == "relu" ? Activation::kRelu
                                 : Activation::kGeluTanh;  // gelu_new, gelu_pytorch_tanh

  const std::string blob = read_file(dir + "/model.safetensors");
  if (blob.size() < 8) throw std::runtime_error("model.safetensors: too short");
  uint64_t header_len = 0;
  std::memcpy(&header_len, blob.data(), 8);
  const auto header = nlohmann::json::parse(blob.substr(8, header_len));
  const char* data = blob.data() + 8 + header_len;
  std::map<std::string, std::vector<float>> tensors;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    if (info.at("dtype") != "F32") throw std::runtime_error(name + ": only F32 tensors");
    const size_t begin = info.at("data_offsets")[0], end = info.at("data_offsets")[1];
    std::vector<float> v((end - begin) / 4);
    std::memcpy(v.data(), data + begin, end - begin);
    std::string key = name;
    if (key.rfind("bert.", 0) == 0) key = key.substr(5);
    tensors[key] = std::move(v);
  }
  auto take = [&](const std::string& name) {
    auto it = tensors.find(name);
    if (it == tensors.end()) throw std::runtime_error("model.safetensors: no " + name);
    return std::move(it->second);
  };
  w.word_emb = take("embeddings.word_embeddings.weight");
  w.pos_emb = take("embeddings.position_embeddings.weight");
  w.type_emb = take("embeddings.token_type_embeddings.weight");
  w.emb_ln_g = take("embeddings.LayerNorm.weight");
  w.emb_ln_b = take("embeddings.LayerNorm.bias");
  for (int i = 0; i < c.layers; ++i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    EncoderLayerWeights L;
    L.q_w = take(p + "attention.self.query.weight");
    L.q_b = take(p + "attention.self.query.bias");
    L.k_w = take(p + "attention.self.key.weight");
    L.k_b = take(p + "attention.self.key.bias");
    L.v_w = take(p + "attention.self.value.weight");
    L.v_b = take(p + "attention.self.value.bias");
    L.o_w = take(p + "attention.output.dense.weight");
    L.o_b = take(p + "attention.output.dense.bias");
    L.attn_ln_g = take(p + "attention.output.LayerNorm.weight");
    L.attn_ln_b = take(p + "attention.output.LayerNorm.bias");
    L.ff1_w = take(p + "intermediate.dense.weight");
    L.ff1_b = take(p + "intermediate.dense.bias");
    L.ff2_w = take(p + "output.dense.weight");
    L.ff2_b = take(p + "output.dense.bias");
    L.ffn_ln_g = take(p + "output.LayerNorm.weight");
    L.ffn_ln_b = take(p + "output.LayerNorm.bias");
    w.layers.push_back(std::move(L));
  }
  return w;
}

}  // namespace rg::kernels::testing
