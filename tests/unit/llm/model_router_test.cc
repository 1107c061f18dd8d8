#include "llm/model_router.h"

#include <doctest/doctest.h>

#include <string>

using nlohmann::json;
using rg::llm::ErrorCode;
using rg::llm::ModelConfig;
using rg::llm::ModelRouter;
using rg::llm::ProviderSettings;

namespace {
ModelConfig replay(const std::string& type, const std::string& answer) {
  return {type, "replay", ProviderSettings{type + "-model", "", {{"responses", {answer}}}}};
}
}  // namespace

TEST_CASE("a task goes to the model of its type, else to main") {
  auto r = ModelRouter::create({replay("main", "from main"),
                                replay("self_check_input", "from checker"),
                                {"embeddings", "FastEmbed", ProviderSettings{"all-MiniLM", "", {}}}});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  auto& router = *r.value();
  auto checked = router.complete("self_check_input", "p", {});
  REQUIRE(checked.ok());
  CHECK(checked.value().text == "from checker");
  CHECK(checked.value().model == "self_check_input-model");
  auto general = router.chat("general", {{"user", "hi"}}, {});
  REQUIRE(general.ok());
  CHECK(general.value().text == "from main");
}

TEST_CASE("one model is main whatever its type; no main leaves other tasks unconfigured") {
  auto single = ModelRouter::create({replay("self_check_input", "only")});
  REQUIRE(single.ok());
  CHECK(single.value()->complete("general", "p", {}).value().text == "only");

  auto no_main = ModelRouter::create({replay("self_check_input", "a"), replay("self_check_output", "b")});
  REQUIRE(no_main.ok());
  auto r = no_main.value()->complete("general", "p", {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kNotConfigured);
  CHECK(r.error().message == "no LLM configured for task general");
}

TEST_CASE("a bad entry: the registry's error, located at the entry") {
  auto r = ModelRouter::create({replay("main", "a"), {"self_check_input", "nope", {}}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kBadConfig);
  CHECK(r.error().message.find("unknown LLM engine 'nope'") == 0);
  CHECK(r.error().where.find("models[1] (type self_check_input)") == 0);
}
