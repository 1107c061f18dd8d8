// Value: Python-like dynamic values (see value.h).
//
// Containers are compared, copied and printed recursively. Values nest only as
// deep as flows build them (event payloads, context dicts), so plain recursion
// is used here.
#include "colang/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace rg::colang {

// ---------------------------------------------------------------- Dict
namespace {
// Keys are a few bytes long and mostly differ in length or first byte:
// compare inline rather than calling memcmp for every entry (event and
// context dicts are looked up on every event).
inline bool same_key(const std::string& a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  for (size_t i = 0; i < b.size(); ++i) {
    if (p[i] != q[i]) return false;
  }
  return true;
}
}  // namespace

const Value* Dict::find(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (same_key(e.first, key)) return &e.second;
  }
  return nullptr;
}

Value* Dict::find(std::string_view key) {
  for (Entry& e : entries_) {
    if (same_key(e.first, key)) return &e.second;
  }
  return nullptr;
}

void Dict::set(std::string key, Value value) {
  if (Value* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  // Most dicts (events, params) get several keys: start at 4 rather than
  // reallocating at 1, 2 and 4.
  if (entries_.capacity() == 0) entries_.reserve(4);
  entries_.emplace_back(std::move(key), std::move(value));
}

bool Dict::erase(std::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------- Value
// The variant's alternatives are declared in the order of Kind, so the index
// is the kind. Keep them in step.
Value::Kind Value::kind() const { return static_cast<Kind>(v_.index()); }

Value Value::make_set(List items) {
  auto out = std::make_shared<List>();
  out->reserve(items.size());
  for (Value& item : items) {
    bool seen = false;
    for (const Value& kept : *out) {
      if (kept == item) {
        seen = true;
        break;
      }
    }
    if (!seen) out->push_back(std::move(item));
  }
  Value v;
  v.v_ = SetBox{std::move(out)};
  return v;
}

const List& Value::as_list() const {
  if (const SetBox* s = std::get_if<SetBox>(&v_)) return *s->items;
  return *std::get<std::shared_ptr<List>>(v_);
}

List& Value::as_list_mut() {
  if (SetBox* s = std::get_if<SetBox>(&v_)) return *s->items;
  return *std::get<std::shared_ptr<List>>(v_);
}

double Value::as_number() const {
  switch (kind()) {
    case Kind::kBool:
      return as_bool() ? 1.0 : 0.0;
    case Kind::kInt:
      return static_cast<double>(as_int());
    case Kind::kFloat:
      return as_float();
    default:
      return std::get<double>(v_);  // throws bad_variant_access: caller bug
  }
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return as_bool();
    case Kind::kInt:
      return as_int() != 0;
    case Kind::kFloat:
      return as_float() != 0.0;
    case Kind::kStr:
      return !as_str().empty();
    case Kind::kList:
    case Kind::kSet:
      return !as_list().empty();
    case Kind::kDict:
      return !as_dict().empty();
    default:
      return true;
  }
}

std::string_view Value::type_name() const {
  switch (kind()) {
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kStr: return "str";
    case Kind::kList: return "list";
    case Kind::kDict: return "dict";
    case Kind::kSet: return "set";
    case Kind::kRegex: return "Pattern";
    case Kind::kMatcher: return "ComparisonExpression";
    case Kind::kFlowRef: return "FlowState";
    case Kind::kActionRef: return "Action";
    case Kind::kEvent: return "Event";
  }
  return "object";
}

int compare_numbers(const Value& a, const Value& b) {
  const bool a_float = a.is_float();
  const bool b_float = b.is_float();
  if (!a_float && !b_float) {
    const int64_t x = a.is_bool() ? (a.as_bool() ? 1 : 0) : a.as_int();
    const int64_t y = b.is_bool() ? (b.as_bool() ? 1 : 0) : b.as_int();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a_float && b_float) {
    const double x = a.as_float(), y = b.as_float();
    if (std::isnan(x) || std::isnan(y)) return 2;
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  // One int, one float: compare exactly, without rounding the int.
  const bool flip = a_float;  // normalise to (int i, float d)
  const Value& iv = flip ? b : a;
  const double d = flip ? a.as_float() : b.as_float();
  const int64_t i = iv.is_bool() ? (iv.as_bool() ? 1 : 0) : iv.as_int();
  int r;  // sign of (i - d)
  if (std::isnan(d)) return 2;
  if (d >= 9223372036854775808.0) {
    r = -1;
  } else if (d < -9223372036854775808.0) {
    r = 1;
  } else {
    const double t = std::trunc(d);
    const int64_t ti = static_cast<int64_t>(t);
    if (i != ti) {
      r = i < ti ? -1 : 1;
    } else {
      const double frac = d - t;
      r = frac > 0 ? -1 : (frac < 0 ? 1 : 0);
    }
  }
  return flip ? -r : r;
}

namespace {

bool list_contains(const List& items, const Value& v) {
  for (const Value& item : items) {
    if (item == v) return true;
  }
  return false;
}

bool dict_equal(const Dict& a, const Dict& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a) {
    const Value* other = b.find(k);
    if (other == nullptr || !(*other == v)) return false;
  }
  return true;
}

}  // namespace

bool operator==(const Value& a, const Value& b) {
  using K = Value::Kind;
  const K ka = a.kind(), kb = b.kind();
  if (a.is_number() && b.is_number()) return compare_numbers(a, b) == 0;
  if (ka != kb) return false;
  switch (ka) {
    case K::kNone:
      return true;
    case K::kStr:
      return a.as_str() == b.as_str();
    case K::kList: {
      const List& x = a.as_list();
      const List& y = b.as_list();
      if (&x == &y) return true;
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!(x[i] == y[i])) return false;
      }
      return true;
    }
    case K::kSet: {
      const List& x = a.as_list();
      const List& y = b.as_list();
      if (x.size() != y.size()) return false;
      for (const Value& item : x) {
        if (!list_contains(y, item)) return false;
      }
      return true;
    }
    case K::kDict:
      return &a.as_dict() == &b.as_dict() || dict_equal(a.as_dict(), b.as_dict());
    case K::kRegex:
      return a.as_regex().pattern == b.as_regex().pattern;
    case K::kMatcher:
      return &a.as_matcher() == &b.as_matcher();
    case K::kFlowRef:
      return a.as_flow_ref().uid == b.as_flow_ref().uid;
    case K::kActionRef:
      return a.as_action_ref().uid == b.as_action_ref().uid;
    case K::kEvent: {
      const EventValue& x = a.as_event();
      const EventValue& y = b.as_event();
      if (x.name != y.name) return false;
      if (x.arguments == y.arguments) return true;
      if (!x.arguments || !y.arguments) {
        const Dict empty;
        return dict_equal(x.arguments ? *x.arguments : empty, y.arguments ? *y.arguments : empty);
      }
      return dict_equal(*x.arguments, *y.arguments);
    }
    default:
      return false;  // numbers handled above
  }
}

