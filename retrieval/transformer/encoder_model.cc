// retrieval/transformer/encoder_model.cc: see encoder_model.h.
#include "retrieval/transformer/encoder_model.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "kernels/formats/safetensors.h"

namespace rg::retrieval {

namespace {

using kernels::formats::SafeTensorInfo;
using kernels::formats::SafetensorsFile;

using json = nlohmann::json;

struct Fail : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

int get_int(const json& j, const char* key, int fallback, bool required) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) throw Fail(std::string("no \"") + key + "\"");
    return fallback;
  }
  if (!it->is_number_integer() || it->get<std::int64_t>() <= 0 || it->get<std::int64_t>() > (1 << 30))
    throw Fail(std::string("\"") + key + "\" is not a positive integer");
  return it->get<int>();
}

}  // namespace

bool load_encoder_config(const std::string& path, kernels::EncoderConfig* out, std::string* error) {
  try {
    std::ifstream in(path);
    if (!in) throw Fail("cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    json j;
    try {
      j = json::parse(ss.str());
    } catch (const json::parse_error& e) {
      throw Fail(std::string("invalid JSON: ") + e.what());
    }
    if (!j.is_object()) throw Fail("not a JSON object");
    const std::string type = j.value("model_type", "bert");
    if (type != "bert")
      throw Fail("model_type \"" + type + "\" is not supported (BERT-family encoders: bert)");
    kernels::EncoderConfig c;
    c.hidden = get_int(j, "hidden_size", 0, true);
    c.layers = get_int(j, "num_hidden_layers", 0, true);
    c.heads = get_int(j, "num_attention_heads", 0, true);
    c.intermediate = get_int(j, "intermediate_size", 4 * c.hidden, false);
    c.max_positions = get_int(j, "max_position_embeddings", 512, false);
    c.type_vocab_size = get_int(j, "type_vocab_size", 2, false);
    c.vocab_size = get_int(j, "vocab_size", 0, true);
    if (c.hidden % c.heads != 0)
      throw Fail("hidden_size " + std::to_string(c.hidden) + " is not a multiple of num_attention_heads " +
                 std::to_string(c.heads));
    if (j.contains("layer_norm_eps") && j["layer_norm_eps"].is_number())
      c.layer_norm_eps = j["layer_norm_eps"].get<float>();
    const std::string act = j.value("hidden_act", "gelu");
    if (act == "gelu") c.activation = kernels::Activation::kGeluErf;
    else if (act == "gelu_new" || act == "gelu_pytorch_tanh" || act == "gelu_fast")
      c.activation = kernels::Activation::kGeluTanh;
    else if (act == "relu") c.activation = kernels::Activation::kRelu;
    else throw Fail("hidden_act \"" + act + "\" is not supported (gelu, gelu_new, relu)");
    if (j.value("position_embedding_type", "absolute") != "absolute")
      throw Fail("position_embedding_type \"" + j.value("position_embedding_type", "") +
                 "\" is not supported (absolute)");
    *out = c;
    return true;
  } catch (const Fail& e) {
    if (error) *error = path + ": " + e.what();
  } catch (const json::exception& e) {
    if (error) *error = path + ": " + e.what();
  }
  return false;
}

bool load_encoder_weights(const std::string& model_dir, kernels::EncoderWeights* out,
                          std::string* error) {
  namespace fs = std::filesystem;
  const std::string config_path = (fs::path(model_dir) / "config.json").string();
  const std::string st_path = (fs::path(model_dir) / "model.safetensors").string();
  kernels::EncoderWeights w;
  if (!load_encoder_config(config_path, &w.config, error)) return false;
  if (!fs::exists(st_path)) {
    if (error) {
      *error = st_path + ": no such file";
      if (fs::exists(fs::path(model_dir) / "pytorch_model.bin"))
        *error += " (the folder has only pytorch_model.bin: convert it to safetensors)";
    }
    return false;
  }
  std::unique_ptr<SafetensorsFile> file = SafetensorsFile::open(st_path, error);
  if (!file) return false;
  const auto& c = w.config;
  try {
    // The prefix in front of "embeddings.word_embeddings.weight".
    const std::string anchor = "embeddings.word_embeddings.weight";
    std::string prefix;
    bool found = false;
    for (const auto& t : file->tensors()) {
      if (t.name.size() >= anchor.size() &&
          t.name.compare(t.name.size() - anchor.size(), anchor.size(), anchor) == 0) {
        const std::string p = t.name.substr(0, t.name.size() - anchor.size());
        if (p.empty() || p.back() == '.') {
          if (!found || p.size() < prefix.size()) prefix = p;
          found = true;
        }
      }
    }
    if (!found) throw Fail("no tensor \"" + anchor + "\" (with or without a prefix): not a BERT model?");

    auto load = [&](const std::string& name, std::vector<std::int64_t> shape,
                    std::vector<float>& dst, const char* alt = nullptr) {
      std::string full = prefix + name;
      const SafeTensorInfo* t = file->find(full);
      if (!t && alt) {
        full = prefix + alt;
        t = file->find(full);
      }
      if (!t) throw Fail("no tensor \"" + prefix + name + "\"");
      if (t->shape != shape)
        throw Fail("tensor \"" + full + "\" has shape " + shape_str(t->shape) + ", expected " +
                   shape_str(shape) + " from config.json");
      std::string err;
      if (!file->read_f32(full, &dst, &err)) throw Fail(err);
    };
    const std::int64_t H = c.hidden, I = c.intermediate;
    // A vocabulary or position table of another size than config.json says
    // is an error: ids and positions would index past it.
    load("embeddings.word_embeddings.weight", {c.vocab_size, H}, w.word_emb);
    load("embeddings.position_embeddings.weight", {c.max_positions, H}, w.pos_emb);
    if (file->find(prefix + "embeddings.token_type_embeddings.weight")) {
      load("embeddings.token_type_embeddings.weight", {c.type_vocab_size, H}, w.type_emb);
    } else {
      w.config.type_vocab_size = 1;
      w.type_emb.assign(static_cast<std::size_t>(H), 0.0f);
    }
    load("embeddings.LayerNorm.weight", {H}, w.emb_ln_g, "embeddings.LayerNorm.gamma");
    load("embeddings.LayerNorm.bias", {H}, w.emb_ln_b, "embeddings.LayerNorm.beta");
    w.layers.resize(static_cast<std::size_t>(c.layers));
    for (int i = 0; i < c.layers; ++i) {
      auto& L = w.layers[static_cast<std::size_t>(i)];
      const std::string p = "encoder.layer." + std::to_string(i) + ".";
      load(p + "attention.self.query.weight", {H, H}, L.q_w);
      load(p + "attention.self.query.bias", {H}, L.q_b);
      load(p + "attention.self.key.weight", {H, H}, L.k_w);
      load(p + "attention.self.key.bias", {H}, L.k_b);
      load(p + "attention.self.value.weight", {H, H}, L.v_w);
      load(p + "attention.self.value.bias", {H}, L.v_b);
      load(p + "attention.output.dense.weight", {H, H}, L.o_w);
      load(p + "attention.output.dense.bias", {H}, L.o_b);
      load(p + "attention.output.LayerNorm.weight", {H}, L.attn_ln_g,
           (p + "attention.output.LayerNorm.gamma").c_str());
      load(p + "attention.output.LayerNorm.bias", {H}, L.attn_ln_b,
           (p + "attention.output.LayerNorm.beta").c_str());
      load(p + "intermediate.dense.weight", {I, H}, L.ff1_w);
      load(p + "intermediate.dense.bias", {I}, L.ff1_b);
      load(p + "output.dense.weight", {H, I}, L.ff2_w);
      load(p + "output.dense.bias", {H}, L.ff2_b);
      load(p + "output.LayerNorm.weight", {H}, L.ffn_ln_g, (p + "output.LayerNorm.gamma").c_str());
      load(p + "output.LayerNorm.bias", {H}, L.ffn_ln_b, (p + "output.LayerNorm.beta").c_str());
    }
    if (file->find(prefix + "encoder.layer." + std::to_string(c.layers) + ".attention.self.query.weight"))
      throw Fail("has more encoder layers than num_hidden_layers " + std::to_string(c.layers) +
                 " in config.json");
  } catch (const Fail& e) {
    if (error) *error = st_path + ": " + e.what();
    return false;
  }
  *out = std::move(w);
  return true;
}

}  // namespace rg::retrieval
