// The Colang 1.0 turn pipeline (rails/dialog/rails_v1.h) with a fake LLM
// (spec product.md 3.5 and 7).
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "colang/value.h"
#include "colang/value_json.h"
#include "llm/model_router.h"
#include "llm/providers/replay/replay_provider.h"
#include "rails/config/rails_config.h"
#include "rails/dialog/generation.h"
#include "rails/dialog/rails_v1.h"

using rg::colang::Dict;
using rg::colang::List;
using rg::colang::Value;
using namespace rg::rails::dialog;
using json = nlohmann::json;

namespace {

struct Bot {
  std::shared_ptr<rg::llm::ReplayProvider> llm;
  std::shared_ptr<const DialogRailsV1> rails;
};

Bot make_bot(const std::string& colang, const std::string& yaml,
             std::vector<std::string> answers) {
  rg::rails::config::LoadOptions options;
  options.llm_supplied_externally = true;
  options.library_flows = library_v1_flow_names();
  rg::rails::config::LoadResult loaded =
      rg::rails::config::rails_config_from_content(colang, yaml, options);
  for (const auto& d : loaded.diagnostics) INFO(d.render());
  REQUIRE(loaded.ok());
  Bot bot;
  bot.llm = std::make_shared<rg::llm::ReplayProvider>(std::move(answers));
  auto router = std::make_shared<rg::llm::ModelRouter>(
      std::map<std::string, std::shared_ptr<rg::llm::LlmClient>, std::less<>>{{"main", bot.llm}});
  DialogOptions dialog_options;
  dialog_options.seed = 1;
  dialog_options.first_bot_message_variant = true;
  std::string error;
  bot.rails = DialogRailsV1::create(loaded.config, router, dialog_options, &error);
  INFO(error);
  REQUIRE(bot.rails);
  return bot;
}

std::string text_of(const GenerationResult& r) {
  REQUIRE(r.message.content.is_str());
  return r.message.content.as_str();
}

std::vector<std::string> tasks_of(const GenerationResult& r) {
  std::vector<std::string> out;
  for (const auto& c : r.llm_calls) out.push_back(c.task);
  return out;
}

GenerationOptions options_from(const std::string& json_text) {
  std::string error;
  GenerationOptions o = parse_generation_options(rg::colang::from_json(json::parse(json_text)), &error);
  INFO(error);
  REQUIRE(error.empty());
  return o;
}

using Strings = std::vector<std::string>;

const char* kGreeting =
    "define user express greeting\n  \"hello\"\n\n"
    "define bot express greeting\n  \"Hello there!\"\n\n"
    "define flow greeting\n  user express greeting\n  bot express greeting\n";

}  // namespace

TEST_CASE("a predefined bot message needs no LLM call") {
  Bot bot = make_bot(kGreeting, "", {"  express greeting"});
  GenerationResult r = bot.rails->generate({{"user", Value("hello")}}, {});
  CHECK(r.error == "");
  CHECK(text_of(r) == "Hello there!");
  CHECK(tasks_of(r) == Strings{"generate_user_intent"});
  CHECK(bot.llm->calls().size() == 1);
  CHECK(bot.llm->responses_left() == 0);
}

TEST_CASE("LLM intent, no flow: next step and bot message come from the LLM") {
  Bot bot = make_bot(kGreeting, "",
                     {"  ask about weather", "bot inform weather", "  \"It is sunny.\""});
  GenerationResult r = bot.rails->generate({{"user", Value("how is the weather?")}}, {});
  CHECK(r.error == "");
  CHECK(text_of(r) == "It is sunny.");
  CHECK(tasks_of(r) == Strings{"generate_user_intent", "generate_next_steps", "generate_bot_message"});
  auto calls = bot.llm->calls();
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].task == "generate_user_intent");
  CHECK(calls[0].prompt.find("how is the weather?") != std::string::npos);
  CHECK(calls[1].task == "generate_next_steps");
  CHECK(calls[2].task == "generate_bot_message");
  CHECK(calls[2].prompt.find("inform weather") != std::string::npos);
}

TEST_CASE("LLM intent that a flow handles, bot message from the LLM") {
  Bot bot = make_bot(
      "define user ask question\n  \"what is it?\"\n\n"
      "define flow q\n  user ask question\n  bot answer question\n",
      "", {"  ask question", "  \"An answer.\""});
  GenerationResult r = bot.rails->generate({{"user", Value("what is it?")}}, {});
  CHECK(r.error == "");
  CHECK(text_of(r) == "An answer.");
  CHECK(tasks_of(r) == Strings{"generate_user_intent", "generate_bot_message"});
}

