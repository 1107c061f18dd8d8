// Not for use outside runtime/. Internals shared by the state machine files.
#pragma once

#include <string>
#include <vector>

#include "colang/value.h"
#include "runtime/eval.h"
#include "runtime/state.h"

namespace rg::runtime::internal {

// Evaluates expressions in the scope of one flow instance (B.4 steps 2-3).
class FlowEvalHost : public EvalHost {
 public:
  FlowEvalHost(State& state, FlowState& flow) : state_(state), flow_(flow) {}
  colang::Value get_variable(std::string_view name) override;
  colang::Value flow_attribute(const colang::FlowRef& ref, std::string_view attr) override;
  colang::Value action_attribute(const colang::ActionRef& ref, std::string_view attr) override;
  std::string new_uid() override { return state_.new_uuid(); }
  double random() override { return state_.random(); }
  colang::Value flows_info(const colang::Value& uid) override;

 private:
  State& state_;
  FlowState& flow_;
};

colang::Value eval_in_flow(State& state, FlowState& flow, const colang::Expr& expr);

// Assigns `$name` in a flow: the global context when the flow declared
// `global $name`, else the flow context.
void assign_variable(State& state, FlowState& flow, const std::string& name, colang::Value v);

// The event an element describes, with its arguments evaluated now (the
// reference's get_event_from_element). Used for matching (`match`) and for
// emitting (`send`).
Event event_from_element(State& state, FlowState& flow, const colang::Spec& spec);

// The name of the event a `match` element waits for ("" when it cannot be
// known, e.g. an unset reference).
std::string match_event_name(State& state, FlowState& flow, const colang::Spec& spec);

// Matching score of an event against the pattern of the head's element (B.8):
// > 0 matches, 0 does not, < 0 makes the head fail.
double matching_score(State& state, FlowState& flow, const FlowHead& head, Event& event);

// Python-style argument matching score (B.8, `m(a, r)`).
double arguments_score(const colang::Value& actual, const colang::Value& ref);

// Drops done flow instances (and their ended actions) that no live flow or
// global refers to; returns how many flows were dropped (state_prune.cc).
size_t prune_done_flows(State& state);

// Outgoing UMIM dict of an event (uid, event_created_at, source_uid, ...).
colang::Dict to_umim(State& state, const Event& event);
// Input dict -> Event (action events take their action_uid from the dict).
Event from_umim(const colang::Dict& dict);

}  // namespace rg::runtime::internal
