// Session (runtime/session.h): the chat host loop over one State, with a
// hello-world program whose flows are all inline (no standard library).
#include "runtime/session.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/unit/runtime/runtime_test_util.h"

using namespace rg::runtime;
using namespace rg::runtime::testing;
using rg::colang::Dict;
using Strings = std::vector<std::string>;

namespace {

const char* kHelloWorld = R"(
flow bot say $text
  await UtteranceBotAction(script=$text)

flow user said $text
  match UtteranceUserAction.Finished(final_transcript=$text)

flow bot express greeting
  bot say "Hello World!"

flow main
  user said "hi"
  bot express greeting
)";

bool has_flow(const std::vector<FlowSummary>& flows, const std::string& id,
              const std::string& status = "") {
  return std::any_of(flows.begin(), flows.end(), [&](const FlowSummary& f) {
    return f.flow_id == id && (status.empty() || f.status == status);
  });
}

}  // namespace

TEST_CASE("hello world: start, then user_said(\"hi\")") {
  Session session(compile(kHelloWorld));
  CHECK(session.start().empty());
  CHECK(session.user_said("hi") == Strings{"Hello World!"});
  // main finished; the session restarts a waiting main on every call (B.10, D.22).
  CHECK(session.user_said("hi") == Strings{"Hello World!"});
  CHECK(session.start().empty());
  CHECK(session.user_said("hi") == Strings{"Hello World!"});
}

TEST_CASE("start() is optional: any call starts a waiting main") {
  Session session(compile(kHelloWorld));
  CHECK(session.user_said("hi") == Strings{"Hello World!"});
}

TEST_CASE("other input gets no answer") {
  Session session(compile(kHelloWorld));
  session.start();
  CHECK(session.user_said("hello?").empty());
  CHECK(session.user_said("hi") == Strings{"Hello World!"});
}

