// Provider: the base of every real LLM provider (llm/providers/<name>/).
//
// A provider implements one hook, call(), for one request that asks for
// `n` choices. Provider turns both LlmClient entry points into that hook and
// adds what every provider needs alike:
//   - n > 1 on a provider without native `n` (supports_n() false): n
//     sequential calls, choices concatenated, tokens summed;
//   - the call metadata for the log: started_at / finished_at (epoch
//     seconds), duration_ms (retries included), total_tokens when the
//     provider gave only the parts.
//
// Providers are created by engine name through llm/registry.h.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "llm/llm_client.h"

namespace rg::llm {

// What a config says about one model (config.yml `models:` entry), besides
// its type and engine. Each provider documents the parameters it reads.
struct ProviderSettings {
  std::string model;     // "" when the entry names none
  std::string base_url;  // "" = the engine's default
  nlohmann::json parameters = nlohmann::json::object();
};

class Provider : public LlmClient {
 public:
  // The engine this provider was made for ("openai", "replay", ...).
  virtual std::string_view engine() const = 0;

  Result<Completion> complete(std::string_view task, std::string_view prompt,
                              const LlmParams& params) final;
  Result<Completion> generate(const LlmRequest& request, const ChunkCallback& on_chunk = {}) final;

 protected:
  // Whether call() can return n > 1 choices in one request.
  virtual bool supports_n() const { return false; }

  // One request for `n` choices (n is 1 unless supports_n()). Must fill
  // text, choices and whatever tokens/model/raw_response it knows; timing is
  // filled by Provider. Streams choice 0 to `on_chunk` when it is set.
  virtual Result<Completion> call(const LlmRequest& request, int n,
                                  const ChunkCallback& on_chunk) = 0;
};

}  // namespace rg::llm
