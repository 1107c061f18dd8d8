// The Colang 1.0 flow engine and event loop (runtime/v1), driven directly
// with a fake ActionHost (spec colang.md A.6-A.7).
#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "colang/v1/parse_v1.h"
#include "runtime/v1/conversation.h"
#include "runtime/v1/flow_engine.h"
#include "runtime/v1/flow_set.h"

using rg::colang::Dict;
using rg::colang::List;
using rg::colang::Value;
using namespace rg::runtime::v1;

namespace {

std::shared_ptr<const FlowSet> flows_of(const std::string& source) {
  rg::colang::v1::ParseResult parsed = rg::colang::v1::parse_colang_v1(source, "test.co");
  REQUIRE_MESSAGE(parsed.ok(), (parsed.diagnostics.empty() ? std::string("?")
                                                           : parsed.diagnostics.front().render()));
  auto set = std::make_shared<FlowSet>();
  for (const auto& flow : parsed.document.flows) set->add(make_flow_config(flow, false));
  return set;
}

struct FakeHost : ActionHost {
  std::set<std::string, std::less<>> actions;
  Value return_value;
  std::vector<std::pair<std::string, Dict>> calls;  // name, params

  bool has_action(std::string_view name) const override { return actions.count(name) > 0; }
  bool is_system_action(std::string_view) const override { return true; }
  ActionOutcome run(const ActionCall& call) override {
    calls.emplace_back(call.name, call.params);
    ActionOutcome out;
    out.return_value = return_value;
    return out;
  }
};

Dict ev(const std::string& type, const std::string& key = "", Value value = Value()) {
  Dict d;
  d.set("type", type);
  if (!key.empty()) d.set(key, std::move(value));
  return d;
}

Dict user(const std::string& intent) { return ev("UserIntent", "intent", intent); }

// "BotIntent:x", "StartInternalSystemAction:a", "InternalSystemActionFinished:a",
// "ContextUpdate", "Listen", ...
std::vector<std::string> summary(const List& events) {
  std::vector<std::string> out;
  for (const Value& v : events) {
    const Dict& e = v.as_dict();
    std::string s = e.find("type")->as_str();
    if (const Value* i = e.find("intent"); i && i->is_str()) s += ":" + i->as_str();
    if (const Value* a = e.find("action_name"); a && a->is_str()) s += ":" + a->as_str();
    if (const Value* t = e.find("script"); t && t->is_str()) s += ":" + t->as_str();
    out.push_back(s);
  }
  return out;
}

using Strings = std::vector<std::string>;

Strings turn(Conversation& c, ActionHost& host, std::vector<Dict> input) {
  List in;
  for (auto& d : input) in.push_back(Value(std::move(d)));
  return summary(c.generate_events(in, host));
}

std::vector<std::string> active_flow_ids(const Conversation& c) {
  std::vector<std::string> ids;
  for (const auto& f : c.state().flows) {
    if (f->status == FlowStatus::kActive || f->status == FlowStatus::kInterrupted) {
      ids.push_back(f->config->id);
    }
  }
  return ids;
}

}  // namespace

TEST_CASE("a simple flow answers a user intent and then listens") {
  Conversation c(flows_of("define flow greeting\n  user express greeting\n  bot express greeting\n"),
                 Value(Dict{}));
  FakeHost host;
  CHECK(turn(c, host, {user("express greeting")}) ==
        Strings{"BotIntent:express greeting", "Listen"});
  CHECK(turn(c, host, {user("something else")}) == Strings{"Listen"});
}

TEST_CASE("next step: a higher priority flow wins") {
  Conversation c(flows_of("define flow a\n  user hi\n  bot from a\n\n"
                          "define flow b\n  priority 2\n  user hi\n  bot from b\n"),
                 Value(Dict{}));
  FakeHost host;
  CHECK(turn(c, host, {user("hi")}) == Strings{"BotIntent:from b", "Listen"});
}

TEST_CASE("next step: equal priorities keep the definition order") {
  Conversation c(flows_of("define flow a\n  user hi\n  bot from a\n\n"
                          "define flow b\n  user hi\n  bot from b\n"),
                 Value(Dict{}));
  FakeHost host;
  CHECK(turn(c, host, {user("hi")}) == Strings{"BotIntent:from a", "Listen"});

  Conversation d(flows_of("define flow b\n  user hi\n  bot from b\n\n"
                          "define flow a\n  user hi\n  bot from a\n"),
                 Value(Dict{}));
  CHECK(turn(d, host, {user("hi")}) == Strings{"BotIntent:from b", "Listen"});
}

