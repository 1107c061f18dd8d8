// The LLM-backed actions that the Colang 2.x standard library starts
// (llm.co, passthrough.co). Each serves one LLM task; the task name is what
// routes it to a model and a prompt:
//
//   GenerateUserIntentAction          generate_user_intent_from_user_action
//   GenerateUserIntentAndBotAction    generate_user_intent_and_bot_action_from_user_action
//   GenerateValueAction               generate_value_from_instruction
//   GenerateFlowFromInstructionsAction generate_flow_from_instructions
//   GenerateFlowFromNameAction        generate_flow_from_name
//   GenerateFlowContinuationAction    generate_flow_continuation
//   GenerateFlowAction                generate_flow_continuation_from_flow_nld
//   PassthroughLLMAction              general
//
// With no model configured (llm::NoLlmConfigured) every one of them fails
// with "no LLM configured for task <task>".
//
// Prompts come from a prompts::TaskPromptRenderer (the built-in ones plus the
// config's `prompts:`), selected by task and `model` ("engine/model").
// Few-shot examples come from the Colang 2.x flows: the config's v2_files
// when a RailsConfig is given, else the flows of the running conversation.
//
//   LlmActionsOptions opts;
//   opts.renderer = renderer;            // null: built-in prompts only
//   opts.model = "openai/gpt-4";         // "" = "unknown"
//   opts.config = rails_config;          // optional
//   register_llm_actions(registry, llm, opts);
//
// What each action returns (llm.co reads these):
//   GenerateUserIntentAction            intent flow name ("user expressed greeting")
//   GenerateUserIntentAndBotAction      {user_intent, bot_intent, bot_action, bot_message}
//   GenerateValueAction                 the literal value
//   GenerateFlowContinuationAction      {name: "_dynamic_<8 hex> <bot intent>", parameters: [], body}
//   GenerateFlowFromNameAction          flow source ("flow <name>\n  ...")
//   GenerateFlowFromInstructionsAction  {name: "dynamic_<4 hex>", parameters: [], body}
//   GenerateFlowAction                  {name: "_dynamic_<8 hex>", parameters: [], body}
// An answer that cannot be turned into a flow (or a flow that does not parse)
// fails the action with runtime::ActionError.
//
// The 2.x runtime keeps no event history, so `history` in the prompts is
// built from what the state knows: the last user utterance (as a
// UserActionLog), nothing more.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "llm/llm_client.h"
#include "rails/actions/action_registry.h"
#include "rails/embeddings/config_indexes.h"

namespace rg::rails {

namespace config {
struct RailsConfig;
}
namespace prompts {
class TaskPromptRenderer;
}

struct LlmActionsOptions {
  std::shared_ptr<const prompts::TaskPromptRenderer> renderer;  // null: built-in prompts
  std::string model;                                            // "engine/model"; "" = "unknown"
  std::shared_ptr<const config::RailsConfig> config;            // optional
  // Builds the flow / example indexes with the config's embedder (spec 4);
  // null: the built-in embedder, nothing saved.
  std::shared_ptr<const embeddings::ConfigIndexer> indexer;
};

void register_llm_actions(ActionRegistry& registry, std::shared_ptr<llm::LlmClient> llm,
                          LlmActionsOptions options = {});

// "engine/model" of the config's main model ("unknown" when none).
std::string main_model_id(const config::RailsConfig& config);

// Output parsing, exposed for tests (conformance README 3.4):
// The intent of a generate_user_intent completion: the first non-empty line,
// stripped; a line with ':' must start with "user intent:" (removed), else
// the intent is "user was unclear". Returned as a flow name.
std::string parse_user_intent(const std::string& completion);
// The value of a generate_value completion: first line, trailing ';' and a
// leading "$<var> =" dropped, then read as a Python literal. Throws
// runtime::ActionError when it is not one.
colang::Value parse_generated_value(const std::string& completion, const std::string& var_name);
// A flow name from free text: trimmed, inner whitespace collapsed, characters
// other than letters, digits, '_' and spaces removed.
std::string escape_flow_name(const std::string& text);

// The bot message of a `bot say "..."` action line (the string literal read
// as Colang); nullopt when the line is not one.
std::optional<std::string> bot_say_message(const std::string& bot_action);

struct GeneratedContinuation {
  std::string bot_intent;  // escaped; "" when the answer names none
  std::string bot_action;  // e.g. bot say "Hi!"
};
// Reads a generate_flow_continuation answer (`bot intent: ...` /
// `bot action: ...` lines; the first line may omit its identifier). Throws
// runtime::ActionError when it holds no bot action.
GeneratedContinuation parse_flow_continuation(const std::string& completion);

}  // namespace rg::rails
