// llm/local/model_config.cc: see model_config.h.
#include "llm/local/model_config.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <sstream>
#include <stdexcept>

#include "kernels/formats/gguf.h"

namespace rg::llm::local {

namespace {

using json = nlohmann::json;
using kernels::DecoderConfig;
using kernels::RopeScaling;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw std::runtime_error(source + ": " + what);
}

// Reads config[key] as an integer; `fallback` < 0 means required.
int get_int(const json& c, const char* key, const std::string& source, long long fallback = -1) {
  if (!c.contains(key) || c[key].is_null()) {
    if (fallback < 0) fail(source, std::string("missing \"") + key + "\"");
    return static_cast<int>(fallback);
  }
  if (!c[key].is_number_integer() || c[key].get<long long>() < 0 || c[key].get<long long>() > (1ll << 31) - 1)
    fail(source, std::string("\"") + key + "\" is " + c[key].dump() + ", expected a non-negative integer");
  return c[key].get<int>();
}

double get_number(const json& c, const char* key, const std::string& source, double fallback) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  if (!c[key].is_number()) fail(source, std::string("\"") + key + "\" is " + c[key].dump() + ", expected a number");
  return c[key].get<double>();
}

bool get_bool(const json& c, const char* key, const std::string& source, bool fallback) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  if (!c[key].is_boolean()) fail(source, std::string("\"") + key + "\" is " + c[key].dump() + ", expected true/false");
  return c[key].get<bool>();
}

// model_type, else the architectures list, mapped to llama | mistral | qwen2.
std::string hf_architecture(const json& c, const std::string& source) {
  if (c.contains("model_type") && c["model_type"].is_string()) {
    const std::string t = c["model_type"].get<std::string>();
    if (t == "llama" || t == "mistral" || t == "qwen2") return t;
    fail(source, "model_type \"" + t + "\" is not supported (supported: " + supported_architectures() + ")");
  }
  if (c.contains("architectures") && c["architectures"].is_array() && !c["architectures"].empty() &&
      c["architectures"][0].is_string()) {
    const std::string a = c["architectures"][0].get<std::string>();
    if (a == "LlamaForCausalLM") return "llama";
    if (a == "MistralForCausalLM") return "mistral";
    if (a == "Qwen2ForCausalLM") return "qwen2";
    fail(source, "architectures[0] \"" + a + "\" is not supported (supported: LlamaForCausalLM, "
                 "MistralForCausalLM, Qwen2ForCausalLM)");
  }
  fail(source, "neither \"model_type\" nor \"architectures\" says which model this is");
}

// transformers < 5 writes "rope_theta" and "rope_scaling" (null or an
// object); transformers 5 writes one "rope_parameters" object holding
// rope_theta and rope_type ("default" = no scaling) with the scaling's fields.
const char* rope_key(const json& c) {
  if (c.contains("rope_parameters") && !c["rope_parameters"].is_null()) return "rope_parameters";
  return "rope_scaling";
}

RopeScaling hf_rope_scaling(const json& c, const std::string& source) {
  RopeScaling s;
  const char* key = rope_key(c);
  if (!c.contains(key) || c[key].is_null()) return s;
  const json& r = c[key];
  const std::string where = source + ": " + key;
  if (!r.is_object()) fail(where, "is " + r.dump() + ", expected an object or null");
  std::string type;
  for (const char* k : {"rope_type", "type"})
    if (r.contains(k) && r[k].is_string()) type = r[k].get<std::string>();
  if (type.empty()) fail(where, "has neither \"rope_type\" nor \"type\"");
  if (type == "default") return s;
  if (type != "llama3" && type != "linear")
    fail(where, "type \"" + type + "\" is not supported (supported: llama3, linear, default)");
  if (!r.contains("factor") || !r["factor"].is_number()) fail(where, "\"factor\" is missing");
  s.factor = r["factor"].get<float>();
  if (!(s.factor > 0)) fail(where, "\"factor\" must be positive");
  if (type == "linear") {
    s.kind = RopeScaling::Kind::kLinear;
    return s;
  }
  s.kind = RopeScaling::Kind::kLlama3;
  for (const char* k : {"low_freq_factor", "high_freq_factor", "original_max_position_embeddings"})
    if (!r.contains(k) || !r[k].is_number()) fail(where, std::string("\"") + k + "\" is missing (llama3 scaling)");
  s.low_freq_factor = r["low_freq_factor"].get<float>();
  s.high_freq_factor = r["high_freq_factor"].get<float>();
  s.original_max_positions = r["original_max_position_embeddings"].get<int>();
  if (!(s.high_freq_factor > s.low_freq_factor)) fail(where, "high_freq_factor must exceed low_freq_factor");
  return s;
}

