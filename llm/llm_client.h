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
// Chat and streaming go through generate():
//
//   LlmRequest req{"general", "", {{"system", "Be brief."}, {"user", "Hi"}}, {}};
//   auto r = llm->generate(req, [](std::string_view chunk) { std::cout << chunk; });
//
// Real providers (llm/providers/<name>/) derive from llm::Provider
// (llm/provider.h), which implements both entry points on one hook and fills
// the call metadata that the generation log needs (spec section 7 llm_calls).
#pragma once

#include <functional>
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
  std::optional<int> n;           // number of completions (choices); unset = 1
};

// One chat message. Roles are the OpenAI ones: "system", "user", "assistant".
struct Message {
  std::string role;
  std::string content;
};

// A request. Chat when `messages` is non-empty, else a completion of `prompt`.
struct LlmRequest {
  std::string task;
  std::string prompt;
  std::vector<Message> messages;
  LlmParams params;
};

// Receives the text of a streamed answer piece by piece (choice 0 only),
// on the calling thread, before generate() returns. A callback that throws
// stops the stream: the provider stops reading and the exception leaves
// generate().
using ChunkCallback = std::function<void(std::string_view chunk)>;

struct Completion {
  std::string text;
  int prompt_tokens = 0;      // as reported by the provider; 0 when unknown
  int completion_tokens = 0;  // likewise
  // --- per-call metadata, for the log (spec 7 llm_calls) ---
  int total_tokens = 0;              // as reported, else prompt + completion
  std::vector<std::string> choices{};  // all n answers in order (choices[0] == text); may be
                                     // empty for clients that only fill `text`
  std::string model{};               // llm_model_name ("" when unknown)
  double duration_ms = 0;            // wall time of the call, retries included
  double started_at = 0;             // seconds since the Unix epoch
  double finished_at = 0;            // likewise
  std::string raw_response{};        // the provider's last raw answer body (JSON), "" if none
};

class LlmClient {
 public:
  virtual ~LlmClient() = default;

  // One completion of `prompt` for `task`. Never throws for provider or
  // configuration trouble: that comes back as an Error.
  virtual Result<Completion> complete(std::string_view task, std::string_view prompt,
                                      const LlmParams& params) = 0;

  // Completion or chat, optionally streamed to `on_chunk`. The default suits
  // clients that only implement complete(): messages are flattened into one
  // prompt (flatten_messages) and the whole answer goes to `on_chunk` as one
  // chunk; params.n is not honoured (one answer). Providers override it.
  virtual Result<Completion> generate(const LlmRequest& request, const ChunkCallback& on_chunk = {});

  // Shorthand for generate() with messages and no streaming.
  Result<Completion> chat(std::string_view task, std::vector<Message> messages,
                          const LlmParams& params);
};

// "role: content" lines, then "assistant:" — how a chat reaches a client
// that only knows completions.
std::string flatten_messages(const std::vector<Message>& messages);

// The client used when the config names no model: every call fails with
// ErrorCode::kNotConfigured and the message "no LLM configured for task <task>".
class NoLlmConfigured final : public LlmClient {
 public:
  Result<Completion> complete(std::string_view task, std::string_view prompt,
                              const LlmParams& params) override;
};

}  // namespace rg::llm
