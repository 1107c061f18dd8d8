// Jinja's built-in filters that prompt templates use, with Jinja 3's
// behaviour on undefined input (documented per filter where it differs from
// "needs a value"). Case mapping is ASCII only: prompts are English text,
// and non-ASCII letters pass through unchanged.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "rails/prompts/template/filter_registry.h"
#include "rails/prompts/template/internal/values.h"

namespace rg::rails::prompts {
namespace {

using colang::List;
using colang::Value;

std::string str_of(const FilterCall& call) {
  return call.input_defined ? colang::to_python_str(call.input) : std::string();
}

std::string ascii_case(std::string s, bool upper) {
  for (char& c : s) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return s;
}

// Items of the input; an undefined input iterates as empty (Jinja's Undefined).
std::vector<Value> items_of(const FilterCall& call) {
  if (!call.input_defined) return {};
  return internal::iterate(call.input);
}

// ---------------------------------------------------------------- tojson
// Python's json.dumps(sort_keys=True) (ensure_ascii) followed by Jinja's
// htmlsafe escaping of < > & '.

void json_value(std::string& out, const Value& v, int64_t indent, int depth) {
  auto newline = [&](int d) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent * d), ' ');
  };
  const char* item_sep = indent < 0 ? ", " : ",";
  if (depth > 200) throw FilterError("value nested too deeply");
  switch (v.kind()) {
    case Value::Kind::kNone: out += "null"; return;
    case Value::Kind::kBool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::kInt: out += std::to_string(v.as_int()); return;
    case Value::Kind::kFloat: {
      double d = v.as_float();
      if (std::isnan(d)) out += "NaN";
      else if (std::isinf(d)) out += d > 0 ? "Infinity" : "-Infinity";
      else colang::append_python_repr(out, v);
      return;
    }
    case Value::Kind::kStr: colang::append_json_string(out, v.as_str(), /*html_safe=*/true); return;
    case Value::Kind::kList: {
      const List& l = v.as_list();
      if (l.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < l.size(); ++i) {
        if (i > 0) out += item_sep;
        newline(depth + 1);
        json_value(out, l[i], indent, depth + 1);
      }
      newline(depth);
      out += ']';
      return;
    }
    case Value::Kind::kDict: {
      std::vector<const colang::Dict::Entry*> entries;
      for (const auto& e : v.as_dict()) entries.push_back(&e);
      std::sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
      if (entries.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) out += item_sep;
        newline(depth + 1);
        colang::append_json_string(out, entries[i]->first, /*html_safe=*/true);
        out += ": ";
        json_value(out, entries[i]->second, indent, depth + 1);
      }
      newline(depth);
      out += '}';
      return;
    }
    default:
      throw FilterError("Object of type " + std::string(v.type_name()) + " is not JSON serializable");
  }
}

// Python int(str, base): optional sign, digits (underscores between), spaces around.
bool parse_int(const std::string& text, int64_t base, int64_t* out) {
  std::string s = internal::strip(text);
  std::string digits;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_' && i > 0 && i + 1 < s.size() && s[i - 1] != '_') continue;
    digits += s[i];
  }
  if (digits.empty() || base < 2 || base > 36) return false;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(digits.c_str(), &end, static_cast<int>(base));
  if (errno != 0 || end == digits.c_str() || *end != '\0') return false;
  *out = v;
  return true;
}

