// Output parsers: turn an LLM's raw answer into what the calling action
// expects, picked by a prompt's `output_parser` name (spec product.md 1.5).
//
//   auto parsers = default_output_parsers();
//   const OutputParser* p = parsers->find("verbose_v1");
//   colang::Value v = (*p)("User intent: express greeting");   // "  express greeting"
//
// Built-in parsers (a string in, a string out unless said otherwise):
//   user_intent      "User intent: x"  -> "  x"
//   bot_intent       "Bot intent: x"   -> "bot x"
//   bot_message      "Bot message: x"  -> "  x"
//   verbose_v1       every line stripped; "User message: " -> "user ",
//                    "Bot message: " / "User intent: " -> "  ",
//                    "Bot intent: " -> "bot " (prefixes also in lower case)
//   is_content_safe  -> {"allowed": bool, "policy_violations": [str...]}
//                    (see is_content_safe() below)
//   nemoguard_parse_prompt_safety / nemoguard_parse_response_safety
//                    -> the same dict, from a NemoGuard content safety
//                    model's JSON verdict (see below)
// A parser is a pure function; registries are shared across threads once
// built.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "colang/value.h"

namespace rg::rails::prompts {

using OutputParser = std::function<colang::Value(std::string_view output)>;

class OutputParserRegistry {
 public:
  // Registers (or replaces) the parser `name`.
  void add(std::string name, OutputParser parser);
  // nullptr when no parser has that name.
  const OutputParser* find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, OutputParser, std::less<>> parsers_;
};

// The seven built-in parsers, built once and shared.
std::shared_ptr<const OutputParserRegistry> default_output_parsers();

std::string parse_user_intent(std::string_view output);
std::string parse_bot_intent(std::string_view output);
std::string parse_bot_message(std::string_view output);
std::string parse_verbose_v1(std::string_view output);

struct ContentSafety {
  bool allowed = false;
  std::vector<std::string> policy_violations;
};

// The answer of a safety check (spec product.md 2): lower-cased, every run
// of non-word characters made one space, then the first two space-separated
// tokens are examined in this order: "safe" -> allowed; "unsafe" -> blocked,
// the words after "unsafe" (original case) are the violations; "yes" ->
// blocked; "no" -> allowed. Anything else -> blocked.
ContentSafety is_content_safe(std::string_view output);

// The first `n` words of `answer`, lower-cased, runs of non-word characters
// as one separator (is_content_safe's tokenisation): how the self checks
// read a "yes" / "no" verdict.
std::vector<std::string> leading_words(std::string_view answer, size_t n = 2);
// {"allowed": bool, "policy_violations": [...]}.
colang::Value content_safety_value(const ContentSafety& safety);

// The JSON verdict of a NemoGuard (Aegis-taxonomy) content safety model:
//   {"User Safety": "safe"|"unsafe", "Response Safety": "safe"|"unsafe",
//    "Safety Categories": "Violence, Threat"}
// The prompt parser reads "User Safety", the response parser "Response
// Safety" (case-insensitive value; only "safe" is allowed). When blocked, the
// violations are the comma-separated "Safety Categories" (trimmed, empty
// ones dropped). Leading/trailing text around the first {...} object and
// ```json fences are tolerated. An answer that is not such an object, or
// lacks the key, or whose value is not a string, fails closed: blocked, with
// the single violation "unparsable safety verdict: <why>" as the log note.
ContentSafety nemoguard_parse_prompt_safety(std::string_view output);
ContentSafety nemoguard_parse_response_safety(std::string_view output);

}  // namespace rg::rails::prompts
