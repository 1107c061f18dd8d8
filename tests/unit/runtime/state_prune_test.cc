// Finished flow instances that nothing refers to are dropped; referenced ones
// stay readable (runtime/state_prune.cc).
#include <doctest/doctest.h>

#include "tests/unit/runtime/runtime_test_util.h"

using namespace rg::runtime;
using namespace rg::runtime::testing;
using Strings = std::vector<std::string>;

TEST_CASE("a long conversation with activated flows keeps a bounded state") {
  auto lib = compile(R"(
flow reply $word
  match UtteranceUserAction.Finished(final_transcript=$word)
  start UtteranceBotAction(script="reply {$word}")

flow main
  activate reply "a"
  activate reply "b"
  match NeverHappens()
)");
  auto s = new_state(lib);
  start_main(*s);
  size_t largest = 0;
  for (int i = 0; i < 2000; ++i) {
    auto out = step(*s, user_said_event(i % 2 ? "a" : "b"));
    REQUIRE(scripts(out) == Strings{i % 2 ? "reply a" : "reply b"});
    largest = std::max(largest, s->flow_states.size());
  }
  // Every answer restarts an instance; without pruning there would be 2000+.
  CHECK(largest < 200);
  CHECK(s->actions.size() < 200);
}

TEST_CASE("a finished flow that a variable refers to stays readable") {
  auto lib = compile(R"(
flow quick
  $result = "done"

flow churn
  match Unrelated()

flow main
  activate churn
  start quick as $q
  match Tick()
  start UtteranceBotAction(script="{$q.result}")
  match Tick()
)");
  auto s = new_state(lib);
  start_main(*s);
  // Each Unrelated() finishes (and restarts) `churn`: hundreds of finished
  // instances, enough to prune several times while `quick` is finished too.
  for (int i = 0; i < 300; ++i) step(*s, ev("Unrelated"));
  CHECK(s->flow_states.size() < 100);
  auto out = step(*s, ev("Tick"));
  CHECK(scripts(out) == Strings{"done"});
}
