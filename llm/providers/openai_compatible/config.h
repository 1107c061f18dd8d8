// Settings of the OpenAI-compatible provider, parsed once per model from a
// config entry (engine + ProviderSettings).
//
// Engines and their defaults:
//   engine                     base URL                              API key from     mode
//   openai                     https://api.openai.com/v1             OPENAI_API_KEY   see below
//   nim, nvidia_ai_endpoints   https://integrate.api.nvidia.com/v1   NVIDIA_API_KEY   chat
//   vllm_openai                (required)                            none             completion
//   ollama                     http://localhost:11434/v1             none             chat
// openai uses chat iff the model name contains "gpt-3.5" or "gpt-4" and not
// "instruct" (the reference's rule), else /completions.
//
// Parameters read (anything else goes into the request body as is, e.g.
// top_p, seed):
//   base_url | openai_api_base | api_base   overrides the base URL
//   api_key                                 the key itself (prefer the environment)
//   api_key_env                             the environment variable holding the key
//   mode                                    "chat" or "completion"
//   model | model_name                      when the entry has no `model`
//   temperature, max_tokens, stop, n        defaults for calls that leave them unset
//   connect_timeout_ms (10000), read_timeout_ms (60000),
//   timeout | request_timeout (seconds; sets read_timeout_ms)
//   max_retries (3), retry_base_delay_ms (500), retry_max_delay_ms (30000)
#pragma once

#include <string>
#include <string_view>

#include "llm/provider.h"

namespace rg::llm::openai_compatible {

struct Options {
  std::string engine;
  std::string model;
  std::string base_url;  // without a trailing '/'
  std::string api_key;   // "" = send no Authorization header
  bool chat = true;      // where prompt-only requests go; chat requests always go to chat
  long connect_timeout_ms = 10000;
  long read_timeout_ms = 60000;
  int max_retries = 3;  // on 429 and 5xx; 0 = one attempt only
  long retry_base_delay_ms = 500;
  long retry_max_delay_ms = 30000;  // also caps Retry-After
  LlmParams defaults;               // used where a call leaves a parameter unset
  nlohmann::json extra_body = nlohmann::json::object();
};

// Engine defaults, parameters and the API key from the environment. Errors
// (kBadConfig) name the engine and the parameter at fault.
Result<Options> parse_options(std::string_view engine, const ProviderSettings& settings);

}  // namespace rg::llm::openai_compatible
