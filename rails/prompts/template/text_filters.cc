// The spec 3.3 filters that work on colang history text or on plain event
// lists. Each reproduces the reference's observable behaviour, including its
// rough edges (noted inline), because prompts are compared byte for byte.
//
// v1 history text looks like:
//   user "hello there"
//     express greeting
//   bot express greeting
//     "Hello! How can I help?"
#include <string>
#include <string_view>
#include <vector>

#include "rails/prompts/template/filter_registry.h"
#include "rails/prompts/template/internal/values.h"

namespace rg::rails::prompts {
namespace {

using colang::Value;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Python str.split("\n").
std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t at = 0;
  while (true) {
    size_t e = s.find('\n', at);
    if (e == std::string::npos) {
      out.push_back(s.substr(at));
      return out;
    }
    out.push_back(s.substr(at, e - at));
    at = e + 1;
  }
}

std::string join_lines(const std::vector<std::string>& lines, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out += '\n';
    out += lines[i];
  }
  return out;
}

// A turn starts at a user message line. (The reference counts `user "`
// only; `user action: ...` lines of v2 histories do not start a turn.)
bool starts_turn(const std::string& line) { return starts_with(line, "user \""); }

// NeMo's indent: textwrap.indent(text, " " * n) -- every line that is not
// blank gets the prefix, the first line included. (Jinja's own indent skips
// the first line; prompts get NeMo's, which replaces it.)
std::string indent_text(const std::string& text, int64_t n) {
  const std::string prefix(static_cast<size_t>(n < 0 ? 0 : n), ' ');
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    size_t e = text.find('\n', at);
    size_t end = e == std::string::npos ? text.size() : e + 1;
    std::string_view line(text.data() + at, end - at);
    if (line.find_first_not_of(" \t\n\r\f\v") != std::string_view::npos) out += prefix;
    out.append(line);
    at = end;
  }
  return out;
}

// re.sub(r'user "[^\n]+"\n {2}', "user ", s): a user message line followed
// by its indented intent collapses to `user <intent>`.
std::string collapse_user_messages(const std::string& s) {
  std::string out;
  size_t at = 0;
  size_t i = s.find("user \"");
  while (i != std::string::npos) {
    size_t body = i + 6;
    size_t eol = s.find('\n', body);
    // [^\n]+ then `"`: the line must end in a quote with at least one character before it.
    bool match = eol != std::string::npos && eol >= body + 2 && s[eol - 1] == '"' && s.compare(eol + 1, 2, "  ") == 0;
    if (match) {
      out.append(s, at, i - at);
      out += "user ";
      at = eol + 3;
      i = s.find("user \"", at);
    } else {
      i = s.find("user \"", i + 1);
    }
  }
  out.append(s, at);
  return out;
}

// re.sub(r"^\s*user [^\n]+\n\n", "", s) without MULTILINE: only at the very
// start of the text.
std::string drop_leading_user_line(const std::string& s) {
  size_t k = s.find_first_not_of(" \t\n\r\f\v");
  if (k == std::string::npos || s.compare(k, 5, "user ") != 0) return s;
  size_t eol = s.find('\n', k + 5);
  if (eol == std::string::npos || eol == k + 5 || s.compare(eol, 2, "\n\n") != 0) return s;
  return s.substr(eol + 2);
}

// re.sub(r'bot ([^\n]+)\n {2}"[\s\S]*?"', r"bot \1", s): a bot intent line
// loses the quoted message under it (which may span lines).
std::string drop_bot_messages(const std::string& s) {
  std::string out;
  size_t at = 0;
  size_t i = s.find("bot ");
  while (i != std::string::npos) {
    size_t eol = s.find('\n', i + 4);
    size_t close = std::string::npos;
    if (eol != std::string::npos && eol > i + 4 && s.compare(eol + 1, 3, "  \"") == 0) close = s.find('"', eol + 4);
    if (close != std::string::npos) {
      out.append(s, at, eol - at);  // keeps "bot <intent>"
      at = close + 1;
      i = s.find("bot ", at);
    } else {
      i = s.find("bot ", i + 1);
    }
  }
  out.append(s, at);
  return out;
}

