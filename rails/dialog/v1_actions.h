// The actions of the Colang 1.0 pipeline and rail library, run for one turn
// (internal to rails/dialog).
//
//   generate_user_intent / generate_intent_steps_message   the user's intent
//   generate_next_steps (generate_next_step)               the bot's next step
//   generate_bot_message                                   the bot's text
//   generate_value                                         `$x = ...`
//   retrieve_relevant_chunks                               knowledge base search
//   create_event                                           `create event X(...)`
//   bot_message_text                                       a predefined bot message's text
//   self_check_input / self_check_output                   LLM self checks
//   llama_guard_check_input / llama_guard_check_output     Llama Guard models
//   patronus_lynx_check_output_hallucination               Lynx hallucination check
//   self_check_facts                                       fact check vs $relevant_chunks
//   self_check_hallucination                               self-consistency of the bot message
//   content_safety_check_input / content_safety_check_output  safety models ($model=<type>)
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "rails/dialog/rails_v1_shared.h"
#include "runtime/v1/conversation.h"

namespace rg::rails::dialog {

// An LLM call failed: the turn cannot go on and fails closed.
class LlmCallFailed : public std::runtime_error {
 public:
  LlmCallFailed(const std::string& message, std::optional<llm::ErrorCode> code = std::nullopt)
      : std::runtime_error(message), code_(code) {}
  // The provider's error kind; none when the failure is ours (a prompt that
  // does not render, an unknown output parser).
  std::optional<llm::ErrorCode> code() const { return code_; }

 private:
  std::optional<llm::ErrorCode> code_;
};

class TurnActions final : public runtime::v1::ActionHost {
 public:
  TurnActions(const DialogRailsV1::Shared& shared, const GenerationOptions& options,
              GenerationResult& result)
      : shared_(shared), options_(options), result_(result) {}

  bool has_action(std::string_view name) const override;
  bool is_system_action(std::string_view name) const override;
  runtime::v1::ActionOutcome run(const runtime::v1::ActionCall& call) override;

  // Streaming output rails: one activated output rail per checked chunk.
  const std::vector<ActivatedRail>& stream_rails() const { return stream_rails_; }

 private:
  using Outcome = runtime::v1::ActionOutcome;
  using Call = runtime::v1::ActionCall;

  Outcome dispatch(const Call& call);

  // Renders `task`, calls the model serving it (model type `model_type`, else
  // the task's own type, else main), records the call and returns the
  // completion, parsed by the prompt's output parser when it has one.
  std::string llm_call(const std::string& task, const colang::List& events, colang::Dict vars,
                       llm::LlmParams params, const std::string& model_type = "",
                       bool generation_call = false, std::string* prompt_out = nullptr,
                       colang::Value* parsed_out = nullptr);
  // Sends `request` to `client` and records the call (LlmCallInfo, the
  // on_llm_call hook); a provider error throws LlmCallFailed.
  llm::Completion send(llm::LlmClient& client, const llm::LlmRequest& request,
                       const std::string& prompt_text);

  Outcome generate_user_intent(const Call& call);
  Outcome generate_intent_steps_message(const Call& call);
  Outcome generate_next_steps(const Call& call);
  Outcome generate_bot_message(const Call& call);
  Outcome generate_value(const Call& call);
  Outcome retrieve_relevant_chunks(const Call& call);
  Outcome create_event(const Call& call);
  // The text of a predefined bot message (`intent` param), one variant at
  // random, rendered; for rails that append a canned line to $bot_message.
  Outcome bot_message_text(const Call& call);
  Outcome self_check(const Call& call, bool output);
  Outcome llama_guard_check(const Call& call, bool output);
  Outcome patronus_lynx_check(const Call& call);
  Outcome self_check_facts(const Call& call);
  Outcome alignscore_check_facts(const Call& call);
  Outcome self_check_hallucination(const Call& call);
  Outcome content_safety_check(const Call& call, bool output);

  std::string render_bot_message(const std::string& text, const colang::Dict& context);
  // Streaming output rails: the bot message's LLM call (`task`), streamed to
  // options_.on_chunk chunk by chunk, each chunk checked by the output rails;
  // returns the message (the released text, or the blocking rail's reply).
  std::string stream_bot_message(const Call& call, const std::string& task, colang::Dict vars,
                                 bool quoted, std::string* prompt);

  const DialogRailsV1::Shared& shared_;
  const GenerationOptions& options_;
  GenerationResult& result_;
  // The last request llm_call sent, and the one that generated the bot
  // message this turn (re-sampled by self_check_hallucination).
  llm::LlmRequest last_request_;
  std::optional<llm::LlmRequest> last_bot_request_;
  // Where send() streams the answer to (set only around the streamed call).
  llm::ChunkCallback stream_to_;
  std::vector<ActivatedRail> stream_rails_;
};

// Text helpers of the reference's output handling, exposed for tests.
std::string first_nonempty_line(std::string_view s);        // stripped; "" when none
std::vector<std::string> top_nonempty_lines(std::string_view s, size_t k);  // skips '#' lines
std::string strip_quotes(std::string_view s);
std::string multiline_response(std::string_view s);
// Llama Guard's answer: "safe" / "unsafe O1,O3" -> {allowed, policy_violations}.
colang::Dict parse_llama_guard_response(std::string_view response);

}  // namespace rg::rails::dialog