Value Value::deep_copy() const {
  switch (kind()) {
    case Kind::kList: {
      List out;
      out.reserve(as_list().size());
      for (const Value& item : as_list()) out.push_back(item.deep_copy());
      return Value(std::move(out));
    }
    case Kind::kSet: {
      auto out = std::make_shared<List>();
      out->reserve(as_list().size());
      for (const Value& item : as_list()) out->push_back(item.deep_copy());
      Value v;
      v.v_ = SetBox{std::move(out)};
      return v;
    }
    case Kind::kDict: {
      Dict out;
      out.entries().reserve(as_dict().size());
      for (const auto& [k, v] : as_dict()) out.entries().emplace_back(k, v.deep_copy());
      return Value(std::move(out));
    }
    case Kind::kEvent: {
      const EventValue& e = as_event();
      EventValue copy = e;
      if (e.arguments) copy.arguments = Value(*e.arguments).deep_copy().dict_ptr();
      return Value(std::move(copy));
    }
    default:
      return *this;  // scalars and immutable objects
  }
}

// ---------------------------------------------------------------- printing
// Appends code point cp as UTF-8; surrogates and values past U+10FFFF become
// U+FFFD so the output is always valid UTF-8.
void append_utf8(std::string& out, uint32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void append_json_string(std::string& out, std::string_view s, bool html_safe) {
  static const char kHex[] = "0123456789abcdef";
  auto u_escape = [&](uint32_t u) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(u >> shift) & 0xF]);
  };
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const uint32_t cp = decode_utf8(s, i);
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '<': case '>': case '&': case '\'':
        if (html_safe) u_escape(cp); else out.push_back(static_cast<char>(cp));
        break;
      default:
        if (cp >= 0x20 && cp < 0x80) {
          out.push_back(static_cast<char>(cp));
        } else if (cp < 0x10000) {
          u_escape(cp);
        } else {
          const uint32_t v = cp - 0x10000;
          u_escape(0xD800 | (v >> 10));
          u_escape(0xDC00 | (v & 0x3FF));
        }
    }
  }
  out.push_back('"');
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i.
// An invalid byte decodes as itself (0x80-0xFF) and advances by one.
uint32_t decode_utf8(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  uint32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    ++i;
    return b0;
  }
  if (i + len > s.size()) {
    ++i;
    return b0;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return b0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += len;
  return cp;
}

