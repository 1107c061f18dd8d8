// Variable lookup and reference attributes for expressions inside a flow.
#include "runtime/internal/machine.h"

namespace rg::runtime::internal {

using colang::Dict;
using colang::List;
using colang::Value;

namespace {
std::string global_marker(std::string_view name) { return "_global_" + std::string(name); }
}  // namespace

Value FlowEvalHost::get_variable(std::string_view name) {
  if (name == "self") return Value(colang::FlowRef{flow_.uid});
  if (name == "system") {
    Dict system;
    system.set("config", state_.system_config);
    system.set("state", Value());
    return Value(std::move(system));
  }
  // Locals shadow globals unless the flow declared `global $name` (D.14).
  if (flow_.context->contains(global_marker(name))) {
    const Value* v = state_.globals.find(name);
    return v ? *v : Value();
  }
  const Value* v = flow_.context->find(name);
  return v ? *v : Value();
}

Value FlowEvalHost::flow_attribute(const colang::FlowRef& ref, std::string_view attr) {
  FlowState* f = state_.flow(ref.uid);
  if (!f) throw EvalError("AttributeError", "flow instance '" + ref.uid + "' no longer exists");
  if (attr == "uid") return Value(f->uid);
  if (attr == "flow_id") return Value(f->flow_id);
  if (attr == "loop_id") return Value(f->loop_id);
  if (attr == "status") return Value(std::string(flow_status_name(f->status)));
  if (attr == "context") return Value(f->context);
  if (attr == "priority") return Value(f->priority);
  if (attr == "parent_uid") return f->parent_uid.empty() ? Value() : Value(f->parent_uid);
  if (attr == "activated") return Value(static_cast<int64_t>(f->activated));
  if (attr == "hierarchy_position") return Value(f->hierarchy_position);
  if (attr == "child_flow_uids") {
    List l;
    for (const auto& c : f->child_flow_uids) l.emplace_back(c);
    return Value(std::move(l));
  }
  if (attr == "arguments") {
    Dict d;
    for (const auto& a : f->arguments)
      if (const Value* v = f->context->find(a)) d.set(a, *v);
    return Value(std::move(d));
  }
  // Any other attribute reads a flow variable (`$ref.result`).
  const Value* v = f->context->find(attr);
  return v ? *v : Value();
}

Value FlowEvalHost::action_attribute(const colang::ActionRef& ref, std::string_view attr) {
  auto it = state_.actions.find(ref.uid);
  if (it == state_.actions.end())
    throw EvalError("AttributeError", "action '" + ref.uid + "' no longer exists");
  const Action& a = it->second;
  if (attr == "uid") return Value(a.uid);
  if (attr == "name") return Value(a.name);
  if (attr == "status") return Value(std::string(action_status_name(a.status)));
  if (attr == "flow_uid") return Value(a.flow_uid);
  if (attr == "start_event_arguments") return Value(a.start_event_arguments);
  if (attr == "context") return Value(a.context);
  if (const Value* v = a.context.find(attr)) return *v;
  if (const Value* v = a.start_event_arguments.find(attr)) return *v;
  throw EvalError("AttributeError",
                  "action '" + a.name + "' has no attribute '" + std::string(attr) + "'");
}

Value FlowEvalHost::flows_info(const Value& uid) {
  auto describe = [&](auto&& self, const FlowState& f) -> Value {
    Dict d;
    d.set("flow_id", f.flow_id);
    d.set("flow_instance_uid", f.uid);
    d.set("status", std::string(flow_status_name(f.status)));
    d.set("flow_hierarchy_position", f.hierarchy_position);
    d.set("source_flow_instance_uid", f.parent_uid.empty() ? Value() : Value(f.parent_uid));
    d.set("activated", static_cast<int64_t>(f.activated));
    List children;
    for (const auto& c : f.child_flow_uids)
      if (const FlowState* child = state_.flow(c)) children.push_back(self(self, *child));
    d.set("children", Value(std::move(children)));
    return Value(std::move(d));
  };
  if (uid.is_str()) {
    FlowState* f = state_.flow(uid.as_str());
    if (!f) return Value();
    return describe(describe, *f);
  }
  Dict all;
  for (const auto& [u, f] : state_.flow_states) all.set(u, describe(describe, *f));
  return Value(std::move(all));
}

Value eval_in_flow(State& state, FlowState& flow, const colang::Expr& expr) {
  FlowEvalHost host(state, flow);
  return evaluate(expr, host);
}

void assign_variable(State& state, FlowState& flow, const std::string& name, Value v) {
  if (flow.context->contains(global_marker(name)))
    state.globals.set(name, std::move(v));
  else
    flow.context->set(name, std::move(v));
}

}  // namespace rg::runtime::internal
