// ActionRegistry: the actions the rails layer runs for Colang flows.
//
// One table, name -> handler. A handler gets the arguments of the action's
// Start event and read-only access to the conversation; it returns the value
// the awaiting flow receives, or throws runtime::ActionError with a message
// that names the action and what went wrong. Adding an action is one
// `add(...)` call in the file of its family (system_actions.cc,
// llm_actions.cc, later rails, retrieval).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "runtime/session.h"

namespace rg::rails {

using ActionHandler = std::function<runtime::ActionOutcome(const colang::Dict& arguments,
                                                           const runtime::ActionContext& context)>;

class ActionRegistry final : public runtime::ActionExecutor {
 public:
  // Registers (or replaces) the handler for `name` ("CheckFlowDefinedAction").
  void add(std::string name, ActionHandler handler);
  bool handles(std::string_view action_name) const override;
  runtime::ActionOutcome run(std::string_view action_name, const colang::Dict& arguments,
                             const runtime::ActionContext& context) override;

 private:
  std::map<std::string, ActionHandler, std::less<>> handlers_;
};

// Reads a required string argument; throws ActionError naming the action and
// the argument when it is missing or not a string.
const std::string& string_argument(const colang::Dict& arguments, std::string_view action,
                                   std::string_view name);

}  // namespace rg::rails
