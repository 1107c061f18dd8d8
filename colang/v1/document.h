// The compiled form of Colang 1.0 source (spec/colang.md part A).
//
// A 1.0 file is a list of `define ...` blocks. The front end (parse_v1.h)
// turns user blocks into example lists, bot blocks into message variants and
// flow blocks into a flat element list (A.5): control flow is compiled into
// relative jumps, exactly as the reference's CoYML form, so that the runtime
// (runtime/v1/) is a small interpreter over that list.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "colang/ast.h"
#include "colang/diagnostic.h"
#include "colang/value.h"

namespace rg::colang::v1 {

// Where an element came from, for diagnostics and for the flow comments that
// become LLM instructions.
struct SourceRef {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

// ORDER ElementType: keep element_type_name() in document.cc in step.
enum class ElementType {
  kUserIntent,  // `user INTENT` / `user ...` (intent_name "..." = wildcard)
  kRunAction,   // `execute NAME(k=v)`, `$r = execute ...`, `bot X` (action "utter"),
                // `create event X` (action "create_event"), `$v = ...` (generate_value),
                // `stop` (= utter "stop")
  kFlow,        // `do FLOW` / `do $var` (flow_name may start with '$')
  kSet,         // `$key = expression`
  kIf,          // `if expr`: false => head += next_else
  kWhile,       // `while expr`: false => head += next_on_break
  kJump,        // relative jump (or absolute when `absolute`; -1 = end of flow)
  kBranch,      // `when A` / `else when B`: branch_heads = offsets of each case head
  kBreak,       // `break`: head += next_on_break
  kContinue,    // `continue`: head += next_on_continue
  kEvent,       // `event NAME(k=v)`: generic event matcher; also the special types
                // used by the runtime, e.g. `start_flow` for dynamic flows
  kAny,         // `user A or user B` / `any`: `any_count` alternatives follow
                // (no run-time support in the reference: the flow stalls)
};
std::string_view element_type_name(ElementType t);

// One flow element. Only the fields of its type are meaningful.
struct Element {
  ElementType type = ElementType::kJump;
  SourceRef source;
  // The `#` comment lines (joined with '\n', without the '#') or the `"""`
  // block right above this line. For `bot X` it becomes the BotIntent's
  // `instructions`, for `$v = ...` the generate_value instructions.
  std::string comment;

  // kUserIntent
  std::string intent_name;  // "..." is the wildcard
  Dict intent_params;       // parsed but ignored at run time, as in the reference

  // kRunAction. For `bot X`: action_name "utter", action_params {"value": X}
  // where X is the intent name, "$var", "..." or, for an inline `bot "text"`,
  // a dict {"_type": "element", "text": "..."}. String parameter values that
  // start with '$' are variable references resolved when the action runs.
  std::string action_name;
  Dict action_params;
  std::string action_result_key;  // "" when the result is not stored

  // kFlow
  std::string flow_name;

  // kSet, kIf, kWhile
  std::string key;          // kSet: variable name without '$'
  std::string expression_text;
  ExprPtr expression;       // parsed once (Python expression, `$x` variables)

  // Jumps and loop exits, relative to this element's index.
  int next = 1;             // kJump (absolute when `absolute`)
  bool absolute = false;
  int next_else = 1;        // kIf
  int next_on_break = 1;    // kWhile, kBreak and every element inside a loop body
  int next_on_continue = 1; // kContinue
  std::string label;        // a `label L` / `checkpoint L` turned into jump(+1)

  // kBranch
  std::vector<int> branch_heads;

  // kAny: how many elements after this one are its alternatives.
  int any_count = 0;

  // kEvent: `event_type` and the fields to match; a "..." value matches anything.
  std::string event_type;
  Dict event_fields;
};

// Flow-level attributes from the `define` modifiers and `meta`/`priority` lines.
struct Flow {
  std::string id;             // name, or "anonymous-<hash>" for `define flow` without one
  SourceRef source;
  std::vector<Element> elements;
  double priority = 1.0;
  bool is_extension = false;
  bool is_interruptible = true;
  bool is_subflow = false;    // `define subflow`
  bool allow_multiple = false;
  bool is_system_flow = false; // loaded from the built-in library (kept out of prompts)
  Dict meta;                  // every meta key as written
  std::string source_text;    // the flow's source lines, for the flow index and prompts
};

// `define bot X` variant: a text, optionally guarded by `if <expr>` (spec A.2).
struct BotMessage {
  std::string text;
  std::string condition_text;  // "" = unconditional
  ExprPtr condition;
};

struct Document {
  // `define user X`: intent -> example utterances, in file order.
  std::vector<std::pair<std::string, std::vector<std::string>>> user_messages;
  // `define bot X` and `bot X "text"`: intent -> variants, in file order.
  std::vector<std::pair<std::string, std::vector<BotMessage>>> bot_messages;
  std::vector<Flow> flows;
  std::vector<std::string> imports;  // `import X` / `include X`, as written
};

struct ParseResult {
  Document document;
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return !has_errors(diagnostics); }
};

}  // namespace rg::colang::v1
