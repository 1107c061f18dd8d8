// The state machine (runtime/runtime.h) driven event by event through
// run_to_completion, checking the outgoing events. Each case is a small
// program for one rule of spec/colang.md B and D that the conformance corpus
// does not pin down. No host loop: outgoing events are not fed back unless a
// case does it by hand.
#include "runtime/runtime.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/unit/runtime/runtime_test_util.h"

using namespace rg::runtime;
using namespace rg::runtime::testing;
using rg::colang::Dict;
using rg::colang::Value;
using Strings = std::vector<std::string>;

TEST_CASE("a bare statement awaits; start does not (D.1, D.2)") {
  const char* kFlows = R"(
flow bot say $text
  await UtteranceBotAction(script=$text)
)";
  SUBCASE("bare flow call waits for the action to finish") {
    auto lib = compile(std::string(kFlows) + R"(
flow main
  bot say "one"
  bot say "two"
)");
    auto s = new_state(lib);
    auto out = start_main(*s);
    REQUIRE(scripts(out) == Strings{"one"});
    // An unrelated finished action does not release it.
    CHECK(step(*s, ev("UtteranceBotActionFinished", {{"action_uid", "other"}})).empty());
    CHECK(scripts(step(*s, finished_for(out[0]))) == Strings{"two"});
  }
  SUBCASE("bare action waits too") {
    auto lib = compile(R"(
flow main
  UtteranceBotAction(script="one")
  UtteranceBotAction(script="two")
)");
    auto s = new_state(lib);
    auto out = start_main(*s);
    REQUIRE(scripts(out) == Strings{"one"});
    CHECK(scripts(step(*s, finished_for(out[0]))) == Strings{"two"});
  }
  SUBCASE("start runs both at once") {
    auto lib = compile(std::string(kFlows) + R"(
flow main
  start bot say "one"
  start bot say "two"
  match Never()
)");
    auto s = new_state(lib);
    CHECK(scripts(start_main(*s)) == Strings{"one", "two"});
  }
  SUBCASE("explicit await is the same as bare") {
    auto lib = compile(std::string(kFlows) + R"(
flow main
  await bot say "one"
  await bot say "two"
)");
    auto s = new_state(lib);
    auto out = start_main(*s);
    REQUIRE(scripts(out) == Strings{"one"});
    CHECK(scripts(step(*s, finished_for(out[0]))) == Strings{"two"});
  }
}

TEST_CASE("when / or when / else: else runs only when every case failed (D.18)") {
  // A case flow finishes when its event says ok, and fails (abort) otherwise.
  auto lib = compile(R"(
flow check $name
  match Ev(name=$name) as $e
  if not $e.arguments.ok
    abort

flow main
  when check "a"
    start UtteranceBotAction(script="A")
  or when check "b"
    start UtteranceBotAction(script="B")
  else
    start UtteranceBotAction(script="else")
  start UtteranceBotAction(script="end")
  match Never()
)");
  auto a = [](bool ok) { return ev("Ev", {{"name", "a"}, {"ok", ok}}); };
  auto b = [](bool ok) { return ev("Ev", {{"name", "b"}, {"ok", ok}}); };
  auto s = new_state(lib);
  REQUIRE(start_main(*s).empty());

  SUBCASE("first case succeeds") {
    CHECK(scripts(step(*s, a(true))) == Strings{"A", "end"});
    // The other case was stopped with the scope: its event does nothing now.
    CHECK(scripts(step(*s, b(true))).empty());
  }
  SUBCASE("second case succeeds after the first failed") {
    CHECK(scripts(step(*s, a(false))).empty());
    CHECK(scripts(step(*s, b(true))) == Strings{"B", "end"});
  }
  SUBCASE("one case failed, the other still pending: no else yet") {
    CHECK(scripts(step(*s, b(false))).empty());
    CHECK(scripts(step(*s, ev("Other"))).empty());
    CHECK(scripts(step(*s, a(true))) == Strings{"A", "end"});
  }
  SUBCASE("all cases failed") {
    CHECK(scripts(step(*s, a(false))).empty());
    CHECK(scripts(step(*s, b(false))) == Strings{"else", "end"});
  }
}

