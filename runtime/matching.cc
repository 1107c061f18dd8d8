// Events from elements and their matching scores (spec B.8).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "runtime/flow_library.h"
#include "runtime/internal/machine.h"

namespace rg::runtime::internal {

using colang::Arg;
using colang::Dict;
using colang::Spec;
using colang::SpecKind;
using colang::Value;

namespace {

Dict eval_args(FlowEvalHost& host, const std::vector<Arg>& args) {
  Dict d;
  for (const auto& a : args) d.set(a.name, evaluate(*a.value, host));
  return d;
}

// `UtteranceBotAction` + `Finished` -> `UtteranceBotActionFinished`,
// `Start` -> `StartUtteranceBotAction`.
std::string action_event_name(const std::string& action, const std::string& member) {
  if (member == "Start" || member == "Stop" || member == "Change") return member + action;
  return action + member;
}

std::string flow_event_name(const std::string& member) {
  if (member == "Start") return "StartFlow";
  if (member == "Stop") return "StopFlow";
  if (member == "Finish") return "FinishFlow";
  return "Flow" + member;  // Started, Finished, Failed
}

Event make_event(std::string name, Dict args) {
  Event e;
  e.cls = event_class_for(name);
  e.name = std::move(name);
  e.args = std::make_shared<Dict>(std::move(args));
  return e;
}

Event flow_ref_event(State& state, const std::string& uid, const colang::SpecMember& m,
                     FlowEvalHost& host) {
  FlowState* f = state.flow(uid);
  if (!f) throw EvalError("ValueError", "reference to an unknown flow instance '" + uid + "'");
  // The flow's id and arguments; the instance itself is carried as flow_uid
  // and compared separately (matching_score), so the same pattern can also
  // ask "is anyone waiting for b("test") to finish?".
  Dict args;
  for (const auto& a : f->arguments)
    if (const Value* v = f->context->find(a)) args.set(a, *v);
  for (auto& [k, v] : eval_args(host, m.args)) args.set(k, v);
  args.set("flow_id", f->flow_id);
  Event e = make_event(flow_event_name(m.name), std::move(args));
  e.flow_uid = f->uid;
  return e;
}

Event action_ref_event(State& state, const std::string& uid, const colang::SpecMember& m,
                       FlowEvalHost& host) {
  auto it = state.actions.find(uid);
  if (it == state.actions.end())
    throw EvalError("ValueError", "reference to an unknown action '" + uid + "'");
  const Action& a = it->second;
  Dict args = eval_args(host, m.args);
  if (m.name == "Start") {
    Dict start = a.start_event_arguments;
    for (auto& [k, v] : args) start.set(k, v);
    args = std::move(start);
  }
  Event e = make_event(action_event_name(a.name, m.name), std::move(args));
  e.action_uid = a.uid;
  return e;
}

// Attribute walk for multi-level references (`$ref.context.action.Finished()`).
Value member_value(FlowEvalHost& host, const Value& obj, const std::string& name) {
  switch (obj.kind()) {
    case Value::Kind::kFlowRef:
      return host.flow_attribute(obj.as_flow_ref(), name);
    case Value::Kind::kActionRef:
      return host.action_attribute(obj.as_action_ref(), name);
    case Value::Kind::kDict: {
      const Value* v = obj.as_dict().find(name);
      return v ? *v : Value();
    }
    case Value::Kind::kEvent: {
      const auto& ev = obj.as_event();
      if (name == "name") return Value(ev.name);
      if (name == "arguments") return Value(ev.arguments);
      if (name == "flow" && !ev.flow_uid.empty()) return Value(colang::FlowRef{ev.flow_uid});
      const Value* v = ev.arguments->find(name);
      return v ? *v : Value();
    }
    default:
      throw EvalError("AttributeError", "'" + std::string(obj.type_name()) +
                                            "' object has no attribute '" + name + "'");
  }
}

// A captured event stands for its action or flow when a member event is
// asked of it (`match X.Started() as $a` ... `match $a.Finished()`).
Value owner_of_event(State& state, const Value& obj) {
  if (obj.kind() != Value::Kind::kEvent) return obj;
  const auto& ev = obj.as_event();
  if (!ev.flow_uid.empty()) return Value(colang::FlowRef{ev.flow_uid});
  if (const Value* uid = ev.arguments ? ev.arguments->find("action_uid") : nullptr;
      uid && uid->is_str() && state.actions.count(uid->as_str()))
    return Value(colang::ActionRef{uid->as_str()});
  return obj;
}

bool is_instance_of(const Value& a, const Value& r) {
  using K = Value::Kind;
  K rk = r.kind(), ak = a.kind();
  if (rk == K::kInt) return ak == K::kInt || ak == K::kBool;  // bool is an int in Python
  return rk == ak;
}

}  // namespace

std::string match_event_name(State& state, FlowState& flow, const Spec& spec) {
  switch (spec.kind) {
    case SpecKind::kEvent:
      return spec.name;
    case SpecKind::kAction:
      return spec.members.empty() ? "Start" + spec.name
                                  : action_event_name(spec.name, spec.members.back().name);
    case SpecKind::kFlow:
      return spec.members.empty() ? "" : flow_event_name(spec.members.front().name);
    case SpecKind::kReference: {
      FlowEvalHost host(state, flow);
      Value obj = host.get_variable(spec.name);
      if (spec.members.empty()) return obj.kind() == Value::Kind::kEvent ? obj.as_event().name : "";
      for (size_t i = 0; i + 1 < spec.members.size(); ++i)
        obj = member_value(host, obj, spec.members[i].name);
      obj = owner_of_event(state, obj);
      const std::string& m = spec.members.back().name;
      if (obj.kind() == Value::Kind::kFlowRef) return flow_event_name(m);
      if (obj.kind() == Value::Kind::kActionRef) {
        auto it = state.actions.find(obj.as_action_ref().uid);
        return it == state.actions.end() ? "" : action_event_name(it->second.name, m);
      }
      return "";
    }
  }
  return "";
}

Event event_from_element(State& state, FlowState& flow, const Spec& spec) {
  FlowEvalHost host(state, flow);
  switch (spec.kind) {
    case SpecKind::kEvent: {
      Event e = make_event(spec.name, eval_args(host, spec.args));
      if (e.cls == Event::Class::kAction) {
        const Value* uid = e.args->find("action_uid");
        if (uid && uid->is_str()) e.action_uid = uid->as_str();
      }
      return e;
    }
    case SpecKind::kAction: {
      Dict action_args = eval_args(host, spec.args);
      if (spec.members.empty()) return make_event("Start" + spec.name, std::move(action_args));
      const auto& m = spec.members.back();
      Dict args = eval_args(host, m.args);
      if (m.name == "Start") {
        for (auto& [k, v] : args) action_args.set(k, v);
        return make_event(action_event_name(spec.name, m.name), std::move(action_args));
      }
      // Arguments of the action itself match the start arguments of the
      // action instance the event belongs to.
      if (!action_args.empty()) args.set("action_arguments", Value(std::move(action_args)));
      return make_event(action_event_name(spec.name, m.name), std::move(args));
    }
    case SpecKind::kFlow: {
      // Positional arguments name the flow's parameters, which is how the
      // flow's own events carry them.
      Dict args;
      const FlowConfig* target = state.library->find(spec.name);
      for (const auto& a : spec.args) {
        std::string key = a.name;
        if (target && key.size() > 1 && key[0] == '$') {
          size_t i = std::strtoul(key.c_str() + 1, nullptr, 10);
          if (i < target->parameters.size()) key = target->parameters[i].name;
        }
        args.set(std::move(key), evaluate(*a.value, host));
      }
      std::string member = spec.members.empty() ? "Start" : spec.members.front().name;
      if (!spec.members.empty())
        for (auto& [k, v] : eval_args(host, spec.members.front().args)) args.set(k, v);
      args.set("flow_id", spec.name);
      return make_event(flow_event_name(member), std::move(args));
    }
    case SpecKind::kReference: {
      Value obj = host.get_variable(spec.name);
      if (spec.members.empty()) {
        if (obj.kind() == Value::Kind::kEvent) {
          const auto& ev = obj.as_event();
          Event e = make_event(ev.name, *ev.arguments);
          e.flow_uid = ev.flow_uid;
          return e;
        }
        throw EvalError("TypeError", "'$" + spec.name + "' is not an event (it is '" +
                                         std::string(obj.type_name()) + "')");
      }
      for (size_t i = 0; i + 1 < spec.members.size(); ++i)
        obj = member_value(host, obj, spec.members[i].name);
      obj = owner_of_event(state, obj);
      const auto& m = spec.members.back();
      if (obj.kind() == Value::Kind::kFlowRef)
        return flow_ref_event(state, obj.as_flow_ref().uid, m, host);
      if (obj.kind() == Value::Kind::kActionRef)
        return action_ref_event(state, obj.as_action_ref().uid, m, host);
      throw EvalError("TypeError", "'$" + spec.name + "' is not a flow or action reference (it is '" +
                                       std::string(obj.type_name()) + "')");
    }
  }
  throw EvalError("TypeError", "unknown spec kind");
}

double arguments_score(const Value& a, const Value& r) {
  using K = Value::Kind;
  switch (r.kind()) {
    case K::kRegex:
      if (a.is_str()) return py::regex_search(r.as_regex(), a.as_str()) ? 1.0 : 0.0;
      if (a.is_int() || a.is_float())
        return py::regex_search(r.as_regex(), colang::to_python_str(a)) ? 1.0 : 0.0;
      break;  // e.g. a regex against the same regex: compared as values below
    case K::kMatcher:
      return py::matcher_accepts(r.as_matcher(), a) ? 1.0 : 0.0;
    default:
      break;
  }
  if (!is_instance_of(a, r)) return 0.0;
  if (r.is_dict()) {
    const Dict& ad = a.as_dict();
    const Dict& rd = r.as_dict();
    if (rd.size() > ad.size()) return 0.0;
    double score = 1.0;
    for (const auto& [k, rv] : rd) {
      // Bookkeeping arguments never decide a match.
      if (k == "return_value" || k == "activated" || k == "source_flow_instance_uid") continue;
      const Value* av = ad.find(k);
      if (!av) return 0.0;
      score *= arguments_score(*av, rv);
      if (score == 0.0) return 0.0;
    }
    return score * std::pow(0.9, static_cast<double>(ad.size() - rd.size()));
  }
  if (r.is_list()) {
    const auto& al = a.as_list();
    const auto& rl = r.as_list();
    if (rl.size() > al.size()) return 0.0;
    double score = 1.0;
    size_t ri = 0;
    for (size_t i = 0; i < al.size() && ri < rl.size(); ++i) {
      double s = arguments_score(al[i], rl[ri]);
      if (s > 0.0) {
        score *= s;
        ++ri;
      }
    }
    if (ri != rl.size()) return 0.0;
    return score * std::pow(0.9, static_cast<double>(al.size() - rl.size()));
  }
  if (r.is_set()) {
    const auto& al = a.as_list();
    const auto& rl = r.as_list();
    if (rl.size() > al.size()) return 0.0;
    double score = 1.0;
    for (const auto& rv : rl) {
      double best = 0.0;
      for (const auto& av : al) best = std::max(best, arguments_score(av, rv));
      if (best == 0.0) return 0.0;
      score *= best;
    }
    return score * std::pow(0.9, static_cast<double>(al.size() - rl.size()));
  }
  return a == r ? 1.0 : 0.0;
}

namespace {
// Whether a flow event is about the instance `uid` (an event without
// instance fields, e.g. a probe, does not contradict it).
bool same_instance(const Event& event, const std::string& uid) {
  for (const char* key : {"flow_instance_uid", "source_flow_instance_uid"})
    if (const Value* v = event.args->find(key); v && v->is_str()) return v->as_str() == uid;
  return true;
}
}  // namespace

double matching_score(State& state, FlowState& flow, const FlowHead& head, Event& event) {
  const Element& el = flow.config->elements[head.position];
  Event ref = event_from_element(state, flow, el.spec);
  if (ref.cls != event.cls) return 0.0;
  Value actual(event.args);
  double score;
  if (event.cls == Event::Class::kInternal) {
    if (event.name == "StartFlow" && ref.name == "StartFlow") {
      const Value* ref_id = ref.args->find("flow_id");
      if (ref_id) {
        const Value* id = event.args->find("flow_id");
        if (!id || arguments_score(*id, *ref_id) <= 0.0) return 0.0;
        if (head.position == 0) {
          // A flow's own start: only the instance that was created for it.
          const Value* inst = event.args->find("flow_instance_uid");
          if (inst && inst->is_str() && inst->as_str() != flow.uid) return 0.0;
        }
        score = 1.0;
      } else {
        score = arguments_score(actual, Value(ref.args));
      }
    } else if (ref.name == event.name) {
      if (!ref.flow_uid.empty() && !same_instance(event, ref.flow_uid)) return 0.0;
      score = arguments_score(actual, Value(ref.args));
    } else {
      // A wait for one outcome of a specific flow instance fails when the
      // instance reaches another outcome.
      const std::string& r = ref.name;
      const std::string& e = event.name;
      bool opposite = (r == "FlowFinished" && e == "FlowFailed") ||
                      (r == "FlowFailed" && e == "FlowFinished") ||
                      (r == "FlowStarted" && (e == "FlowFinished" || e == "FlowFailed"));
      if (!opposite) return 0.0;
      if (!ref.flow_uid.empty()) return same_instance(event, ref.flow_uid) ? -1.0 : 0.0;
      const Value* inst = ref.args->find("flow_instance_uid");
      if (!inst) return 0.0;
      Dict ids;
      ids.set("flow_instance_uid", *inst);
      return arguments_score(actual, Value(std::move(ids))) > 0.0 ? -1.0 : 0.0;
    }
  } else {
    if (ref.name != event.name) return 0.0;
    if (event.cls == Event::Class::kAction) {
      if (!ref.action_uid.empty() && ref.action_uid != event.action_uid) return 0.0;
      if (!event.action_uid.empty() && !event.args->contains("action_arguments")) {
        auto it = state.actions.find(event.action_uid);
        if (it != state.actions.end())
          event.args->set("action_arguments", Value(it->second.start_event_arguments));
      }
    }
    score = arguments_score(actual, Value(ref.args));
  }
  return score * flow.priority;
}

Dict to_umim(State& state, const Event& event) {
  Dict d;
  d.set("type", event.name);
  d.set("uid", state.new_uuid());
  d.set("event_created_at", state.now());
  d.set("source_uid", "NeMoGuardrails-Colang-2.x");
  if (event.cls == Event::Class::kAction) {
    std::string uid = event.action_uid;
    if (uid.empty()) {
      const Value* v = event.args->find("action_uid");
      if (v && v->is_str()) uid = v->as_str();
    }
    // Start events always carry an action uid (the host needs it to answer).
    if (uid.empty() && event.name.rfind("Start", 0) == 0) uid = state.new_uuid();
    if (!uid.empty()) d.set("action_uid", uid);
  }
  for (const auto& [k, v] : *event.args) d.set(k, v);
  return d;
}

Event from_umim(const Dict& dict) {
  const Value* type = dict.find("type");
  if (!type || !type->is_str())
    throw std::invalid_argument("event has no string field 'type'");
  Event e;
  e.name = type->as_str();
  e.cls = event_class_for(e.name);
  for (const auto& [k, v] : dict)
    if (k != "type") e.args->set(k, v);
  if (e.cls == Event::Class::kAction) {
    const Value* uid = dict.find("action_uid");
    if (uid && uid->is_str()) e.action_uid = uid->as_str();
  }
  return e;
}

}  // namespace rg::runtime::internal
