// llm/local/model_loader.cc: see model_loader.h.
#include "llm/local/model_loader.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kernels/formats/gguf.h"
#include "kernels/formats/safetensors_set.h"
#include "llm/local/gguf_tokenizer.h"
#include "llm/local/model_config.h"
#include "llm/local/tokenizer/tokenizer.h"

namespace rg::llm::local {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using kernels::DecoderLayerWeights;
using kernels::DecoderWeights;
using kernels::TensorView;

// One model's tensor names in one format. `view(name, out, error)` is the
// file's lookup; `has(name)` says whether the tensor is there.
struct TensorNames {
  std::string embeddings, output_norm, output;
  std::function<std::string(int layer, const char* part)> layer;
  // parts: attn_norm wq wk wv bq bk bv wo ffn_norm w_gate w_up w_down
};

TensorNames hf_names() {
  TensorNames n{"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight", {}};
  n.layer = [](int i, const char* part) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    const std::string s = part;
    if (s == "attn_norm") return p + "input_layernorm.weight";
    if (s == "ffn_norm") return p + "post_attention_layernorm.weight";
    if (s == "wq") return p + "self_attn.q_proj.weight";
    if (s == "wk") return p + "self_attn.k_proj.weight";
    if (s == "wv") return p + "self_attn.v_proj.weight";
    if (s == "bq") return p + "self_attn.q_proj.bias";
    if (s == "bk") return p + "self_attn.k_proj.bias";
    if (s == "bv") return p + "self_attn.v_proj.bias";
    if (s == "wo") return p + "self_attn.o_proj.weight";
    if (s == "w_gate") return p + "mlp.gate_proj.weight";
    if (s == "w_up") return p + "mlp.up_proj.weight";
    return p + "mlp.down_proj.weight";
  };
  return n;
}

TensorNames gguf_names() {
  TensorNames n{"token_embd.weight", "output_norm.weight", "output.weight", {}};
  n.layer = [](int i, const char* part) {
    const std::string p = "blk." + std::to_string(i) + ".";
    const std::string s = part;
    if (s == "attn_norm") return p + "attn_norm.weight";
    if (s == "ffn_norm") return p + "ffn_norm.weight";
    if (s == "wq") return p + "attn_q.weight";
    if (s == "wk") return p + "attn_k.weight";
    if (s == "wv") return p + "attn_v.weight";
    if (s == "bq") return p + "attn_q.bias";
    if (s == "bk") return p + "attn_k.bias";
    if (s == "bv") return p + "attn_v.bias";
    if (s == "wo") return p + "attn_output.weight";
    if (s == "w_gate") return p + "ffn_gate.weight";
    if (s == "w_up") return p + "ffn_up.weight";
    return p + "ffn_down.weight";
  };
  return n;
}

using ViewFn = std::function<bool(const std::string&, TensorView*, std::string*)>;

