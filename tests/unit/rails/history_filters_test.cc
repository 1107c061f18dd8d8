// Tests for rails/prompts/history_filters and output_parsers: the history of a
// typical Colang 1.0 turn sequence, the filters built on it, and the parsers.
// Expected strings are written by hand from the reference's rules.
#include <doctest/doctest.h>

#include <string>

#include "rails/prompts/history_filters.h"
#include "rails/prompts/output_parsers.h"
#include "rails/prompts/template/template.h"

using rg::colang::Dict;
using rg::colang::List;
using rg::colang::Value;
namespace p = rg::rails::prompts;

namespace {

Value event(std::initializer_list<std::pair<const char*, Value>> fields) {
  Dict d;
  for (const auto& [k, v] : fields) d.set(k, v);
  return Value(std::move(d));
}

// Two turns: a greeting, then a question answered after a non-system action.
List typical_events() {
  return {
      event({{"type", "UtteranceUserActionFinished"}, {"final_transcript", "hi"}}),
      event({{"type", "UserMessage"}, {"text", "hi"}}),
      event({{"type", "UserIntent"}, {"intent", "express greeting"}}),
      event({{"type", "BotIntent"}, {"intent", "express greeting"}}),
      event({{"type", "StartInternalSystemAction"},
             {"action_name", "retrieve_relevant_chunks"},
             {"is_system_action", true}}),
      event({{"type", "StartUtteranceBotAction"}, {"script", "Hello! How can I help?"}}),
      event({{"type", "Listen"}}),
      event({{"type", "UserMessage"}, {"text", "what can you do?"}}),
      event({{"type", "UserIntent"}, {"intent", "ask capabilities"}}),
      event({{"type", "StartInternalSystemAction"}, {"action_name", "check_weather"}, {"is_system_action", false}}),
      event({{"type", "InternalSystemActionFinished"},
             {"action_name", "check_weather"},
             {"is_system_action", false},
             {"status", "success"},
             {"return_value", "sunny\nwarm"}}),
      event({{"type", "ContextUpdate"}, {"data", Value(Dict())}}),
      event({{"type", "BotIntent"}, {"intent", "inform capabilities"}, {"instructions", "Be brief."}}),
      event({{"type", "StartUtteranceBotAction"}, {"script", "I can chat."}}),
      event({{"type", "Listen"}}),
  };
}

const char* const kTypicalHistory =
    "user \"hi\"\n"
    "  express greeting\n"
    "bot express greeting\n"
    "  \"Hello! How can I help?\"\n"
    "user \"what can you do?\"\n"
    "  ask capabilities\n"
    "execute check_weather\n"
    "# The result was sunny warm\n"
    "# Be brief.\n"
    "bot inform capabilities\n"
    "  \"I can chat.\"\n";

std::string render(std::string_view src, const Dict& ctx) {
  auto t = p::Template::compile(src, "t", p::prompt_filters());
  if (!t.ok()) FAIL("compile: " << t.error().to_string());
  auto r = t.value()->render(ctx);
  if (!r.ok()) FAIL("render: " << r.error().to_string());
  return r.value();
}

Dict with_history(const List& events) {
  Dict d;
  d.set("history", Value(events));
  return d;
}

}  // namespace

TEST_CASE("colang history of a typical 1.0 conversation") {
  CHECK(p::colang_history(typical_events()) == kTypicalHistory);
  CHECK(render("{{ history | colang }}", with_history(typical_events())) == kTypicalHistory);
  CHECK(p::colang_history({}) == "");
}

TEST_CASE("colang history: instructions only on the last bot intent; without texts") {
  List events = {
      event({{"type", "UserMessage"}, {"text", "a"}}),
      event({{"type", "UserIntent"}, {"intent", "ask a"}}),
      event({{"type", "BotIntent"}, {"intent", "answer a"}, {"instructions", "old"}}),
      event({{"type", "StartUtteranceBotAction"}, {"script", "A"}}),
      event({{"type", "BotIntent"}, {"intent", "offer help"}}),
  };
  CHECK(p::colang_history(events) == "user \"a\"\n  ask a\nbot answer a\n  \"A\"\nbot offer help\n");
  p::ColangHistoryOptions no_texts;
  no_texts.include_texts = false;
  CHECK(p::colang_history(events, no_texts) == "user ask a\nbot answer a\nbot offer help\n");
}