TEST_CASE("$var in a predefined bot message is rendered") {
  Bot bot = make_bot(
      "define user express greeting\n  \"hello\"\n\n"
      "define bot express greeting\n  \"Hello $name!\"\n\n"
      "define flow\n  user express greeting\n  $name = \"John\"\n  bot express greeting\n",
      "", {"  express greeting"});
  GenerationResult r = bot.rails->generate({{"user", Value("hi")}}, {});
  CHECK(r.error == "");
  CHECK(text_of(r) == "Hello John!");
}

TEST_CASE("parse_generation_options: good input") {
  std::string error;
  GenerationOptions o = parse_generation_options(
      rg::colang::from_json(json::parse(
          R"({"rails": {"input": false, "retrieval": []}, "llm_params": {"temperature": 0.5},
              "llm_output": true, "output_vars": ["a", "b"],
              "log": {"llm_calls": true, "colang_history": true}})")),
      &error);
  CHECK(error == "");
  CHECK(o.given);
  CHECK_FALSE(o.input);
  CHECK(o.output);
  CHECK_FALSE(o.retrieval);
  CHECK(o.dialog);
  CHECK(o.llm_output);
  CHECK(o.log_llm_calls);
  CHECK(o.log_colang_history);
  CHECK_FALSE(o.log_activated_rails);
  CHECK_FALSE(o.log_internal_events);
  REQUIRE(o.llm_params.find("temperature"));
  CHECK(o.llm_params.find("temperature")->as_number() == 0.5);
  REQUIRE(o.output_vars.is_list());
  CHECK(o.output_vars.as_list().size() == 2);

  // A list names the rails that run.
  GenerationOptions l = parse_generation_options(
      rg::colang::from_json(json::parse(R"({"rails": ["input"]})")), &error);
  CHECK(error == "");
  CHECK(l.input);
  CHECK_FALSE(l.output);
  CHECK_FALSE(l.retrieval);
  CHECK_FALSE(l.dialog);

  // No options at all: defaults, not `given`.
  GenerationOptions none = parse_generation_options(Value(), &error);
  CHECK(error == "");
  CHECK_FALSE(none.given);
  CHECK(none.input);
  CHECK(none.dialog);
}

TEST_CASE("parse_generation_options: errors name the field") {
  auto error_of = [](const std::string& text) {
    std::string error;
    parse_generation_options(rg::colang::from_json(json::parse(text)), &error);
    return error;
  };
  CHECK(error_of(R"({"rails": {"input": "no"}})").find("options.rails.input") == 0);
  CHECK(error_of(R"({"rails": {"nonsense": true}})").find("options.rails.nonsense") == 0);
  CHECK(error_of(R"({"rails": ["input", "bogus"]})").find("options.rails") == 0);
  CHECK(error_of(R"({"rails": ["input", "bogus"]})").find("bogus") != std::string::npos);
  CHECK(error_of(R"({"log": {"llm_calls": 1}})").find("options.log.llm_calls") == 0);
  CHECK(error_of(R"({"log": {"everything": true}})").find("options.log.everything") == 0);
  CHECK(error_of(R"({"output_vars": "x"})").find("options.output_vars") == 0);
  CHECK(error_of(R"({"llm_output": "yes"})").find("options.llm_output") == 0);
  CHECK(error_of(R"({"llm_params": 3})").find("options.llm_params") == 0);
  CHECK(error_of(R"({"frobnicate": true})").find("options.frobnicate") == 0);
  CHECK(error_of(R"([1, 2])").find("options") == 0);
}

