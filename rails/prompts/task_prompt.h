// TaskPrompt: one entry of a `prompts:` list (spec product.md 1.5), and the
// choice of the prompt a task uses for a given model.
//
//   prompts:
//     - task: generate_user_intent          # required
//       content: |-                         # a template, or
//         ...
//       messages:                           # a list of {type, content}
//         - type: system                    #   (system|user|assistant|bot), or
//           content: "{{ general_instructions }}"
//         - "{{ history | colang | to_messages }}"   # a template printing a list
//       models: [openai/gpt-4, nim]         # engine or engine/model
//       output_parser: verbose_v1
//       max_length: 16000                   # characters of the rendered prompt
//       mode: standard                      # prompting_mode it serves
//       stop: ["\nuser"]
//       max_tokens: 3
//
// Selection for (task, "engine/model", prompting_mode), over the built-in
// prompts followed by the config's: a prompt without models scores 0.2; for
// the first of its models that matches, exact 1.0, the model name ends with
// "/x" 0.8, starts with "x/" 0.5, contains x 0.4; no match 0 (still
// eligible, as in the reference). A prompt of another mode is dropped unless
// its mode is "standard", which is kept at half its score. The highest score
// wins; on a tie the later prompt (so config over built-in).
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "colang/value.h"
#include "rails/prompts/template/expected.h"

namespace rg::rails::prompts {

// An error of the prompts layer.
struct PromptError {
  // ORDER PromptErrorCode: keep prompt_error_code_name() in step.
  enum class Code {
    kBadConfig,    // a `prompts:` entry is malformed (field missing or of the wrong type)
    kNoPrompt,     // no prompt exists for the task
    kTemplate,     // a template failed to compile or render
    kBadMessages,  // a message template did not render to a list of messages
    kTooLong,      // the prompt exceeds max_length even without history
  };
  Code code = Code::kBadConfig;
  std::string message;  // what went wrong, in words
  std::string where;    // "prompts[2].max_length", "general.yml:generate_value:3", ...

  // "<where>: <message>" (where left out when empty).
  std::string to_string() const;
};

std::string_view prompt_error_code_name(PromptError::Code code);

template <typename T>
using PromptResult = Expected<T, PromptError>;

// One entry of `messages:`.
struct MessageTemplate {
  // "system", "user", "assistant" or "bot"; empty for a bare string entry,
  // whose template must render to a Python list of {type, content} dicts.
  std::string type;
  std::string content;  // the template
};

struct TaskPrompt {
  std::string task;
  std::optional<std::string> content;     // set, or messages non-empty: exactly one
  std::vector<MessageTemplate> messages;
  std::vector<std::string> models;        // "engine" or "engine/model"; empty = any
  std::string output_parser;              // "" = none
  int64_t max_length = 16000;
  std::string mode = "standard";
  std::vector<std::string> stop;
  std::optional<int64_t> max_tokens;
  // Where it was defined, for errors: "general.yml" / "prompts[3]".
  std::string source;
};

// Parses a `prompts:` list (colang values as rails/config/yaml_value.h makes
// them). `where` prefixes error locations ("prompts" -> "prompts[2].mode").
PromptResult<std::vector<TaskPrompt>> parse_task_prompts(const colang::Value& list,
                                                         std::string_view where = "prompts");

// The score of `prompt` for `model` in `mode`; nullopt when the mode drops
// it. (The task is not looked at.)
std::optional<double> prompt_score(const TaskPrompt& prompt, std::string_view model, std::string_view mode);

// The chosen prompt for `task` among `prompts` (built-ins first, then the
// config's), or -1 when none is eligible.
int select_prompt(const std::vector<TaskPrompt>& prompts, std::string_view task, std::string_view model,
                  std::string_view mode);

}  // namespace rg::rails::prompts
