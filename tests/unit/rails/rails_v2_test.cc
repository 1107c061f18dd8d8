// The rails library for Colang 2.x (runtime/stdlib/nemoguardrails/library,
// actions in rails/actions/rail_actions.h): a config imports it, defines
// `input rails` / `output rails` with library flows, and a Session drives
// the conversation with a ReplayProvider as the LLM (answers in call order).
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "llm/providers/replay/replay_provider.h"
#include "rails/actions/llm_actions.h"
#include "rails/actions/rail_actions.h"
#include "rails/actions/system_actions.h"
#include "rails/config/colang_loader.h"
#include "rails/config/rails_config.h"
#include "rails/dialog/llm_setup.h"
#include "rails/prompts/task_prompt_renderer.h"
#include "runtime/flow_library.h"
#include "runtime/session.h"

namespace {

using rg::colang::Dict;
using rg::colang::Value;
using Said = std::vector<std::string>;

const char* kColang = R"co(
import core
import guardrails
import nemoguardrails.library

flow input rails $input_text
  self check input
  detect sensitive data on input

flow output rails $output_text
  self check output
  injection detection

flow main
  activate answering

flow answering
  $text = await user said something
  if $text == "how do I list users?"
    bot say "Try this: ' UNION SELECT username, password FROM users--"
  else
    bot say "Hello!"
)co";

const char* kPrompts = R"(
prompts:
  - task: self_check_input
    content: |
      Should this user message be blocked (Yes or No)?
      User message: "{{ user_input }}"
      Answer:
  - task: self_check_output
    content: |
      Should this bot message be blocked (Yes or No)?
      Bot message: "{{ bot_response }}"
      Answer:
)";

const char* kRailSettings = R"(
rails:
  config:
    sensitive_data_detection:
      input:
        entities: [EMAIL_ADDRESS]
    injection_detection:
      injections: [sqli]
      action: reject
)";

const std::string kRefuse = "I'm sorry, I can't respond to that.";

std::shared_ptr<const rg::rails::prompts::TaskPromptRenderer> make_renderer(const rg::rails::config::RailsConfig& c) {
  auto r = rg::rails::prompts::TaskPromptRenderer::create(rg::rails::dialog::prompts_config_for(c));
  REQUIRE(r.ok());
  return r.value();
}

struct Bot {
  std::shared_ptr<rg::llm::ReplayProvider> llm;
  std::unique_ptr<rg::runtime::Session> session;
  std::vector<Dict> out_events;

  Bot(const std::string& colang, const std::string& yaml, std::vector<std::string> answers) {
    auto loaded = rg::rails::config::rails_config_from_content(colang, "colang_version: \"2.x\"\n" + yaml);
    REQUIRE(loaded.ok());
    auto built = rg::runtime::FlowLibrary::build(loaded.config->v2_files);
    REQUIRE(built.library);
    llm = std::make_shared<rg::llm::ReplayProvider>(std::move(answers));
    auto renderer = make_renderer(*loaded.config);
    auto actions = std::make_shared<rg::rails::ActionRegistry>();
    rg::rails::register_system_actions(*actions);
    rg::rails::LlmActionsOptions llm_options;
    llm_options.renderer = renderer;
    llm_options.config = loaded.config;
    rg::rails::register_llm_actions(*actions, llm, llm_options);
    rg::rails::RailActionsOptions rail_options;
    rail_options.renderer = renderer;
    rail_options.config = loaded.config;
    rg::rails::register_rail_actions(*actions, llm, rail_options);
    rg::runtime::SessionOptions options;
    options.actions = actions;
    options.system_config = Value(loaded.config->raw);
    options.on_event = [this](std::string_view direction, const Dict& event) {
      if (direction == "out") out_events.push_back(event);
    };
    session = std::make_unique<rg::runtime::Session>(built.library, std::move(options));
    session->start();
  }

  Said say(const std::string& text) { return session->user_said(text); }
  std::string task(size_t i) const { return llm->calls().at(i).task; }
  size_t calls() const { return llm->calls().size(); }

  bool sent(const std::string& type) const {
    for (const Dict& e : out_events)
      if (const Value* t = e.find("type"); t && t->is_str() && t->as_str() == type) return true;
    return false;
  }
};

}  // namespace

TEST_CASE("import nemoguardrails.library and its per-rail modules resolve to the stdlib") {
  auto options = rg::rails::config::loader_options_from_env();
  std::vector<std::filesystem::path> roots{options.stdlib_dir};
  CHECK(rg::rails::config::resolve_import("nemoguardrails.library", roots).size() >= 9);
  for (const char* m : {"nemoguardrails.library.self_check.input_check", "nemoguardrails.library.self_check.output_check",
                        "nemoguardrails.library.self_check.facts", "nemoguardrails.library.hallucination",
                        "nemoguardrails.library.content_safety", "nemoguardrails.library.llama_guard",
                        "nemoguardrails.library.sensitive_data_detection",
                        "nemoguardrails.library.jailbreak_detection", "nemoguardrails.library.injection_detection"}) {
    CAPTURE(m);
    CHECK(rg::rails::config::resolve_import(m, roots).size() == 1);
  }
  // Every library flow is defined once the library is imported.
  auto loaded = rg::rails::config::rails_config_from_content(
      "import core\nimport guardrails\nimport nemoguardrails.library\n\nflow main\n  bot say \"hi\"\n",
      "colang_version: \"2.x\"\n");
  REQUIRE(loaded.ok());
  auto built = rg::runtime::FlowLibrary::build(loaded.config->v2_files);
  REQUIRE(built.library);
  for (const char* f : {"self check input", "self check output", "self check facts", "self check hallucination",
                        "hallucination warning", "content safety check input", "content safety check output",
                        "llama guard check input", "llama guard check output", "detect sensitive data on input",
                        "detect sensitive data on output", "detect sensitive data on retrieval",
                        "mask sensitive data on input", "mask sensitive data on output",
                        "mask sensitive data on retrieval", "jailbreak detection heuristics", "injection detection",
                        "bot refuse to respond", "bot inform answer unknown"}) {
    CAPTURE(f);
    CHECK(built.library->find(f) != nullptr);
  }
}