TEST_CASE("log_to_value: llm_calls, activated_rails, colang_history") {
  Bot bot = make_bot(kGreeting, "", {"  express greeting"});
  GenerationOptions o =
      options_from(R"({"log": {"llm_calls": true, "activated_rails": true, "colang_history": true}})");
  GenerationResult r = bot.rails->generate({{"user", Value("hello")}}, o);
  CHECK(r.error == "");
  Dict log = log_to_value(r, o);

  REQUIRE(log.find("llm_calls"));
  const List& calls = log.find("llm_calls")->as_list();
  REQUIRE(calls.size() == 1);
  CHECK(*calls[0].as_dict().find("task") == Value("generate_user_intent"));
  CHECK(calls[0].as_dict().find("prompt")->as_str().find("hello") != std::string::npos);
  CHECK(calls[0].as_dict().find("completion")->as_str().find("express greeting") != std::string::npos);

  REQUIRE(log.find("stats"));
  CHECK(log.find("stats")->as_dict().find("llm_calls_count")->as_int() == 1);

  REQUIRE(log.find("activated_rails"));
  const List& rails = log.find("activated_rails")->as_list();
  bool dialog_greeting = false, generation = false;
  for (const Value& v : rails) {
    const Dict& rail = v.as_dict();
    if (*rail.find("type") == Value("dialog") && *rail.find("name") == Value("greeting")) {
      dialog_greeting = true;
    }
    if (*rail.find("type") == Value("generation")) generation = true;
    CHECK(rail.contains("executed_actions"));
    CHECK(rail.contains("decisions"));
  }
  CHECK(dialog_greeting);
  CHECK(generation);

  REQUIRE(log.find("colang_history"));
  const std::string& history = log.find("colang_history")->as_str();
  CHECK(history.find("user \"hello\"") != std::string::npos);
  CHECK(history.find("express greeting") != std::string::npos);
  CHECK(history.find("\"Hello there!\"") != std::string::npos);

  // Nothing asked, nothing logged.
  CHECK(log_to_value(r, GenerationOptions{}).empty());
}

TEST_CASE("output_vars: true gives the context, a list only those names") {
  Bot bot = make_bot(
      "define user express greeting\n  \"hello\"\n\n"
      "define bot express greeting\n  \"Hello $name!\"\n\n"
      "define flow\n  user express greeting\n  $name = \"John\"\n  $age = 7\n  bot express greeting\n",
      "", {"  express greeting", "  express greeting"});
  {
    GenerationOptions o = options_from(R"({"output_vars": true})");
    GenerationResult r = bot.rails->generate({{"user", Value("hello")}}, o);
    CHECK(text_of(r) == "Hello John!");
    Dict data = output_data(r, o);
    REQUIRE(data.find("name"));
    CHECK(*data.find("name") == Value("John"));
    REQUIRE(data.find("age"));
    CHECK(data.find("age")->as_number() == 7);
    REQUIRE(data.find("last_user_message"));
    CHECK(*data.find("last_user_message") == Value("hello"));
    REQUIRE(data.find("bot_message"));
    CHECK(*data.find("bot_message") == Value("Hello John!"));
    CHECK_FALSE(data.contains("config"));
  }
  {
    GenerationOptions o = options_from(R"({"output_vars": ["name"]})");
    GenerationResult r = bot.rails->generate({{"user", Value("hello")}}, o);
    Dict data = output_data(r, o);
    CHECK(data.size() == 1);
    REQUIRE(data.find("name"));
    CHECK(*data.find("name") == Value("John"));
  }
  {
    GenerationOptions o = options_from(R"({"output_vars": false})");
    GenerationResult r = bot.rails->generate({{"user", Value("hello")}}, o);
    CHECK(output_data(r, o).empty());
  }
}

namespace {
const char* kRailsNoDialog =
    "define user express greeting\n  \"hello\"\n\n"
    "define subflow tag input\n  $user_message = $user_message + \" [in]\"\n\n"
    "define subflow tag output\n  $bot_message = $bot_message + \" [out]\"\n";
const char* kRailsNoDialogYaml =
    "rails:\n  input:\n    flows:\n      - tag input\n  output:\n    flows:\n      - tag output\n";
}  // namespace

TEST_CASE("dialog rails off, last message from the user: the reply is the checked user text") {
  Bot bot = make_bot(kRailsNoDialog, kRailsNoDialogYaml, {});
  GenerationOptions o = options_from(R"({"rails": {"dialog": false}})");
  GenerationResult r = bot.rails->generate({{"user", Value("Hello")}}, o);
  CHECK(r.error == "");
  CHECK(text_of(r) == "Hello [in]");
  CHECK(r.llm_calls.empty());
}

TEST_CASE("dialog rails off, input rails only (rails list)") {
  Bot bot = make_bot(kRailsNoDialog, kRailsNoDialogYaml, {});
  GenerationOptions o = options_from(R"({"rails": ["input"]})");
  GenerationResult r = bot.rails->generate({{"user", Value("Hello")}}, o);
  CHECK(r.error == "");
  CHECK(text_of(r) == "Hello [in]");
  CHECK(r.llm_calls.empty());
}

