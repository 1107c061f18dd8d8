// Tests for rails/prompts/task_prompt and task_prompt_renderer: parsing
// `prompts:`, selection scores, every built-in task rendering, max_length.
#include <doctest/doctest.h>

#include <yaml-cpp/yaml.h>

#include <string>
#include <thread>
#include <vector>

#include "rails/config/yaml_value.h"
#include "rails/prompts/task_prompt.h"
#include "rails/prompts/task_prompt_renderer.h"

using rg::colang::Dict;
using rg::colang::List;
using rg::colang::Value;
namespace p = rg::rails::prompts;

namespace {

Value yaml(const std::string& text) { return rg::rails::config::yaml_to_value(YAML::Load(text)); }

Value event(std::initializer_list<std::pair<const char*, Value>> fields) {
  Dict d;
  for (const auto& [k, v] : fields) d.set(k, v);
  return Value(std::move(d));
}

List one_turn() {
  return {event({{"type", "UserMessage"}, {"text", "hi"}}),
          event({{"type", "UserIntent"}, {"intent", "express greeting"}}),
          event({{"type", "BotIntent"}, {"intent", "express greeting"}}),
          event({{"type", "StartUtteranceBotAction"}, {"script", "Hello!"}}),
          event({{"type", "UserMessage"}, {"text", "what can you do?"}})};
}

const char* const kSample =
    "user \"Hello there!\"\n  express greeting\nbot express greeting\n  \"Hello! How can I assist you today?\"\n"
    "user \"What can you do for me?\"\n  ask about capabilities\nbot respond about capabilities\n"
    "  \"I am an AI assistant here to help.\"\n";

p::PromptsConfig config(const std::string& prompts_yaml = "", std::string mode = "standard") {
  p::PromptsConfig c;
  c.general_instructions = "Below is a conversation between a helpful AI assistant and a user.";
  c.sample_conversation = kSample;
  c.prompting_mode = std::move(mode);
  if (!prompts_yaml.empty()) c.prompts = yaml(prompts_yaml);
  return c;
}

std::shared_ptr<const p::TaskPromptRenderer> make(const p::PromptsConfig& c) {
  auto r = p::TaskPromptRenderer::create(c);
  if (!r.ok()) FAIL("create: " << r.error().to_string());
  return r.value();
}

Dict all_vars() {
  Dict v;
  v.set("history", Value(one_turn()));
  v.set("examples", "user \"hello\"\n  express greeting\n\nuser \"bye\"\n  express goodbye\n");
  v.set("potential_user_intents", "express greeting, express goodbye");
  v.set("relevant_chunks", "The office opens at 9.");
  v.set("user_input", "hi");
  v.set("bot_response", "Hello!");
  v.set("evidence", "The sky is blue.");
  v.set("response", "The sky is blue.");
  v.set("paragraph", "A. B");
  v.set("statement", "A");
  v.set("instructions", "the user's name");
  v.set("var_name", "name");
  v.set("user_action", "user said \"hi\"");
  Dict ctx;
  ctx.set("relevant_chunks", "Chunk.");
  v.set("context", Value(std::move(ctx)));
  v.set("flow_name", "greet user");
  v.set("flow_nld", "Greet the user.");
  return v;
}

}  // namespace

TEST_CASE("selection scores") {
  p::TaskPrompt none;
  CHECK(*p::prompt_score(none, "openai/gpt-4", "standard") == doctest::Approx(0.2));
  p::TaskPrompt m;
  m.models = {"openai/gpt-4"};
  CHECK(*p::prompt_score(m, "openai/gpt-4", "standard") == doctest::Approx(1.0));
  m.models = {"gpt-4"};
  CHECK(*p::prompt_score(m, "openai/gpt-4", "standard") == doctest::Approx(0.8));
  m.models = {"openai"};
  CHECK(*p::prompt_score(m, "openai/gpt-4", "standard") == doctest::Approx(0.5));
  m.models = {"gpt"};
  CHECK(*p::prompt_score(m, "openai/gpt-4", "standard") == doctest::Approx(0.4));
  m.models = {"nemollm"};
  CHECK(*p::prompt_score(m, "openai/gpt-4", "standard") == doctest::Approx(0.0));  // still eligible
  m.models = {"openai/gpt-4"};
  CHECK(*p::prompt_score(m, "openai/gpt-4", "compact") == doctest::Approx(0.5));  // standard kept at half
  m.mode = "compact";
  CHECK_FALSE(p::prompt_score(m, "openai/gpt-4", "standard").has_value());  // other modes dropped
  // The first model of the list that matches decides.
  m.mode = "standard";
  m.models = {"openai", "openai/gpt-4"};
  CHECK(*p::prompt_score(m, "openai/gpt-4", "standard") == doctest::Approx(0.5));
}

