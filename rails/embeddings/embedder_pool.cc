#include "rails/embeddings/embedder_pool.h"

#include <chrono>
#include <utility>

#include "llm/providers/openai_compatible/embeddings_client.h"
#include "rails/embeddings/model_locator.h"
#include "rails/embeddings/remote_embedder.h"
#include "retrieval/batching_embedder.h"
#include "retrieval/default_embedder.h"
#include "retrieval/embedding_cache.h"
#include "retrieval/transformer/transformer_embedder.h"

namespace rg::rails::embeddings {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultTransformerModel = "all-MiniLM-L6-v2";

bool is_transformer_engine(const std::string& e) {
  return e == "FastEmbed" || e == "fastembed" || e == "SentenceTransformers" ||
         e == "sentence_transformers" || e == "transformer";
}

bool is_remote_engine(const std::string& e) {
  return e == "openai" || e == "nim" || e == "nvidia_ai_endpoints" || e == "vllm_openai" || e == "ollama";
}

std::string field(const EmbeddingSettings& s, const std::string& name) {
  return (s.source.empty() ? std::string("embeddings") : s.source) + "." + name;
}

// Transformer options from the engine parameters; "" or what is wrong.
std::string transformer_options(const EmbeddingSettings& s, retrieval::TransformerEmbedder::Options& o) {
  const nlohmann::json& p = s.parameters;
  if (!p.is_object()) return "";
  if (auto d = p.find("device"); d != p.end()) {
    std::string v = d->is_string() ? d->get<std::string>() : "";
    if (v == "cpu") o.device = retrieval::TransformerEmbedder::Device::kCpu;
    else if (v == "cuda" || v == "gpu") o.device = retrieval::TransformerEmbedder::Device::kCuda;
    else if (v == "auto") o.device = retrieval::TransformerEmbedder::Device::kAuto;
    else return field(s, "parameters.device") + ": expected auto, cpu or cuda, got " + d->dump();
  }
  if (auto d = p.find("precision"); d != p.end()) {
    std::string v = d->is_string() ? d->get<std::string>() : "";
    if (v == "fp32") o.gpu_precision = kernels::GpuPrecision::kFp32;
    else if (v == "bf16") o.gpu_precision = kernels::GpuPrecision::kBf16;
    else return field(s, "parameters.precision") + ": expected fp32 or bf16, got " + d->dump();
  }
  for (auto [key, out] : {std::pair<const char*, int*>{"max_batch", &o.max_batch},
                          std::pair<const char*, int*>{"max_seq_length", &o.max_seq_len}}) {
    if (auto d = p.find(key); d != p.end()) {
      if (!d->is_number_integer() || d->get<long long>() < 1 || d->get<long long>() > 1 << 20)
        return field(s, std::string("parameters.") + key) + ": expected a positive integer, got " + d->dump();
      *out = static_cast<int>(d->get<long long>());
    }
  }
  return "";
}

std::string unknown_engine(const EmbeddingSettings& s) {
  return field(s, "engine") + ": unknown embedding engine '" + s.engine +
         "' (known: builtin, FastEmbed, SentenceTransformers, openai, nim, nvidia_ai_endpoints, "
         "vllm_openai, ollama)";
}

}  // namespace

std::string check_embedding_engine(const EmbeddingSettings& s) {
  if (s.engine.empty() || s.engine == "builtin" || is_transformer_engine(s.engine) || is_remote_engine(s.engine))
    return "";
  return unknown_engine(s);
}

EmbedderChoice EmbedderPool::get(const EmbeddingSettings& s, const fs::path& config_dir) {
  std::string key = std::string(s.use_batching ? "batch:" + std::to_string(s.max_batch_size) + ":" +
                                                      std::to_string(s.max_batch_hold_s)
                                                : "") +
                    s.engine + '\x1f' + s.model + '\x1f' + s.parameters.dump() + '\x1f' +
                    (s.cache.enabled ? "cache:" + s.cache.key_generator + ":" + s.cache.store + ":" + s.cache.cache_dir
                                     : std::string()) +
                    '\x1f' + (names_a_path(s.model) ? config_dir.string() : std::string());
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = made_.find(key); it != made_.end()) return it->second;
  EmbedderChoice c = make(s, config_dir);
  if (c.error.empty()) made_.emplace(std::move(key), c);
  return c;
}

