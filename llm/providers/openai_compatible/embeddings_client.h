// OpenAiEmbeddingsClient: the `/embeddings` endpoint of an OpenAI-compatible
// server (engines openai, nim, nvidia_ai_endpoints, vllm_openai, ollama), for
// config entries `models: - type: embeddings` and for
// `embedding_search_provider.parameters.embedding_engine: openai | nim`.
//
//   auto client = make_openai_embeddings("openai", {"text-embedding-3-small", "", {}});
//   if (!client.ok()) ...;                  // e.g. "openai: no API key: set OPENAI_API_KEY ..."
//   auto vectors = client.value()->embed({"hello", "bye"});   // Result<vector<vector<float>>>
//
// Requests: POST {base}/embeddings {"model", "input": [...], "encoding_format": "float"}
// plus the entry's extra parameters (e.g. NIM's `input_type: query`, `truncate`),
// at most max_batch_size texts each (parameter `max_batch_size`, default 64);
// answers are put back in input order by their `index`. Connection settings,
// API keys and the retry of 429/5xx are the chat provider's (config.h).
// Errors are values: kTimeout / kTransport / kProvider as for chat,
// kBadResponse for "response has no data[3].embedding", a count or dimension
// that does not match, non-numbers. Thread-safe (no shared mutable state).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "llm/provider.h"
#include "llm/providers/openai_compatible/config.h"
#include "llm/result.h"

namespace rg::llm {

class OpenAiEmbeddingsClient {
 public:
  OpenAiEmbeddingsClient(openai_compatible::Options options, size_t max_batch_size);

  const openai_compatible::Options& options() const { return options_; }
  size_t max_batch_size() const { return max_batch_size_; }

  // One vector per text, in input order, as the server sent them (not
  // normalised). An empty input makes no request.
  Result<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) const;

 private:
  Result<std::vector<std::vector<float>>> embed_batch(const std::string* texts, size_t n) const;

  const openai_compatible::Options options_;
  const size_t max_batch_size_;
};

// Options from the engine's defaults and the entry's settings (as the chat
// provider reads them) plus `max_batch_size`.
Result<std::unique_ptr<OpenAiEmbeddingsClient>> make_openai_embeddings(std::string_view engine,
                                                                       const ProviderSettings& settings);

}  // namespace rg::llm