TEST_CASE("when without else: all cases failing fails the flow") {
  auto lib = compile(R"(
flow check $name
  match Ev(name=$name) as $e
  if not $e.arguments.ok
    abort

flow chooser
  when check "a"
    start UtteranceBotAction(script="A")
  or when check "b"
    start UtteranceBotAction(script="B")

flow main
  when chooser
    start UtteranceBotAction(script="chooser finished")
  else
    start UtteranceBotAction(script="chooser failed")
  match Never()
)");
  auto s = new_state(lib);
  REQUIRE(start_main(*s).empty());
  CHECK(scripts(step(*s, ev("Ev", {{"name", "a"}, {"ok", false}}))).empty());
  CHECK(scripts(step(*s, ev("Ev", {{"name", "b"}, {"ok", false}}))) == Strings{"chooser failed"});
}

TEST_CASE("activation is idempotent per (flow, arguments); deactivate undoes it (D.21)") {
  auto lib = compile(R"(
flow greet $text
  match UtteranceUserAction.Finished(final_transcript=$text)
  start UtteranceBotAction(script="Hello {$text}")

flow main
  activate greet "Hi"
  activate greet "Hi"
  activate greet "Yo"
  match Deactivate()
  deactivate greet "Hi"
  deactivate greet "Hi"
  match Never()
)");
  auto s = new_state(lib);
  CHECK(start_main(*s).empty());
  CHECK(scripts(step(*s, user_said_event("Hi"))) == Strings{"Hello Hi"});
  // Restarted after it finished, still exactly one instance listening.
  CHECK(scripts(step(*s, user_said_event("Hi"))) == Strings{"Hello Hi"});
  CHECK(scripts(step(*s, user_said_event("Yo"))) == Strings{"Hello Yo"});
  CHECK(scripts(step(*s, user_said_event("Other"))).empty());

  // Activated twice, deactivated twice: gone.
  CHECK(scripts(step(*s, ev("Deactivate"))).empty());
  CHECK(scripts(step(*s, user_said_event("Hi"))).empty());
  CHECK(scripts(step(*s, user_said_event("Hi"))).empty());
  // Other arguments are another activation.
  CHECK(scripts(step(*s, user_said_event("Yo"))) == Strings{"Hello Yo"});
}

TEST_CASE("priority must be a float in [0, 1] (D.23)") {
  auto program = [](const std::string& value) {
    return R"(
flow child
  priority )" + value + R"(
  start UtteranceBotAction(script="child")

flow main
  when child
    start UtteranceBotAction(script="finished")
  else
    start UtteranceBotAction(script="failed")
  match Never()
)";
  };
  SUBCASE("priority 1 (an int) fails the flow before it emits anything") {
    auto s = new_state(compile(program("1")));
    auto out = start_main(*s);
    CHECK(scripts(out) == Strings{"failed"});
  }
  SUBCASE("priority 1.5 is out of range") {
    auto s = new_state(compile(program("1.5")));
    CHECK(scripts(start_main(*s)) == Strings{"failed"});
  }
  SUBCASE("priority 1.0 is fine") {
    auto s = new_state(compile(program("1.0")));
    CHECK(scripts(start_main(*s)) == Strings{"child", "finished"});
  }
  SUBCASE("priority 0.5 is fine") {
    auto s = new_state(compile(program("0.5")));
    CHECK(scripts(start_main(*s)) == Strings{"child", "finished"});
  }
  SUBCASE("main itself: nothing after the bad priority is emitted") {
    auto s = new_state(compile(R"(
flow main
  priority 1
  start UtteranceBotAction(script="after")
)"));
    CHECK(scripts(start_main(*s)).empty());
  }
}