TEST_CASE("dialog rails off, last message from the assistant: it goes through the output rails") {
  Bot bot = make_bot(kRailsNoDialog, kRailsNoDialogYaml, {});
  GenerationOptions o = options_from(R"({"rails": ["input", "output"]})");
  GenerationResult r =
      bot.rails->generate({{"user", Value("Hi")}, {"assistant", Value("Bot text")}}, o);
  CHECK(r.error == "");
  CHECK(text_of(r) == "Bot text [out]");
  CHECK(r.llm_calls.empty());

  GenerationOptions only_output = options_from(R"({"rails": ["output"]})");
  GenerationResult r2 = bot.rails->generate({{"assistant", Value("Other")}}, only_output);
  CHECK(r2.error == "");
  CHECK(text_of(r2) == "Other [out]");
}

TEST_CASE("an LLM without answers fails the turn closed") {
  Bot bot = make_bot(kGreeting, "", {});
  GenerationResult r = bot.rails->generate({{"user", Value("hello")}}, {});
  CHECK_FALSE(r.error.empty());
  CHECK(text_of(r) == "I'm sorry, an internal error has occurred.");
  CHECK(r.message.role == "assistant");
}

TEST_CASE("self check input blocks a message") {
  Bot bot = make_bot(kGreeting,
                     "rails:\n  input:\n    flows:\n      - self check input\n"
                     "prompts:\n  - task: self_check_input\n    content: |\n"
                     "      Should this message be blocked? \"{{ user_input }}\"\n      Answer:\n",
                     {"yes"});
  GenerationOptions o = options_from(R"({"log": {"activated_rails": true}})");
  GenerationResult r = bot.rails->generate({{"user", Value("something bad")}}, o);
  CHECK(r.error == "");
  CHECK(text_of(r) == "I'm sorry, I can't respond to that.");
  REQUIRE(r.llm_calls.size() == 1);
  CHECK(r.llm_calls[0].task == "self_check_input");
  CHECK(r.llm_calls[0].prompt.find("Should this message be blocked? \"something bad\"") !=
        std::string::npos);
  REQUIRE_FALSE(r.activated_rails.empty());
  const ActivatedRail& first = r.activated_rails.front();
  CHECK(first.type == "input");
  CHECK(first.name == "self check input");
  CHECK(first.stop);
  CHECK(std::find(first.decisions.begin(), first.decisions.end(), "stop") != first.decisions.end());
  REQUIRE_FALSE(first.executed_actions.empty());
  CHECK(first.executed_actions.front().action_name == "self_check_input");
  for (const ActivatedRail& rail : r.activated_rails) CHECK(rail.type != "dialog");
}

TEST_CASE("self check input lets a message through") {
  Bot bot = make_bot(kGreeting,
                     "rails:\n  input:\n    flows:\n      - self check input\n"
                     "prompts:\n  - task: self_check_input\n    content: |\n"
                     "      Should this message be blocked? \"{{ user_input }}\"\n      Answer:\n",
                     {"no", "  express greeting"});
  GenerationResult r = bot.rails->generate({{"user", Value("hello")}}, {});
  CHECK(r.error == "");
  CHECK(text_of(r) == "Hello there!");
  CHECK(tasks_of(r) == Strings{"self_check_input", "generate_user_intent"});
}

TEST_CASE("the history cache: a resent conversation continues the same flow") {
  Bot bot = make_bot(
      "define user express greeting\n  \"hello\"\n\n"
      "define user give name\n  \"I am Bob\"\n\n"
      "define bot ask name\n  \"What is your name?\"\n\n"
      "define bot thank\n  \"Thanks!\"\n\n"
      "define flow intro\n  user express greeting\n  bot ask name\n  user give name\n  bot thank\n",
      "", {"  express greeting", "  give name"});
  std::vector<ChatMessage> messages{{"user", Value("hello")}};
  GenerationResult r1 = bot.rails->generate(messages, {});
  CHECK(r1.error == "");
  CHECK(text_of(r1) == "What is your name?");
  messages.push_back(r1.message);
  messages.push_back({"user", Value("I am Bob")});
  GenerationResult r2 = bot.rails->generate(messages, {});
  CHECK(r2.error == "");
  CHECK(text_of(r2) == "Thanks!");
  // No generate_next_steps: the flow knew the next step.
  CHECK(tasks_of(r2) == Strings{"generate_user_intent"});
  CHECK(bot.llm->calls().size() == 2);
}