TEST_CASE("utterances come back in order, each answered before the next") {
  Session session(compile(R"(
flow bot say $text
  await UtteranceBotAction(script=$text)

flow main
  bot say "one"
  bot say "two"
  match UtteranceUserAction.Finished(final_transcript="go")
  bot say "three"
)"));
  CHECK(session.start() == Strings{"one", "two"});
  CHECK(session.user_said("go") == Strings{"three"});
}

TEST_CASE("start() starts the @active flows before main") {
  Session session(compile(R"(
@active
flow watcher
  match UtteranceUserAction.Finished(final_transcript="ping")
  await UtteranceBotAction(script="pong")

flow main
  match UtteranceUserAction.Finished(final_transcript="never")
)"));
  session.start();
  CHECK(has_flow(session.flows(), "watcher"));
  CHECK(session.user_said("ping") == Strings{"pong"});
  // Activated: it answers again.
  CHECK(session.user_said("ping") == Strings{"pong"});
}

TEST_CASE("flows() lists main and the flows it started") {
  Session session(compile(kHelloWorld));
  auto before = session.flows();
  CHECK(has_flow(before, "main", "waiting"));
  session.start();
  auto flows = session.flows();
  CHECK(has_flow(flows, "main", "started"));
  CHECK(has_flow(flows, "user said"));
  for (const auto& f : flows) {
    CAPTURE(f.flow_id);
    CHECK(!f.uid.empty());
    CHECK(f.uid.find("(" + f.flow_id + ")") == 0);
  }
  // main waits on the StartFlow/FlowFinished of its child, something is listed.
  auto main_it = std::find_if(flows.begin(), flows.end(),
                              [](const FlowSummary& f) { return f.flow_id == "main"; });
  REQUIRE(main_it != flows.end());
  CHECK(!main_it->waiting_on.empty());
}

TEST_CASE("reset() gives a fresh state") {
  Session session(compile(R"(
flow bot say $text
  await UtteranceBotAction(script=$text)

flow main
  global $n
  if $n is None
    $n = 0
  match UtteranceUserAction.Finished(final_transcript="hi")
  $n += 1
  bot say "n={$n}"
)"));
  std::string fresh = session.state_json();
  session.start();
  CHECK(session.user_said("hi") == Strings{"n=1"});
  CHECK(session.user_said("hi") == Strings{"n=2"});
  CHECK(session.state_json() != fresh);

  session.reset();
  CHECK(session.state_json() == fresh);
  auto flows = session.flows();
  REQUIRE(flows.size() == 1);
  CHECK(flows[0].flow_id == "main");
  CHECK(flows[0].status == "waiting");
  // Globals are gone with the old state.
  CHECK(session.user_said("hi") == Strings{"n=1"});
}

TEST_CASE("state_json() is the state as JSON") {
  Session session(compile(kHelloWorld));
  session.start();
  auto j = nlohmann::json::parse(session.state_json());
  CHECK(j.contains("flows"));
  CHECK(j.at("flows").size() == session.flows().size());
}

TEST_CASE("on_event sees every event in and out") {
  std::vector<std::pair<std::string, std::string>> seen;  // direction, type
  SessionOptions options;
  options.on_event = [&](std::string_view direction, const Dict& e) {
    seen.emplace_back(std::string(direction), str_field(e, "type"));
  };
  Session session(compile(kHelloWorld), options);
  session.start();
  REQUIRE(!seen.empty());
  CHECK(seen.front() == std::pair<std::string, std::string>{"in", "StartFlow"});

  seen.clear();
  CHECK(session.user_said("hi") == Strings{"Hello World!"});
  using P = std::pair<std::string, std::string>;
  REQUIRE(!seen.empty());
  CHECK(seen.front() == P{"in", "UtteranceUserActionFinished"});
  auto count = [&](const P& p) { return std::count(seen.begin(), seen.end(), p); };
  CHECK(count(P{"out", "StartUtteranceBotAction"}) == 1);
  // Outgoing events are fed back in (B.10), and the session answers the
  // utterance with Started and Finished.
  CHECK(count(P{"in", "StartUtteranceBotAction"}) == 1);
  CHECK(count(P{"in", "UtteranceBotActionStarted"}) == 1);
  CHECK(count(P{"in", "UtteranceBotActionFinished"}) == 1);
  // No internal event ever leaves the runtime.
  for (const auto& p : seen) {
    const std::string& type = p.second;  // not a structured binding: clang 14 cannot capture one
    CAPTURE(type);
    if (p.first == "out") CHECK(!is_internal_event_name(type));
  }
  // An "out" event comes after the "in" event that caused it.
  auto first_out = std::find_if(seen.begin(), seen.end(),
                                [](const P& p) { return p.first == "out"; });
  CHECK(first_out != seen.begin());
}

TEST_CASE("process() returns the events the session did not answer itself") {
  Session session(compile(R"(
flow main
  match UtteranceUserAction.Finished(final_transcript="hi")
  start GestureBotAction(gesture="wave")
  match Never()
)"));
  session.start();
  auto out = session.process({user_said_event("hi")});
  REQUIRE(out.size() == 1);
  CHECK(str_field(out[0], "type") == "StartGestureBotAction");
  CHECK(str_field(out[0], "gesture") == "wave");
  CHECK(!str_field(out[0], "action_uid").empty());
}

TEST_CASE("two sessions with the same seed say the same, with the same uids") {
  auto lib = compile(kHelloWorld);
  std::vector<std::string> uids[2];
  for (int i = 0; i < 2; ++i) {
    SessionOptions options;
    options.seed = 42;
    options.on_event = [&, i](std::string_view direction, const Dict& e) {
      if (direction == "out") uids[i].push_back(str_field(e, "uid"));
    };
    Session session(lib, options);
    session.start();
    session.user_said("hi");
  }
  CHECK(!uids[0].empty());
  CHECK(uids[0] == uids[1]);
}
