#include "llm/llm_client.h"

#include <doctest/doctest.h>

#include <memory>

using rg::llm::ErrorCode;
using rg::llm::LlmClient;
using rg::llm::NoLlmConfigured;

TEST_CASE("NoLlmConfigured fails every task with a message naming the task") {
  std::unique_ptr<LlmClient> llm = std::make_unique<NoLlmConfigured>();
  for (const char* task : {"general", "generate_user_intent", "self_check_input"}) {
    auto result = llm->complete(task, "Hello", {});
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kNotConfigured);
    CHECK(result.error().message == std::string("no LLM configured for task ") + task);
  }
}

TEST_CASE("error codes have names") {
  CHECK(rg::llm::error_code_name(ErrorCode::kNotConfigured) == "not_configured");
  CHECK(rg::llm::error_code_name(ErrorCode::kBadResponse) == "bad_response");
}

TEST_CASE("Result carries a value") {
  rg::llm::Result<rg::llm::Completion> r(rg::llm::Completion{"hi", 1, 1});
  REQUIRE(r.ok());
  CHECK(r.value().text == "hi");
}
