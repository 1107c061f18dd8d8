#include "llm/providers/replay/replay_provider.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using rg::llm::ErrorCode;
using rg::llm::LlmParams;
using rg::llm::LlmRequest;
using rg::llm::ReplayProvider;

TEST_CASE("replay: answers in order whatever the task, then runs out") {
  ReplayProvider llm({"express greeting", "Hello there!"});
  auto a = llm.complete("generate_user_intent", "p1", {});
  auto b = llm.complete("general", "p2", {});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a.value().text == "express greeting");
  CHECK(b.value().text == "Hello there!");
  CHECK(a.value().model == "replay");
  CHECK(llm.responses_left() == 0);

  auto c = llm.complete("general", "p3", {});
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == ErrorCode::kProvider);
  CHECK(c.error().message.find("no responses left for LLM call number 3") != std::string::npos);

  auto calls = llm.calls();
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].task == "generate_user_intent");
  CHECK(calls[0].prompt == "p1");
  CHECK(calls[1].task == "general");
  CHECK(calls[2].prompt == "p3");
}

TEST_CASE("replay: chat is recorded flattened; streaming gives one chunk; n takes n answers") {
  ReplayProvider llm({"a", "b", "c"});
  auto chat = llm.chat("general", {{"user", "Hi"}}, {});
  REQUIRE(chat.ok());
  CHECK(chat.value().text == "a");
  CHECK(llm.calls().at(0).prompt == "user: Hi\nassistant:");

  std::vector<std::string> chunks;
  auto streamed = llm.generate(LlmRequest{"general", "x", {}, {}},
                               [&](std::string_view c) { chunks.emplace_back(c); });
  REQUIRE(streamed.ok());
  CHECK(chunks == std::vector<std::string>{"b"});

  LlmParams two;
  two.n = 2;
  auto n = llm.complete("general", "y", two);  // only "c" is left
  REQUIRE_FALSE(n.ok());
  CHECK(n.error().message.find("call number 4") != std::string::npos);
}

TEST_CASE("replay: n sequential calls, one answer each") {
  ReplayProvider llm({"x", "y"});
  LlmParams two;
  two.n = 2;
  auto r = llm.complete("general", "p", two);
  REQUIRE(r.ok());
  CHECK(r.value().text == "x");
  CHECK(r.value().choices == std::vector<std::string>{"x", "y"});
  CHECK(llm.calls().size() == 2);
}
