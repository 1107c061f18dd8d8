#include "runtime/state_clone.h"

#include <unordered_map>

namespace rg::runtime {

namespace {

colang::Dict deep_dict(const colang::Dict& d) {
  colang::Dict out;
  for (const auto& [k, v] : d) out.set(k, v.deep_copy());
  return out;
}

}  // namespace

std::unique_ptr<State> clone_state(const State& s) {
  auto out = std::make_unique<State>(s.library, s.options);
  // Flow contexts: one copy per distinct dict, so flows that shared a
  // context still share it.
  std::unordered_map<const colang::Dict*, std::shared_ptr<colang::Dict>> contexts;
  std::unordered_map<const FlowState*, FlowState*> flows;
  for (const auto& [uid, f] : s.flow_states) {
    auto copy = std::make_unique<FlowState>(*f);
    if (f->context) {
      auto [it, fresh] = contexts.try_emplace(f->context.get());
      if (fresh) it->second = std::make_shared<colang::Dict>(deep_dict(*f->context));
      copy->context = it->second;
    }
    flows[f.get()] = copy.get();
    out->flow_states.emplace(uid, std::move(copy));
  }
  out->live_flows.reserve(s.live_flows.size());
  for (const FlowState* f : s.live_flows) out->live_flows.push_back(flows.at(f));
  out->flow_id_states = s.flow_id_states;
  for (const auto& [uid, a] : s.actions) {
    Action copy = a;
    copy.start_event_arguments = deep_dict(a.start_event_arguments);
    copy.context = deep_dict(a.context);
    out->actions.emplace(uid, std::move(copy));
  }
  out->globals = deep_dict(s.globals);
  out->system_config = s.system_config;
  for (const Event& e : s.internal_events) {
    Event copy = e;
    copy.args = std::make_shared<colang::Dict>(e.args ? deep_dict(*e.args) : colang::Dict{});
    out->internal_events.push_back(std::move(copy));
  }
  for (const colang::Dict& e : s.outgoing_events) out->outgoing_events.push_back(deep_dict(e));
  out->main_flow_uid = s.main_flow_uid;
  out->library_changes = s.library_changes;
  out->last_user_message = s.last_user_message;
  out->uid_counter = s.uid_counter;
  out->prune_at = s.prune_at;
  out->rng_state = s.rng_state;
  return out;
}

}  // namespace rg::runtime
