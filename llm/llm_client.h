// LlmClient: how rails asks a language model for text.
//
// Rails executes the LLM actions that Colang flows start (the runtime never
// talks to a model itself). Each request names the task it serves
// ("general", "generate_user_intent", "self_check_input", ...), because the
// config may route tasks to different models.
//
//   std::unique_ptr<LlmClient> llm = std::make_unique<NoLlmConfigured>();
//   Result<Completion> r = llm->complete("general", prompt, {});
//   if (!r.ok()) report(r.error().message);  // "no LLM configured for task general"
//
// Providers (OpenAI-compatible HTTP, a replay provider for tests, local
// models) are later issues; they implement this interface.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llm/result.h"

namespace rg::llm {

// Generation parameters; unset fields leave the provider's defaults.
struct LlmParams {
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  std::vector<std::string> stop;  // stop sequences
};

struct Completion {
  std::string text;
  int prompt_tokens = 0;      // as reported by the provider; 0 when unknown
  int completion_tokens = 0;  // likewise
};

class LlmClient {
 public:
  virtual ~LlmClient() = default;

  // One completion of `prompt` for `task`. Never throws for provider or
  // configuration trouble: that comes back as an Error.
  virtual Result<Completion> complete(std::string_view task, std::string_view prompt,
                                      const LlmParams& params) = 0;
};

// The client used when the config names no model: every call fails with
// ErrorCode::kNotConfigured and the message "no LLM configured for task <task>".
class NoLlmConfigured final : public LlmClient {
 public:
  Result<Completion> complete(std::string_view task, std::string_view prompt,
                              const LlmParams& params) override;
};

}  // namespace rg::llm
