// state_to_json / state_from_json (runtime/state_json.h): a state restored
// half-way through a conversation continues exactly as the original does, and
// malformed JSON is refused with a message that names what is wrong.
#include "runtime/state_json.h"

#include <doctest/doctest.h>

#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/unit/runtime/runtime_test_util.h"

using namespace rg::runtime;
using namespace rg::runtime::testing;
using rg::colang::Dict;
using rg::colang::Value;
using json = nlohmann::ordered_json;
using Strings = std::vector<std::string>;

namespace {

// The fields that say what the bot did (uids of events differ by design only
// if the state lost its counter, which the round trip must not).
std::string summary(const std::vector<Dict>& events) {
  std::string s;
  for (const auto& e : events)
    s += str_field(e, "type") + "(" + str_field(e, "script") + "," + str_field(e, "action_uid") +
         ") ";
  return s;
}

// Feeds `events` to both states; each step must produce the same outgoing
// events in both. Every StartUtteranceBotAction is answered at once (before
// the next input) with its Finished event, on both sides. Returns the scripts.
Strings continue_both(State& original, State& restored, std::vector<Dict> events) {
  Strings said;
  std::deque<Dict> queue(events.begin(), events.end());
  for (int i = 0; !queue.empty(); ++i) {
    CAPTURE(i);
    Dict e = queue.front();
    queue.pop_front();
    auto a = step(original, e);
    auto b = step(restored, e);
    CHECK(summary(a) == summary(b));
    REQUIRE(a.size() == b.size());
    std::vector<Dict> answers;
    for (size_t k = 0; k < a.size(); ++k) {
      CHECK(Value(a[k]) == Value(b[k]));  // uid and timestamps too
      if (str_field(a[k], "type") == "StartUtteranceBotAction") {
        said.push_back(str_field(a[k], "script"));
        answers.push_back(finished_for(a[k]));
      }
    }
    queue.insert(queue.begin(), answers.begin(), answers.end());
  }
  return said;
}

const char* kConversation = R"(
flow bot say $text
  await UtteranceBotAction(script=$text)

flow user said $text
  match UtteranceUserAction.Finished(final_transcript=$text)

flow greeting
  user said "hi"
  bot say "Hello!"

flow farewell
  user said "bye"
  bot say "Bye!"

flow counter
  global $turns
  match UtteranceUserAction.Finished() as $e
  $turns += 1
  $last = $e.final_transcript

flow main
  global $turns
  $turns = 0
  activate counter
  activate farewell
  start greeting as $g
  match $g.Finished()
  $n = rand()
  bot say "You said hi after {$turns} turns"
  when user said "a"
    bot say "A {$turns}"
  or when user said "b"
    bot say "B {$turns}"
  match UtteranceUserAction.Finished(final_transcript="done")
  bot say "done {uid()}"
)";

}  // namespace

TEST_CASE("a restored state continues exactly like the original") {
  auto lib = compile(kConversation);
  auto original = new_state(lib);
  start_main(*original);
  // Half-way: the greeting flow and main wait, the counter counted one turn.
  auto out = step(*original, user_said_event("something"));
  CHECK(scripts(out).empty());

  json saved = state_to_json(*original);
  auto restored = state_from_json(saved, lib);
  REQUIRE(restored);
  // Serialising the restored state gives the same JSON.
  CHECK(state_to_json(*restored).dump() == saved.dump());

  Strings said = continue_both(*original, *restored,
                               {user_said_event("hi"), user_said_event("b"),
                                user_said_event("bye"), user_said_event("done")});
  REQUIRE(said.size() == 5);
  CHECK(Strings(said.begin(), said.begin() + 4) ==
        Strings{"Hello!", "You said hi after 2 turns", "B 3", "Bye!"});
  CHECK(said[4].rfind("done ", 0) == 0);
  CHECK(restored->globals.find("turns") != nullptr);
  CHECK(state_to_json(*restored).dump() == state_to_json(*original).dump());
}

TEST_CASE("a round trip through text keeps the state too") {
  auto lib = compile(kConversation);
  auto original = new_state(lib);
  start_main(*original);
  step(*original, user_said_event("hi"));  // "Hello!" pending its Finished
  std::string text = state_to_json(*original).dump(2);
  auto restored = state_from_json(json::parse(text), lib);
  // The pending action: its Finished must release both copies the same way.
  REQUIRE(!original->actions.empty());
  Dict finished;
  for (const auto& [uid, a] : original->actions)
    if (a.name == "UtteranceBotAction") finished = ev("UtteranceBotActionFinished",
                                                      {{"action_uid", uid}, {"is_success", true}});
  REQUIRE(!finished.empty());
  Strings said = continue_both(*original, *restored, {finished, user_said_event("a")});
  CHECK(said == Strings{"You said hi after 1 turns", "A 2"});
}