TEST_CASE("+= and -= are true increments (documented divergence from D.11)") {
  auto s = new_state(compile(R"(
flow main
  $x = 1
  $x += 2
  $y = 10
  $y -= 4
  $s = "a"
  $s += "b"
  start UtteranceBotAction(script="{$x} {$y} {$s}")
  match Never()
)"));
  CHECK(scripts(start_main(*s)) == Strings{"3 6 ab"});
}

TEST_CASE("globals: `global $x` shares, an undeclared $x is a local None (D.14)") {
  auto s = new_state(compile(R"(
flow setter
  global $x
  $x = "set"

flow reader global
  global $x
  start UtteranceBotAction(script="g={$x}")

flow reader local
  start UtteranceBotAction(script="l={$x}")

flow writer local
  $x = "only mine"

flow main
  $x = "main local"
  setter
  writer local
  reader global
  reader local
  start UtteranceBotAction(script="m={$x}")
  match Never()
)"));
  CHECK(scripts(start_main(*s)) == Strings{"g=set", "l=None", "m=main local"});
  const Value* g = s->globals.find("x");
  REQUIRE(g != nullptr);
  CHECK(*g == Value("set"));
}

TEST_CASE("return values reach `$r = await f` (D.13)") {
  SUBCASE("a value, a bare return, and a return member") {
    auto s = new_state(compile(R"(
flow compute $a
  return $a + 1

flow nothing
  return

flow main
  $r = await compute 41
  $n = await nothing
  $q = compute 1
  start UtteranceBotAction(script="{$r} {$n} {$q}")
  match Never()
)"));
    CHECK(scripts(start_main(*s)) == Strings{"42 None 2"});
  }
  SUBCASE("no return at all: the caller fails") {
    auto s = new_state(compile(R"(
flow silent
  pass

flow caller
  $v = await silent
  start UtteranceBotAction(script="unreachable")

flow main
  when caller
    start UtteranceBotAction(script="caller finished")
  else
    start UtteranceBotAction(script="caller failed")
  match Never()
)"));
    // `silent` ends without `return`, so its FlowFinished has no
    // return_value; reading it must fail `caller` (D.13,
    // docs/colang-divergences.md "Quirks we keep").
    CHECK(scripts(start_main(*s)) == Strings{"caller failed"});
  }
}

TEST_CASE("log and print reach StateOptions::on_print") {
  auto lib = compile(R"(
flow main
  $x = 5
  log "value {$x}"
  print "p {$x + 1}"
  match Never()
)");
  std::vector<std::pair<std::string, std::string>> printed;
  StateOptions options;
  options.on_print = [&](std::string_view kind, const std::string& text) {
    printed.emplace_back(std::string(kind), text);
  };
  auto s = new_state(lib, options);
  CHECK(start_main(*s).empty());
  using P = std::pair<std::string, std::string>;
  CHECK(printed == std::vector<P>{P{"log", "value 5"}, P{"print", "p 6"}});

  SUBCASE("no callback: dropped, no crash") {
    auto quiet = new_state(lib);
    CHECK(start_main(*quiet).empty());
  }
}

TEST_CASE("uid() and rand() are reproducible for a fixed seed") {
  auto lib = compile(R"(
flow main
  $u = uid()
  $r = rand()
  start UtteranceBotAction(script="{$u} {$r}")
  match Go()
  start UtteranceBotAction(script="{uid()} {rand()}")
  match Never()
)");
  auto run = [&](uint64_t seed) {
    StateOptions o;
    o.seed = seed;
    auto s = new_state(lib, o);
    std::vector<Dict> all = start_main(*s);
    for (auto& e : step(*s, ev("Go"))) all.push_back(e);
    return all;
  };
  auto a = run(7), b = run(7), c = run(8);
  REQUIRE(a.size() == 2);
  REQUIRE(b.size() == 2);
  REQUIRE(c.size() == 2);
  for (size_t i = 0; i < a.size(); ++i) {
    CAPTURE(i);
    CHECK(str_field(a[i], "uid") == str_field(b[i], "uid"));
    CHECK(str_field(a[i], "action_uid") == str_field(b[i], "action_uid"));
    CHECK(str_field(a[i], "script") == str_field(b[i], "script"));
    CHECK(Value(a[i]) == Value(b[i]));
    CHECK(!str_field(a[i], "uid").empty());
    CHECK(!str_field(a[i], "action_uid").empty());
  }
  // Another seed, other values.
  CHECK(str_field(a[0], "script") != str_field(c[0], "script"));
  CHECK(str_field(a[0], "action_uid") != str_field(c[0], "action_uid"));
  // Within one run, values differ between calls.
  CHECK(str_field(a[0], "script") != str_field(a[1], "script"));
  CHECK(str_field(a[0], "uid") != str_field(a[1], "uid"));
}

TEST_CASE("two states of one library do not affect each other") {
  auto lib = compile(R"(
flow counter
  global $n
  match Tick()
  $n += 1
  start UtteranceBotAction(script="n={$n}")

flow main
  global $n
  $n = 0
  activate counter
  match Never()
)");
  auto a = new_state(lib);
  auto b = new_state(lib);
  auto solo = new_state(lib);
  start_main(*a);
  CHECK(scripts(step(*a, ev("Tick"))) == Strings{"n=1"});
  CHECK(scripts(step(*a, ev("Tick"))) == Strings{"n=2"});

  // b starts later, interleaved with a: its own count, and the very same
  // events (uids included) as a state that ran alone.
  auto b0 = start_main(*b);
  CHECK(scripts(step(*a, ev("Tick"))) == Strings{"n=3"});
  auto b1 = step(*b, ev("Tick"));
  CHECK(scripts(b1) == Strings{"n=1"});
  CHECK(scripts(step(*a, ev("Tick"))) == Strings{"n=4"});

  auto s0 = start_main(*solo);
  auto s1 = step(*solo, ev("Tick"));
  REQUIRE(b1.size() == s1.size());
  for (size_t i = 0; i < b1.size(); ++i) CHECK(Value(b1[i]) == Value(s1[i]));
  CHECK(b->globals.find("n") != nullptr);
  CHECK(*b->globals.find("n") == Value(1));
  CHECK(*a->globals.find("n") == Value(4));
}

TEST_CASE("run_to_completion returns this call's events only") {
  auto s = new_state(compile(R"(
flow main
  start UtteranceBotAction(script="one")
  match Go()
  start UtteranceBotAction(script="two")
  match Never()
)"));
  CHECK(scripts(start_main(*s)) == Strings{"one"});
  CHECK(scripts(step(*s, ev("Go"))) == Strings{"two"});
  CHECK(step(*s, ev("Go")).empty());
}

TEST_CASE("new_state needs a main flow") {
  auto lib = compile("flow other\n  pass\n");
  CHECK_THROWS_AS(new_state(lib), std::invalid_argument);
}

TEST_CASE("a loop that never waits fails its flow instead of hanging") {
  auto lib = compile(R"(
flow spin
  $i = 0
  while True
    $i = $i + 1

flow main
  when spin
    start UtteranceBotAction(script="spin finished")
  else
    start UtteranceBotAction(script="spin failed")
  match Never()
)");
  StateOptions options;
  options.max_slide_steps = 10000;
  auto s = new_state(lib, options);
  CHECK(scripts(start_main(*s)) == Strings{"spin failed"});
}

TEST_CASE("flows that trigger each other forever stop with RuntimeBudgetExceeded") {
  auto lib = compile(R"(
flow ping
  match FlowFinished(flow_id="pong")
  send StartFlow(flow_id="pong")

flow pong
  pass

flow main
  activate ping
  send StartFlow(flow_id="pong")
  match Never()
)");
  StateOptions options;
  options.max_internal_events = 5000;
  auto s = new_state(lib, options);
  CHECK_THROWS_AS(start_main(*s), RuntimeBudgetExceeded);
}

TEST_CASE("a loop that keeps sending without waiting stops with RuntimeBudgetExceeded") {
  // Found by tests/fuzz/runtime_fuzz.
  auto lib = compile(R"(
flow main
  $n = 0
  while $n < 2
     send Over()
  match X()
)");
  StateOptions options;
  options.max_internal_events = 5000;
  auto s = new_state(lib, options);
  CHECK_THROWS_AS(start_main(*s), RuntimeBudgetExceeded);
}

TEST_CASE("a loop that starts flows without waiting stops at max_live_flows") {
  // Found by tests/fuzz/runtime_fuzz: every pass starts flows that stay alive.
  auto lib = compile(R"(
flow bot say $script
  await UtteranceBotAction(script=$script)

flow main
  $number = 0
  while $number < 10
    start bot say "Hi"
      or bot say "Hello"
    $number = $number + 0
)");
  StateOptions options;
  options.max_live_flows = 200;
  auto s = new_state(lib, options);
  CHECK_THROWS_AS(start_main(*s), RuntimeBudgetExceeded);
}

TEST_CASE("an activated flow that fails before it waits is not restarted forever") {
  // Found by tests/fuzz/runtime_fuzz: an error in the first statement.
  auto lib = compile(R"(
flow broken
  $x = 1 / 0
  match Never()

flow main
  activate broken
  start UtteranceBotAction(script="main goes on")
  match Never()
)");
  auto s = new_state(lib);
  // `activate` waits for the child's FlowStarted, so the child failing first
  // fails main too (reference semantics); what matters is that it ends.
  CHECK(scripts(start_main(*s)).empty());
  size_t broken_instances = 0;
  for (const auto& [uid, f] : s->flow_states) broken_instances += f->flow_id == "broken";
  CHECK(broken_instances == 1);
}
