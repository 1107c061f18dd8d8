// Many conversations on many threads over one shared FlowLibrary give the
// same answers as one thread (the library is immutable; each State owns its
// data; the evaluator's regex cache is per thread).
#include <doctest/doctest.h>

#include <thread>

#include "runtime/session.h"
#include "tests/unit/runtime/runtime_test_util.h"

using namespace rg::runtime;
using namespace rg::runtime::testing;

namespace {

const char* kProgram = R"(
flow user said $text
  match UtteranceUserAction.Finished(final_transcript=$text)

flow bot say $text
  await UtteranceBotAction(script=$text)

flow answer $word
  user said $word
  bot say "{$word} -> {len($word)} {search('^a', $word)}"

flow main
  activate answer "alpha"
  activate answer "beta"
  activate answer "gamma"
  match Never()
)";

std::vector<std::string> converse(const std::shared_ptr<const FlowLibrary>& lib, int turns) {
  Session session(lib);
  session.start();
  std::vector<std::string> all;
  const char* words[] = {"alpha", "beta", "gamma", "delta"};
  for (int i = 0; i < turns; ++i)
    for (const auto& said : session.user_said(words[i % 4])) all.push_back(said);
  return all;
}

}  // namespace

TEST_CASE("conversations on 8 threads match the single-threaded answers") {
  auto lib = compile(kProgram);
  const std::vector<std::string> expected = converse(lib, 200);
  REQUIRE(expected.size() == 150);  // "delta" gets no answer
  CHECK(expected[0] == "alpha -> 5 True");
  std::vector<std::vector<std::string>> results(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] { results[t] = converse(lib, 200); });
  for (auto& th : threads) th.join();
  for (const auto& r : results) CHECK(r == expected);
}
