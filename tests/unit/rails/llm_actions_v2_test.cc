// The Colang 2.x LLM actions (rails/actions/llm_actions.h) driven through an
// ActionRegistry with a ReplayProvider: the task each one routes to, what its
// prompt holds, and how the model's answers are read.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "colang/parse.h"
#include "llm/providers/replay/replay_provider.h"
#include "rails/actions/llm_actions.h"
#include "rails/config/rails_config.h"
#include "runtime/flow_library.h"
#include "runtime/session.h"
#include "runtime/state.h"

namespace {

using rg::colang::Dict;
using rg::colang::Value;
using rg::llm::ReplayProvider;

const char* kFlows = R"co(
flow user expressed greeting
  user said "hi" or user said "hello there"

flow user asked about weather
  match UtteranceUserAction.Finished(final_transcript="what is the weather like")

flow bot express greeting
  """Greets the user."""
  bot say "Hello!"

flow user said $text
  match UtteranceUserAction.Finished(final_transcript=$text)

flow bot say $text
  await UtteranceBotAction(script=$text)

flow tell a joke
  """Tells the user a short joke about computers."""
  ...
)co";

struct Fixture {
  std::shared_ptr<ReplayProvider> llm;
  rg::rails::ActionRegistry registry;
  std::shared_ptr<const rg::runtime::FlowLibrary> library;
  std::unique_ptr<rg::runtime::State> state;

  explicit Fixture(std::vector<std::string> answers, rg::rails::LlmActionsOptions options = {},
                   const char* flows = kFlows) {
    llm = std::make_shared<ReplayProvider>(std::move(answers));
    rg::rails::register_llm_actions(registry, llm, std::move(options));
    auto parsed = rg::colang::parse_colang(flows, "test.co");
    REQUIRE(parsed.ok());
    auto built = rg::runtime::FlowLibrary::build({parsed.file});
    REQUIRE(built.library);
    library = built.library;
    state = std::make_unique<rg::runtime::State>(library, rg::runtime::StateOptions{});
  }

  Value run(const std::string& action, Dict args) {
    rg::runtime::ActionContext ctx{*state, *library};
    return registry.run(action, args, ctx).return_value;
  }

  std::string prompt(size_t i = 0) const { return llm->calls().at(i).prompt; }
  std::string task(size_t i = 0) const { return llm->calls().at(i).task; }
};

