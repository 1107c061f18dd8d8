#include "llm/registry.h"

#include <doctest/doctest.h>

#include <string>

using nlohmann::json;
using rg::llm::ErrorCode;
using rg::llm::ProviderSettings;

TEST_CASE("unknown engine: kBadConfig naming it and listing the known ones") {
  auto p = rg::llm::make_provider("gpt_magic", ProviderSettings{"m", "", {}});
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == ErrorCode::kBadConfig);
  CHECK(p.error().message ==
        "unknown LLM engine 'gpt_magic' (known: local, nim, nvidia_ai_endpoints, ollama, "
        "openai, replay, vllm_openai)");
}

TEST_CASE("each engine makes a provider that reports its engine") {
  for (const std::string& engine : rg::llm::known_engines()) {
    if (engine == "local") continue;  // needs a model on disk: tests/unit/llm/local_provider_test.cc
    ProviderSettings s{"m", "http://127.0.0.1:9/v1", {{"api_key", "k"}}};
    auto p = rg::llm::make_provider(engine, s);
    REQUIRE_MESSAGE(p.ok(), engine << ": " << (p.ok() ? "" : p.error().message));
    CHECK(p.value()->engine() == engine);
  }
}

TEST_CASE("replay through the registry: parameters.responses") {
  auto p = rg::llm::make_provider("replay", ProviderSettings{"", "", {{"responses", {"one", "two"}}}});
  REQUIRE(p.ok());
  CHECK(p.value()->complete("general", "x", {}).value().text == "one");
  CHECK(p.value()->complete("general", "x", {}).value().text == "two");
  CHECK_FALSE(p.value()->complete("general", "x", {}).ok());

  auto bad = rg::llm::make_provider("replay", ProviderSettings{"", "", {{"responses", "one"}}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::kBadConfig);
  CHECK(bad.error().message.find("parameters.responses") != std::string::npos);
}
