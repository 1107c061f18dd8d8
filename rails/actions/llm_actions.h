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
#pragma once

#include <memory>
#include <string>

#include "llm/llm_client.h"
#include "rails/actions/action_registry.h"

namespace rg::rails {

void register_llm_actions(ActionRegistry& registry, std::shared_ptr<llm::LlmClient> llm);

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

}  // namespace rg::rails
