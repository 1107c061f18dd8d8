// Session: one conversation driven the way a chat host drives it.
//
// It owns a State, feeds input events through run_to_completion, feeds every
// outgoing event back in (so flows see their own Start...Action events, B.10),
// and answers each StartUtteranceBotAction at once with Started + Finished,
// until the bot is quiet. Other actions are left to the caller.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "colang/value.h"
#include "runtime/flow_library.h"

namespace rg::runtime {

class State;

// What an action the host runs itself returns: the value the awaiting flow
// receives as `return_value`, and events to feed back into the state machine.
struct ActionOutcome {
  colang::Value return_value;
  std::vector<colang::Dict> events;
};

// An action could not run (no LLM configured, bad arguments, a failing
// provider). The turn stops with this message; the state keeps what happened
// before it.
class ActionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // Bot utterances of the failed turn that came before the failure, so a
  // front end can still show them (set by Session::start/user_said).
  std::vector<std::string> utterances_before;
};

// What an action may look at: the conversation and its flows. Actions read
// the state only through the runtime's queries (runtime.h), never write it.
struct ActionContext {
  State& state;
  const FlowLibrary& library;
};

// Runs actions on behalf of a Session. The runtime knows nothing of LLMs or
// tools: the rails layer implements this (rails/actions/action_registry.h).
class ActionExecutor {
 public:
  virtual ~ActionExecutor() = default;
  // True when this executor runs `action_name` (e.g. "GenerateValueAction").
  virtual bool handles(std::string_view action_name) const = 0;
  // Runs one action with the arguments of its Start event. Throws ActionError.
  virtual ActionOutcome run(std::string_view action_name, const colang::Dict& arguments,
                            const ActionContext& context) = 0;
};

struct SessionOptions {
  uint64_t seed = 1;  // uids and rand() are derived from it: runs are reproducible
  // Called for every event that enters ("in") or leaves ("out") the state
  // machine; `railguard chat --verbose` prints them.
  std::function<void(std::string_view direction, const colang::Dict& event)> on_event;
  // Actions the session runs itself: `Start<X>Action` for an X it handles is
  // executed at once and answered with `<X>ActionFinished` (return_value,
  // is_success, ...); it is not returned to the caller. None: every action
  // except the utterances answered by user_said() goes to the caller.
  std::shared_ptr<ActionExecutor> actions;
  // What `$system.config` reads in flows (the rails config as a dict).
  colang::Value system_config;
};

struct FlowSummary {
  std::string uid;
  std::string flow_id;
  std::string status;  // waiting, starting, started, stopping, stopped, finished
  int activated = 0;
  std::string loop_id;
  std::vector<std::string> waiting_on;  // what the heads match next, for debugging
};

class Session {
 public:
  explicit Session(std::shared_ptr<const FlowLibrary> library, SessionOptions options = {});
  ~Session();

  // Starts the @active flows and `main`; returns the bot utterances that
  // started on the way. (Any call restarts a waiting main first, so calling
  // start() is optional.)
  std::vector<std::string> start();
  // A user utterance (UtteranceUserActionFinished); returns the bot
  // utterances, in order, until the bot is quiet.
  std::vector<std::string> user_said(std::string_view text);
  // Raw host loop: processes events (and the events they cause, fed back
  // in), runs the actions the executor handles, returns the other outgoing
  // events. Throws ActionError when an action fails.
  std::vector<colang::Dict> process(std::vector<colang::Dict> events);

  std::vector<FlowSummary> flows() const;  // every flow instance in the state
  std::string state_json() const;          // the whole state, serialised
  void reset();                            // a fresh state; call start() again
  State& state() { return *state_; }       // for hosts that seed variables

 private:
  // The action name of a `Start<X>Action` the executor handles ("" if none).
  std::string_view local_action_name(const colang::Dict& event) const;

  std::shared_ptr<const FlowLibrary> library_;
  SessionOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace rg::runtime
