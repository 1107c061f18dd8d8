// The Colang 2.x state machine, public entry points (spec B.7).
//
// Events in, events out: no I/O, no LLM, no clock unless injected. Input and
// output events are flat dicts with a "type" key (UMIM), e.g.
//   {"type": "UtteranceUserActionFinished", "final_transcript": "hi"}.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "colang/diagnostic.h"
#include "colang/value.h"
#include "runtime/flow_library.h"
#include "runtime/state.h"

namespace rg::runtime {

// A state with a `main` instance waiting for StartFlow(main) (the library
// must define `main`). Throws std::invalid_argument otherwise.
std::unique_ptr<State> new_state(std::shared_ptr<const FlowLibrary> library,
                                 StateOptions options = {});

// The internal event that starts a flow: {"type": "StartFlow", "flow_id": id}.
colang::Dict start_flow_event(const std::string& flow_id, bool activated = false);

// run_to_completion went past a budget of StateOptions (max_internal_events:
// flows that keep triggering each other; max_live_flows: a loop that starts
// flows without waiting). The state is left as it was at that point; the
// conversation should be reset.
class RuntimeBudgetExceeded : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Processes one input event and every internal event that cascades from it,
// until no head can advance. Returns the outgoing UMIM events of this call,
// in emission order (also left in state.outgoing_events).
const std::vector<colang::Dict>& run_to_completion(State& state, const colang::Dict& event);

// Whether some flow is waiting right now for an event like `event` (a UMIM
// dict): the state machine's matching, without changing the state. Used by
// the CheckForActiveEventMatchAction system action.
bool has_active_match(State& state, const colang::Dict& event);

// Adds the flows of Colang source to this conversation only (the shared
// library is not touched: the state gets an extended copy). Returns the
// diagnostics; on errors nothing is added. Used by AddFlowsAction.
std::vector<colang::Diagnostic> add_flows(State& state, const std::string& source);
// Removes flows from this conversation (running instances finish normally).
void remove_flows(State& state, const std::vector<std::string>& flow_ids);
// Re-applies state.library_changes to state.library (after restoring a
// state). Returns a library with every flow ever added and none removed,
// against which flow instances of the state resolve their config.
std::shared_ptr<const FlowLibrary> replay_library_changes(State& state);

}  // namespace rg::runtime
