// TaskPromptRenderer: the prompt of an LLM task, chosen and rendered
// (spec product.md 1.5, 3.2, 3.4).
//
//   PromptsConfig cfg;
//   cfg.general_instructions = "Below is a conversation ...";   // first `general` instruction
//   cfg.sample_conversation = merged_config.sample_conversation;
//   cfg.prompts = merged_config.find("prompts");                  // the `prompts:` list, if any
//   auto renderer = TaskPromptRenderer::create(cfg);
//   if (!renderer.ok()) report(renderer.error().to_string());   // "prompts[1].mode: expected a string, ..."
//
//   colang::Dict vars;
//   vars.set("history", events);             // list of event dicts
//   vars.set("examples", examples_text);
//   auto r = renderer.value()->render("generate_user_intent", "openai/gpt-4", vars);
//   // r.value().is_chat: send r.value().messages; else r.value().prompt,
//   // with r.value().stop / max_tokens; parse the answer with
//   // renderer.value()->parse_output(r.value(), answer).
//
// The prompt for a task is picked among the built-in prompts followed by the
// config's (task_prompt.h says how). `model` is "engine/model" (or "engine";
// "unknown" without models). Every template is compiled once, in create();
// a renderer is immutable and may be used from any number of threads.
//
// Variables: general_instructions, sample_conversation and
// sample_conversation_two_turns come from the config; the caller's `vars`
// supply the rest (history, examples, potential_user_intents, relevant_chunks,
// user_input, bot_response, instructions, var_name, user_action, context,
// flow_name, flow_nld, evidence, response, paragraph, statement, ...). Only
// the names a template reads are bound; a missing `history` is an empty list.
// When the rendered prompt is longer than the prompt's max_length (in
// characters; for messages, each content plus one), the oldest history
// events are dropped one at a time until it fits; if it does not fit with no
// history left, render() fails with kTooLong.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "colang/value.h"
#include "llm/llm_client.h"
#include "rails/prompts/task_prompt.h"

namespace rg::rails::prompts {

class FilterRegistry;
class OutputParserRegistry;
class Template;

struct PromptsConfig {
  std::string general_instructions;  // content of the config's first `general` instruction
  std::string sample_conversation;
  std::string prompting_mode = "standard";
  colang::Value prompts;  // the config's `prompts:` list; None when absent
};

struct RenderedPrompt {
  std::string task;
  bool is_chat = false;
  std::string prompt;                  // the completion prompt (is_chat false)
  std::vector<llm::Message> messages;  // roles system / user / assistant (is_chat true)
  std::vector<std::string> stop;
  std::optional<int64_t> max_tokens;
  std::string output_parser;  // "" = none
  std::string source;         // the prompt used: "completion_prompts[1]", "prompts[0]", ...
  size_t dropped_events = 0;  // history events dropped to fit max_length
};

struct RenderOptions {
  // A content prompt comes back as one user message (for chat models).
  bool force_string_to_message = false;
};

// The built-in prompts (completion family, then the OpenAI chat family),
// parsed once.
const std::vector<TaskPrompt>& default_prompts();

class TaskPromptRenderer {
 public:
  // Parses config.prompts and compiles every template. `filters` defaults to
  // prompt_filters() (history_filters.h), `parsers` to default_output_parsers().
  static PromptResult<std::shared_ptr<const TaskPromptRenderer>> create(
      PromptsConfig config, std::shared_ptr<const FilterRegistry> filters = nullptr,
      std::shared_ptr<const OutputParserRegistry> parsers = nullptr);

  PromptResult<RenderedPrompt> render(std::string_view task, std::string_view model, const colang::Dict& vars,
                                      RenderOptions options = {}) const;

  // The prompt render() would use; nullptr when the task has none.
  const TaskPrompt* find_prompt(std::string_view task, std::string_view model) const;

  // Applies the prompt's output parser to `output` (a str Value when the
  // prompt names none); kBadConfig when the parser name is unknown.
  PromptResult<colang::Value> parse_output(const RenderedPrompt& rendered, std::string_view output) const;

  const PromptsConfig& config() const { return config_; }

  ~TaskPromptRenderer();
  TaskPromptRenderer(const TaskPromptRenderer&) = delete;
  TaskPromptRenderer& operator=(const TaskPromptRenderer&) = delete;

 private:
  struct Compiled;
  TaskPromptRenderer();
  PromptResult<std::string> render_template(const Template& t, const colang::Dict& vars,
                                            const colang::List& history, std::string_view task) const;

  PromptsConfig config_;
  std::vector<TaskPrompt> prompts_;  // built-ins, then the config's
  std::vector<Compiled> compiled_;   // parallel to prompts_
  std::shared_ptr<const OutputParserRegistry> parsers_;
};

}  // namespace rg::rails::prompts