// Fills model->weights from `view` by `names`; throws naming the tensor.
void map_weights(LoadedModel* model, const TensorNames& names, const ViewFn& view, bool has_output) {
  DecoderWeights& w = model->weights;
  const auto& c = w.config;
  std::string error;
  const auto get = [&](const std::string& name, TensorView* out) {
    if (!view(name, out, &error)) throw ModelLoadError(error);
    std::uint64_t n = 1;
    for (auto d : out->shape) n *= static_cast<std::uint64_t>(d);
    model->parameters += n;
    model->tensor_bytes += out->dtype == kernels::DType::kQ8_0 ? n / 32 * 34
                           : out->dtype == kernels::DType::kF32 ? n * 4
                                                                : n * 2;
  };
  get(names.embeddings, &w.tok_embeddings);
  get(names.output_norm, &w.output_norm);
  if (!c.tied_embeddings) {
    if (!has_output)
      throw ModelLoadError(model->path + ": no tensor \"" + names.output +
                           "\" and the config does not tie the output to the embeddings");
    get(names.output, &w.output);
  }
  w.layers.resize(static_cast<std::size_t>(c.layers));
  for (int i = 0; i < c.layers; ++i) {
    DecoderLayerWeights& l = w.layers[static_cast<std::size_t>(i)];
    get(names.layer(i, "attn_norm"), &l.attn_norm);
    get(names.layer(i, "wq"), &l.wq);
    get(names.layer(i, "wk"), &l.wk);
    get(names.layer(i, "wv"), &l.wv);
    if (c.qkv_bias) {
      get(names.layer(i, "bq"), &l.bq);
      get(names.layer(i, "bk"), &l.bk);
      get(names.layer(i, "bv"), &l.bv);
    }
    get(names.layer(i, "wo"), &l.wo);
    get(names.layer(i, "ffn_norm"), &l.ffn_norm);
    get(names.layer(i, "w_gate"), &l.w_gate);
    get(names.layer(i, "w_up"), &l.w_up);
    get(names.layer(i, "w_down"), &l.w_down);
  }
  const std::string problem = kernels::validate(w);
  if (!problem.empty()) throw ModelLoadError(model->path + ": " + problem);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The chat template of an HF folder: chat_template.jinja, else
// tokenizer_config.json's "chat_template" (a string, or a list of
// {name, template} where "default" is used). "" when there is none.
std::string hf_chat_template(const fs::path& dir, std::string* source) {
  std::error_code ec;
  if (fs::is_regular_file(dir / "chat_template.jinja", ec)) {
    *source = (dir / "chat_template.jinja").string();
    return read_text(dir / "chat_template.jinja");
  }
  const fs::path tc = dir / "tokenizer_config.json";
  if (!fs::is_regular_file(tc, ec)) return "";
  *source = tc.string() + ": chat_template";
  json j;
  try {
    j = json::parse(read_text(tc));
  } catch (const json::exception& e) {
    throw ModelLoadError(tc.string() + ": not valid JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("chat_template") || j["chat_template"].is_null()) return "";
  const json& t = j["chat_template"];
  if (t.is_string()) return t.get<std::string>();
  if (t.is_array()) {
    for (const auto& e : t)
      if (e.is_object() && e.value("name", "") == "default" && e.contains("template") && e["template"].is_string())
        return e["template"].get<std::string>();
  }
  throw ModelLoadError(*source + " is neither a string nor a list holding a \"default\" template");
}

// generation_config.json's eos_token_id (int or list): more end-of-turn ids.
std::vector<std::int32_t> generation_eos_ids(const fs::path& dir) {
  std::vector<std::int32_t> ids;
  const fs::path p = dir / "generation_config.json";
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return ids;
  json j;
  try {
    j = json::parse(read_text(p));
  } catch (const json::exception& e) {
    throw ModelLoadError(p.string() + ": not valid JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("eos_token_id")) return ids;
  const json& e = j["eos_token_id"];
  if (e.is_number_integer()) ids.push_back(e.get<std::int32_t>());
  else if (e.is_array())
    for (const auto& x : e)
      if (x.is_number_integer()) ids.push_back(x.get<std::int32_t>());
  return ids;
}

void add_stop_ids(TokenizerSpec* spec, const std::vector<std::int32_t>& ids) {
  for (std::int32_t id : ids) {
    if (id < 0 || static_cast<std::size_t>(id) >= spec->tokens.size()) continue;
    if (std::find(spec->stop_ids.begin(), spec->stop_ids.end(), id) == spec->stop_ids.end())
      spec->stop_ids.push_back(id);
  }
}

// Every token id must have an embedding row (a larger embedding than the
// vocabulary is common: padded for the GPU).
void check_vocab(const LoadedModel& m) {
  const std::size_t n = m.tokenizer.tokens.size();
  if (n > static_cast<std::size_t>(m.weights.config.vocab_size))
    throw ModelLoadError(m.path + ": the tokenizer has " + std::to_string(n) + " tokens but the model's vocabulary is " +
                         std::to_string(m.weights.config.vocab_size));
}

std::string known_template_names() {
  std::string s;
  for (const auto& n : ChatTemplate::known_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// Resolves the template: the override by name, else the model's text.
void set_chat_template(LoadedModel* m, const std::string& jinja, const std::string& source,
                       const LoadOptions& options) {
  try {
    if (!options.chat_template.empty()) m->chat_template = ChatTemplate::by_name(options.chat_template);
    else if (!jinja.empty()) m->chat_template = ChatTemplate::from_jinja(jinja, source);
    else m->chat_template = ChatTemplate::unavailable(m->path + ": the model has no chat template; choose one by name (" +
                                                      known_template_names() + ")");
  } catch (const std::invalid_argument& e) {
    if (!options.chat_template.empty()) throw ModelLoadError(e.what());
    m->chat_template = ChatTemplate::unavailable(e.what());
  }
  const TokenizerSpec& s = m->tokenizer;
  const auto text = [&](std::int32_t id) {
    return id >= 0 && static_cast<std::size_t>(id) < s.tokens.size() ? s.tokens[static_cast<std::size_t>(id)] : "";
  };
  if (m->chat_template.ok()) m->chat_template.set_special_tokens(text(s.bos_id), text(s.eos_id));
}

std::unique_ptr<LoadedModel> load_hf(const std::string& path, const LoadOptions& options) {
  auto m = std::make_unique<LoadedModel>();
  m->path = path;
  m->format = "hf";
  const fs::path dir(path);
  std::error_code ec;
  if (!fs::is_regular_file(dir / "config.json", ec)) throw ModelLoadError(path + ": no config.json (not an HF model folder)");
  if (!fs::is_regular_file(dir / "tokenizer.json", ec))
    throw ModelLoadError(path + ": no tokenizer.json (only HF fast-tokenizer folders are supported)");
  HfModelConfig hf;
  try {
    hf = config_from_hf_file((dir / "config.json").string());
  } catch (const std::runtime_error& e) {
    throw ModelLoadError(e.what());
  }
  m->weights.config = hf.decoder;
  std::string error;
  m->safetensors = kernels::formats::SafetensorsSet::open_folder(path, &error);
  if (!m->safetensors) throw ModelLoadError(error);
  for (const auto& f : m->safetensors->files()) m->file_bytes += fs::file_size(f->path(), ec);
  const auto* set = m->safetensors.get();
  map_weights(m.get(), hf_names(),
              [set](const std::string& n, TensorView* v, std::string* e) { return set->view(n, v, e); },
              set->contains("lm_head.weight"));
  try {
    m->tokenizer = tokenizer_spec_from_hf(path);
  } catch (const std::runtime_error& e) {
    throw ModelLoadError(e.what());
  }
  check_vocab(*m);
  add_stop_ids(&m->tokenizer, hf.eos_token_ids);
  add_stop_ids(&m->tokenizer, generation_eos_ids(dir));
  std::string source;
  const std::string jinja = hf_chat_template(dir, &source);
  set_chat_template(m.get(), jinja, source, options);
  return m;
}

std::unique_ptr<LoadedModel> load_gguf(const std::string& path, const LoadOptions& options) {
  auto m = std::make_unique<LoadedModel>();
  m->path = path;
  m->format = "gguf";
  std::string error;
  m->gguf = kernels::formats::GgufFile::open(path, &error);
  if (!m->gguf) throw ModelLoadError(error);
  m->file_bytes = m->gguf->file_size();
  const auto* f = m->gguf.get();
  try {
    m->weights.config = config_from_gguf(*f);
    m->tokenizer = tokenizer_spec_from_gguf(*f);
  } catch (const std::runtime_error& e) {
    throw ModelLoadError(e.what());
  }
  check_vocab(*m);
  map_weights(m.get(), gguf_names(),
              [f](const std::string& n, TensorView* v, std::string* e) { return f->view(n, v, e); },
              f->find_tensor("output.weight") != nullptr);
  std::string jinja;
  if (f->find("tokenizer.chat_template") && !f->get_string("tokenizer.chat_template", &jinja, &error))
    throw ModelLoadError(error);
  set_chat_template(m.get(), jinja, path + ": tokenizer.chat_template", options);
  return m;
}

}  // namespace

LoadedModel::LoadedModel() = default;
LoadedModel::~LoadedModel() = default;

std::unique_ptr<LoadedModel> load_model(const std::string& path, const LoadOptions& options) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return load_hf(path, options);
  if (!fs::exists(path, ec)) throw ModelLoadError(path + ": no such file or folder");
  if (fs::path(path).extension() == ".gguf") return load_gguf(path, options);
  // A file without the extension: trust the magic, not the name.
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  if (in && std::string(magic, 4) == "GGUF") return load_gguf(path, options);
  throw ModelLoadError(path + ": neither a .gguf file nor an HF model folder (config.json + safetensors)");
}

}  // namespace rg::llm::local
