// OpenAiCompatibleProvider: any server that speaks the OpenAI HTTP API
// (OpenAI, NVIDIA NIM / AI endpoints, vLLM, Ollama), over libcurl.
//
//   auto opts = openai_compatible::parse_options("nim", {"meta/llama-3.1-8b-instruct", "", {}});
//   if (!opts.ok()) ...;                        // e.g. "nim: no API key: set NVIDIA_API_KEY ..."
//   OpenAiCompatibleProvider llm(opts.value());
//   auto r = llm.complete("general", "Hello", {});
//
// Requests: POST {base}/chat/completions for chat (and for prompts when the
// options say chat: the prompt becomes one user message), else
// POST {base}/completions. n is sent as is (the API supports it). Streaming
// reads server-sent events up to "data: [DONE]".
//
// Failures, each with a message "<engine>: POST <url>: <what>" and `where`
// "<engine> <url>":
//   kTimeout      no connection within connect_timeout_ms, or silence for read_timeout_ms
//   kTransport    refused, reset, DNS, TLS
//   kProvider     an HTTP error status (429 and 5xx after max_retries retries)
//   kBadResponse  "malformed JSON at byte N", "response has no choices[0].message.content",
//                 "stream ended before [DONE]", ...
// 429 and 5xx are retried with jittered exponential back-off (base * 2^k,
// capped, a random half of it taken off), or after Retry-After when the server
// sends one (capped likewise). Thread-safe: no shared mutable state; each call
// has its own libcurl handle.
#pragma once

#include <memory>
#include <string_view>

#include "llm/provider.h"
#include "llm/providers/openai_compatible/config.h"

namespace rg::llm {

class OpenAiCompatibleProvider final : public Provider {
 public:
  explicit OpenAiCompatibleProvider(openai_compatible::Options options);

  std::string_view engine() const override { return options_.engine; }
  const openai_compatible::Options& options() const { return options_; }

 protected:
  bool supports_n() const override { return true; }
  Result<Completion> call(const LlmRequest& request, int n, const ChunkCallback& on_chunk) override;

 private:
  const openai_compatible::Options options_;
};

// The registry's factory for the engines openai, nim, nvidia_ai_endpoints,
// vllm_openai and ollama.
Result<std::shared_ptr<Provider>> make_openai_compatible(std::string_view engine,
                                                         const ProviderSettings& settings);

}  // namespace rg::llm
