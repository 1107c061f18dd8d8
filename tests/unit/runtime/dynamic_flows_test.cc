// Flows added to one conversation at run time (AddFlowsAction's runtime side).
#include <doctest/doctest.h>

#include "runtime/state_json.h"
#include "tests/unit/runtime/runtime_test_util.h"

using namespace rg::runtime;
using namespace rg::runtime::testing;
using Strings = std::vector<std::string>;

namespace {
const char* kBase = R"(
flow main
  match Go()
  send StartFlow(flow_id="added")
  match Again()
  send StartFlow(flow_id="added")
  match Never()
)";
const char* kAdded = R"(
flow added
  start UtteranceBotAction(script="from the added flow")
)";
}  // namespace

TEST_CASE("added flows run in that conversation only") {
  auto lib = compile(kBase);
  auto one = new_state(lib);
  auto two = new_state(lib);
  start_main(*one);
  start_main(*two);
  REQUIRE(add_flows(*one, kAdded).empty());
  CHECK(scripts(step(*one, ev("Go"))) == Strings{"from the added flow"});
  CHECK(scripts(step(*two, ev("Go"))).empty());   // undefined there
  CHECK(lib->find("added") == nullptr);            // the shared library is untouched
}

TEST_CASE("a broken added flow is reported and changes nothing") {
  auto lib = compile(kBase);
  auto s = new_state(lib);
  auto diagnostics = add_flows(*s, "flow broken\n  match (\n");
  CHECK(rg::colang::has_errors(diagnostics));
  CHECK(s->library == lib);
  CHECK(s->library_changes.empty());
  // A name that exists needs @override.
  auto dup = add_flows(*s, "flow main\n  match X()\n");
  CHECK(rg::colang::has_errors(dup));
}

TEST_CASE("added and removed flows survive a JSON round trip") {
  auto lib = compile(kBase);
  auto s = new_state(lib);
  start_main(*s);
  REQUIRE(add_flows(*s, kAdded).empty());
  CHECK(scripts(step(*s, ev("Go"))) == Strings{"from the added flow"});
  remove_flows(*s, {"added"});
  auto restored = state_from_json(state_to_json(*s), lib);
  // Removed again after the restore: the second start finds no flow.
  CHECK(restored->library->find("added") == nullptr);
  CHECK(scripts(step(*restored, ev("Again"))).empty());
  CHECK(scripts(step(*s, ev("Again"))).empty());
}
