// Dropping finished flow instances (and their actions) that nothing refers to
// any more, so a long conversation's state does not grow without bound.
//
// The reference drops done, non-activated flows 5 s after their last status
// change (wall clock) and keeps finished instances of activated flows
// forever. We drop any done instance, activated or not, as soon as no live
// flow and no global can reach it: through a flow/action reference or a
// captured event in a variable, a scope, an action list, or as the parent of
// a live flow.
#include <algorithm>
#include <unordered_set>

#include "runtime/internal/machine.h"

namespace rg::runtime::internal {

namespace {

using colang::Value;

struct Reachable {
  std::unordered_set<std::string> flows;
  std::unordered_set<std::string> actions;

  void value(const Value& v, int depth = 0) {
    if (depth > 32) return;  // references live near the top; bound the walk
    switch (v.kind()) {
      case Value::Kind::kFlowRef:
        flows.insert(v.as_flow_ref().uid);
        break;
      case Value::Kind::kActionRef:
        actions.insert(v.as_action_ref().uid);
        break;
      case Value::Kind::kEvent: {
        const auto& ev = v.as_event();
        if (!ev.flow_uid.empty()) flows.insert(ev.flow_uid);
        if (ev.arguments) {
          if (const Value* a = ev.arguments->find("action_uid"); a && a->is_str())
            actions.insert(a->as_str());
        }
        break;
      }
      case Value::Kind::kList:
      case Value::Kind::kSet:
        for (const auto& x : v.as_list()) value(x, depth + 1);
        break;
      case Value::Kind::kDict:
        for (const auto& [k, x] : v.as_dict()) value(x, depth + 1);
        break;
      default:
        break;
    }
  }

  void flow(const FlowState& f) {
    for (const auto& [k, v] : *f.context) value(v);
    for (const auto& uid : f.action_uids) actions.insert(uid);
    for (const auto& [name, scope] : f.scopes) {
      flows.insert(scope.flow_uids.begin(), scope.flow_uids.end());
      actions.insert(scope.action_uids.begin(), scope.action_uids.end());
    }
    if (!f.parent_uid.empty()) flows.insert(f.parent_uid);
  }
};

bool is_done(const FlowState& f) {
  return f.status == FlowStatus::kFinished || f.status == FlowStatus::kStopped;
}

}  // namespace

size_t prune_done_flows(State& state) {
  Reachable reach;
  for (const FlowState* f : state.live_flows) reach.flow(*f);
  for (const auto& [k, v] : state.globals) reach.value(v);
  reach.flows.insert(state.main_flow_uid);
  // Queued internal events may name flows (FlowFinished of a flow that just
  // ended); keep those too.
  for (const Event& e : state.internal_events)
    if (!e.flow_uid.empty()) reach.flows.insert(e.flow_uid);

  size_t removed = 0;
  for (auto it = state.flow_states.begin(); it != state.flow_states.end();) {
    const FlowState& f = *it->second;
    if (!is_done(f) || reach.flows.count(f.uid)) {
      ++it;
      continue;
    }
    for (const auto& uid : f.action_uids) {
      if (reach.actions.count(uid)) continue;
      auto a = state.actions.find(uid);
      // An action still running belongs to the host's world: keep it until
      // it ends (its Finished event updates it).
      if (a != state.actions.end() && a->second.flow_uid == f.uid &&
          (a->second.status == ActionStatus::kFinished || a->second.status == ActionStatus::kInitialized ||
           a->second.status == ActionStatus::kStopping))
        state.actions.erase(a);
    }
    auto& same_id = state.flow_id_states[f.flow_id];
    same_id.erase(std::remove(same_id.begin(), same_id.end(), f.uid), same_id.end());
    it = state.flow_states.erase(it);
    ++removed;
  }
  return removed;
}

}  // namespace rg::runtime::internal
