// Session: one conversation driven the way a chat host drives it.
//
// It owns a State, feeds input events through run_to_completion, feeds every
// outgoing event back in (so flows see their own Start...Action events, B.10),
// and answers each StartUtteranceBotAction at once with Started + Finished,
// until the bot is quiet. Other actions are left to the caller.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "colang/value.h"
#include "runtime/flow_library.h"

namespace rg::runtime {

class State;

struct SessionOptions {
  uint64_t seed = 1;  // uids and rand() are derived from it: runs are reproducible
  // Called for every event that enters ("in") or leaves ("out") the state
  // machine; `railguard chat --verbose` prints them.
  std::function<void(std::string_view direction, const colang::Dict& event)> on_event;
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
  // started on the way.
  std::vector<std::string> start();
  // A user utterance (UtteranceUserActionFinished); returns the bot
  // utterances, in order, until the bot is quiet.
  std::vector<std::string> user_said(std::string_view text);
  // Raw host loop: processes events, returns the outgoing events that the
  // session did not answer itself.
  std::vector<colang::Dict> process(std::vector<colang::Dict> events);

  std::vector<FlowSummary> flows() const;  // every flow instance in the state
  std::string state_json() const;          // the whole state, serialised
  void reset();                            // a fresh state; call start() again

 private:
  std::shared_ptr<const FlowLibrary> library_;
  SessionOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace rg::runtime
