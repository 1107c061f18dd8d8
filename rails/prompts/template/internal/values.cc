// Python operator semantics for template values (see values.h).
#include "rails/prompts/template/internal/values.h"

#include <cmath>
#include <limits>

namespace rg::rails::prompts::internal {
namespace {

using colang::List;
using colang::Value;

constexpr size_t kMaxSequence = 1000000;  // cap on "a" * n, range(n)

bool int_like(const Value& v) { return v.is_int() || v.is_bool(); }
int64_t to_int(const Value& v) { return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int(); }

[[noreturn]] void unsupported(std::string_view op, const Value& a, const Value& b) {
  throw ValueError("unsupported operand type(s) for " + std::string(op) + ": '" + std::string(a.type_name()) +
                   "' and '" + std::string(b.type_name()) + "'");
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

Value repeat(const Value& seq, int64_t n) {
  if (n <= 0) return seq.is_str() ? Value("") : Value(List{});
  size_t len = seq.is_str() ? seq.as_str().size() : seq.as_list().size();
  if (len != 0 && static_cast<uint64_t>(n) > kMaxSequence / len) throw ValueError("repetition result too large");
  if (seq.is_str()) {
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += seq.as_str();
    return out;
  }
  List out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.as_list().begin(), seq.as_list().end());
  return out;
}

}  // namespace

std::string strip(std::string_view s, std::string_view chars) {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(chars);
  return std::string(s.substr(b, e - b + 1));
}

std::string object_name(const Value& v) {
  return std::string(v.type_name()) + " object";
}

Value arithmetic(std::string_view op, const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (int_like(a) && int_like(b) && op != "/") {
      int64_t x = to_int(a), y = to_int(b), r = 0;
      if (op == "+") {
        if (__builtin_add_overflow(x, y, &r)) throw ValueError("integer overflow");
      } else if (op == "-") {
        if (__builtin_sub_overflow(x, y, &r)) throw ValueError("integer overflow");
      } else if (op == "*") {
        if (__builtin_mul_overflow(x, y, &r)) throw ValueError("integer overflow");
      } else if (op == "//" || op == "%") {
        if (y == 0) throw ValueError("integer division or modulo by zero");
        if (x == std::numeric_limits<int64_t>::min() && y == -1) throw ValueError("integer overflow");
        int64_t q = floor_div(x, y);
        r = op == "//" ? q : x - q * y;
      } else if (op == "**") {
        if (y < 0) return std::pow(static_cast<double>(x), static_cast<double>(y));
        r = 1;
        for (int64_t i = 0; i < y; ++i) {
          if (__builtin_mul_overflow(r, x, &r)) throw ValueError("integer overflow");
          if (r == 0 || r == 1) break;
        }
        if (r == 1 && x == -1 && (y % 2) == 1) r = -1;
      }
      return r;
    }
    double x = a.as_number(), y = b.as_number();
    if (op == "+") return x + y;
    if (op == "-") return x - y;
    if (op == "*") return x * y;
    if (op == "**") return std::pow(x, y);
    if (y == 0) throw ValueError(op == "/" ? "division by zero" : "float modulo");
    if (op == "/") return x / y;
    if (op == "//") return std::floor(x / y);
    double m = std::fmod(x, y);
    if (m != 0 && ((m < 0) != (y < 0))) m += y;
    return m;
  }
  if (op == "+") {
    if (a.is_str() && b.is_str()) return a.as_str() + b.as_str();
    if (a.is_list() && b.is_list()) {
      List out = a.as_list();
      out.insert(out.end(), b.as_list().begin(), b.as_list().end());
      return out;
    }
  }
  if (op == "*") {
    if ((a.is_str() || a.is_list()) && int_like(b)) return repeat(a, to_int(b));
    if ((b.is_str() || b.is_list()) && int_like(a)) return repeat(b, to_int(a));
  }
  unsupported(op, a, b);
}

Value negate(const Value& v) {
  if (int_like(v)) {
    int64_t x = to_int(v);
    if (x == std::numeric_limits<int64_t>::min()) throw ValueError("integer overflow");
    return -x;
  }
  if (v.is_float()) return -v.as_float();
  throw ValueError("bad operand type for unary -: '" + std::string(v.type_name()) + "'");
}