// One pass over the lines, appending to one string (it runs on the whole
// history in every generate_* prompt; no vector of line copies). A line's
// rewrite may depend on the previous line *as rewritten* ("User message: ").
std::string verbose(const std::string& history) {
  std::string out;
  out.reserve(history.size() + history.size() / 2);
  bool prev_user_message = false;
  size_t at = 0;
  while (true) {
    size_t e = history.find('\n', at);
    std::string_view line(history.data() + at, (e == std::string::npos ? history.size() : e) - at);
    if (at > 0) out += '\n';
    const size_t start = out.size();
    if (starts_with(line, "user \"")) {
      out += "User message: \"";
      out += line.substr(6);
    } else if (starts_with(line, "  ") && prev_user_message) {
      out += "User intent: ";
      out += internal::strip(line);
    } else if (starts_with(line, "user ")) {
      out += "User intent: ";
      out += internal::strip(line.substr(5));
    } else if (starts_with(line, "bot ")) {
      out += "Bot intent: ";
      out += line.substr(4);
    } else if (starts_with(line, "  \"")) {
      out += "Bot message: ";
      out += line.substr(2);
    } else {
      out += line;
    }
    prev_user_message = starts_with(std::string_view(out).substr(start), "User message: ");
    if (e == std::string::npos) break;
    at = e + 1;
  }
  return out;
}

// UserMessage -> `<user><text>`, StartUtteranceBotAction -> `<bot><script>`, joined by "\n".
std::string event_sequence(const FilterCall& call, std::string_view user, std::string_view bot) {
  call.require_defined();
  if (!call.input.is_list()) throw FilterError("expected a list of events, got " + std::string(call.input.type_name()));
  std::string out;
  bool first = true;
  auto field = [](const colang::Dict& event, std::string_view key) -> std::string {
    const Value* v = event.find(key);
    if (v == nullptr) throw FilterError("event has no '" + std::string(key) + "'");
    return colang::to_python_str(*v);
  };
  for (const Value& e : call.input.as_list()) {
    if (!e.is_dict()) throw FilterError("expected an event dict, got " + std::string(e.type_name()));
    const colang::Dict& event = e.as_dict();
    std::string type = field(event, "type");
    std::string line;
    if (type == "UserMessage") {
      line = std::string(user) + field(event, "text");
    } else if (type == "StartUtteranceBotAction") {
      line = std::string(bot) + field(event, "script");
    } else {
      continue;
    }
    if (!first) out += '\n';
    out += line;
    first = false;
  }
  return out;
}

}  // namespace

void add_text_filters(FilterRegistry& r) {
  r.add("indent", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(1, {"n_spaces"});
    if (call.param(0, "n_spaces") == nullptr) throw FilterError("missing argument: indent(n_spaces)");
    return Value(indent_text(call.input_str(), call.int_param(0, "n_spaces", 0)));
  });
  r.add("first_turns", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(1, {"n"});
    if (call.param(0, "n") == nullptr) throw FilterError("missing argument: first_turns(n)");
    int64_t n = call.int_param(0, "n", 0);
    std::vector<std::string> lines = split_lines(call.input_str());
    int64_t turns = 0;
    size_t i = 0;
    for (; i < lines.size(); ++i) {
      if (starts_turn(lines[i])) ++turns;
      if (turns == n + 1) break;
    }
    return Value(join_lines(lines, 0, i));
  });
  r.add("last_turns", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(1, {"n"});
    if (call.param(0, "n") == nullptr) throw FilterError("missing argument: last_turns(n)");
    int64_t n = call.int_param(0, "n", 0);
    std::vector<std::string> lines = split_lines(call.input_str());
    int64_t turns = 0;
    size_t i = lines.size() - 1;
    for (; i > 0; --i) {  // (line 0 is never examined, as in the reference)
      if (starts_turn(lines[i])) ++turns;
      if (turns == n) break;
    }
    return Value(join_lines(lines, i, lines.size()));
  });
  r.add("remove_text_messages", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    return Value(drop_bot_messages(drop_leading_user_line(collapse_user_messages(call.input_str()))));
  });
  r.add("verbose_v1", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    return Value(verbose(call.input_str()));
  });
  r.add("user_assistant_sequence", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    return Value(event_sequence(call, "User: ", "Assistant: "));
  });
  r.add("user_assistant_sequence_nemollm", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    return Value(event_sequence(call, "<extra_id_1>User\n", "<extra_id_1>Assistant\n"));
  });
}

}  // namespace rg::rails::prompts