TEST_CASE("selection among built-ins and config prompts") {
  auto r = make(config(
      "- task: generate_user_intent\n  content: mine\n"
      "- task: generate_bot_message\n  mode: compact\n  content: compact\n"
      "- task: self_check_input\n  content: 'Check: {{ user_input }}'\n  max_tokens: 3\n"));
  // Tie at 0.2 with the built-in completion prompt: the later (config) one wins.
  CHECK(r->find_prompt("generate_user_intent", "nim/meta/llama3")->source == "prompts[0]");
  // A chat model: the built-in chat prompt scores 1.0.
  CHECK(r->find_prompt("generate_user_intent", "openai/gpt-4")->source.rfind("chat_prompts", 0) == 0);
  // Mode compact prompts are dropped in standard mode.
  CHECK(r->find_prompt("generate_bot_message", "x")->source.rfind("completion_prompts", 0) == 0);
  CHECK(r->find_prompt("no_such_task", "x") == nullptr);
  auto rendered = r->render("no_such_task", "x", {});
  REQUIRE_FALSE(rendered.ok());
  CHECK(rendered.error().code == p::PromptError::Code::kNoPrompt);

  auto sc = r->render("self_check_input", "openai/gpt-4", all_vars());
  REQUIRE(sc.ok());
  CHECK(sc.value().prompt == "Check: hi");
  CHECK(sc.value().max_tokens == 3);

  // In compact mode the standard built-ins count half: the compact config
  // prompt (0.2) beats the completion one (0.1), not the chat one for its
  // own model (1.0 x 0.5).
  auto rc = make(config("- task: generate_bot_message\n  mode: compact\n  content: compact\n", "compact"));
  CHECK(rc->find_prompt("generate_bot_message", "nim/x")->source == "prompts[0]");
  CHECK(rc->find_prompt("generate_bot_message", "openai/gpt-4")->source.rfind("chat_prompts", 0) == 0);
}

TEST_CASE("every built-in task renders, completion and chat") {
  auto r = make(config());
  const char* tasks[] = {"general",
                         "generate_user_intent",
                         "generate_next_steps",
                         "generate_bot_message",
                         "generate_intent_steps_message",
                         "generate_value",
                         "fact_checking",
                         "self_check_hallucination",
                         "generate_user_intent_from_user_action",
                         "generate_user_intent_and_bot_action_from_user_action",
                         "generate_value_from_instruction",
                         "generate_flow_from_instructions",
                         "generate_flow_from_name",
                         "generate_flow_continuation",
                         "generate_flow_continuation_from_flow_nld"};
  for (const char* model : {"nim/meta/llama-3.1-8b", "openai/gpt-4", "openai/gpt-3.5-turbo"}) {
    for (const char* task : tasks) {
      CAPTURE(model);
      CAPTURE(task);
      auto out = r->render(task, model, all_vars());
      if (!out.ok()) FAIL(out.error().to_string());
      if (out.value().is_chat) {
        CHECK_FALSE(out.value().messages.empty());
        for (const auto& m : out.value().messages) {
          CHECK((m.role == "system" || m.role == "user" || m.role == "assistant"));
        }
      } else {
        CHECK_FALSE(out.value().prompt.empty());
      }
    }
  }
}