bool parse_float(const std::string& text, double* out) {
  std::string s = internal::strip(text);
  if (s.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

void add_jinja_filters(FilterRegistry& r) {
  r.add("join", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(2, {"d", "attribute"});
    std::string sep = call.str_param(0, "d", "");
    const Value* attribute = call.param(1, "attribute");
    std::string out;
    bool first = true;
    for (const Value& item : items_of(call)) {
      if (!first) out += sep;
      first = false;
      if (attribute != nullptr && !attribute->is_none()) {
        const Value* v = item.is_dict() ? item.as_dict().find(colang::to_python_str(*attribute)) : nullptr;
        if (v != nullptr) colang::append_python_str(out, *v);
      } else {
        colang::append_python_str(out, item);
      }
    }
    return Value(std::move(out));
  });
  Filter length = [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    if (!call.input_defined) return Value(0);
    const Value& v = call.input;
    if (v.is_str()) return Value(static_cast<int64_t>(internal::characters(v.as_str()).size()));
    if (v.is_list() || v.is_set()) return Value(static_cast<int64_t>(v.as_list().size()));
    if (v.is_dict()) return Value(static_cast<int64_t>(v.as_dict().size()));
    throw FilterError("object of type '" + std::string(v.type_name()) + "' has no len()");
  };
  r.add("length", length);
  r.add("count", length);
  r.add("lower", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    return Value(ascii_case(str_of(call), false));
  });
  r.add("upper", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    return Value(ascii_case(str_of(call), true));
  });
  r.add("capitalize", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    std::string s = ascii_case(str_of(call), false);
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 32);
    return Value(std::move(s));
  });
  r.add("trim", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(1, {"chars"});
    const Value* chars = call.param(0, "chars");
    if (chars != nullptr && !chars->is_none()) return Value(internal::strip(str_of(call), colang::to_python_str(*chars)));
    return Value(internal::strip(str_of(call)));
  });
  r.add("replace", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(3, {"old", "new", "count"});
    const Value* old_v = call.param(0, "old");
    const Value* new_v = call.param(1, "new");
    if (old_v == nullptr || new_v == nullptr) throw FilterError("missing argument: replace(old, new[, count])");
    std::string s = str_of(call), from = colang::to_python_str(*old_v), to = colang::to_python_str(*new_v);
    const Value* count_v = call.param(2, "count");
    int64_t count = count_v == nullptr || count_v->is_none() ? -1 : call.int_param(2, "count", -1);
    std::string out;
    if (from.empty()) {  // Python: insert `to` before every character and at the end
      std::vector<std::string> chars = internal::characters(s);
      int64_t done = 0;
      for (const std::string& c : chars) {
        if (count < 0 || done < count) {
          out += to;
          ++done;
        }
        out += c;
      }
      if (count < 0 || done < count) out += to;
      return Value(std::move(out));
    }
    size_t at = 0;
    int64_t done = 0;
    for (size_t e = s.find(from); e != std::string::npos && (count < 0 || done < count); e = s.find(from, at)) {
      out.append(s, at, e - at);
      out += to;
      at = e + from.size();
      ++done;
    }
    out.append(s, at);
    return Value(std::move(out));
  });
  Filter default_filter = [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(2, {"default_value", "boolean"});
    bool boolean = call.bool_param(1, "boolean", false);
    if (call.input_defined && (!boolean || call.input.truthy())) return call.input;
    const Value* fallback = call.param(0, "default_value");
    if (fallback == nullptr) return Value("");
    if (!call.args.empty() && !call.args_defined[0]) return std::nullopt;  // default(undefined_var)
    return *fallback;
  };
  r.add("default", default_filter);
  r.add("d", default_filter);
  r.add("first", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    std::vector<Value> items = items_of(call);
    if (items.empty()) return std::nullopt;
    return items.front();
  });
  r.add("last", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    std::vector<Value> items = items_of(call);
    if (items.empty()) return std::nullopt;
    return items.back();
  });
  r.add("int", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(2, {"default", "base"});
    Value fallback = call.param(0, "default") ? *call.param(0, "default") : Value(0);
    int64_t base = call.int_param(1, "base", 10);
    call.require_defined();  // (Jinja: int(Undefined) raises)
    const Value& v = call.input;
    if (v.is_int()) return v;
    if (v.is_bool()) return Value(static_cast<int64_t>(v.as_bool()));
    if (v.is_float()) {
      double d = v.as_float();
      if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return fallback;
      return Value(static_cast<int64_t>(d));
    }
    if (v.is_str()) {
      int64_t i = 0;
      if (parse_int(v.as_str(), base, &i)) return Value(i);
      double d = 0;
      if (parse_float(v.as_str(), &d) && std::isfinite(d) && std::fabs(d) < 9.2e18) return Value(static_cast<int64_t>(d));
    }
    return fallback;
  });
  r.add("float", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(1, {"default"});
    Value fallback = call.param(0, "default") ? *call.param(0, "default") : Value(0.0);
    call.require_defined();  // (Jinja: float(Undefined) raises)
    const Value& v = call.input;
    if (v.is_number()) return Value(v.as_number());
    double d = 0;
    if (v.is_str() && parse_float(v.as_str(), &d)) return Value(d);
    return fallback;
  });
  r.add("abs", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    call.require_defined();
    const Value& v = call.input;
    if (v.is_float()) return Value(std::fabs(v.as_float()));
    if (v.is_int() || v.is_bool()) {
      int64_t i = v.is_bool() ? v.as_bool() : v.as_int();
      return i < 0 ? internal::negate(Value(i)) : Value(i);
    }
    throw FilterError("bad operand type for abs(): '" + std::string(v.type_name()) + "'");
  });
  r.add("string", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    return Value(str_of(call));
  });
  r.add("list", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    return Value(List(items_of(call)));
  });
  r.add("tojson", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(1, {"indent"});
    if (!call.input_defined) throw FilterError("Object of type Undefined is not JSON serializable");
    const Value* indent_v = call.param(0, "indent");
    int64_t indent = indent_v == nullptr || indent_v->is_none() ? -1 : call.int_param(0, "indent", -1);
    std::string out;
    json_value(out, call.input, indent, 0);
    return Value(std::move(out));
  });
}

}  // namespace rg::rails::prompts
