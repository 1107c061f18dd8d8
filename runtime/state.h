// State: one conversation of the Colang 2.x state machine (spec B.6).
//
// A State is a plain value: flow instances, their heads, actions, globals and
// the event queue. It shares nothing mutable with any other State (the flow
// library it points to is immutable), so many conversations can run on many
// threads at once. It serialises to JSON and back (runtime/state_json.h).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "colang/value.h"
#include "runtime/flow_config.h"
#include "runtime/flow_library.h"

namespace rg::runtime {

// ORDER FlowStatus: keep flow_status_name() in state.cc in step.
enum class FlowStatus { kWaiting, kStarting, kStarted, kStopping, kStopped, kFinished };
enum class HeadStatus { kActive, kInactive, kMerging };
enum class ActionStatus { kInitialized, kStarting, kStarted, kStopping, kFinished };

std::string_view flow_status_name(FlowStatus s);
std::string_view head_status_name(HeadStatus s);
std::string_view action_status_name(ActionStatus s);

struct FlowHead {
  std::string uid;
  std::string flow_uid;
  int position = 0;
  HeadStatus status = HeadStatus::kActive;
  std::vector<double> matching_scores;
  std::vector<std::string> scope_uids;
  std::vector<std::string> catch_labels;  // innermost last
  std::string fork_parent;                // head that forked this one ("" for roots)
};

struct FlowScope {
  std::vector<std::string> flow_uids;
  std::vector<std::string> action_uids;
};

struct FlowState {
  std::string uid;  // "(flow id)<uuid>"
  std::string flow_id;
  // Resolved from flow_id, never serialised. Shared, so a flow removed from
  // the library at run time (RemoveFlowsAction) stays valid for its instances.
  std::shared_ptr<const FlowConfig> config;
  std::string loop_id;
  std::string hierarchy_position;
  // Heads by uid. Uids are fixed-width counters, so map order is creation order.
  std::map<std::string, FlowHead> heads;
  std::map<std::string, std::string> head_fork_uids;  // fork id -> forking head uid
  std::map<std::string, FlowScope> scopes;
  std::vector<std::string> action_uids;
  // Flow variables. Shared (not copied) when a flow is started with
  // `context=$self.context`, so both flows see the same variables.
  std::shared_ptr<colang::Dict> context = std::make_shared<colang::Dict>();
  double priority = 1.0;
  std::vector<std::string> arguments;  // parameter names, then "$0", "$1", ...
  std::string parent_uid;
  std::string parent_head_uid;
  std::vector<std::string> child_flow_uids;
  FlowStatus status = FlowStatus::kWaiting;
  int activated = 0;
  bool new_instance_started = false;
};

struct Action {
  std::string uid;
  std::string name;  // "UtteranceBotAction"
  std::string flow_uid;
  ActionStatus status = ActionStatus::kInitialized;
  colang::Dict start_event_arguments;
  colang::Dict context;  // merged arguments of Started/Updated/Finished
  int flow_scope_count = 1;
};

// An event inside the runtime. Its class decides matching: internal events
// (StartFlow, FlowFinished, ...), action events (the name contains "Action")
// and plain events never match each other.
struct Event {
  enum class Class { kPlain, kAction, kInternal };
  Class cls = Class::kPlain;
  std::string name;
  std::shared_ptr<colang::Dict> args = std::make_shared<colang::Dict>();
  std::vector<double> matching_scores;
  std::string action_uid;  // action events
  std::string flow_uid;    // flow lifecycle events: the flow they are about
};

bool is_internal_event_name(std::string_view name);
Event::Class event_class_for(std::string_view name);

struct StateOptions {
  uint64_t seed = 1;
  // ISO-8601 timestamp for event_created_at; defaults to a fixed epoch value
  // so runs are reproducible (hosts inject the wall clock).
  std::function<std::string()> now;
  // Receives `log` and `print` statements ("log"/"print", text); none: dropped.
  std::function<void(std::string_view kind, const std::string& text)> on_print;
  // Budgets that keep a broken flow from hanging its host thread:
  // elements one head may slide over without waiting (`while True` with no
  // wait) before its flow fails with a ColangError, and events (internal or
  // emitted) one run_to_completion may process before it throws
  // RuntimeBudgetExceeded.
  int max_slide_steps = 100000;
  int max_internal_events = 100000;
  // Flow instances alive at once: a loop that keeps starting flows without
  // waiting for them would otherwise make every event slower and slower.
  size_t max_live_flows = 10000;
  // Debug trace of matching and conflict resolution (none: no cost).
  std::function<void(const std::string& line)> trace;
};

class State {
 public:
  State(std::shared_ptr<const FlowLibrary> library, StateOptions options);

  std::shared_ptr<const FlowLibrary> library;
  StateOptions options;

  std::map<std::string, std::unique_ptr<FlowState>> flow_states;
  // Flows that may hold heads, in creation order (FlowStates are owned by
  // flow_states and never move).
  std::vector<FlowState*> live_flows;
  // Live instances by flow id (for StartFlow/FinishFlow/StopFlow by name).
  std::unordered_map<std::string, std::vector<std::string>> flow_id_states;
  std::map<std::string, Action> actions;
  colang::Dict globals;
  colang::Value system_config;  // `$system.config` (set by the host; None bare)
  std::deque<Event> internal_events;
  std::vector<colang::Dict> outgoing_events;
  std::string main_flow_uid;
  // Flows added and removed at run time (AddFlowsAction/RemoveFlowsAction),
  // in order: {"add", Colang source} or {"remove", flow id}. `library` is the
  // base library with these applied; kept so JSON can rebuild it.
  std::vector<std::pair<std::string, std::string>> library_changes;
  // The transcript of the last UtteranceUserActionFinished processed.
  std::string last_user_message;
  uint64_t uid_counter = 0;
  size_t prune_at = 0;  // flow count at which to drop unreferenced done flows next
  uint64_t rng_state = 0;

  FlowState* flow(const std::string& uid) {
    auto it = flow_states.find(uid);
    return it == flow_states.end() ? nullptr : it->second.get();
  }
  // A fresh uuid-formatted id, derived from the seed and a counter.
  std::string new_uuid();
  // A head uid: fixed width so that lexical order is creation order.
  std::string new_head_uid();
  double random();
  std::string now() const;
};

}  // namespace rg::runtime
