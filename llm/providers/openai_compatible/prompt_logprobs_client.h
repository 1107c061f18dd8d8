// OpenAiPromptLogprobsClient: the log-probabilities an OpenAI-compatible
// `/completions` endpoint gives to the tokens of a prompt (echo mode), for
// perplexity scoring (rails/safety/jailbreak_heuristics.h). Works with vLLM
// (`vllm_openai`), the legacy OpenAI completion models (davinci-002,
// babbage-002) and other servers that implement `echo` + `logprobs`; chat-only
// endpoints cannot do it.
//
//   auto c = make_openai_prompt_logprobs("vllm_openai",
//                                        {"gpt2-large", "http://localhost:8000/v1", {}});
//   auto lp = c.value()->prompt_logprobs("some text");   // Result<PromptLogprobs>
//   lp.value().token_logprobs;   // {nullopt, -3.2, -0.7, ...}
//
// Request: POST {base}/completions
//   {"model", "prompt": text, "echo": true, "logprobs": 0, "max_tokens": 0}
// plus the entry's extra parameters (`logprobs: 1` or `echo` written in the
// entry win over ours). Some servers refuse max_tokens 0: a positive
// `parameters.max_tokens` is then sent instead, and the generated tokens are
// cut off the answer by their `text_offset` (at or past the prompt's length
// in code points), which the server must then send.
//
// Answer read: choices[0].logprobs.token_logprobs (numbers, or null for the
// first token, which has no context), choices[0].logprobs.tokens when present.
// Errors are values, as for the embeddings client: kTimeout / kTransport /
// kProvider (HTTP status, after retrying 429/5xx as config.h says),
// kBadResponse ("response has no choices[0].logprobs.token_logprobs", a
// non-number, malformed JSON). Thread-safe (no shared mutable state).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llm/provider.h"
#include "llm/providers/openai_compatible/config.h"
#include "llm/result.h"

namespace rg::llm {

struct PromptLogprobs {
  // One entry per prompt token; nullopt where the server sent null (the
  // first token).
  std::vector<std::optional<double>> token_logprobs;
  std::vector<std::string> tokens;  // the token texts, when the server sent them (else empty)
};

class OpenAiPromptLogprobsClient {
 public:
  explicit OpenAiPromptLogprobsClient(openai_compatible::Options options);

  const openai_compatible::Options& options() const { return options_; }

  // The prompt's token log-probabilities (natural log, as servers send them).
  Result<PromptLogprobs> prompt_logprobs(std::string_view text) const;

 private:
  const openai_compatible::Options options_;
};

// Options from the engine's defaults and the entry's settings, as the chat
// provider reads them (config.h). The entry needs a `model`.
Result<std::unique_ptr<OpenAiPromptLogprobsClient>> make_openai_prompt_logprobs(
    std::string_view engine, const ProviderSettings& settings);

}  // namespace rg::llm