bool order(std::string_view op, const Value& a, const Value& b) {
  int c = 0;
  if (a.is_number() && b.is_number()) {
    c = colang::compare_numbers(a, b);
    if (c == 2) return false;  // NaN: every ordering is false
  } else if (a.is_str() && b.is_str()) {
    c = a.as_str().compare(b.as_str());
    c = c < 0 ? -1 : c > 0 ? 1 : 0;
  } else if (a.is_list() && b.is_list()) {
    const List& x = a.as_list();
    const List& y = b.as_list();
    size_t i = 0;
    while (i < x.size() && i < y.size() && x[i] == y[i]) ++i;
    if (i < x.size() && i < y.size()) return order(op, x[i], y[i]);
    c = x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
  } else {
    throw ValueError("'" + std::string(op) + "' not supported between instances of '" + std::string(a.type_name()) +
                     "' and '" + std::string(b.type_name()) + "'");
  }
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}

bool contains(const Value& haystack, const Value& needle) {
  if (haystack.is_str()) {
    if (!needle.is_str()) {
      throw ValueError("'in <string>' requires string as left operand, not " + std::string(needle.type_name()));
    }
    return haystack.as_str().find(needle.as_str()) != std::string::npos;
  }
  if (haystack.is_list() || haystack.is_set()) {
    for (const Value& v : haystack.as_list()) {
      if (v == needle) return true;
    }
    return false;
  }
  if (haystack.is_dict()) return needle.is_str() && haystack.as_dict().contains(needle.as_str());
  throw ValueError("argument of type '" + std::string(haystack.type_name()) + "' is not iterable");
}

std::vector<std::string> characters(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    colang::decode_utf8(s, i);
    out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::vector<Value> iterate(const Value& v) {
  if (v.is_list() || v.is_set()) return v.as_list();
  std::vector<Value> out;
  if (v.is_dict()) {
    for (const auto& [k, _] : v.as_dict()) out.emplace_back(k);
    return out;
  }
  if (v.is_str()) {
    for (auto& c : characters(v.as_str())) out.emplace_back(std::move(c));
    return out;
  }
  throw ValueError("'" + std::string(v.type_name()) + "' object is not iterable");
}

Value slice(const Value& v, const Value* lo, const Value* hi, const Value* step_v) {
  auto as_index = [](const Value* b) -> const Value* {
    if (b == nullptr || b->is_none()) return nullptr;
    if (!b->is_int() && !b->is_bool()) throw ValueError("slice indices must be integers or None");
    return b;
  };
  lo = as_index(lo);
  hi = as_index(hi);
  step_v = as_index(step_v);
  const int64_t step = step_v == nullptr ? 1 : to_int(*step_v);
  if (step == 0) throw ValueError("slice step cannot be zero");
  std::vector<std::string> chars;
  if (v.is_str()) {
    chars = characters(v.as_str());
  } else if (!v.is_list()) {
    throw ValueError("'" + std::string(v.type_name()) + "' object is not subscriptable");
  }
  const int64_t len = static_cast<int64_t>(v.is_str() ? chars.size() : v.as_list().size());
  // Python's slice.indices().
  auto adjust = [&](const Value* b, int64_t fallback) {
    if (b == nullptr) return fallback;
    int64_t i = to_int(*b);
    if (i < 0) {
      i += len;
      if (i < 0) i = step < 0 ? -1 : 0;
    } else if (i >= len) {
      i = step < 0 ? len - 1 : len;
    }
    return i;
  };
  int64_t b = adjust(lo, step < 0 ? len - 1 : 0);
  int64_t e = adjust(hi, step < 0 ? -1 : len);
  std::string out_str;
  List out_list;
  for (int64_t i = b; step > 0 ? i < e : i > e; i += step) {
    if (v.is_str()) {
      out_str += chars[static_cast<size_t>(i)];
    } else {
      out_list.push_back(v.as_list()[static_cast<size_t>(i)]);
    }
  }
  if (v.is_str()) return out_str;
  return out_list;
}

namespace {

const std::string& str_arg(const std::vector<Value>& args, size_t i, const std::string& method) {
  if (i >= args.size() || !args[i].is_str()) {
    throw ValueError(method + "() argument " + std::to_string(i + 1) + " must be str");
  }
  return args[i].as_str();
}

void arity(const std::vector<Value>& args, size_t lo, size_t hi, const std::string& method) {
  if (args.size() < lo || args.size() > hi) {
    throw ValueError(method + "() takes " + (lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi)) +
                     " arguments (" + std::to_string(args.size()) + " given)");
  }
}

Value split(const std::string& s, const std::vector<Value>& args) {
  arity(args, 0, 2, "split");
  int64_t max = args.size() > 1 && args[1].is_int() ? args[1].as_int() : -1;
  List out;
  if (args.empty() || args[0].is_none()) {
    const std::string_view ws = " \t\n\r\f\v";
    size_t i = s.find_first_not_of(ws);
    while (i != std::string::npos) {
      if (max >= 0 && static_cast<int64_t>(out.size()) == max) {
        out.emplace_back(strip(s.substr(i)));
        break;
      }
      size_t e = s.find_first_of(ws, i);
      out.emplace_back(s.substr(i, e == std::string::npos ? std::string::npos : e - i));
      i = e == std::string::npos ? e : s.find_first_not_of(ws, e);
    }
    return out;
  }
  const std::string& sep = str_arg(args, 0, "split");
  if (sep.empty()) throw ValueError("empty separator");
  size_t at = 0;
  while (true) {
    size_t e = s.find(sep, at);
    if (e == std::string::npos || (max >= 0 && static_cast<int64_t>(out.size()) == max)) {
      out.emplace_back(s.substr(at));
      break;
    }
    out.emplace_back(s.substr(at, e - at));
    at = e + sep.size();
  }
  return out;
}

std::string ascii_case(std::string s, bool upper) {
  for (char& c : s) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return s;
}

}  // namespace

