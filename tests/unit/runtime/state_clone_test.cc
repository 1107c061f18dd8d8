// clone_state (runtime/state_clone.h): a copied state continues exactly like
// the original would, and neither can change the other.
#include "runtime/state_clone.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "runtime/session.h"
#include "runtime/state_json.h"
#include "tests/unit/runtime/runtime_test_util.h"

using namespace rg::runtime;
using namespace rg::runtime::testing;
using Strings = std::vector<std::string>;

namespace {

const char* kCounter = R"(
flow bot say $text
  await UtteranceBotAction(script=$text)

flow user said $text
  match UtteranceUserAction.Finished(final_transcript=$text)

flow main
  global $count
  $count = 0
  $items = []
  while True
    user said "tick"
    $count = $count + 1
    ($items.append($count))
    bot say "tick {$count} {len($items)}"
)";

}  // namespace

TEST_CASE("a cloned state continues like the original, independently") {
  auto library = compile(kCounter);
  Session original(library);
  original.start();
  CHECK(original.user_said("tick") == Strings{"tick 1 1"});

  Session copy(library);
  copy.state() = std::move(*clone_state(original.state()));
  CHECK(state_to_json(copy.state()) == state_to_json(original.state()));

  // The copy moves on; the original does not see it.
  CHECK(copy.user_said("tick") == Strings{"tick 2 2"});
  CHECK(copy.user_said("tick") == Strings{"tick 3 3"});
  CHECK(original.user_said("tick") == Strings{"tick 2 2"});

  // And a second copy of the original starts from where the original is now.
  Session second(library);
  second.state() = std::move(*clone_state(original.state()));
  CHECK(second.user_said("tick") == Strings{"tick 3 3"});
  CHECK(original.user_said("tick") == Strings{"tick 3 3"});
}
