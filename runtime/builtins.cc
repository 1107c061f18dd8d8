// The built-in functions of Colang 2.x expressions (spec/colang.md B.4 step
// 4), plus the per-thread regex cache they share with the evaluator.
#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "runtime/internal/py_support.h"

namespace rg::runtime::internal {

using colang::Dict;
using colang::List;
using colang::Value;

std::shared_ptr<const re2::RE2> compile_regex(const std::string& pattern) {
  // Flows evaluate the same few patterns on every event: keep them compiled.
  constexpr size_t kMaxCached = 256;
  thread_local std::unordered_map<std::string, std::shared_ptr<const re2::RE2>> cache;
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second;
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(pattern, options);
  if (!re->ok()) raise("error", re->error() + " in pattern " + colang::to_python_repr(Value(pattern)));
  if (cache.size() >= kMaxCached) cache.clear();
  cache.emplace(pattern, re);
  return re;
}

namespace {

using Builtin = Value (*)(CallArgs& args, EvalHost& host);

void expect_args(std::string_view name, const CallArgs& args, size_t min, size_t max) {
  if (!args.keywords.empty()) raise("TypeError", std::string(name) + "() takes no keyword arguments");
  const size_t n = args.positional.size();
  if (n >= min && n <= max) return;
  std::string msg = std::string(name) + "() takes ";
  if (min == max) {
    msg += "exactly " + std::to_string(min) + (min == 1 ? " argument" : " arguments");
  } else if (n < min) {
    msg += "at least " + std::to_string(min) + (min == 1 ? " argument" : " arguments");
  } else {
    msg += "at most " + std::to_string(max) + (max == 1 ? " argument" : " arguments");
  }
  msg += " (" + std::to_string(n) + " given)";
  raise("TypeError", std::move(msg));
}

// A regex argument: a compiled Pattern or a pattern string.
std::shared_ptr<const re2::RE2> regex_arg(std::string_view fn, const Value& v) {
  if (v.kind() == Value::Kind::kRegex) return v.as_regex().re;
  if (v.is_str()) return compile_regex(v.as_str());
  raise("TypeError", std::string(fn) + "(): first argument must be string or compiled pattern, not " +
                         std::string(v.type_name()));
}

const std::string& string_arg(std::string_view fn, const Value& v) {
  if (!v.is_str()) {
    raise("TypeError", std::string(fn) + "(): expected string, got " + quoted_type(v));
  }
  return v.as_str();
}

// ---------------------------------------------------------------- regex
Value fn_regex(CallArgs& a, EvalHost&) {
  expect_args("regex", a, 1, 1);
  const std::string& pattern = string_arg("regex", a.positional[0]);
  return Value(colang::Regex{pattern, compile_regex(pattern)});
}

Value fn_search(CallArgs& a, EvalHost&) {
  expect_args("search", a, 2, 2);
  const auto re = regex_arg("search", a.positional[0]);
  return Value(RE2::PartialMatch(string_arg("search", a.positional[1]), *re));
}

// re.findall: non-overlapping matches left to right; with no group the whole
// match, with one group that group, with several a list of the groups.
Value fn_find_all(CallArgs& a, EvalHost&) {
  expect_args("find_all", a, 2, 2);
  const auto re = regex_arg("find_all", a.positional[0]);
  const std::string& text = string_arg("find_all", a.positional[1]);
  const int groups = re->NumberOfCapturingGroups();
  std::vector<re2::StringPiece> m(static_cast<size_t>(groups) + 1);
  List out;
  size_t pos = 0;
  while (pos <= text.size()) {
    if (!re->Match(text, pos, text.size(), RE2::UNANCHORED, m.data(), groups + 1)) break;
    if (groups == 0) {
      out.emplace_back(std::string(m[0].data(), m[0].size()));
    } else if (groups == 1) {
      out.emplace_back(std::string(m[1].data(), m[1].size()));
    } else {
      List tuple;
      for (int g = 1; g <= groups; ++g) tuple.emplace_back(std::string(m[g].data(), m[g].size()));
      out.emplace_back(std::move(tuple));
    }
    const size_t end = static_cast<size_t>(m[0].data() - text.data()) + m[0].size();
    if (m[0].empty()) {
      if (end >= text.size()) break;
      size_t next = end;
      utf8_decode(text, next);  // step over one code point after an empty match
      pos = next;
    } else {
      pos = end;
    }
  }
  return Value(std::move(out));
}

// ---------------------------------------------------------------- strings
// JSON as Python's json.dumps(x, indent=4) writes it (ASCII-only output).
using colang::append_json_string;

void append_json(std::string& out, const Value& v, int level) {
  auto newline = [&](int lvl) {
    out.push_back('\n');
    out.append(static_cast<size_t>(lvl) * 4, ' ');
  };
  switch (v.kind()) {
    case Value::Kind::kNone: out += "null"; return;
    case Value::Kind::kBool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::kInt: colang::append_python_repr(out, v); return;
    case Value::Kind::kFloat: {
      const double d = v.as_float();
      if (std::isnan(d)) {
        out += "NaN";
      } else if (std::isinf(d)) {
        out += d < 0 ? "-Infinity" : "Infinity";
      } else {
        colang::append_python_repr(out, v);
      }
      return;
    }
    case Value::Kind::kStr: append_json_string(out, v.as_str()); return;
    case Value::Kind::kList:
    case Value::Kind::kSet: {  // json.dumps rejects sets; we print them as lists
      const List& l = v.as_list();
      if (l.empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      for (size_t i = 0; i < l.size(); ++i) {
        if (i > 0) out.push_back(',');
        newline(level + 1);
        append_json(out, l[i], level + 1);
      }
      newline(level);
      out.push_back(']');
      return;
    }
    case Value::Kind::kDict: {
      const Dict& d = v.as_dict();
      if (d.empty()) {
        out += "{}";
        return;
      }
      out.push_back('{');
      bool first = true;
      for (const auto& [k, item] : d) {
        if (!first) out.push_back(',');
        first = false;
        newline(level + 1);
        append_json_string(out, k);
        out += ": ";
        append_json(out, item, level + 1);
      }
      newline(level);
      out.push_back('}');
      return;
    }
    default:  // regex, matcher, refs, events: their str() as a JSON string
      append_json_string(out, colang::to_python_str(v));
      return;
  }
}

// pretty_str: indented JSON for containers, with uids shortened to their
// first four characters and ISO timestamps elided (as the reference's log
// simplifier does), str(x) for anything else.
Value fn_pretty_str(CallArgs& a, EvalHost&) {
  expect_args("pretty_str", a, 1, 1);
  const Value& v = a.positional[0];
  if (!v.is_dict() && !v.is_list() && !v.is_set()) return Value(colang::to_python_str(v));
  std::string out;
  append_json(out, v, 0);
  static const RE2 kUid(
      "([0-9a-fA-F]{4})[0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_]"
      "[0-9a-fA-F]{12}");
  static const RE2 kTimestamp(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2})");
  RE2::GlobalReplace(&out, kUid, "\\1...");
  RE2::GlobalReplace(&out, kTimestamp, "...");
  return Value(std::move(out));
}

// escape: makes a string safe to embed in a Colang string literal: `\` `'`
// `"` and newlines are backslash-escaped, `{{`/`}}` become `\{`/`\}`.
Value fn_escape(CallArgs& a, EvalHost&) {
  expect_args("escape", a, 1, 1);
  const Value& v = a.positional[0];
  if (!v.is_str()) raise("AttributeError", quoted_type(v) + " object has no attribute 'replace'");
  const std::string& s = v.as_str();
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\' || c == '\'' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if ((c == '{' || c == '}') && i + 1 < s.size() && s[i + 1] == c) {
      out.push_back('\\');
      out.push_back(c);
      ++i;
    } else {
      out.push_back(c);
    }
  }
  return Value(std::move(out));
}

// ---------------------------------------------------------------- types
Value fn_len(CallArgs& a, EvalHost&) {
  expect_args("len", a, 1, 1);
  const Value& v = a.positional[0];
  switch (v.kind()) {
    case Value::Kind::kStr: return Value(static_cast<int64_t>(utf8_length(v.as_str())));
    case Value::Kind::kList:
    case Value::Kind::kSet: return Value(static_cast<int64_t>(v.as_list().size()));
    case Value::Kind::kDict: return Value(static_cast<int64_t>(v.as_dict().size()));
    default: raise("TypeError", "object of type " + quoted_type(v) + " has no len()");
  }
}

Value fn_is_int(CallArgs& a, EvalHost&) {
  expect_args("is_int", a, 1, 1);
  return Value(is_intlike(a.positional[0]));  // isinstance(True, int) is True
}
Value fn_is_float(CallArgs& a, EvalHost&) {
  expect_args("is_float", a, 1, 1);
  return Value(a.positional[0].is_float());
}
Value fn_is_bool(CallArgs& a, EvalHost&) {
  expect_args("is_bool", a, 1, 1);
  return Value(a.positional[0].is_bool());
}
Value fn_is_str(CallArgs& a, EvalHost&) {
  expect_args("is_str", a, 1, 1);
  return Value(a.positional[0].is_str());
}
Value fn_is_regex(CallArgs& a, EvalHost&) {
  expect_args("is_regex", a, 1, 1);
  return Value(a.positional[0].kind() == Value::Kind::kRegex);
}
Value fn_type(CallArgs& a, EvalHost&) {
  expect_args("type", a, 1, 1);
  return Value(a.positional[0].type_name());
}

Value fn_list(CallArgs& a, EvalHost&) {
  expect_args("list", a, 0, 1);
  if (a.positional.empty()) return Value(List{});
  return Value(iterate(a.positional[0]));  // a copy: list(x) is a new list
}

// Python's str.strip() of whitespace, then `_` allowed between digits only.
std::string_view strip_space(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && py_isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && py_isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// Removes `_` separators, each of which must sit between two digits.
bool remove_underscores(std::string_view s, std::string& out) {
  out.clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      const bool ok = i > 0 && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
                      std::isdigit(static_cast<unsigned char>(s[i + 1]));
      if (!ok) return false;
      continue;
    }
    out.push_back(s[i]);
  }
  return true;
}

