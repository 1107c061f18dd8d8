// The Colang 1.0 flow engine: one event in, the flows advanced, the next step
// chosen (spec/colang.md A.6; the reference's compute_next_state).
//
// The reference rebuilds this state on every call by replaying the whole
// event history; the result only depends on the events, so a conversation
// keeps it and folds each new event in once (runtime/v1/conversation.h).
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "colang/value.h"
#include "runtime/v1/flow_set.h"

namespace rg::runtime::v1 {

enum class FlowStatus { kActive, kInterrupted, kAborted, kCompleted };
std::string_view flow_status_name(FlowStatus s);

struct FlowState {
  std::string uid;
  std::shared_ptr<const FlowConfig> config;
  int head = 0;  // < 0: past the end
  FlowStatus status = FlowStatus::kActive;
  std::string interrupted_by;  // uid of the flow it waits for ("" = none)
};

// A flow step failed at run time (bad expression, unknown subflow). Names
// the flow and the source line.
class FlowError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct EngineState {
  colang::Dict context;            // the conversation's variables
  // In the reference's list order. Held by pointer: subflows are appended
  // while a flow is being advanced.
  std::vector<std::unique_ptr<FlowState>> flows;
  // The decision of the last event: the step to take next, if any.
  const colang::v1::Element* next_step = nullptr;
  std::string next_step_by_flow_uid;
  std::string next_step_flow_id;
  double next_step_priority = 0.0;
  std::string next_step_comment;
  // Variables set while processing the last event (sent as a ContextUpdate
  // before the next step so that actions see them).
  colang::Dict context_updates;
};

class FlowEngine {
 public:
  FlowEngine(std::function<std::string()> new_uid, std::function<double()> random)
      : new_uid_(std::move(new_uid)), random_(std::move(random)) {}

  // Folds one event into `state` (compute_next_state). `flows` is the set of
  // flows that may start.
  void process(EngineState& state, const FlowSet& flows, const colang::Dict& event) const;
  // The same for an event held as a dict Value: `$event` then shares it
  // instead of holding a copy (the Dict overload copies it once).
  void process(EngineState& state, const FlowSet& flows, const colang::Value& event) const;

  // The events for the decision in `state`: a ContextUpdate when variables
  // changed, then BotIntent / StartInternalSystemAction for the next step.
  // Without uid/timestamps (the caller stamps them).
  std::vector<colang::Dict> next_steps(const EngineState& state) const;

 private:
  struct Pass;  // one event's processing (the reference's new_state)
  std::function<std::string()> new_uid_;
  std::function<double()> random_;
};

// `$var`-bearing flow ids of rails lists: `content safety check $model=x`
// or `flow(a=1)`. Exposed for tests.
colang::Dict flow_id_params(std::string_view flow_id);
std::string normalize_flow_id(std::string_view flow_id);

}  // namespace rg::runtime::v1
