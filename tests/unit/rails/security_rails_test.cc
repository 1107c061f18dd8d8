// The library rails that need no LLM, end to end through a Colang 1.0 turn:
// sensitive data (detect / mask on input and output), injection detection
// (reject / omit), jailbreak heuristics (against a scripted heuristics
// server), and the settings errors that refuse a config at load.
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "llm/model_router.h"
#include "llm/providers/replay/replay_provider.h"
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

const char* kColang = R"(
define user ask question
  "what can you tell me"

define flow
  user ask question
  bot answer question
)";

struct Built {
  std::shared_ptr<rg::llm::ReplayProvider> llm;
  std::shared_ptr<const DialogRailsV1> rails;
  std::string error;
};

Built build(const std::string& yaml, std::vector<std::string> answers) {
  rg::rails::config::LoadOptions options;
  options.llm_supplied_externally = true;
  options.library_flows = library_v1_flow_names();
  auto loaded = rg::rails::config::rails_config_from_content(kColang, yaml, options);
  std::string diagnostics;
  for (const auto& d : loaded.diagnostics) diagnostics += d.render() + "\n";
  INFO(diagnostics);
  REQUIRE(loaded.ok());
  Built b;
  b.llm = std::make_shared<rg::llm::ReplayProvider>(std::move(answers));
  auto router = std::make_shared<rg::llm::ModelRouter>(
      std::map<std::string, std::shared_ptr<rg::llm::LlmClient>, std::less<>>{{"main", b.llm}});
  DialogOptions dialog_options;
  dialog_options.seed = 1;
  dialog_options.indexing.log = [](const std::string&) {};
  b.rails = DialogRailsV1::create(loaded.config, router, dialog_options, &b.error);
  return b;
}

std::string reply(const Built& b, const std::string& user) {
  GenerationOptions options;
  options.log_llm_calls = true;
  auto r = b.rails->generate({{"user", rg::colang::Value(user)}}, options);
  INFO(r.error);
  REQUIRE(r.message.content.is_str());
  return r.message.content.as_str();
}

std::string last_prompt(const Built& b, const std::string& user) {
  GenerationOptions options;
  auto r = b.rails->generate({{"user", rg::colang::Value(user)}}, options);
  return r.llm_calls.empty() ? "" : r.llm_calls.front().prompt;
}

}  // namespace

TEST_CASE("sensitive data: masked input reaches the LLM masked; detected input stops the turn") {
  auto masked = build(R"(
rails:
  input:
    flows: [mask sensitive data on input]
  config:
    sensitive_data_detection:
      input:
        entities: [EMAIL_ADDRESS, CREDIT_CARD]
)",
                      {"  ask question", "  \"Sure.\""});
  REQUIRE_MESSAGE(masked.rails, masked.error);
  std::string prompt = last_prompt(masked, "mail me at jane.doe@example.com about card 4111 1111 1111 1111");
  CHECK(prompt.find("<EMAIL_ADDRESS>") != std::string::npos);
  CHECK(prompt.find("<CREDIT_CARD>") != std::string::npos);
  CHECK(prompt.find("jane.doe@example.com") == std::string::npos);

  auto detect = build(R"(
rails:
  input:
    flows: [detect sensitive data on input]
  config:
    sensitive_data_detection:
      input:
        entities: [US_SSN]
)",
                      {"  ask question", "  \"Sure.\""});
  REQUIRE_MESSAGE(detect.rails, detect.error);
  CHECK(reply(detect, "my ssn is 536-22-8104") == "I don't know the answer to that.");
  // A look-alike that fails the SSN rules goes through (area 000).
  CHECK(reply(detect, "my order is 000-22-8104") == "Sure.");
}

TEST_CASE("sensitive data on output: detect stops, mask rewrites") {
  const char* entities = R"(
  config:
    sensitive_data_detection:
      output:
        entities: [IBAN_CODE]
)";
  auto detect = build(std::string("rails:\n  output:\n    flows: [detect sensitive data on output]\n") + entities,
                      {"  ask question", "  \"Your IBAN is DE89 3704 0044 0532 0130 00.\""});
  REQUIRE_MESSAGE(detect.rails, detect.error);
  CHECK(reply(detect, "what can you tell me") == "I don't know the answer to that.");
  auto mask = build(std::string("rails:\n  output:\n    flows: [mask sensitive data on output]\n") + entities,
                    {"  ask question", "  \"Your IBAN is DE89 3704 0044 0532 0130 00.\""});
  REQUIRE_MESSAGE(mask.rails, mask.error);
  CHECK(reply(mask, "what can you tell me") == "Your IBAN is <IBAN_CODE>.");
}

TEST_CASE("injection detection: reject refuses, omit removes the payload") {
  const std::string answer = "  \"Here you go: <script>alert(document.cookie)</script> done\"";
  auto reject = build(R"(
rails:
  output:
    flows: [injection detection]
  config:
    injection_detection:
      injections: [xss]
      action: reject
)",
                      {"  ask question", answer});
  REQUIRE_MESSAGE(reject.rails, reject.error);
  CHECK(reply(reject, "what can you tell me") == "I'm sorry, I can't respond to that.");
  auto omit = build(R"(
rails:
  output:
    flows: [injection detection]
  config:
    injection_detection:
      injections: [xss]
      action: omit
)",
                    {"  ask question", answer});
  REQUIRE_MESSAGE(omit.rails, omit.error);
  std::string text = reply(omit, "what can you tell me");
  CHECK(text.find("<script") == std::string::npos);
  CHECK(text.find("Here you go") != std::string::npos);
}