void check_shape(const DecoderConfig& d, const std::string& source) {
  if (d.hidden <= 0 || d.layers <= 0 || d.heads <= 0 || d.intermediate <= 0 || d.vocab_size <= 0)
    fail(source, "hidden size, layers, heads, intermediate size and vocab size must all be positive");
  if (d.kv_heads <= 0 || d.heads % d.kv_heads != 0)
    fail(source, "key/value heads (" + std::to_string(d.kv_heads) + ") must divide the heads (" +
                     std::to_string(d.heads) + ")");
  if (d.head_dim <= 0 || d.head_dim % 2 != 0)
    fail(source, "head size " + std::to_string(d.head_dim) + " must be positive and even");
}

}  // namespace

const char* supported_architectures() { return "llama, mistral, qwen2"; }

HfModelConfig config_from_hf_json(std::string_view json_text, const std::string& source) {
  json c;
  try {
    c = json::parse(json_text);
  } catch (const json::parse_error& e) {
    fail(source, std::string("not valid JSON: ") + e.what());
  }
  if (!c.is_object()) fail(source, "not a JSON object");
  HfModelConfig out;
  DecoderConfig& d = out.decoder;
  d.architecture = hf_architecture(c, source);
  const bool qwen2 = d.architecture == "qwen2";
  // Features the architectures allow but this engine does not run: refuse
  // rather than compute something else.
  if (c.contains("hidden_act") && c["hidden_act"].is_string() && c["hidden_act"] != "silu")
    fail(source, "hidden_act \"" + c["hidden_act"].get<std::string>() + "\" is not supported (only silu)");
  if (get_bool(c, "attention_bias", source, false)) fail(source, "attention_bias: true is not supported");
  if (get_bool(c, "mlp_bias", source, false)) fail(source, "mlp_bias: true is not supported");
  if (qwen2 && get_bool(c, "use_sliding_window", source, false))
    fail(source, "use_sliding_window: true is not supported (full attention only)");
  d.vocab_size = get_int(c, "vocab_size", source);
  d.hidden = get_int(c, "hidden_size", source);
  d.intermediate = get_int(c, "intermediate_size", source);
  d.layers = get_int(c, "num_hidden_layers", source);
  d.heads = get_int(c, "num_attention_heads", source);
  d.kv_heads = get_int(c, "num_key_value_heads", source, d.heads);
  d.head_dim = get_int(c, "head_dim", source, d.heads > 0 ? d.hidden / d.heads : 0);
  d.max_positions = get_int(c, "max_position_embeddings", source, 0);
  // Mistral's window (v0.1: 4096; null from v0.2 on). Qwen2 carries the key
  // too but only uses it with use_sliding_window, refused above.
  if (!qwen2 && c.contains("sliding_window") && !c["sliding_window"].is_null()) {
    d.sliding_window = get_int(c, "sliding_window", source);
    if (d.sliding_window <= 0) fail(source, "sliding_window must be positive or null");
  }
  d.rms_norm_eps = static_cast<float>(get_number(c, "rms_norm_eps", source, 1e-6));
  d.rope_theta = static_cast<float>(get_number(c, "rope_theta", source, 10000.0));
  if (c.contains("rope_parameters") && c["rope_parameters"].is_object())
    d.rope_theta = static_cast<float>(get_number(c["rope_parameters"], "rope_theta", source + ": rope_parameters", d.rope_theta));
  d.rope_scaling = hf_rope_scaling(c, source);
  d.rope_style = kernels::RopeStyle::kHalf;
  d.qkv_bias = qwen2;
  d.tied_embeddings = get_bool(c, "tie_word_embeddings", source, false);
  check_shape(d, source);
  for (const char* k : {"torch_dtype", "dtype"})  // transformers 5 renamed it
    if (c.contains(k) && c[k].is_string()) out.torch_dtype = c[k].get<std::string>();
  if (c.contains("bos_token_id") && c["bos_token_id"].is_number_integer())
    out.bos_token_id = c["bos_token_id"].get<std::int32_t>();
  if (c.contains("eos_token_id")) {
    const json& e = c["eos_token_id"];
    if (e.is_number_integer()) out.eos_token_ids.push_back(e.get<std::int32_t>());
    else if (e.is_array())
      for (const auto& x : e)
        if (x.is_number_integer()) out.eos_token_ids.push_back(x.get<std::int32_t>());
  }
  return out;
}