TEST_CASE("8 threads on different conversations of one DialogRailsV1") {
  Bot bot = make_bot(
      "define user express greeting\n  \"hello\"\n\n"
      "define user express goodbye\n  \"bye\"\n\n"
      "define bot express greeting\n  \"Hello $name!\"\n\n"
      "define bot express goodbye\n  \"Bye $name!\"\n\n"
      "define flow hi\n  user express greeting\n  bot express greeting\n\n"
      "define flow bye\n  user express goodbye\n  bot express goodbye\n",
      "rails:\n  dialog:\n    user_messages:\n      embeddings_only: true\n"
      "      embeddings_only_fallback_intent: express greeting\n",
      {});
  constexpr int kThreads = 8, kRounds = 25;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::string> first_failure(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kRounds; ++k) {
        std::string name = "T" + std::to_string(t) + "-" + std::to_string(k);
        Dict ctx;
        ctx.set("name", name);
        bool bye = (t + k) % 2 == 1;
        std::vector<ChatMessage> messages{{"context", Value(ctx)},
                                          {"user", Value(bye ? "bye" : "hello")}};
        GenerationResult r = bot.rails->generate(messages, {});
        std::string want = (bye ? "Bye " : "Hello ") + name + "!";
        std::string got = r.message.content.is_str() ? r.message.content.as_str() : "<not a string>";
        if (!r.error.empty() || got != want) {
          if (failures[t]++ == 0) first_failure[t] = "want " + want + ", got " + got + " " + r.error;
        }
        // A second turn on the same conversation.
        messages.push_back(r.message);
        messages.push_back({"user", Value(bye ? "hello" : "bye")});
        GenerationResult r2 = bot.rails->generate(messages, {});
        std::string want2 = (bye ? "Hello " : "Bye ") + name + "!";
        std::string got2 =
            r2.message.content.is_str() ? r2.message.content.as_str() : "<not a string>";
        if (!r2.error.empty() || got2 != want2) {
          if (failures[t]++ == 0) first_failure[t] = "want " + want2 + ", got " + got2 + " " + r2.error;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t << ": " << first_failure[t]);
    CHECK(failures[t] == 0);
  }
  CHECK(bot.llm->calls().empty());
}

TEST_CASE("without the cached history the second turn has no running flow") {
  // The control of the history cache test: a fresh config given the same
  // messages cannot know the first turn's intent, so the LLM decides.
  Bot bot = make_bot(
      "define user express greeting\n  \"hello\"\n\n"
      "define user give name\n  \"I am Bob\"\n\n"
      "define bot ask name\n  \"What is your name?\"\n\n"
      "define bot thank\n  \"Thanks!\"\n\n"
      "define flow intro\n  user express greeting\n  bot ask name\n  user give name\n  bot thank\n",
      "", {"  give name", "bot thank"});
  GenerationResult r = bot.rails->generate({{"user", Value("hello")},
                                            {"assistant", Value("What is your name?")},
                                            {"user", Value("I am Bob")}},
                                           {});
  CHECK(r.error == "");
  CHECK(text_of(r) == "Thanks!");
  CHECK(tasks_of(r) == Strings{"generate_user_intent", "generate_next_steps"});
}

TEST_CASE("the generated intent loses a leading `user `") {
  Bot bot = make_bot(kGreeting, "", {"user express greeting"});
  GenerationResult r = bot.rails->generate({{"user", Value("hello")}}, {});
  CHECK(r.error == "");
  CHECK(text_of(r) == "Hello there!");
}

TEST_CASE("an empty generated bot message becomes the default text") {
  Bot bot = make_bot(
      "define user ask question\n  \"what is it?\"\n\n"
      "define flow q\n  user ask question\n  bot answer question\n",
      "", {"  ask question", ""});
  GenerationResult r = bot.rails->generate({{"user", Value("what is it?")}}, {});
  CHECK(r.error == "");
  CHECK(text_of(r) == "I'm not sure what to say.");
}

TEST_CASE("a bot intent named by a variable says the variable") {
  Bot bot = make_bot(
      "define user ask time\n  \"what time is it?\"\n\n"
      "define flow\n  user ask time\n  $now = \"12pm\"\n  bot $now\n",
      "", {"  ask time"});
  GenerationResult r = bot.rails->generate({{"user", Value("what time is it?")}}, {});
  CHECK(r.error == "");
  CHECK(text_of(r) == "12pm");
  CHECK(tasks_of(r) == Strings{"generate_user_intent"});
}

TEST_CASE("a multi-line generated bot message keeps its lines, quotes stripped") {
  Bot bot = make_bot(
      "define user ask question\n  \"what is it?\"\n\n"
      "define flow q\n  user ask question\n  bot answer question\n",
      "", {"  ask question", "  \"Line one.\\nLine two.\""});
  GenerationResult r = bot.rails->generate({{"user", Value("what is it?")}}, {});
  CHECK(r.error == "");
  CHECK(text_of(r) == "Line one.\nLine two.");
}