TEST_CASE("decided_by names the flow that decided each event") {
  Conversation c(flows_of("define flow a\n  user hi\n  bot from a\n\n"
                          "define flow b\n  priority 2\n  user hi\n  bot from b\n"),
                 Value(Dict{}));
  FakeHost host;
  turn(c, host, {user("hi")});
  REQUIRE(c.events().size() == 3);
  REQUIRE(c.decided_by().size() == 3);
  CHECK(c.decided_by()[0] == "");   // the input
  CHECK(c.decided_by()[1] == "b");  // BotIntent from b
  CHECK(c.decided_by()[2] == "");   // Listen
}

TEST_CASE("a flow interrupted by another resumes when that one completes") {
  Conversation c(flows_of("define flow main\n  user hi\n  bot hello\n  user ask\n  bot answer\n\n"
                          "define flow side\n  user joke\n  bot tell joke\n"),
                 Value(Dict{}));
  FakeHost host;
  CHECK(turn(c, host, {user("hi")}) == Strings{"BotIntent:hello", "Listen"});
  CHECK(turn(c, host, {user("joke")}) == Strings{"BotIntent:tell joke", "Listen"});
  // `side` completed, so `main` is active again, still waiting for `user ask`.
  bool main_active = false;
  for (const auto& f : c.state().flows) {
    if (f->config->id == "main") main_active = f->status == FlowStatus::kActive;
  }
  CHECK(main_active);
  CHECK(turn(c, host, {user("ask")}) == Strings{"BotIntent:answer", "Listen"});
}

TEST_CASE("the interrupted flow is not resumed while the interrupter still runs") {
  Conversation c(flows_of("define flow main\n  user hi\n  bot hello\n  user ask\n  bot answer\n\n"
                          "define flow side\n  user joke\n  bot tell joke\n  user laugh\n  bot thanks\n"),
                 Value(Dict{}));
  FakeHost host;
  turn(c, host, {user("hi")});
  CHECK(turn(c, host, {user("joke")}) == Strings{"BotIntent:tell joke", "Listen"});
  bool main_interrupted = false;
  for (const auto& f : c.state().flows) {
    if (f->config->id == "main") main_interrupted = f->status == FlowStatus::kInterrupted;
  }
  CHECK(main_interrupted);
}

TEST_CASE("a subflow that finishes at once lets the parent move on") {
  Conversation c(flows_of("define subflow quick\n  $done = True\n\n"
                          "define flow f\n  user hi\n  do quick\n  bot after quick\n"),
                 Value(Dict{}));
  FakeHost host;
  List out = c.generate_events({Value(user("hi"))}, host);
  CHECK(summary(out) == Strings{"ContextUpdate", "BotIntent:after quick", "Listen"});
  const Value* done = out[0].as_dict().find("data")->as_dict().find("done");
  REQUIRE(done);
  CHECK(*done == Value(true));
  CHECK(active_flow_ids(c).empty());
}

TEST_CASE("a subflow that waits for a user intent, then the parent goes on") {
  Conversation c(flows_of("define subflow ask name\n  bot ask name\n  user give name\n  bot thanks\n\n"
                          "define flow g\n  user start\n  do ask name\n  bot done\n"),
                 Value(Dict{}));
  FakeHost host;
  CHECK(turn(c, host, {user("start")}) == Strings{"BotIntent:ask name", "Listen"});
  CHECK(turn(c, host, {user("give name")}) ==
        Strings{"BotIntent:thanks", "BotIntent:done", "Listen"});
  CHECK(active_flow_ids(c).empty());
}

TEST_CASE("an unknown subflow is a FlowError") {
  Conversation c(flows_of("define flow g\n  user start\n  do nowhere\n"), Value(Dict{}));
  FakeHost host;
  CHECK_THROWS_AS(c.generate_events({Value(user("start"))}, host), FlowError);
}