Value parse_int(const std::string& text) {
  std::string_view s = strip_space(text);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  std::string digits;
  bool ok = !s.empty() && remove_underscores(s, digits) && !digits.empty();
  for (char c : digits) ok = ok && c >= '0' && c <= '9';
  if (!ok) {
    raise("ValueError", "invalid literal for int() with base 10: " + colang::to_python_repr(Value(text)));
  }
  uint64_t mag = 0;
  const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), mag);
  const uint64_t limit = neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (r.ec != std::errc() || mag > limit) raise("OverflowError", "int too large for 64 bits");
  return Value(neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag));
}

Value float_to_int(double d) {
  if (std::isnan(d)) raise("ValueError", "cannot convert float NaN to integer");
  if (std::isinf(d)) raise("OverflowError", "cannot convert float infinity to integer");
  const double t = std::trunc(d);
  if (t >= 9223372036854775808.0 || t < -9223372036854775808.0) {
    raise("OverflowError", "int too large for 64 bits");
  }
  return Value(static_cast<int64_t>(t));
}

Value fn_int(CallArgs& a, EvalHost&) {
  expect_args("int", a, 0, 1);
  if (a.positional.empty()) return Value(int64_t{0});
  const Value& v = a.positional[0];
  if (is_intlike(v)) return Value(to_int(v));
  if (v.is_float()) return float_to_int(v.as_float());
  if (v.is_str()) return parse_int(v.as_str());
  raise("TypeError", "int() argument must be a string or a real number, not " + quoted_type(v));
}