TEST_CASE("flows sharing one context: shared until a restore (divergence #9)") {
  // `context=$self.context` makes a child write the caller's variables
  // (test_flow_context_sharing). docs/colang-divergences.md #9: after a
  // restore the two flows hold equal but separate dicts.
  auto lib = compile(R"(
flow child
  match Go()
  $v = "written by child"

flow main
  $v = "initial"
  $i = uid()
  send StartFlow(flow_id="child", flow_instance_uid=$i, context=$self.context)
  match FlowStarted(flow_instance_uid=$i)
  match FlowFinished(flow_instance_uid=$i)
  start UtteranceBotAction(script="{$v}")
  match Never()
)");
  auto original = new_state(lib);
  start_main(*original);
  json saved = state_to_json(*original);
  auto restored = state_from_json(saved, lib);
  CHECK(scripts(step(*original, ev("Go"))) == Strings{"written by child"});
  // The restored pair still runs to the end; only the aliasing is gone.
  CHECK(scripts(step(*restored, ev("Go"))) == Strings{"initial"});
  // Both copies of the context were saved with the same content.
  std::vector<json> contexts;
  for (const auto& f : saved.at("flows"))
    if (f.at("context").contains("v")) contexts.push_back(f.at("context"));
  REQUIRE(contexts.size() == 2);
  CHECK(contexts[0] == contexts[1]);
}

TEST_CASE("$system.config survives a restore") {
  auto lib = compile(R"(
flow main
  match Go()
  start UtteranceBotAction(script="mode={$system.config.mode}")
  match Never()
)");
  auto original = new_state(lib);
  Dict config;
  config.set("mode", "strict");
  original->system_config = Value(config);
  start_main(*original);
  auto restored = state_from_json(state_to_json(*original), lib);
  CHECK(scripts(step(*original, ev("Go"))) == Strings{"mode=strict"});
  CHECK(scripts(step(*restored, ev("Go"))) == Strings{"mode=strict"});
}

TEST_CASE("malformed state JSON is refused with std::invalid_argument naming the field") {
  auto lib = compile(kConversation);
  auto s = new_state(lib);
  start_main(*s);
  const json good = state_to_json(*s);
  REQUIRE(good.at("flows").size() > 0);
  REQUIRE_NOTHROW(state_from_json(good, lib));

  auto message_of = [&](const json& j) -> std::string {
    try {
      state_from_json(j, lib);
    } catch (const std::invalid_argument& e) {
      return e.what();
    } catch (const std::exception& e) {
      FAIL("wrong exception type: " << e.what());
    }
    FAIL("accepted malformed JSON");
    return "";
  };
  auto names = [](const std::string& message, const std::string& what) {
    INFO(message);
    CHECK(message.find(what) != std::string::npos);
  };

  SUBCASE("missing top-level field") {
    for (const char* field : {"version", "seed", "main_flow_uid", "uid_counter", "rng_state",
                              "globals", "live_flows", "flows", "actions"}) {
      CAPTURE(field);
      json j = good;
      j.erase(field);
      names(message_of(j), field);
    }
  }
  SUBCASE("missing flow field") {
    for (const char* field : {"uid", "flow_id", "heads", "context", "status", "activated"}) {
      CAPTURE(field);
      json j = good;
      j["flows"][0].erase(field);
      names(message_of(j), field);
    }
  }
  SUBCASE("missing head field") {
    json j = good;
    json* head = nullptr;
    for (auto& f : j["flows"])
      if (!f["heads"].empty()) head = &f["heads"][0];
    REQUIRE(head != nullptr);
    head->erase("position");
    names(message_of(j), "position");
  }
  SUBCASE("unknown flow id") {
    json j = good;
    j["flows"][0]["flow_id"] = "no such flow";
    std::string m = message_of(j);
    names(m, "no such flow");
    CHECK(m.find("flow_id") != std::string::npos);
  }
  SUBCASE("unknown status value") {
    json j = good;
    j["flows"][0]["status"] = "sleeping";
    std::string m = message_of(j);
    names(m, "status");
    names(m, "sleeping");
  }
  SUBCASE("live_flows names a flow that is not there") {
    json j = good;
    j["live_flows"].push_back("(ghost)123");
    std::string m = message_of(j);
    names(m, "live_flows");
    names(m, "(ghost)123");
  }
  SUBCASE("unsupported version") {
    json j = good;
    j["version"] = 99;
    names(message_of(j), "version");
  }
  SUBCASE("a field of the wrong type") {
    json j = good;
    j["uid_counter"] = "many";
    std::string m = message_of(j);
    // nlohmann's type_error text ("type must be number, but is string")
    // does not say which field; the header promises it does.
    CHECK(m.find("uid_counter") != std::string::npos);
  }
  SUBCASE("not an object at all") {
    message_of(json::array());
  }
}