namespace {



// Python's str.isprintable() for non-ASCII code points, approximated by the
// separator, format, surrogate and private-use ranges that occur in practice.
bool printable_non_ascii(uint32_t cp) {
  if (cp <= 0xA0) return false;  // C1 controls and NBSP
  if (cp == 0xAD) return false;
  if (cp >= 0x600 && cp <= 0x605) return false;
  if (cp == 0x61C || cp == 0x6DD || cp == 0x70F || cp == 0x1680 || cp == 0x180E) return false;
  if (cp >= 0x2000 && cp <= 0x200F) return false;
  if (cp >= 0x2028 && cp <= 0x202F) return false;
  if (cp >= 0x205F && cp <= 0x206F) return false;
  if (cp == 0x3000 || cp == 0xFEFF) return false;
  if (cp >= 0xD800 && cp <= 0xF8FF) return false;
  if (cp >= 0xFFF9 && cp <= 0xFFFB) return false;
  if (cp == 0xFFFE || cp == 0xFFFF) return false;
  if (cp >= 0xE0000) return false;
  return true;
}

void append_hex(std::string& out, uint32_t v, int digits) {
  static const char kHex[] = "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out.push_back(kHex[(v >> shift) & 0xF]);
}

void append_str_repr(std::string& out, std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  out.reserve(out.size() + s.size() + 2);
  out.push_back(quote);
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      if (c == static_cast<unsigned char>(quote) || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || c == 0x7F) {
        out += "\\x";
        append_hex(out, c, 2);
      } else {
        out.push_back(static_cast<char>(c));
      }
      continue;
    }
    const size_t start = i;
    const uint32_t cp = decode_utf8(s, i);
    if (printable_non_ascii(cp)) {
      out.append(s.substr(start, i - start));
    } else if (cp <= 0xFF) {
      out += "\\x";
      append_hex(out, cp, 2);
    } else if (cp <= 0xFFFF) {
      out += "\\u";
      append_hex(out, cp, 4);
    } else {
      out += "\\U";
      append_hex(out, cp, 8);
    }
  }
  out.push_back(quote);
}

// Python's repr(float): the shortest digits that round-trip, in fixed
// notation when the decimal exponent is in [-4, 16), else scientific with at
// least two exponent digits.
void append_float(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "nan";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-inf" : "inf";
    return;
  }
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));  // [-]d[.ddd]e(+|-)XX
  if (!sci.empty() && sci[0] == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  const size_t e_pos = sci.find('e');
  char digits[32];
  size_t nd = 0;
  for (size_t k = 0; k < e_pos; ++k) {
    if (sci[k] != '.') digits[nd++] = sci[k];
  }
  int exp = 0;
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);
  const int decpt = exp + 1;  // value = 0.DIGITS * 10^decpt
  if (decpt <= -4 || decpt > 16) {
    out.push_back(digits[0]);
    if (nd > 1) {
      out.push_back('.');
      out.append(digits + 1, nd - 1);
    }
    out.push_back('e');
    out.push_back(exp < 0 ? '-' : '+');
    const int a = exp < 0 ? -exp : exp;
    if (a < 10) out.push_back('0');
    char eb[8];
    const auto er = std::to_chars(eb, eb + sizeof(eb), a);
    out.append(eb, er.ptr);
  } else if (decpt <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-decpt), '0');
    out.append(digits, nd);
  } else if (static_cast<size_t>(decpt) >= nd) {
    out.append(digits, nd);
    out.append(static_cast<size_t>(decpt) - nd, '0');
    out += ".0";
  } else {
    out.append(digits, static_cast<size_t>(decpt));
    out.push_back('.');
    out.append(digits + decpt, nd - static_cast<size_t>(decpt));
  }
}