HfModelConfig config_from_hf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return config_from_hf_json(ss.str(), path);
}

DecoderConfig config_from_gguf(const kernels::formats::GgufFile& f) {
  const std::string& source = f.path();
  std::string error;
  std::string arch;
  if (!f.get_string("general.architecture", &arch, &error)) throw std::runtime_error(error);
  if (arch != "llama" && arch != "qwen2")
    fail(source, "general.architecture \"" + arch + "\" is not supported (supported: llama (also Mistral), qwen2)");
  const auto req_int = [&](const std::string& key) {
    std::int64_t v = 0;
    if (!f.get_int(key, &v, &error)) throw std::runtime_error(error);
    if (v <= 0 || v > (1ll << 31) - 1) fail(source, key + " = " + std::to_string(v) + " is out of range");
    return static_cast<int>(v);
  };
  const auto opt_int = [&](const std::string& key, int fallback) {
    return f.find(key) ? req_int(key) : fallback;
  };
  const auto opt_float = [&](const std::string& key, double fallback) {
    if (!f.find(key)) return fallback;
    double v = 0;
    if (!f.get_float(key, &v, &error)) throw std::runtime_error(error);
    return v;
  };
  // Mixture-of-experts GGUFs keep the llama architecture name and add these.
  if (f.find(arch + ".expert_count"))
    fail(source, arch + ".expert_count is set: mixture-of-experts models are not supported");

  DecoderConfig d;
  d.architecture = arch;
  d.hidden = req_int(arch + ".embedding_length");
  d.intermediate = req_int(arch + ".feed_forward_length");
  d.layers = req_int(arch + ".block_count");
  d.heads = req_int(arch + ".attention.head_count");
  d.kv_heads = opt_int(arch + ".attention.head_count_kv", d.heads);
  d.head_dim = opt_int(arch + ".attention.key_length", d.hidden / d.heads);
  if (f.find(arch + ".attention.value_length") && req_int(arch + ".attention.value_length") != d.head_dim)
    fail(source, arch + ".attention.value_length differs from the key length: not supported");
  if (f.find(arch + ".rope.dimension_count") && req_int(arch + ".rope.dimension_count") != d.head_dim)
    fail(source, arch + ".rope.dimension_count = " + std::to_string(req_int(arch + ".rope.dimension_count")) +
                     ": partial rotary embeddings are not supported (head size " + std::to_string(d.head_dim) + ")");
  d.max_positions = req_int(arch + ".context_length");
  // Written by our converter for Mistral v0.1-style models (llama.cpp's own
  // conversions leave it out, and then attention is full).
  d.sliding_window = opt_int(arch + ".attention.sliding_window", 0);
  const double eps = opt_float(arch + ".attention.layer_norm_rms_epsilon", -1);
  if (!(eps > 0)) fail(source, arch + ".attention.layer_norm_rms_epsilon is missing or not positive");
  d.rms_norm_eps = static_cast<float>(eps);
  d.rope_theta = static_cast<float>(opt_float(arch + ".rope.freq_base", 10000.0));

  // Vocabulary size: the explicit key, else the token list, else the embedding rows.
  if (f.find(arch + ".vocab_size")) {
    d.vocab_size = req_int(arch + ".vocab_size");
  } else if (const auto* tokens = f.find("tokenizer.ggml.tokens"); tokens && tokens->array_size() > 0) {
    d.vocab_size = static_cast<int>(tokens->array_size());
  } else if (const auto* emb = f.find_tensor("token_embd.weight"); emb && emb->ne.size() == 2) {
    d.vocab_size = static_cast<int>(emb->ne[1]);
  } else {
    fail(source, "no " + arch + ".vocab_size, tokenizer.ggml.tokens or token_embd.weight to size the vocabulary");
  }

  std::string scaling = "none";
  if (f.find(arch + ".rope.scaling.type") && !f.get_string(arch + ".rope.scaling.type", &scaling, &error))
    throw std::runtime_error(error);
  if (scaling == "linear") {
    d.rope_scaling.kind = RopeScaling::Kind::kLinear;
    d.rope_scaling.factor = static_cast<float>(opt_float(arch + ".rope.scaling.factor", 0));
    if (!(d.rope_scaling.factor > 0)) fail(source, arch + ".rope.scaling.factor is missing for linear scaling");
  } else if (scaling != "none") {
    fail(source, arch + ".rope.scaling.type \"" + scaling + "\" is not supported (supported: none, linear)");
  } else if (f.find(arch + ".rope.scale_linear")) {  // older files
    d.rope_scaling.kind = RopeScaling::Kind::kLinear;
    d.rope_scaling.factor = static_cast<float>(opt_float(arch + ".rope.scale_linear", 1.0));
  }
  if (const auto* freqs = f.find_tensor("rope_freqs.weight")) {
    if (freqs->type != kernels::formats::kGgmlF32 || freqs->ne.size() != 1 || freqs->ne[0] != d.head_dim / 2)
      fail(source, "tensor rope_freqs.weight: expected " + std::to_string(d.head_dim / 2) + " F32 values, found " +
                       kernels::formats::ggml_type_name(freqs->type) + " with " + std::to_string(freqs->numel()));
    d.rope_freq_factors.resize(static_cast<std::size_t>(d.head_dim / 2));
    std::memcpy(d.rope_freq_factors.data(), f.data(*freqs), d.rope_freq_factors.size() * sizeof(float));
    for (float x : d.rope_freq_factors)
      if (!(x > 0)) fail(source, "tensor rope_freqs.weight holds a factor that is not positive");
  }
  d.rope_style = arch == "llama" ? kernels::RopeStyle::kInterleaved : kernels::RopeStyle::kHalf;
  d.qkv_bias = f.find_tensor("blk.0.attn_q.bias") != nullptr;
  if (arch == "qwen2" && !d.qkv_bias) fail(source, "qwen2 model without tensor blk.0.attn_q.bias");
  d.tied_embeddings = f.find_tensor("output.weight") == nullptr;
  check_shape(d, source);
  return d;
}

