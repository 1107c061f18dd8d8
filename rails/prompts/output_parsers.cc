#include "rails/prompts/output_parsers.h"

#include <cctype>
#include <utility>

#include <nlohmann/json.hpp>

#include "rails/prompts/template/internal/values.h"

namespace rg::rails::prompts {
namespace {

using colang::Value;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// `s` starting with `prefix` -> repl + the rest, stripped; else `s`.
std::string replace_prefix(const std::string& s, std::string_view prefix, std::string_view repl) {
  if (!starts_with(s, prefix)) return s;
  return std::string(repl) + internal::strip(std::string_view(s).substr(prefix.size()));
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Python's \w on str, approximated: ASCII letters, digits, '_' and every
// non-ASCII byte (so UTF-8 letters stay words).
bool word_byte(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

// re.sub(r"\W+", " ", s).
std::string squash_non_word(std::string_view s) {
  std::string out;
  bool in_run = false;
  for (char ch : s) {
    if (word_byte(static_cast<unsigned char>(ch))) {
      out.push_back(ch);
      in_run = false;
    } else if (!in_run) {
      out.push_back(' ');
      in_run = true;
    }
  }
  return out;
}

// Python str.split() (runs of ASCII whitespace).
std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t b = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > b) out.emplace_back(s.substr(b, i - b));
  }
  return out;
}

}  // namespace

void OutputParserRegistry::add(std::string name, OutputParser parser) { parsers_[std::move(name)] = std::move(parser); }

const OutputParser* OutputParserRegistry::find(std::string_view name) const {
  auto it = parsers_.find(name);
  return it == parsers_.end() ? nullptr : &it->second;
}

std::vector<std::string> OutputParserRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, parser] : parsers_) out.push_back(name);
  return out;
}

std::string parse_user_intent(std::string_view output) {
  return replace_prefix(internal::strip(output), "User intent: ", "  ");
}
std::string parse_bot_intent(std::string_view output) {
  return replace_prefix(internal::strip(output), "Bot intent: ", "bot ");
}
std::string parse_bot_message(std::string_view output) {
  return replace_prefix(internal::strip(output), "Bot message: ", "  ");
}

std::string parse_verbose_v1(std::string_view output) {
  static constexpr std::pair<std::string_view, std::string_view> kPrefixes[] = {
      {"User message: ", "user "}, {"Bot message: ", "  "}, {"User intent: ", "  "}, {"Bot intent: ", "bot "}};
  std::string out;
  size_t at = 0;
  while (true) {
    size_t e = output.find('\n', at);
    std::string line = internal::strip(output.substr(at, e == std::string_view::npos ? std::string_view::npos : e - at));
    for (const auto& [prefix, repl] : kPrefixes) {
      line = replace_prefix(line, prefix, repl);
      line = replace_prefix(line, ascii_lower(prefix), repl);
    }
    out += line;
    if (e == std::string_view::npos) break;
    out += '\n';
    at = e + 1;
  }
  return out;
}

std::vector<std::string> leading_words(std::string_view answer, size_t n) {
  std::string squashed;
  bool in_run = false;
  for (char ch : internal::strip(answer)) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '_' || c >= 0x80) {
      squashed.push_back(static_cast<char>(std::tolower(c)));
      in_run = false;
    } else if (!in_run) {
      squashed.push_back(' ');
      in_run = true;
    }
  }
  std::vector<std::string> out;
  size_t at = squashed.find_first_not_of(' ');
  while (at != std::string::npos && out.size() < n) {
    size_t e = squashed.find(' ', at);
    out.push_back(squashed.substr(at, e == std::string::npos ? std::string::npos : e - at));
    at = e == std::string::npos ? e : squashed.find_first_not_of(' ', e);
  }
  return out;
}

