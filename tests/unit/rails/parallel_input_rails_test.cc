// rails.input.parallel: the checking input rails of a turn run at once; the
// first that blocks decides without waiting for the others; rails that
// rewrite the message (mask ...) run after the race; the log keeps every
// rail's outcome and duration.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "llm/model_router.h"
#include "rails/config/rails_config.h"
#include "rails/dialog/rails_v1.h"
#include "tests/unit/llm/mock_openai_server.h"

using namespace rg::rails::dialog;
using rg::llm::testing::MockOpenAiServer;
using rg::llm::testing::MockResponse;

namespace {

const bool kNoProxy = [] {
  ::setenv("no_proxy", "127.0.0.1,localhost", 1);
  ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
  return true;
}();

// Answers by task; the self check takes `check_ms` (an LLM that thinks).
class SlowLlm final : public rg::llm::LlmClient {
 public:
  explicit SlowLlm(int check_ms) : check_ms_(check_ms) {}
  rg::llm::Result<rg::llm::Completion> complete(std::string_view task, std::string_view prompt,
                                                 const rg::llm::LlmParams&) override {
    rg::llm::Completion c;
    if (task == "self_check_input") {
      std::this_thread::sleep_for(std::chrono::milliseconds(check_ms_));
      c.text = std::string(prompt).find("attack") != std::string::npos ? "Yes" : "No";
    } else if (task == "generate_user_intent") {
      last_intent_prompt = std::string(prompt);
      c.text = "  ask question";
    } else {
      c.text = "  \"Sure.\"";
    }
    return c;
  }
  std::string last_intent_prompt;

 private:
  int check_ms_;
};

std::shared_ptr<const DialogRailsV1> build(const std::string& yaml, std::shared_ptr<SlowLlm> llm) {
  rg::rails::config::LoadOptions options;
  options.llm_supplied_externally = true;
  options.library_flows = library_v1_flow_names();
  auto loaded = rg::rails::config::rails_config_from_content(
      "define user ask question\n  \"what can you tell me\"\n\ndefine flow\n  user ask question\n  bot answer question\n",
      yaml, options);
  std::string diagnostics;
  for (const auto& d : loaded.diagnostics) diagnostics += d.render() + "\n";
  INFO(diagnostics);
  REQUIRE(loaded.ok());
  auto router = std::make_shared<rg::llm::ModelRouter>(
      std::map<std::string, std::shared_ptr<rg::llm::LlmClient>, std::less<>>{{"main", llm}});
  DialogOptions dialog_options;
  dialog_options.seed = 1;
  dialog_options.indexing.log = [](const std::string&) {};
  std::string error;
  auto rails = DialogRailsV1::create(loaded.config, router, dialog_options, &error);
  INFO(error);
  REQUIRE(rails);
  return rails;
}

const char* kSelfCheckPrompt = R"(
prompts:
  - task: self_check_input
    content: "Block this? {{ user_input }}"
)";

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

const ActivatedRail* rail_named(const GenerationResult& r, const std::string& name) {
  for (const auto& a : r.activated_rails)
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace

TEST_CASE("parallel input rails: two slow checks take the time of one") {
  MockOpenAiServer server({MockResponse{200, {}, {R"({"jailbreak": false})"}, 300, 0},
                           MockResponse{200, {}, {R"({"jailbreak": false})"}, 300, 0}});
  auto llm = std::make_shared<SlowLlm>(300);
  const std::string rails_yaml = std::string(kSelfCheckPrompt) + R"(
rails:
  input:
    parallel: PARALLEL
    flows:
      - self check input
      - jailbreak detection heuristics
  config:
    jailbreak_detection:
      server_endpoint: )" + server.base_url() + "/heuristics\n";
  auto with = [&](const char* parallel) {
    std::string y = rails_yaml;
    y.replace(y.find("PARALLEL"), 8, parallel);
    return build(y, llm);
  };
  auto parallel = with("true");
  auto sequential = with("false");
  GenerationOptions options;
  options.log_activated_rails = true;

  auto t0 = std::chrono::steady_clock::now();
  auto r = parallel->generate({{"user", rg::colang::Value("what can you tell me")}}, options);
  const double parallel_ms = ms_since(t0);
  REQUIRE(r.message.content.is_str());
  CHECK(r.message.content.as_str() == "Sure.");
  const ActivatedRail* self_check = rail_named(r, "self check input");
  const ActivatedRail* jailbreak = rail_named(r, "jailbreak detection heuristics");
  REQUIRE(self_check);
  REQUIRE(jailbreak);
  CHECK_FALSE(self_check->stop);
  CHECK(self_check->duration >= 0.25);
  CHECK(jailbreak->duration >= 0.25);

  t0 = std::chrono::steady_clock::now();
  auto s = sequential->generate({{"user", rg::colang::Value("what can you tell me")}}, options);
  const double sequential_ms = ms_since(t0);
  CHECK(s.message.content.as_str() == "Sure.");
  MESSAGE("parallel " << parallel_ms << " ms, sequential " << sequential_ms << " ms");
  CHECK(parallel_ms < 520);
  CHECK(sequential_ms >= 590);
}

TEST_CASE("parallel input rails: the first block decides without waiting for the others") {
  auto llm = std::make_shared<SlowLlm>(600);
  auto rails = build(std::string(kSelfCheckPrompt) + R"(
rails:
  input:
    parallel: true
    flows:
      - self check input
      - detect sensitive data on input
  config:
    sensitive_data_detection:
      input:
        entities: [US_SSN]
)",
                     llm);
  GenerationOptions options;
  options.log_activated_rails = true;
  auto t0 = std::chrono::steady_clock::now();
  auto r = rails->generate({{"user", rg::colang::Value("my ssn is 536-22-8104")}}, options);
  const double ms = ms_since(t0);
  CHECK(r.message.content.as_str() == "I don't know the answer to that.");
  CHECK(ms < 400);
  const ActivatedRail* pii = rail_named(r, "detect sensitive data on input");
  const ActivatedRail* self_check = rail_named(r, "self check input");
  REQUIRE(pii);
  REQUIRE(self_check);
  CHECK(pii->stop);
  REQUIRE_FALSE(self_check->decisions.empty());
  CHECK(self_check->decisions.back().find("cancelled") == 0);

  // The slow rail blocks when it is the one that objects.
  auto blocked = rails->generate({{"user", rg::colang::Value("help me attack the server")}}, options);
  CHECK(blocked.message.content.as_str() == "I'm sorry, I can't respond to that.");
}

TEST_CASE("parallel input rails: masking runs after the race, on the message that passed") {
  MockOpenAiServer server({MockResponse::json(200, R"({"jailbreak": false})")});
  auto llm = std::make_shared<SlowLlm>(10);
  auto rails = build(std::string(kSelfCheckPrompt) + R"(
rails:
  input:
    parallel: true
    flows:
      - self check input
      - mask sensitive data on input
      - jailbreak detection heuristics
  config:
    jailbreak_detection:
      server_endpoint: )" + server.base_url() + R"(/heuristics
    sensitive_data_detection:
      input:
        entities: [EMAIL_ADDRESS]
)",
                     llm);
  auto r = rails->generate({{"user", rg::colang::Value("write to jane@example.com")}}, {});
  CHECK(r.message.content.as_str() == "Sure.");
  CHECK(llm->last_intent_prompt.find("<EMAIL_ADDRESS>") != std::string::npos);
  CHECK(llm->last_intent_prompt.find("jane@example.com") == std::string::npos);
  // The config as written is what callers see.
  CHECK(rails->config().rails.input_parallel);
  CHECK(rails->config().rails.input_flows.size() == 3);
}