TEST_CASE("colang history: retrieval actions can be left out; masked user message") {
  List events = {
      event({{"type", "UserMessage"}, {"text", "tell me a secret"}}),
      event({{"type", "StartInternalSystemAction"}, {"action_name", "retrieve_relevant_chunks"}}),
      event({{"type", "InternalSystemActionFinished"},
             {"action_name", "retrieve_relevant_chunks"},
             {"return_value", Value()}}),
      event({{"type", "mask_prev_user_message"}}),
  };
  CHECK(p::colang_history(events) == "user \"" + std::string(p::kHiddenUserText) +
                                         "\"\nexecute retrieve_relevant_chunks\n# The result was None\n");
  p::ColangHistoryOptions opts;
  opts.remove_retrieval_events = true;
  CHECK(p::colang_history(events, opts) == "user \"" + std::string(p::kHiddenUserText) + "\"\n");
}

TEST_CASE("colang history of 2.x log events") {
  List events = {
      event({{"type", "UtteranceUserActionFinished"}, {"final_transcript", "hi"}}),
      event({{"type", "UserActionLog"}, {"flow_id", "user said"}, {"parameter", "hi"}, {"intent_flow_id", "user greeted"}}),
      event({{"type", "UserIntentLog"}, {"flow_id", "user greeted"}, {"parameter", Value()}}),
      event({{"type", "BotActionLog"}, {"flow_id", "bot say"}, {"parameter", "Hello!\nHi"}, {"intent_flow_id", "bot greet"}}),
      event({{"type", "BotIntentLog"}, {"flow_id", "bot greet"}, {"parameter", Value()}}),
  };
  CHECK(p::is_colang_v2_history(events));
  CHECK(p::colang_history(events) ==
        "user action: user said \"hi\"\n"
        "user intent: user greeted\n"
        "\n"
        "bot intent: bot greet\n"
        "bot action: bot say \"Hello!\\nHi\"");
  CHECK(p::colang_history_without_identifiers(events) ==
        "user said \"hi\"\nuser greeted\n\nbot greet\nbot say \"Hello!\\nHi\"");
}

TEST_CASE("co_v2") {
  List events = {
      event({{"type", "UtteranceUserActionFinished"}, {"final_transcript", "hi"}, {"uid", "1"}}),
      event({{"type", "StartUtteranceBotAction"}, {"script", "Hello"}, {"uid", "2"}}),
      event({{"type", "StartUtteranceBotAction"}, {"script", "Hello"}, {"uid", "2"}}),
      event({{"type", "CustomActionFinished"}, {"action_name", "lookup"}, {"return_value", 42}}),
      event({{"type", "InternalSystemActionFinished"}, {"action_name", "self_check_input"}, {"return_value", true}}),
  };
  CHECK(render("{{ history | co_v2 }}", with_history(events)) == "  user said \"hi\"\n  bot say \"Hello\"\n  # 42\n");
}

TEST_CASE("text filters on the typical history") {
  Dict ctx = with_history(typical_events());
  CHECK(render("{{ history | colang | verbose_v1 }}", ctx) ==
        "User message: \"hi\"\n"
        "User intent: express greeting\n"
        "Bot intent: express greeting\n"
        "Bot message: \"Hello! How can I help?\"\n"
        "User message: \"what can you do?\"\n"
        "User intent: ask capabilities\n"
        "execute check_weather\n"
        "# The result was sunny warm\n"
        "# Be brief.\n"
        "Bot intent: inform capabilities\n"
        "Bot message: \"I can chat.\"\n");
  CHECK(render("{{ history | colang | first_turns(1) }}", ctx) ==
        "user \"hi\"\n  express greeting\nbot express greeting\n  \"Hello! How can I help?\"");
  CHECK(render("{{ history | colang | last_turns(1) }}", ctx) ==
        "user \"what can you do?\"\n  ask capabilities\nexecute check_weather\n# The result was sunny warm\n"
        "# Be brief.\nbot inform capabilities\n  \"I can chat.\"\n");
  CHECK(render("{{ history | colang | remove_text_messages }}", ctx) ==
        "user express greeting\nbot express greeting\nuser ask capabilities\nexecute check_weather\n"
        "# The result was sunny warm\n# Be brief.\nbot inform capabilities\n");
  CHECK(render("{{ history | user_assistant_sequence }}", ctx) ==
        "User: hi\nAssistant: Hello! How can I help?\nUser: what can you do?\nAssistant: I can chat.");
  CHECK(render("{{ history | colang | indent(2) }}", with_history({event({{"type", "UserMessage"}, {"text", "x"}})})) ==
        "  user \"x\"\n");
}