TEST_CASE("2.x input and output rails: allowed, blocked by each rail, and recovering") {
  // Answers in call order: self_check_input, then self_check_output of each bot message.
  Bot bot(kColang, std::string(kPrompts) + kRailSettings,
          {"No", "No",          // 1: allowed both ways
           "Yes", "No",         // 2: input blocked; the refusal itself passes the output rails
           "No", "No",          // 3: e-mail address -> answer unknown
           "No", "No",          // 4: the SQL answer is blocked by injection detection
           "No", "Yes",         // 5: output blocked by self check output
           "No", "No"});        // 6: allowed again
  CHECK(bot.say("hi") == Said{"Hello!"});
  CHECK(bot.task(0) == "self_check_input");
  CHECK(bot.task(1) == "self_check_output");
  CHECK(bot.llm->calls().at(0).prompt.find("User message: \"hi\"") != std::string::npos);
  CHECK(bot.llm->calls().at(1).prompt.find("Bot message: \"Hello!\"") != std::string::npos);

  CHECK(bot.say("you are useless") == Said{kRefuse});
  CHECK(bot.say("my e-mail is john.doe@example.com") == Said{"I don't know the answer to that."});
  CHECK(bot.say("how do I list users?") == Said{kRefuse});
  CHECK(bot.calls() == 8);  // the refusal said inside the output rails is not checked again
  CHECK(bot.say("hi") == Said{kRefuse});
  CHECK(bot.say("hi") == Said{"Hello!"});
  CHECK(bot.llm->responses_left() == 0);
}

TEST_CASE("2.x rails: enable_rails_exceptions sends the exception event instead of refusing") {
  Bot bot(kColang, std::string(kPrompts) + kRailSettings + "enable_rails_exceptions: true\n",
          {"Yes", "No", "No", "No", "No"});
  CHECK(bot.say("you are useless") == Said{});
  CHECK(bot.sent("InputRailException"));
  CHECK(bot.say("how do I list users?") == Said{});
  CHECK(bot.sent("InjectionDetectionRailException"));
  // Sensitive data has no exception: it answers.
  CHECK(bot.say("write to john.doe@example.com") == Said{"I don't know the answer to that."});
}

TEST_CASE("2.x rails: masking rewrites the message that goes on") {
  const char* colang = R"co(
import core
import guardrails
import nemoguardrails.library.sensitive_data_detection

flow output rails $output_text
  mask sensitive data on output

flow main
  activate answering

flow answering
  user said something
  bot say "Write to jane.roe@example.com"
)co";
  Bot bot(colang, "rails:\n  config:\n    sensitive_data_detection:\n      output:\n        entities: [EMAIL_ADDRESS]\n",
          {});
  CHECK(bot.say("how do I reach you?") == Said{"Write to <EMAIL_ADDRESS>"});
}

TEST_CASE("2.x rails: a self check without its prompt is a clear error") {
  Bot bot(kColang, kRailSettings, {"No"});
  CHECK_THROWS_WITH_AS(bot.say("hi"), doctest::Contains("SelfCheckInputAction: no prompt for task 'self_check_input'"),
                       rg::runtime::ActionError);
}

TEST_CASE("2.x rails: injection detection without its settings is a clear error") {
  Bot bot(kColang, kPrompts, {"No", "No"});
  CHECK_THROWS_WITH_AS(bot.say("hi"), doctest::Contains("rails.config.injection_detection is not set"),
                       rg::runtime::ActionError);
}

TEST_CASE("2.x rails: llama guard and content safety route to their model type") {
  const char* colang = R"co(
import core
import guardrails
import nemoguardrails.library

flow input rails $input_text
  llama guard check input
  content safety check input $model="content_safety"

flow main
  activate answering

flow answering
  user said something
  bot say "Hello!"
)co";
  const std::string yaml = R"(
models:
  - type: main
    engine: replay
  - type: llama_guard
    engine: replay
  - type: content_safety
    engine: replay
prompts:
  - task: llama_guard_check_input
    content: "Is this safe? {{ user_input }}"
  - task: content_safety_check_input $model=content_safety
    content: "Safety of: {{ user_input }}"
    output_parser: is_content_safe
)";
  Bot bot(colang, yaml, {"safe", "safe", "unsafe O3", "safe", "unsafe S1"});
  CHECK(bot.say("hi") == Said{"Hello!"});
  CHECK(bot.task(0) == "llama_guard");
  CHECK(bot.task(1) == "content_safety");
  CHECK(bot.say("hi") == Said{kRefuse});  // llama guard: unsafe O3
  CHECK(bot.say("hi") == Said{kRefuse});  // content safety: unsafe
}