Value parse_float(const std::string& text) {
  std::string_view s = strip_space(text);
  auto fail = [&]() -> Value {
    raise("ValueError", "could not convert string to float: " + colang::to_python_repr(Value(text)));
  };
  std::string lower;
  for (char c : s) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string_view body = lower;
  double sign = 1.0;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    if (body[0] == '-') sign = -1.0;
    body.remove_prefix(1);
  }
  if (body == "inf" || body == "infinity") return Value(sign * std::numeric_limits<double>::infinity());
  if (body == "nan") return Value(std::numeric_limits<double>::quiet_NaN());
  // [digits][.digits][e[sign]digits], at least one digit in the mantissa.
  std::string clean;
  if (!remove_underscores(body, clean)) return fail();
  size_t i = 0, mantissa_digits = 0;
  while (i < clean.size() && std::isdigit(static_cast<unsigned char>(clean[i]))) ++i, ++mantissa_digits;
  if (i < clean.size() && clean[i] == '.') {
    ++i;
    while (i < clean.size() && std::isdigit(static_cast<unsigned char>(clean[i]))) ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return fail();
  if (i < clean.size() && clean[i] == 'e') {
    ++i;
    if (i < clean.size() && (clean[i] == '+' || clean[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < clean.size() && std::isdigit(static_cast<unsigned char>(clean[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return fail();
  }
  if (i != clean.size()) return fail();
  double d = 0.0;
  const auto r = std::from_chars(clean.data(), clean.data() + clean.size(), d);
  if (r.ec == std::errc::result_out_of_range) {
    // Overflow gives inf and underflow 0.0 in Python.
    d = std::strtod(clean.c_str(), nullptr);
  } else if (r.ec != std::errc()) {
    return fail();
  }
  return Value(sign * d);
}

Value fn_float(CallArgs& a, EvalHost&) {
  expect_args("float", a, 0, 1);
  if (a.positional.empty()) return Value(0.0);
  const Value& v = a.positional[0];
  if (v.is_number()) return Value(v.as_number());
  if (v.is_str()) return parse_float(v.as_str());
  raise("TypeError", "float() argument must be a string or a real number, not " + quoted_type(v));
}

Value fn_str(CallArgs& a, EvalHost&) {
  expect_args("str", a, 0, 1);
  if (a.positional.empty()) return Value(std::string());
  return Value(colang::to_python_str(a.positional[0]));
}

// flow(name) / action(name): "cast" a name to a flow or action identifier.
// The reference offers them for that purpose; our flows and actions are
// referred to by name everywhere, so the identifier is the name itself.
Value fn_flow(CallArgs& a, EvalHost&) {
  expect_args("flow", a, 1, 1);
  if (!a.positional[0].is_str())
    raise("TypeError", "flow() takes a flow name (str), not " + quoted_type(a.positional[0]));
  return a.positional[0];
}
Value fn_action(CallArgs& a, EvalHost&) {
  expect_args("action", a, 1, 1);
  if (!a.positional[0].is_str())
    raise("TypeError", "action() takes an action name (str), not " + quoted_type(a.positional[0]));
  return a.positional[0];
}

// ---------------------------------------------------------------- host
Value fn_uid(CallArgs& a, EvalHost& host) {
  expect_args("uid", a, 0, 0);
  return Value(host.new_uid());
}

Value fn_rand(CallArgs& a, EvalHost& host) {
  expect_args("rand", a, 0, 0);
  return Value(host.random());
}

// randint(n) is simpleeval's: int(random() * n), so in [0, n) for n > 0.
Value fn_randint(CallArgs& a, EvalHost& host) {
  expect_args("randint", a, 1, 1);
  const Value& top = a.positional[0];
  if (!top.is_number()) {
    raise("TypeError", "unsupported operand type(s) for *: 'float' and " + quoted_type(top));
  }
  return float_to_int(host.random() * top.as_number());
}

Value fn_flows_info(CallArgs& a, EvalHost& host) {
  expect_args("flows_info", a, 0, 1);
  return host.flows_info(a.positional.empty() ? Value() : a.positional[0]);
}

// ---------------------------------------------------------------- matchers
Value make_matcher(std::string_view fn, colang::Matcher::Op op, CallArgs& a) {
  expect_args(fn, a, 1, 1);
  const Value& v = a.positional[0];
  if (!v.is_number()) {
    raise("TypeError", "Comparison operators don't support values of type " + quoted_type(v));
  }
  return Value(colang::Matcher{op, std::make_shared<const Value>(v)});
}

Value fn_less_than(CallArgs& a, EvalHost&) {
  return make_matcher("less_than", colang::Matcher::Op::kLess, a);
}
Value fn_equal_less_than(CallArgs& a, EvalHost&) {
  return make_matcher("equal_less_than", colang::Matcher::Op::kLessEqual, a);
}
Value fn_greater_than(CallArgs& a, EvalHost&) {
  return make_matcher("greater_than", colang::Matcher::Op::kGreater, a);
}
Value fn_equal_greater_than(CallArgs& a, EvalHost&) {
  return make_matcher("equal_greater_than", colang::Matcher::Op::kGreaterEqual, a);
}
Value fn_not_equal_to(CallArgs& a, EvalHost&) {
  return make_matcher("not_equal_to", colang::Matcher::Op::kNotEqual, a);
}

const std::unordered_map<std::string_view, Builtin>& builtin_table() {
  static const std::unordered_map<std::string_view, Builtin> table = {
      {"len", fn_len},
      {"regex", fn_regex},
      {"search", fn_search},
      {"find_all", fn_find_all},
      {"uid", fn_uid},
      {"pretty_str", fn_pretty_str},
      {"escape", fn_escape},
      {"is_int", fn_is_int},
      {"is_float", fn_is_float},
      {"is_bool", fn_is_bool},
      {"is_str", fn_is_str},
      {"is_regex", fn_is_regex},
      {"type", fn_type},
      {"list", fn_list},
      {"int", fn_int},
      {"float", fn_float},
      {"str", fn_str},
      {"rand", fn_rand},
      {"randint", fn_randint},
      {"flows_info", fn_flows_info},
      {"less_than", fn_less_than},
      {"equal_less_than", fn_equal_less_than},
      {"greater_than", fn_greater_than},
      {"equal_greater_than", fn_equal_greater_than},
      {"not_equal_to", fn_not_equal_to},
      {"flow", fn_flow},
      {"action", fn_action},
  };
  return table;
}

}  // namespace

Value call_builtin(std::string_view name, CallArgs& args, EvalHost& host) {
  const auto& table = builtin_table();
  const auto it = table.find(name);
  if (it == table.end()) raise("NameError", "unknown function '" + std::string(name) + "'");
  return it->second(args, host);
}

}  // namespace rg::runtime::internal