Dict args(std::initializer_list<std::pair<const char*, Value>> items) {
  Dict d;
  for (const auto& [k, v] : items) d.set(k, v);
  return d;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("GenerateUserIntentAction: task, examples from user flows, parsing") {
  Fixture f({"user expressed greeting"});
  Value intent = f.run("GenerateUserIntentAction",
                       args({{"user_action", Value("user said \"hello\"")}, {"max_example_flows", Value(5)}}));
  CHECK(intent == Value("user expressed greeting"));
  REQUIRE(f.llm->calls().size() == 1);
  CHECK(f.task() == "generate_user_intent_from_user_action");
  const std::string p = f.prompt();
  CHECK(contains(p, "user action: user said \"hello\"\nuser intent:"));
  // Examples from `user said "..."` and `final_transcript="..."` in `user ...` flows.
  CHECK(contains(p, "user action: user said \"hello there\"\nuser intent: user expressed greeting"));
  CHECK(contains(p, "user action: user said \"what is the weather like\"\nuser intent: user asked about weather"));
  // `user said $text` has no literal example.
  CHECK_FALSE(contains(p, "user intent: user said"));
}

TEST_CASE("GenerateUserIntentAction: answers with identifiers or noise") {
  Fixture f({"\n  user intent: user asked about weather\n", "bot intent: bot confused", "user  was   bored!"});
  auto a = args({{"user_action", Value("user said \"x\"")}});
  CHECK(f.run("GenerateUserIntentAction", a) == Value("user asked about weather"));
  CHECK(f.run("GenerateUserIntentAction", a) == Value("user was unclear"));
  CHECK(f.run("GenerateUserIntentAction", a) == Value("user was bored"));
}

TEST_CASE("GenerateUserIntentAction: embeddings_only answers from the examples, without the LLM") {
  auto loaded = rg::rails::config::rails_config_from_content(
      kFlows,
      "colang_version: \"2.x\"\nrails:\n  dialog:\n    user_messages:\n      embeddings_only: true\n"
      "      embeddings_only_similarity_threshold: 0.99\n      embeddings_only_fallback_intent: user said "
      "something\n");
  REQUIRE(loaded.ok());
  rg::rails::LlmActionsOptions options;
  options.config = loaded.config;
  Fixture f({}, options);
  CHECK(f.run("GenerateUserIntentAction", args({{"user_action", Value("user said \"hello there\"")}})) ==
        Value("user expressed greeting"));
  CHECK(f.run("GenerateUserIntentAction", args({{"user_action", Value("user said \"zebra crossing\"")}})) ==
        Value("user said something"));
  CHECK(f.llm->calls().empty());
}

TEST_CASE("GenerateUserIntentAndBotAction: intent, bot intent and message") {
  Fixture f({" user expressed greeting\nbot intent: bot express greeting\nbot action: bot say \"Hi, \\\"friend\\\"!\"",
             "user expressed greeting\nbot intent: bot greet"});
  Value r = f.run("GenerateUserIntentAndBotAction", args({{"user_action", Value("user said \"hi\"")}}));
  CHECK(f.task() == "generate_user_intent_and_bot_action_from_user_action");
  REQUIRE(r.is_dict());
  CHECK(*r.as_dict().find("user_intent") == Value("user expressed greeting"));
  CHECK(*r.as_dict().find("bot_intent") == Value("bot express greeting"));
  CHECK(*r.as_dict().find("bot_message") == Value("Hi, \"friend\"!"));
  CHECK_THROWS_WITH_AS(f.run("GenerateUserIntentAndBotAction", args({{"user_action", Value("user said \"hi\"")}})),
                       doctest::Contains("no `bot action:` line"), rg::runtime::ActionError);
}

TEST_CASE("GenerateValueAction: task, instructions and literal parsing") {
  Fixture f({"$count = 42;", "not a literal + x"});
  f.state->last_user_message = "how many?";
  Value v = f.run("GenerateValueAction",
                  args({{"var_name", Value("count")}, {"instructions", Value("the number of apples")}}));
  CHECK(v == Value(42));
  CHECK(f.task() == "generate_value_from_instruction");
  CHECK(contains(f.prompt(), "the number of apples"));
  CHECK(contains(f.prompt(), "$count ="));
  CHECK(contains(f.prompt(), "user said \"how many?\""));  // the history
  CHECK_THROWS_AS(f.run("GenerateValueAction", args({{"var_name", Value("x")}, {"instructions", Value("y")}})),
                  rg::runtime::ActionError);
}

TEST_CASE("GenerateFlowContinuationAction: a _dynamic_ flow from bot intent and action") {
  Fixture f({"bot inform weather\nbot action: bot say \"It is sunny.\"\n", "  \n", "bot intent: bot wave"});
  f.state->last_user_message = "what is the weather like";
  Value r = f.run("GenerateFlowContinuationAction", args({{"temperature", Value(0.1)}}));
  CHECK(f.task() == "generate_flow_continuation");
  CHECK(contains(f.prompt(), "user action: user said \"what is the weather like\""));
  CHECK(contains(f.prompt(), "flow user asked about weather"));  // an example flow
  CHECK(contains(f.prompt(), "bot intent:"));
  REQUIRE(r.is_dict());
  std::string name = r.as_dict().find("name")->as_str();
  std::string body = r.as_dict().find("body")->as_str();
  CHECK(name.rfind("_dynamic_", 0) == 0);
  CHECK(name.size() == std::string("_dynamic_12345678 bot inform weather").size());
  CHECK(name.substr(17) == " bot inform weather");
  CHECK(contains(body, "@meta(bot_intent=\"bot inform weather\")\nflow " + name + "\n  bot say \"It is sunny.\""));
  CHECK(rg::colang::parse_colang(body, "gen.co").ok());
  // Nothing usable: ActionError.
  CHECK_THROWS_WITH_AS(f.run("GenerateFlowContinuationAction", {}), doctest::Contains("empty answer"),
                       rg::runtime::ActionError);
  CHECK_THROWS_WITH_AS(f.run("GenerateFlowContinuationAction", {}), doctest::Contains("no `bot action:` line"),
                       rg::runtime::ActionError);
}

TEST_CASE("parse_flow_continuation: identifiers, bare bot say") {
  auto c = rg::rails::parse_flow_continuation("bot intent: bot  greet!\nbot action: bot say \"Hey\"");
  CHECK(c.bot_intent == "bot greet");
  CHECK(c.bot_action == "bot say \"Hey\"");
  c = rg::rails::parse_flow_continuation("\n  bot say \"Only this\"\n");
  CHECK(c.bot_intent == "");
  CHECK(c.bot_action == "bot say \"Only this\"");
}

TEST_CASE("GenerateFlowFromNameAction: a body or a whole flow") {
  Fixture f({"bot say \"Bye!\"\n  bot say \"See you\"", "flow bot say goodbye\n  bot say \"Bye\"",
             "flow broken (\n"});
  Value src = f.run("GenerateFlowFromNameAction", args({{"name", Value("bot say goodbye")}}));
  CHECK(f.task() == "generate_flow_from_name");
  CHECK(contains(f.prompt(), "flow bot say goodbye"));
  CHECK(src == Value("flow bot say goodbye\n  bot say \"Bye!\"\n  bot say \"See you\"\n"));
  CHECK(f.run("GenerateFlowFromNameAction", args({{"name", Value("bot say goodbye")}})) ==
        Value("flow bot say goodbye\n  bot say \"Bye\"\n"));
  CHECK_THROWS_WITH_AS(f.run("GenerateFlowFromNameAction", args({{"name", Value("x")}})),
                       doctest::Contains("does not give a valid flow"), rg::runtime::ActionError);
}

TEST_CASE("GenerateFlowFromInstructionsAction: name and body") {
  Fixture f({"  bot say \"Welcome!\"\n", "bot say \"not indented\""});
  Value r = f.run("GenerateFlowFromInstructionsAction", args({{"instructions", Value("welcome the user")}}));
  CHECK(f.task() == "generate_flow_from_instructions");
  CHECK(contains(f.prompt(), "\"\"\"welcome the user\"\"\""));
  CHECK(contains(f.prompt(), "Greets the user."));  // an instruction flow as example
  REQUIRE(r.is_dict());
  std::string name = r.as_dict().find("name")->as_str();
  CHECK(name.rfind("dynamic_", 0) == 0);
  CHECK(contains(f.prompt(), "flow " + name));
  CHECK(r.as_dict().find("body")->as_str() == "flow " + name + "\n  bot say \"Welcome!\"\n");
  CHECK_THROWS_AS(f.run("GenerateFlowFromInstructionsAction", args({{"instructions", Value("x")}})),
                  rg::runtime::ActionError);
}

TEST_CASE("GenerateFlowAction: body from the flow's docstring") {
  Fixture f({"```colang\n  bot say \"Why do programmers prefer dark mode?\"\n  user said \"why\"\n  bot say \"no\"\n```"});
  Value r = f.run("GenerateFlowAction", args({{"flow_id", Value("tell a joke")}}));
  CHECK(f.task() == "generate_flow_continuation_from_flow_nld");
  CHECK(contains(f.prompt(), "Tells the user a short joke about computers."));
  REQUIRE(r.is_dict());
  std::string name = r.as_dict().find("name")->as_str();
  CHECK(name.rfind("_dynamic_", 0) == 0);
  CHECK(r.as_dict().find("body")->as_str() ==
        "flow " + name + "\n  bot say \"Why do programmers prefer dark mode?\"\n");
  CHECK_THROWS_WITH_AS(f.run("GenerateFlowAction", args({{"flow_id", Value("bot say")}})),
                       doctest::Contains("no docstring"), rg::runtime::ActionError);
}

TEST_CASE("no LLM configured: every action names its task") {
  rg::rails::ActionRegistry registry;
  rg::rails::register_llm_actions(registry, std::make_shared<rg::llm::NoLlmConfigured>());
  auto parsed = rg::colang::parse_colang(kFlows, "t.co");
  auto built = rg::runtime::FlowLibrary::build({parsed.file});
  rg::runtime::State state(built.library, {});
  rg::runtime::ActionContext ctx{state, *built.library};
  CHECK_THROWS_WITH_AS(registry.run("GenerateFlowContinuationAction", {}, ctx),
                       "no LLM configured for task generate_flow_continuation", rg::runtime::ActionError);
  CHECK_THROWS_WITH_AS(registry.run("GenerateUserIntentAction", args({{"user_action", Value("user said \"a\"")}}), ctx),
                       "no LLM configured for task generate_user_intent_from_user_action", rg::runtime::ActionError);
}