std::vector<float> llama3_rope_freq_factors(const DecoderConfig& c) {
  const RopeScaling& s = c.rope_scaling;
  if (s.kind != RopeScaling::Kind::kLlama3) return {};
  const int half = c.head_dim / 2;
  const double low_wavelen = s.original_max_positions / static_cast<double>(s.low_freq_factor);
  const double high_wavelen = s.original_max_positions / static_cast<double>(s.high_freq_factor);
  std::vector<float> out(static_cast<std::size_t>(half));
  for (int i = 0; i < half; ++i) {
    const double inv = 1.0 / std::pow(static_cast<double>(c.rope_theta), 2.0 * i / c.head_dim);
    const double wavelen = 2 * std::numbers::pi / inv;
    double factor = 1.0;  // short wavelengths: unchanged
    if (wavelen > low_wavelen) {
      factor = s.factor;
    } else if (wavelen >= high_wavelen) {
      // Between the two: the divisor whose inverse is HF's blend
      // (1 - smooth) / factor + smooth.
      const double smooth = (s.original_max_positions / wavelen - s.low_freq_factor) /
                            (s.high_freq_factor - s.low_freq_factor);
      factor = 1.0 / ((1.0 - smooth) / s.factor + smooth);
    }
    out[static_cast<std::size_t>(i)] = static_cast<float>(factor);
  }
  return out;
}

}  // namespace rg::llm::local