TEST_CASE("when / else when branches") {
  const std::string src =
      "define flow q\n  user ask color\n  bot which color\n"
      "  when user say red\n    bot like red\n"
      "  else when user say blue\n    bot like blue\n";
  FakeHost host;
  {
    Conversation c(flows_of(src), Value(Dict{}));
    CHECK(turn(c, host, {user("ask color")}) == Strings{"BotIntent:which color", "Listen"});
    CHECK(turn(c, host, {user("say red")}) == Strings{"BotIntent:like red", "Listen"});
  }
  {
    Conversation c(flows_of(src), Value(Dict{}));
    turn(c, host, {user("ask color")});
    CHECK(turn(c, host, {user("say blue")}) == Strings{"BotIntent:like blue", "Listen"});
  }
  {
    Conversation c(flows_of(src), Value(Dict{}));
    turn(c, host, {user("ask color")});
    CHECK(turn(c, host, {user("say green")}) == Strings{"Listen"});
  }
}

TEST_CASE("while with break") {
  Conversation c(flows_of("define flow loop\n  user count\n  $i = 0\n"
                          "  while $i < 5\n    $i = $i + 1\n    if $i == 3\n      break\n"
                          "  bot counted\n"),
                 Value(Dict{}));
  FakeHost host;
  List out = c.generate_events({Value(user("count"))}, host);
  CHECK(summary(out) == Strings{"ContextUpdate", "BotIntent:counted", "Listen"});
  const Value* i = out[0].as_dict().find("data")->as_dict().find("i");
  REQUIRE(i);
  CHECK(i->as_number() == 3);
  CHECK(c.state().context.find("i")->as_number() == 3);
}

TEST_CASE("bot stop clears the flows and there is no next step") {
  Conversation c(flows_of("define flow s\n  user hi\n  bot stop\n  bot never\n\n"
                          "define flow other\n  user hi\n  bot x\n  user more\n  bot y\n"),
                 Value(Dict{}));
  FakeHost host;
  CHECK(turn(c, host, {user("hi")}) == Strings{"BotIntent:stop", "Listen"});
  CHECK(c.state().flows.empty());
  CHECK(turn(c, host, {user("more")}) == Strings{"Listen"});
}

TEST_CASE("a BotIntent stop as input ends the flows") {
  Conversation c(flows_of("define flow s\n  user hi\n  bot hello\n  user more\n  bot y\n"),
                 Value(Dict{}));
  FakeHost host;
  turn(c, host, {user("hi")});
  CHECK(turn(c, host, {ev("BotIntent", "intent", "stop")}) == Strings{"Listen"});
  CHECK(c.state().flows.empty());
  CHECK(turn(c, host, {user("more")}) == Strings{"Listen"});
}

TEST_CASE("action parameters that name a variable get its value") {
  Conversation c(flows_of("define flow act\n  user go\n  $name = \"Ann\"\n"
                          "  execute greet(who=$name, literal=\"x\")\n"),
                 Value(Dict{}));
  FakeHost host;
  host.actions = {"greet"};
  CHECK(turn(c, host, {user("go")}) ==
        Strings{"ContextUpdate", "StartInternalSystemAction:greet",
                "InternalSystemActionFinished:greet", "Listen"});
  REQUIRE(host.calls.size() == 1);
  CHECK(host.calls[0].first == "greet");
  REQUIRE(host.calls[0].second.find("who"));
  CHECK(*host.calls[0].second.find("who") == Value("Ann"));
  CHECK(*host.calls[0].second.find("literal") == Value("x"));
}

TEST_CASE("$x = execute a stores the result") {
  Conversation c(flows_of("define flow act\n  user go\n  $x = execute compute\n"
                          "  if $x == 42\n    bot right\n  else\n    bot wrong\n"),
                 Value(Dict{}));
  FakeHost host;
  host.actions = {"compute"};
  host.return_value = Value(42);
  List out = c.generate_events({Value(user("go"))}, host);
  CHECK(summary(out) == Strings{"StartInternalSystemAction:compute", "ContextUpdate",
                                "InternalSystemActionFinished:compute", "BotIntent:right",
                                "Listen"});
  const Dict& start = out[0].as_dict();
  CHECK(*start.find("action_result_key") == Value("x"));
  CHECK(*out[1].as_dict().find("data")->as_dict().find("x") == Value(42));
  CHECK(*c.action_context().find("x") == Value(42));
  CHECK(*c.state().context.find("x") == Value(42));
}

