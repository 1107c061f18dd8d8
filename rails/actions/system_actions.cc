#include "rails/actions/system_actions.h"

#include "runtime/runtime.h"

namespace rg::rails {

void register_system_actions(ActionRegistry& registry) {
  registry.add("CheckFlowDefinedAction",
               [](const colang::Dict& args, const runtime::ActionContext& ctx) {
                 const std::string& id = string_argument(args, "CheckFlowDefinedAction", "flow_id");
                 // The conversation's library: it includes flows added at run time.
                 return runtime::ActionOutcome{colang::Value(ctx.state.library->find(id) != nullptr), {}};
               });
  registry.add("CheckValidFlowExistsAction",
               [](const colang::Dict& args, const runtime::ActionContext& ctx) {
                 const std::string& id = string_argument(args, "CheckValidFlowExistsAction", "flow_id");
                 return runtime::ActionOutcome{colang::Value(ctx.state.library->find(id) != nullptr), {}};
               });
  registry.add("GetLastUserMessageAction", [](const colang::Dict&, const runtime::ActionContext& ctx) {
    return runtime::ActionOutcome{colang::Value(ctx.state.last_user_message), {}};
  });
  registry.add("AddFlowsAction", [](const colang::Dict& args, const runtime::ActionContext& ctx) {
    const std::string& source = string_argument(args, "AddFlowsAction", "config");
    std::vector<colang::Diagnostic> diagnostics = runtime::add_flows(ctx.state, source);
    if (colang::has_errors(diagnostics)) {
      std::string message = "AddFlowsAction: the flows do not compile:";
      for (const auto& d : diagnostics)
        if (d.severity == colang::Diagnostic::Severity::kError) message += "\n" + d.render();
      throw runtime::ActionError(message);
    }
    return runtime::ActionOutcome{colang::Value(), {}};
  });
  registry.add("RemoveFlowsAction", [](const colang::Dict& args, const runtime::ActionContext& ctx) {
    const colang::Value* ids = args.find("flow_ids");
    if (!ids || !ids->is_list())
      throw runtime::ActionError("RemoveFlowsAction: argument 'flow_ids' must be a list of names");
    std::vector<std::string> names;
    for (const auto& v : ids->as_list()) {
      if (!v.is_str()) throw runtime::ActionError("RemoveFlowsAction: 'flow_ids' holds a non-string");
      names.push_back(v.as_str());
    }
    runtime::remove_flows(ctx.state, names);
    return runtime::ActionOutcome{colang::Value(), {}};
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