TEST_CASE("to_messages and friends") {
  auto m = p::history_to_messages(kTypicalHistory);
  REQUIRE(m.size() == 4);
  CHECK(m[0].type == "user");
  CHECK(m[0].content == "hi");
  CHECK(m[1].type == "assistant");
  CHECK(m[1].content ==
        "User intent: express greeting\nBot intent: express greeting\nBot message: \"Hello! How can I help?\"");
  CHECK(m[2].content == "what can you do?");
  // The history ends in a newline: the blank last line closes an "assistant" message.
  CHECK(m[3].type == "assistant");
  CHECK(m[3].content ==
        "User intent: ask capabilities\nexecute check_weather\n# The result was sunny warm\n# Be brief.\n"
        "Bot intent: inform capabilities\nBot message: \"I can chat.\"");
  // Without the trailing newline the last message is the "bot" one.
  auto m2 = p::history_to_messages("user \"a\"\n  ask\nbot answer");
  REQUIRE(m2.size() == 2);
  CHECK(m2[1].type == "bot");
  CHECK(m2[1].content == "User intent: ask\nBot intent: answer");

  Dict ctx = with_history(typical_events());
  CHECK(render("{{ history | colang | first_turns(1) | to_messages }}", ctx) ==
        "[{'type': 'user', 'content': 'hi'}, {'type': 'bot', 'content': 'User intent: express greeting\\n"
        "Bot intent: express greeting\\nBot message: \"Hello! How can I help?\"'}]");
  CHECK(render("{{ history | colang | first_turns(1) | to_intent_messages }}", ctx) ==
        "[{'type': 'user', 'content': 'User intent: express greeting'}, "
        "{'type': 'assistant', 'content': 'Bot intent: express greeting'}]");
  CHECK(render("{{ history | colang | first_turns(1) | to_intent_messages_2 }}", ctx) ==
        "[{'type': 'user', 'content': 'hi'}, {'type': 'assistant', 'content': 'Bot intent: express greeting'}, "
        "{'type': 'assistant', 'content': 'Bot message: \"Hello! How can I help?\"'}]");
  CHECK(render("{{ history | to_chat_messages }}", ctx) ==
        "[{'type': 'user', 'content': 'hi'}, {'type': 'assistant', 'content': 'Hello! How can I help?'}, "
        "{'type': 'user', 'content': 'what can you do?'}, {'type': 'assistant', 'content': 'I can chat.'}]");
  CHECK(render("{{ history | colang | first_turns(1) | to_messages_nemollm }}", ctx) ==
        "<extra_id_1>User\nhi\n<extra_id_1>Assistant\nUser intent: express greeting\nBot intent: express "
        "greeting\nBot message: \"Hello! How can I help?\"\n");
  CHECK(render("{{ h | to_messages_v2 }}", [] {
          Dict d;
          d.set("h", "user action: user said \"hi\"\nuser intent: user greeted\n\nbot intent: bot greet\n  and bot "
                     "say \"x\"");
          return d;
        }()) == "[{'type': 'user', 'content': 'user action: user said \"hi\"\\nuser intent: user greeted'}, "
                "{'type': 'assistant', 'content': 'bot intent: bot greet\\n  and bot say \"x\"'}]");
}

TEST_CASE("output parsers") {
  CHECK(p::parse_user_intent("  User intent: express greeting ") == "  express greeting");
  CHECK(p::parse_user_intent("greet") == "greet");
  CHECK(p::parse_bot_intent("Bot intent:   say hi") == "bot say hi");
  CHECK(p::parse_bot_message("Bot message: \"Hi\"") == "  \"Hi\"");
  CHECK(p::parse_verbose_v1(" User message: \"Hello\"\nuser intent: express greeting\nBot intent: greet\n"
                            "bot message: \"Hi\"\nother") ==
        "user \"Hello\"\n  express greeting\nbot greet\n  \"Hi\"\nother");

  auto safe = p::is_content_safe("safe");
  CHECK(safe.allowed);
  auto unsafe = p::is_content_safe("Unsafe: S1, Violence\nmore");
  CHECK_FALSE(unsafe.allowed);
  CHECK(unsafe.policy_violations == std::vector<std::string>{"S1", "Violence", "more"});
  CHECK_FALSE(p::is_content_safe("Yes").allowed);
  CHECK(p::is_content_safe("No.").allowed);
  CHECK(p::is_content_safe("**No**, it is fine").allowed);
  CHECK_FALSE(p::is_content_safe("I think it is safe").allowed);  // "safe" is the 4th token: no match
  CHECK_FALSE(p::is_content_safe("").allowed);
  CHECK(p::is_content_safe("it safe").allowed);  // second token

  auto parsers = p::default_output_parsers();
  REQUIRE(parsers->find("is_content_safe") != nullptr);
  Value v = (*parsers->find("is_content_safe"))("unsafe O1");
  CHECK(v.as_dict().find("allowed")->as_bool() == false);
  CHECK(v.as_dict().find("policy_violations")->as_list().size() == 1);
  CHECK(parsers->names() == std::vector<std::string>{"bot_intent", "bot_message", "is_content_safe",
                                                     "nemoguard_parse_prompt_safety",
                                                     "nemoguard_parse_response_safety", "user_intent",
                                                     "verbose_v1"});
}
