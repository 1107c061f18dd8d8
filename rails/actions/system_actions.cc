#include "rails/actions/system_actions.h"

#include "runtime/runtime.h"

namespace rg::rails {

void register_system_actions(ActionRegistry& registry) {
  registry.add("CheckFlowDefinedAction",
               [](const colang::Dict& args, const runtime::ActionContext& ctx) {
                 const std::string& id = string_argument(args, "CheckFlowDefinedAction", "flow_id");
                 return runtime::ActionOutcome{colang::Value(ctx.library.find(id) != nullptr), {}};
               });
  registry.add("CheckForActiveEventMatchAction",
               [](const colang::Dict& args, const runtime::ActionContext& ctx) {
                 // The reference names the event `event_name`; older configs say `name`.
                 const colang::Value* name = args.find("event_name");
                 if (!name) name = args.find("name");
                 if (!name || !name->is_str())
                   throw runtime::ActionError(
                       "CheckForActiveEventMatchAction: argument 'event_name' must be a string");
                 colang::Dict event;
                 event.set("type", name->as_str());
                 for (const auto& [k, v] : args)
                   if (k != "event_name" && k != "name") event.set(k, v);
                 bool found = runtime::has_active_match(ctx.state, event);
                 return runtime::ActionOutcome{colang::Value(found), {}};
               });
}

}  // namespace rg::rails