Value call_method(const Value& obj, const std::string& name, const std::vector<Value>& args) {
  if (obj.is_str()) {
    const std::string& s = obj.as_str();
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
      arity(args, 0, 1, name);
      std::string chars = args.empty() || args[0].is_none() ? " \t\n\r\f\v" : str_arg(args, 0, name);
      if (name == "strip") return strip(s, chars);
      if (name == "lstrip") {
        size_t b = s.find_first_not_of(chars);
        return b == std::string::npos ? std::string() : s.substr(b);
      }
      size_t e = s.find_last_not_of(chars);
      return e == std::string::npos ? std::string() : s.substr(0, e + 1);
    }
    if (name == "lower" || name == "upper") {
      arity(args, 0, 0, name);
      return ascii_case(s, name == "upper");
    }
    if (name == "split") return split(s, args);
    if (name == "startswith" || name == "endswith") {
      arity(args, 1, 1, name);
      const std::string& x = str_arg(args, 0, name);
      if (x.size() > s.size()) return false;
      return name == "startswith" ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0;
    }
    if (name == "replace") {
      arity(args, 2, 2, name);
      const std::string& from = str_arg(args, 0, name);
      const std::string& to = str_arg(args, 1, name);
      if (from.empty()) return s;  // (Python inserts between characters; not needed by prompts)
      std::string out;
      size_t at = 0;
      for (size_t e = s.find(from); e != std::string::npos; e = s.find(from, at)) {
        out.append(s, at, e - at);
        out += to;
        at = e + from.size();
      }
      out.append(s, at);
      return out;
    }
    if (name == "join") {
      arity(args, 1, 1, name);
      std::string out;
      bool first = true;
      for (const Value& v : iterate(args[0])) {
        if (!v.is_str()) throw ValueError("sequence item: expected str instance, " + std::string(v.type_name()) + " found");
        if (!first) out += s;
        out += v.as_str();
        first = false;
      }
      return out;
    }
  } else if (obj.is_dict()) {
    const colang::Dict& d = obj.as_dict();
    if (name == "items" || name == "keys" || name == "values") {
      arity(args, 0, 0, name);
      List out;
      for (const auto& [k, v] : d) {
        if (name == "items") {
          out.emplace_back(List{Value(k), v});
        } else {
          out.emplace_back(name == "keys" ? Value(k) : v);
        }
      }
      return out;
    }
    if (name == "get") {
      arity(args, 1, 2, name);
      const Value* v = args[0].is_str() ? d.find(args[0].as_str()) : nullptr;
      if (v != nullptr) return *v;
      return args.size() > 1 ? args[1] : Value();
    }
  }
  throw ValueError("'" + object_name(obj) + "' has no attribute '" + name + "'");
}

Value range(const std::vector<Value>& args) {
  if (args.empty() || args.size() > 3) throw ValueError("range expected 1 to 3 arguments");
  for (const Value& a : args) {
    if (!int_like(a)) throw ValueError("'" + std::string(a.type_name()) + "' object cannot be interpreted as an integer");
  }
  int64_t start = 0, stop = 0, step = 1;
  if (args.size() == 1) {
    stop = to_int(args[0]);
  } else {
    start = to_int(args[0]);
    stop = to_int(args[1]);
    if (args.size() == 3) step = to_int(args[2]);
  }
  if (step == 0) throw ValueError("range() arg 3 must not be zero");
  List out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (out.size() >= kMaxSequence) throw ValueError("range too large");
    out.emplace_back(i);
  }
  return out;
}

}  // namespace rg::rails::prompts::internal
