// EmbedderPool: makes the embedder a config asks for (embedding_settings.h)
// and shares it between every config that asks for the same one, so a
// server with many configs loads a model (or the word vectors) once.
//
//   EmbedderPool pool;                       // owned by the process' host (server, CLI)
//   EmbedderChoice c = pool.get(settings, config->dir);
//   if (!c.error.empty()) ...;               // refuse the config with it
//   if (!c.notice.empty()) log(c.notice);    // which embedder, and why
//
// Engines (settings.engine):
//   ""  / "builtin"            the built-in embedder (retrieval/default_embedder.h)
//   FastEmbed, SentenceTransformers, transformer
//                              a local BERT-family folder (model_locator.h); the
//                              default model is all-MiniLM-L6-v2. Not found and not
//                              written as a path: the built-in embedder, with a
//                              notice saying where we looked (no download).
//                              parameters: device (auto|cpu|cuda), precision
//                              (fp32|bf16, GPU), max_batch, max_seq_length.
//   openai, nim, nvidia_ai_endpoints, vllm_openai, ollama
//                              an OpenAI-compatible /embeddings endpoint (remote_embedder.h)
// use_batching wraps the result in a retrieval::BatchingEmbedder (concurrent
// calls coalesced up to max_batch_size texts / max_batch_hold seconds), then
// cache.enabled in a retrieval::CachedEmbedder (hits never wait for a batch).
// Thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "rails/embeddings/embedding_settings.h"
#include "retrieval/embedder.h"

namespace rg::rails::embeddings {

struct EmbedderChoice {
  std::shared_ptr<const retrieval::Embedder> embedder;  // null when error is set
  std::string notice;  // one line: which embedder is used and, for a fallback, why
  std::string error;   // names the config field at fault
  bool builtin = false;  // the built-in embedder (cheap: indexes are not worth saving)
};

// "" when settings.engine is one of the engines above, else the error get()
// would give (for `railguard check`, which must not load models).
std::string check_embedding_engine(const EmbeddingSettings& settings);

class EmbedderPool {
 public:
  EmbedderChoice get(const EmbeddingSettings& settings, const std::filesystem::path& config_dir);

 private:
  EmbedderChoice make(const EmbeddingSettings& settings, const std::filesystem::path& config_dir);

  std::mutex mu_;
  std::map<std::string, EmbedderChoice> made_;  // by settings key; errors are not kept
};

}  // namespace rg::rails::embeddings
