// The Colang 2.x actions of the rails library
// (runtime/stdlib/nemoguardrails/library/*/flows.co). They do what the 1.0
// rail actions do (rails/dialog/v1_actions.cc, security_actions.cc) for a 2.x
// Session: the message they check is the global $user_message / $bot_message
// (/ $relevant_chunks) that guardrails.co keeps.
//
//   SelfCheckInputAction              task self_check_input    -> bool (allowed)
//   SelfCheckOutputAction             task self_check_output   -> bool (allowed)
//   SelfCheckFactsAction              task fact_checking       -> 1.0 | 0.0 (no $relevant_chunks: 1.0)
//   SelfCheckHallucinationAction      generate_bot_message x2 + self_check_hallucination -> bool
//                                     (no global $_last_bot_prompt: False, nothing to sample)
//   ContentSafetyCheckInputAction(model_name)   task "content_safety_check_input $model=<t>"
//   ContentSafetyCheckOutputAction(model_name)  ... _output    -> {allowed, policy_violations}
//   LlamaGuardCheckInputAction / LlamaGuardCheckOutputAction
//                                     tasks llama_guard_check_input/_output, model type llama_guard
//                                                              -> {allowed, policy_violations}
//   DetectSensitiveDataAction(source, text)   -> bool (an entity configured for `source` is in `text`)
//   MaskSensitiveDataAction(source, text)     -> `text` with those entities masked
//   JailbreakDetectionHeuristicsAction(text?) -> bool (default text: $user_message)
//   InjectionDetectionAction(text)            -> {blocked, text, detections}
//
// The LLM checks render their task's prompt (the config's `prompts:` or a
// built-in one); a task without a prompt fails with an ActionError that says
// which prompt to define. The request's task is the task name, except for
// the checks served by a model type of their own (llama_guard, the content
// safety $model): there it is that type, so a llm::ModelRouter sends the call
// to that model (as client_for(type) does for 1.0).
//
// The detectors (sensitive data, injection, jailbreak) are built once per
// config (RailDetectors::create, from rails.config.*: only the settings that
// are present) and shared by every Session of that config.
//
//   RailActionsOptions opts;
//   opts.renderer = renderer; opts.model = "openai/gpt-4"; opts.config = rails_config;
//   opts.detectors = detectors;   // null: built here from opts.config
//   register_rail_actions(registry, llm, opts);
#pragma once

#include <memory>
#include <string>

#include "llm/llm_client.h"
#include "rails/actions/action_registry.h"
#include "rails/safety/injection_detection.h"
#include "rails/safety/jailbreak_heuristics.h"
#include "rails/safety/sensitive_data.h"

namespace rg::rails {

namespace config {
struct RailsConfig;
}
namespace prompts {
class TaskPromptRenderer;
}

// The detector libraries a config's rails.config settings ask for.
struct RailDetectors {
  // null: no rails.config.sensitive_data_detection (nothing is ever found).
  std::shared_ptr<const safety::SensitiveDataDetector> sensitive_data;
  // null: no rails.config.injection_detection (the action refuses to run).
  std::shared_ptr<const safety::InjectionDetector> injection;
  // null: the settings name no way to run (no server_endpoint, no scorer
  // model) or the scorer cannot be made; the action then fails with
  // jailbreak_error. Config defaults make the settings always present.
  std::shared_ptr<const safety::JailbreakDetector> jailbreak;
  std::string jailbreak_error;

  // Null with `error` ("rails.config.injection_detection.injections: ...")
  // when a present setting is wrong.
  static std::shared_ptr<const RailDetectors> create(const config::RailsConfig& config, std::string* error);
};

struct RailActionsOptions {
  std::shared_ptr<const prompts::TaskPromptRenderer> renderer;  // null: built-in prompts
  std::string model;                                            // main "engine/model"; "" = from config
  std::shared_ptr<const config::RailsConfig> config;            // optional (temperatures, models)
  // null: built from `config` by register_rail_actions (which throws
  // std::runtime_error when they do not build), none without a config.
  std::shared_ptr<const RailDetectors> detectors;
};

void register_rail_actions(ActionRegistry& registry, std::shared_ptr<llm::LlmClient> llm,
                           RailActionsOptions options = {});

}  // namespace rg::rails