TEST_CASE("generate_user_intent, completion: the exact prompt") {
  auto r = make(config());
  auto out = r->render("generate_user_intent", "nim/x", all_vars());
  REQUIRE(out.ok());
  CHECK_FALSE(out.value().is_chat);
  CHECK(out.value().output_parser == "verbose_v1");
  const std::string& s = out.value().prompt;
  CHECK(s.rfind("\"\"\"\nBelow is a conversation between a helpful AI assistant and a user.\n\"\"\"\n\n", 0) == 0);
  CHECK(s.find("# The intent is one of: express greeting, express goodbye\n") != std::string::npos);
  // Ends with the first two sample turns and the history, verbose.
  const std::string tail =
      "User message: \"Hello there!\"\nUser intent: express greeting\nBot intent: express greeting\n"
      "Bot message: \"Hello! How can I assist you today?\"\nUser message: \"What can you do for me?\"\n"
      "User intent: ask about capabilities\nBot intent: respond about capabilities\n"
      "Bot message: \"I am an AI assistant here to help.\"\n\n"
      "User message: \"hi\"\nUser intent: express greeting\nBot intent: express greeting\n"
      "Bot message: \"Hello!\"\nUser message: \"what can you do?\"\n";
  REQUIRE(s.size() > tail.size());
  CHECK(s.substr(s.size() - tail.size()) == tail);
  auto parsed = r->parse_output(out.value(), "User intent: ask capabilities\nBot intent: x");
  REQUIRE(parsed.ok());
  CHECK(parsed.value().as_str() == "  ask capabilities\nbot x");
}

TEST_CASE("generate_user_intent, chat: messages from to_messages") {
  auto r = make(config());
  auto out = r->render("generate_user_intent", "openai/gpt-3.5-turbo", all_vars());
  REQUIRE(out.ok());
  REQUIRE(out.value().is_chat);
  const auto& m = out.value().messages;
  REQUIRE(m.size() >= 4);
  CHECK(m[0].role == "system");
  CHECK(m[0].content == "Below is a conversation between a helpful AI assistant and a user.");
  // The history's messages come last: the user's "hi", the assistant's turn, the open user message.
  const auto& last = m.back();
  CHECK(last.role == "user");
  CHECK(last.content == "what can you do?");
  CHECK(m[m.size() - 2].role == "assistant");
  CHECK(m[m.size() - 2].content == "User intent: express greeting\nBot intent: express greeting\nBot message: \"Hello!\"");
  CHECK(out.value().output_parser == "user_intent");
  auto parsed = r->parse_output(out.value(), "User intent: ask capabilities");
  CHECK(parsed.value().as_str() == "  ask capabilities");
}

TEST_CASE("chat messages survive quotes, backslashes, control and non-ASCII characters") {
  auto r = make(config("- task: q\n  messages:\n    - \"{{ history | to_chat_messages }}\"\n"));
  const std::string tricky = "it's \"quoted\" \\ back\tslash\x01 caf\xc3\xa9 \xe2\x80\xa8 end";
  Dict vars;
  vars.set("history", Value(List{event({{"type", "UserMessage"}, {"text", tricky}}),
                                 event({{"type", "StartUtteranceBotAction"}, {"script", "'"}})}));
  auto out = r->render("q", "x", vars);
  REQUIRE(out.ok());
  REQUIRE(out.value().messages.size() == 2);
  CHECK(out.value().messages[0].content == tricky);
  CHECK(out.value().messages[1].role == "assistant");
  CHECK(out.value().messages[1].content == "'");
}

TEST_CASE("general renders the history as User/Assistant lines") {
  auto r = make(config());
  auto out = r->render("general", "nim/x", all_vars());
  REQUIRE(out.ok());
  CHECK(out.value().prompt ==
        "Below is a conversation between a helpful AI assistant and a user.\n\n"
        "User: hi\nAssistant: Hello!\nUser: what can you do?\nAssistant:");
  CHECK(out.value().stop == std::vector<std::string>{"User:"});
  auto forced = r->render("general", "nim/x", all_vars(), p::RenderOptions{true});
  REQUIRE(forced.ok());
  REQUIRE(forced.value().messages.size() == 1);
  CHECK(forced.value().messages[0].role == "user");
}