ContentSafety is_content_safe(std::string_view output) {
  std::string original = squash_non_word(internal::strip(output));
  std::string lowered = squash_non_word(ascii_lower(internal::strip(output)));
  // The first two tokens of lowered.split(" ").
  std::vector<std::string> tokens;
  size_t at = 0;
  while (tokens.size() < 2) {
    size_t e = lowered.find(' ', at);
    tokens.push_back(lowered.substr(at, e == std::string::npos ? std::string::npos : e - at));
    if (e == std::string::npos) break;
    at = e + 1;
  }
  auto has = [&](std::string_view w) {
    for (const std::string& t : tokens) {
      if (t == w) return true;
    }
    return false;
  };
  ContentSafety r;
  if (has("safe")) {
    r.allowed = true;
  } else if (has("unsafe")) {
    r.allowed = false;
    size_t pos = ascii_lower(original).find("unsafe");
    if (pos != std::string::npos) r.policy_violations = split_words(original.substr(pos + 6));
  } else if (has("yes")) {
    r.allowed = false;
  } else if (has("no")) {
    r.allowed = true;
  }
  return r;
}

Value content_safety_value(const ContentSafety& safety) {
  colang::Dict d;
  d.set("allowed", Value(safety.allowed));
  colang::List violations;
  for (const std::string& v : safety.policy_violations) violations.push_back(Value(v));
  d.set("policy_violations", Value(std::move(violations)));
  return Value(std::move(d));
}

namespace {

ContentSafety nemoguard_verdict(std::string_view output, const char* key) {
  ContentSafety r;
  auto malformed = [&](const std::string& why) {
    r.allowed = false;
    r.policy_violations = {"unparsable safety verdict: " + why};
    return r;
  };
  // The model may wrap the object in prose or a code fence: take the outermost braces.
  size_t open = output.find('{');
  size_t close = output.rfind('}');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return malformed("no JSON object in the answer");
  }
  nlohmann::json j = nlohmann::json::parse(output.substr(open, close - open + 1), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return malformed("the answer is not valid JSON");
  auto it = j.find(key);
  if (it == j.end()) return malformed(std::string("no \"") + key + "\" field");
  if (!it->is_string()) return malformed(std::string("\"") + key + "\" is not a string");
  std::string verdict = ascii_lower(internal::strip(it->get<std::string>()));
  if (verdict == "safe") {
    r.allowed = true;
    return r;
  }
  r.allowed = false;
  auto cats = j.find("Safety Categories");
  if (cats != j.end() && cats->is_string()) {
    std::string all = cats->get<std::string>();
    size_t at = 0;
    while (at <= all.size()) {
      size_t comma = all.find(',', at);
      std::string c = internal::strip(std::string_view(all).substr(at, comma == std::string::npos ? std::string::npos : comma - at));
      if (!c.empty()) r.policy_violations.push_back(std::move(c));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  }
  return r;
}

}  // namespace

ContentSafety nemoguard_parse_prompt_safety(std::string_view output) {
  return nemoguard_verdict(output, "User Safety");
}

ContentSafety nemoguard_parse_response_safety(std::string_view output) {
  return nemoguard_verdict(output, "Response Safety");
}

std::shared_ptr<const OutputParserRegistry> default_output_parsers() {
  static const std::shared_ptr<const OutputParserRegistry> registry = [] {
    auto r = std::make_shared<OutputParserRegistry>();
    r->add("user_intent", [](std::string_view s) { return Value(parse_user_intent(s)); });
    r->add("bot_intent", [](std::string_view s) { return Value(parse_bot_intent(s)); });
    r->add("bot_message", [](std::string_view s) { return Value(parse_bot_message(s)); });
    r->add("verbose_v1", [](std::string_view s) { return Value(parse_verbose_v1(s)); });
    r->add("is_content_safe", [](std::string_view s) { return content_safety_value(is_content_safe(s)); });
    r->add("nemoguard_parse_prompt_safety",
           [](std::string_view s) { return content_safety_value(nemoguard_parse_prompt_safety(s)); });
    r->add("nemoguard_parse_response_safety",
           [](std::string_view s) { return content_safety_value(nemoguard_parse_response_safety(s)); });
    return std::shared_ptr<const OutputParserRegistry>(std::move(r));
  }();
  return registry;
}

}  // namespace rg::rails::prompts
