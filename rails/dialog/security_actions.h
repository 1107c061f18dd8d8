// The Colang 1.0 actions of the rails that need no LLM (library flows in
// rails/library/v1/security_rails.co): sensitive data, jailbreak
// heuristics, injection detection. Internal to rails/dialog.
//
//   detect_sensitive_data(source, text)  -> True when `text` holds an entity configured for `source`
//   mask_sensitive_data(source, text)    -> `text` with those entities replaced
//   jailbreak_detection_heuristics       -> True when $user_message trips a perplexity heuristic
//   injection_detection(text)            -> {"blocked", "text" (omit: spans removed), "detections"}
//
// The detectors are built once per config (SecurityRails::create, from
// rails.config.*), only for the rails the config lists, so a config that
// lists none pays nothing.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "rails/config/rails_config.h"
#include "rails/safety/injection_detection.h"
#include "rails/safety/jailbreak_heuristics.h"
#include "rails/safety/sensitive_data.h"
#include "runtime/v1/conversation.h"

namespace rg::rails::dialog {

struct SecurityRails {
  std::shared_ptr<const safety::SensitiveDataDetector> sensitive_data;  // null: no entities anywhere
  std::shared_ptr<const safety::InjectionDetector> injection;          // null: rail not listed
  std::shared_ptr<const safety::JailbreakDetector> jailbreak;          // null: rail not listed

  // Builds what the listed rails need. Errors name the setting
  // ("rails.config.sensitive_data_detection.input.entities[0]: ..."); a
  // listed jailbreak rail with neither a server nor a scorer model is one.
  static std::shared_ptr<const SecurityRails> create(const config::RailsConfig& config, std::string* error);
};

bool is_security_action(std::string_view name);

// Runs one of the actions above. Throws std::runtime_error for a bad call
// (unknown source); the caller turns that into the failed-turn reply.
runtime::v1::ActionOutcome run_security_action(const SecurityRails& rails, const runtime::v1::ActionCall& call);

}  // namespace rg::rails::dialog