TEST_CASE("max_length: the oldest events are dropped until the prompt fits") {
  auto r = make(config(
      "- task: custom\n  content: |-\n    H:\n    {{ history | colang }}\n  max_length: 40\n"
      "- task: chat_custom\n  messages:\n    - type: system\n      content: S\n"
      "    - \"{{ history | colang | to_messages }}\"\n  max_length: 12\n"
      "- task: fixed\n  content: '0123456789'\n  max_length: 5\n"));
  Dict vars;
  List events;
  for (const char* t : {"one", "two", "three", "four"}) events.push_back(event({{"type", "UserMessage"}, {"text", t}}));
  vars.set("history", Value(events));
  auto out = r->render("custom", "x", vars);
  REQUIRE(out.ok());
  // "H:\n" + 'user "three"\n' + 'user "four"\n' = 3 + 13 + 12 = 28 <= 40; with "two" it is 39... and "one" 50.
  CHECK(out.value().prompt == "H:\nuser \"two\"\nuser \"three\"\nuser \"four\"\n");
  CHECK(out.value().dropped_events == 1);

  auto chat = r->render("chat_custom", "x", vars);
  REQUIRE(chat.ok());
  // "S\n" (2) + "four\n" (5) = 7; + "three\n" would be 13 > 12.
  REQUIRE(chat.value().messages.size() == 2);
  CHECK(chat.value().messages[1].content == "four");
  CHECK(chat.value().dropped_events == 3);

  auto too_long = r->render("fixed", "x", vars);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().code == p::PromptError::Code::kTooLong);
  CHECK(too_long.error().where == "prompts[2]");
}

TEST_CASE("config errors name the field; template errors the task and line") {
  auto bad = p::TaskPromptRenderer::create(config("- task: x\n  content: a\n  max_length: long\n"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().where == "prompts[0].max_length");
  CHECK(bad.error().code == p::PromptError::Code::kBadConfig);

  auto both = p::TaskPromptRenderer::create(config("- task: x\n  content: a\n  messages: []\n"));
  REQUIRE_FALSE(both.ok());
  CHECK(both.error().message.find("exactly one of content and messages") != std::string::npos);

  auto no_task = p::TaskPromptRenderer::create(config("- content: a\n"));
  REQUIRE_FALSE(no_task.ok());
  CHECK(no_task.error().where == "prompts[0].task");

  auto unknown = p::TaskPromptRenderer::create(config("- task: x\n  content: a\n  temperature: 1\n"));
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().where == "prompts[0].temperature");

  auto bad_type = p::TaskPromptRenderer::create(config("- task: x\n  messages:\n    - type: robot\n      content: a\n"));
  REQUIRE_FALSE(bad_type.ok());
  CHECK(bad_type.error().where == "prompts[0].messages[0].type");

  auto filter = p::TaskPromptRenderer::create(config("- task: x\n  content: |-\n    ok\n    {{ history | colangg }}\n"));
  REQUIRE_FALSE(filter.ok());
  CHECK(filter.error().code == p::PromptError::Code::kTemplate);
  CHECK(filter.error().where == "prompts[0]:x:2");
  CHECK(filter.error().message.find("(task x)") != std::string::npos);

  auto r = make(config("- task: y\n  messages:\n    - '{{ user_input }}'\n- task: z\n  content: '{{ a.b.c }}'\n"));
  Dict vars;
  vars.set("user_input", "not a list");
  auto m = r->render("y", "x", vars);
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().code == p::PromptError::Code::kBadMessages);
  CHECK(m.error().where == "prompts[0]:y.messages[0]");
  auto z = r->render("z", "x", vars);
  REQUIRE_FALSE(z.ok());
  CHECK(z.error().code == p::PromptError::Code::kTemplate);
  CHECK(z.error().where == "prompts[1]:z:1");

  auto parser = make(config("- task: w\n  content: a\n  output_parser: nope\n"));
  auto w = parser->render("w", "x", {});
  REQUIRE(w.ok());
  CHECK_FALSE(parser->parse_output(w.value(), "a").ok());
}

TEST_CASE("a renderer is shared by threads") {
  auto r = make(config());
  std::vector<std::thread> threads;
  std::vector<std::string> results(8);
  Dict vars = all_vars();
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 20; ++k) {
        auto out = r->render("generate_bot_message", i % 2 ? "openai/gpt-4" : "nim/x", vars);
        if (out.ok()) results[static_cast<size_t>(i)] = out.value().is_chat ? "chat" : out.value().prompt;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) CHECK(results[static_cast<size_t>(i)] == results[static_cast<size_t>(i % 2)]);
  CHECK(results[1] == "chat");
}