EmbedderChoice EmbedderPool::make(const EmbeddingSettings& s, const fs::path& config_dir) {
  EmbedderChoice c;
  const std::string& engine = s.engine;
  if (engine.empty() || engine == "builtin") {
    c.embedder = retrieval::make_builtin_embedder(&c.notice);
    c.builtin = true;
  } else if (is_transformer_engine(engine)) {
    const std::string model = s.model.empty() ? kDefaultTransformerModel : s.model;
    ModelSearch found = locate_encoder_model(model, config_dir);
    if (!found.found) {
      std::string looked;
      for (const auto& p : found.looked_in) looked += (looked.empty() ? "" : ", ") + p;
      if (names_a_path(model)) {
        c.error = field(s, "model") + ": no encoder folder (config.json, model.safetensors, tokenizer.json) at '" +
                  model + "' (looked in " + looked + ")";
        return c;
      }
      std::string builtin_notice;
      c.embedder = retrieval::make_builtin_embedder(&builtin_notice);
      c.builtin = true;
      c.notice = "embeddings: " + engine + " model '" + model +
                 "' not found locally (railguard downloads nothing; looked in " + looked +
                 "), so the built-in embedder is used instead; similarity thresholds tuned for " + model +
                 " do not carry over. " + builtin_notice;
    } else {
      retrieval::TransformerEmbedder::Options o;
      o.print_notices = false;
      if (std::string bad = transformer_options(s, o); !bad.empty()) {
        c.error = bad;
        return c;
      }
      std::string error;
      auto t = retrieval::TransformerEmbedder::load(found.found->string(), o, &error);
      if (!t) {
        c.error = field(s, "model") + ": " + error;
        return c;
      }
      c.notice = "embeddings: " + t->name() + " (" + found.found->string() + ", " + std::to_string(t->dimension()) +
                 "-d, " + (t->on_gpu() ? "GPU" : "CPU") + ")" + (t->notice().empty() ? "" : "; " + t->notice());
      c.embedder = std::move(t);
    }
  } else if (is_remote_engine(engine)) {
    llm::ProviderSettings ps;
    ps.model = s.model;
    ps.parameters = s.parameters.is_object() ? s.parameters : nlohmann::json::object();
    auto client = llm::make_openai_embeddings(engine, ps);
    if (!client.ok()) {
      c.error = field(s, "engine") + ": " + client.error().message;
      return c;
    }
    c.notice = "embeddings: " + engine + " endpoint " + client.value()->options().base_url + "/embeddings, model '" +
               s.model + "'";
    c.embedder = std::make_shared<RemoteEmbedder>(std::move(client.value()));
  } else {
    c.error = unknown_engine(s);
    return c;
  }

  if (s.use_batching) {
    c.embedder = std::make_shared<retrieval::BatchingEmbedder>(
        c.embedder, static_cast<std::size_t>(s.max_batch_size),
        std::chrono::microseconds(static_cast<long long>(s.max_batch_hold_s * 1e6)));
    c.notice += " (batching up to " + std::to_string(s.max_batch_size) + " texts)";
  }
  if (s.cache.enabled) {
    retrieval::EmbeddingCacheConfig cc;
    cc.enabled = true;
    cc.key_generator = s.cache.key_generator == "sha256" ? "hash" : s.cache.key_generator;
    cc.store = s.cache.store;
    if (!s.cache.cache_dir.empty()) cc.store_config["cache_dir"] = s.cache.cache_dir;
    std::string error;
    auto cached = retrieval::make_cached_embedder(c.embedder, cc, &error);
    if (!cached) {
      c.embedder.reset();
      c.error = field(s, "cache") + ": " + error;
      return c;
    }
    c.embedder = std::move(cached);
    c.notice += " (embedding cache: " + s.cache.store + ")";
  }
  return c;
}

}  // namespace rg::rails::embeddings