TEST_CASE("an unknown action fails the turn and hides it") {
  Conversation c(flows_of("define flow act\n  user go\n  execute x\n  bot after\n"), Value(Dict{}));
  FakeHost host;
  List out = c.generate_events({Value(user("go"))}, host);
  CHECK(summary(out) == Strings{"StartInternalSystemAction:x", "InternalSystemActionFinished:x",
                                "BotIntent:inform internal error occurred",
                                "StartUtteranceBotAction:Action 'x' not found.", "hide_prev_turn",
                                "Listen"});
  CHECK(*out[1].as_dict().find("status") == Value("failed"));
  CHECK(*out[1].as_dict().find("is_success") == Value(false));
  CHECK(host.calls.empty());
}

TEST_CASE("hide_prev_turn removes the state of the last turn") {
  Conversation c(flows_of("define flow f\n  user open\n  bot opened\n  user more\n  bot more reply\n\n"
                          "define flow h\n  user start\n  bot started\n  user go on\n  bot went on\n"),
                 Value(Dict{}));
  FakeHost host;
  CHECK(turn(c, host, {ev("UtteranceUserActionFinished", "final_transcript", "open"),
                       user("open")}) == Strings{"BotIntent:opened", "Listen"});
  CHECK(turn(c, host, {ev("UtteranceUserActionFinished", "final_transcript", "start"),
                       user("start")}) == Strings{"BotIntent:started", "Listen"});
  CHECK(active_flow_ids(c) == Strings{"f", "h"});
  CHECK(turn(c, host, {ev("hide_prev_turn")}) == Strings{"Listen"});
  CHECK(active_flow_ids(c) == Strings{"f"});
  // The whole history is kept, only the flows forget the turn.
  CHECK(c.events().size() == 10);
  CHECK(turn(c, host, {user("go on")}) == Strings{"Listen"});
  CHECK(turn(c, host, {user("more")}) == Strings{"BotIntent:more reply", "Listen"});
}

TEST_CASE("a flow that keeps producing steps gives TooManyEvents") {
  ConversationOptions options;
  options.max_events_per_call = 20;
  Conversation c(flows_of("define flow spin\n  user go\n  while True\n    bot again\n"),
                 Value(Dict{}), options);
  FakeHost host;
  CHECK_THROWS_AS(c.generate_events({Value(user("go"))}, host), TooManyEvents);
}

TEST_CASE("a while True loop of assignments is a FlowError, not a hang") {
  Conversation c(flows_of("define flow hang\n  user go\n  while True\n    $x = 1\n"), Value(Dict{}));
  FakeHost host;
  CHECK_THROWS_AS(c.generate_events({Value(user("go"))}, host), FlowError);
}

TEST_CASE("start_flow adds a dynamic flow whose steps then run") {
  auto base = flows_of("define flow greeting\n  user hi\n  bot hello\n");
  Conversation c(base, Value(Dict{}));
  FakeHost host;
  Dict start = ev("start_flow", "flow_id", "dyn");
  start.set("flow_body", "bot a\nbot b");
  CHECK(turn(c, host, {start}) == Strings{"BotIntent:a", "BotIntent:b", "Listen"});
  CHECK(c.flows().find("dyn") != nullptr);
  CHECK(base->find("dyn") == nullptr);  // the shared set is untouched
}

TEST_CASE("start_flow with a body that does not parse is a FlowError") {
  Conversation c(flows_of("define flow greeting\n  user hi\n  bot hello\n"), Value(Dict{}));
  FakeHost host;
  Dict start = ev("start_flow", "flow_id", "dyn");
  start.set("flow_body", "when\n");
  CHECK_THROWS_AS(c.generate_events({Value(start)}, host), FlowError);
}

TEST_CASE("flow_id_params and normalize_flow_id") {
  Dict p = flow_id_params("content safety check $model=x");
  REQUIRE(p.find("model"));
  CHECK(*p.find("model") == Value("x"));
  Dict q = flow_id_params("flow(a=1, b=\"two\")");
  CHECK(*q.find("a") == Value("1"));
  CHECK(*q.find("b") == Value("two"));
  CHECK(normalize_flow_id("content safety check $model=x") == "content safety check");
  CHECK(normalize_flow_id("flow(a=1)") == "flow");
  CHECK(normalize_flow_id("plain") == "plain");
}