TEST_CASE("jailbreak heuristics: the server's verdict decides; a server error lets the text through") {
  MockOpenAiServer server({MockResponse::json(200, R"({"jailbreak": true})"),
                           MockResponse::json(200, R"({"jailbreak": false})"),
                           MockResponse::json(500, R"({"detail": "down"})")});
  auto b = build(R"(
rails:
  input:
    flows: [jailbreak detection heuristics]
  config:
    jailbreak_detection:
      server_endpoint: )" + server.base_url() + R"(/heuristics
)",
                 {"  ask question", "  \"Fine.\"", "  ask question", "  \"Fine.\""});
  REQUIRE_MESSAGE(b.rails, b.error);
  CHECK(reply(b, "what can you tell me ]]]]]] zx qv") == "I'm sorry, I can't respond to that.");
  CHECK(reply(b, "what can you tell me") == "Fine.");
  CHECK(reply(b, "what can you tell me") == "Fine.");
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].path == "/v1/heuristics");
  CHECK(reqs[0].body.find("\"lp_threshold\"") != std::string::npos);
}

TEST_CASE("settings errors refuse the config, naming the key") {
  auto person = build(R"(
rails:
  input:
    flows: [detect sensitive data on input]
  config:
    sensitive_data_detection:
      input:
        entities: [PERSON]
)",
                      {});
  CHECK_FALSE(person.rails);
  CHECK(person.error.find("sensitive_data_detection.input.entities[0]") != std::string::npos);
  CHECK(person.error.find("NER") != std::string::npos);

  auto jailbreak = build("rails:\n  input:\n    flows: [jailbreak detection heuristics]\n", {});
  CHECK_FALSE(jailbreak.rails);
  CHECK(jailbreak.error.find("rails.config.jailbreak_detection") != std::string::npos);

  auto injection = build(R"(
rails:
  output:
    flows: [injection detection]
  config:
    injection_detection:
      injections: [telepathy]
)",
                         {});
  CHECK_FALSE(injection.rails);
  CHECK(injection.error.find("rails.config.injection_detection") != std::string::npos);
}

TEST_CASE("alignscore check facts: the server's score decides; down means pass or self check") {
  MockOpenAiServer server({MockResponse::json(200, R"({"alignscore": 0.91})"),
                           MockResponse::json(200, R"({"alignscore": 0.12})"),
                           MockResponse::json(500, R"({"detail": "down"})"),
                           MockResponse::json(500, R"({"detail": "down"})")});
  const std::string colang = R"(
define user ask question
  "what can you tell me"

define flow
  user ask question
  $relevant_chunks = "The office opens at 9."
  $check_facts = True
  bot answer question
)";
  auto make = [&](bool fallback, std::vector<std::string> answers) {
    rg::rails::config::LoadOptions options;
    options.llm_supplied_externally = true;
    options.library_flows = library_v1_flow_names();
    std::string yaml = R"(
rails:
  output:
    flows: [alignscore check facts]
  config:
    fact_checking:
      fallback_to_self_check: )" + std::string(fallback ? "true" : "false") + R"(
      parameters:
        endpoint: )" + server.base_url() + R"(/alignscore_base
prompts:
  - task: self_check_facts
    content: "Evidence: {{ evidence }} Claim: {{ response }} Entailed?"
)";
    auto loaded = rg::rails::config::rails_config_from_content(colang, yaml, options);
    REQUIRE(loaded.ok());
    auto llm = std::make_shared<rg::llm::ReplayProvider>(std::move(answers));
    auto router = std::make_shared<rg::llm::ModelRouter>(
        std::map<std::string, std::shared_ptr<rg::llm::LlmClient>, std::less<>>{{"main", llm}});
    DialogOptions dialog_options;
    dialog_options.indexing.log = [](const std::string&) {};
    std::string error;
    auto rails = DialogRailsV1::create(loaded.config, router, dialog_options, &error);
    INFO(error);
    REQUIRE(rails);
    return rails;
  };
  auto ask = [](const std::shared_ptr<const DialogRailsV1>& rails) {
    auto r = rails->generate({{"user", rg::colang::Value("what can you tell me")}}, {});
    return r.message.content.as_str();
  };
  auto no_fallback = make(false, {"  ask question", "  \"It opens at 9.\"", "  ask question", "  \"It opens at 7.\"",
                                  "  ask question", "  \"It opens at 9.\""});
  CHECK(ask(no_fallback) == "It opens at 9.");                     // 0.91
  CHECK(ask(no_fallback) == "I don't know the answer to that.");   // 0.12
  CHECK(ask(no_fallback) == "It opens at 9.");                     // server down: let through
  auto with_fallback = make(true, {"  ask question", "  \"It opens at 7.\"", "No"});
  CHECK(ask(with_fallback) == "I don't know the answer to that.");  // server down: self check says no
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 4);
  CHECK(reqs[0].path == "/v1/alignscore_base");
  CHECK(reqs[0].body.find("\"evidence\":\"The office opens at 9.\"") != std::string::npos);

  rg::rails::config::LoadOptions options;
  options.llm_supplied_externally = true;
  options.library_flows = library_v1_flow_names();
  auto loaded = rg::rails::config::rails_config_from_content(colang, "rails:\n  output:\n    flows: [alignscore check facts]\n",
                                                             options);
  REQUIRE(loaded.ok());
  std::string error;
  auto router = std::make_shared<rg::llm::ModelRouter>(
      std::map<std::string, std::shared_ptr<rg::llm::LlmClient>, std::less<>>{});
  CHECK_FALSE(DialogRailsV1::create(loaded.config, router, {}, &error));
  CHECK(error.find("rails.config.fact_checking.parameters.endpoint") != std::string::npos);
}
