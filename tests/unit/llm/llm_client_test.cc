#include "llm/llm_client.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

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
  CHECK(rg::llm::error_code_name(ErrorCode::kBadConfig) == "bad_config");
}

TEST_CASE("Result carries a value") {
  rg::llm::Result<rg::llm::Completion> r(rg::llm::Completion{"hi", 1, 1});
  REQUIRE(r.ok());
  CHECK(r.value().text == "hi");
}

namespace {
// A client that only implements complete(), as older clients do.
class EchoLlm final : public rg::llm::LlmClient {
 public:
  rg::llm::Result<rg::llm::Completion> complete(std::string_view, std::string_view prompt,
                                                const rg::llm::LlmParams&) override {
    return rg::llm::Completion{"echo:" + std::string(prompt), 1, 2};
  }
};
}  // namespace

TEST_CASE("generate() on a complete()-only client: messages flattened, one chunk") {
  EchoLlm llm;
  std::vector<std::string> chunks;
  auto r = llm.generate({"general", "", {{"system", "S"}, {"user", "U"}}, {}},
                        [&](std::string_view c) { chunks.emplace_back(c); });
  REQUIRE(r.ok());
  CHECK(r.value().text == "echo:system: S\nuser: U\nassistant:");
  CHECK(chunks == std::vector<std::string>{r.value().text});
  CHECK(llm.chat("general", {{"user", "hi"}}, {}).value().text == "echo:user: hi\nassistant:");
}
