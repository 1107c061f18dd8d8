#include "rails/actions/action_registry.h"

namespace rg::rails {

void ActionRegistry::add(std::string name, ActionHandler handler) {
  handlers_[std::move(name)] = std::move(handler);
}

bool ActionRegistry::handles(std::string_view action_name) const {
  return handlers_.find(action_name) != handlers_.end();
}

runtime::ActionOutcome ActionRegistry::run(std::string_view action_name,
                                           const colang::Dict& arguments,
                                           const runtime::ActionContext& context) {
  auto it = handlers_.find(action_name);
  if (it == handlers_.end())
    throw runtime::ActionError("no handler is registered for action '" + std::string(action_name) +
                               "'");
  return it->second(arguments, context);
}

const std::string& string_argument(const colang::Dict& arguments, std::string_view action,
                                   std::string_view name) {
  const colang::Value* v = arguments.find(name);
  if (!v || !v->is_str())
    throw runtime::ActionError(std::string(action) + ": argument '" + std::string(name) +
                               "' must be a string" + (v ? "" : " (it is missing)"));
  return v->as_str();
}

}  // namespace rg::rails