void append_matcher(std::string& out, const Matcher& m) {
  switch (m.op) {
    case Matcher::Op::kLess: out += "less_than("; break;
    case Matcher::Op::kLessEqual: out += "equal_less_than("; break;
    case Matcher::Op::kGreater: out += "greater_than("; break;
    case Matcher::Op::kGreaterEqual: out += "equal_greater_than("; break;
    case Matcher::Op::kNotEqual: out += "not_equal_to("; break;
  }
  if (m.operand) append_python_repr(out, *m.operand);
  out.push_back(')');
}

void append_dict(std::string& out, const Dict& d) {
  out.push_back('{');
  bool first = true;
  for (const auto& [k, v] : d) {
    if (!first) out += ", ";
    first = false;
    append_str_repr(out, k);
    out += ": ";
    append_python_repr(out, v);
  }
  out.push_back('}');
}

}  // namespace

void append_python_repr(std::string& out, const Value& v) {
  using K = Value::Kind;
  switch (v.kind()) {
    case K::kNone:
      out += "None";
      return;
    case K::kBool:
      out += v.as_bool() ? "True" : "False";
      return;
    case K::kInt: {
      char buf[24];
      const auto r = std::to_chars(buf, buf + sizeof(buf), v.as_int());
      out.append(buf, r.ptr);
      return;
    }
    case K::kFloat:
      append_float(out, v.as_float());
      return;
    case K::kStr:
      append_str_repr(out, v.as_str());
      return;
    case K::kList: {
      out.push_back('[');
      bool first = true;
      for (const Value& item : v.as_list()) {
        if (!first) out += ", ";
        first = false;
        append_python_repr(out, item);
      }
      out.push_back(']');
      return;
    }
    case K::kSet: {
      if (v.as_list().empty()) {
        out += "set()";
        return;
      }
      out.push_back('{');
      bool first = true;
      for (const Value& item : v.as_list()) {
        if (!first) out += ", ";
        first = false;
        append_python_repr(out, item);
      }
      out.push_back('}');
      return;
    }
    case K::kDict:
      append_dict(out, v.as_dict());
      return;
    case K::kRegex:
      out += "re.compile(";
      append_str_repr(out, v.as_regex().pattern);
      out.push_back(')');
      return;
    case K::kMatcher:
      append_matcher(out, v.as_matcher());
      return;
    case K::kFlowRef:
      out += "FlowState(uid=";
      append_str_repr(out, v.as_flow_ref().uid);
      out.push_back(')');
      return;
    case K::kActionRef:
      out += "Action(uid=";
      append_str_repr(out, v.as_action_ref().uid);
      out.push_back(')');
      return;
    case K::kEvent: {
      const EventValue& e = v.as_event();
      out += "Event(name=";
      append_str_repr(out, e.name);
      out += ", arguments=";
      if (e.arguments) {
        append_dict(out, *e.arguments);
      } else {
        out += "{}";
      }
      out.push_back(')');
      return;
    }
  }
}

void append_python_str(std::string& out, const Value& v) {
  if (v.is_str()) {
    out += v.as_str();
  } else {
    append_python_repr(out, v);
  }
}

std::string to_python_str(const Value& v) {
  if (v.is_str()) return v.as_str();
  std::string out;
  append_python_repr(out, v);
  return out;
}

std::string to_python_repr(const Value& v) {
  std::string out;
  append_python_repr(out, v);
  return out;
}

}  // namespace rg::colang
