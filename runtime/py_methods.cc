// The safe subset of Python methods on str, list, dict and set values, plus
// the UTF-8 helpers (Python indexes strings by code point; ours are UTF-8).
#include <algorithm>
#include <limits>

#include "runtime/internal/py_support.h"

namespace rg::runtime::internal {

using colang::Dict;
using colang::List;
using colang::Value;

// ---------------------------------------------------------------- UTF-8
bool is_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

uint32_t utf8_decode(std::string_view s, size_t& i) { return colang::decode_utf8(s, i); }
void utf8_append(std::string& out, uint32_t cp) { colang::append_utf8(out, cp); }

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::vector<size_t> utf8_offsets(std::string_view s) {
  std::vector<size_t> offsets;
  offsets.reserve(s.size() + 1);
  size_t i = 0;
  while (i < s.size()) {
    offsets.push_back(i);
    utf8_decode(s, i);
  }
  offsets.push_back(s.size());
  return offsets;
}

bool py_isspace(uint32_t cp) {
  if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F)) return true;
  if (cp < 0x80) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

namespace {

// ---------------------------------------------------------------- case
// Simple one-to-one case mapping for ASCII, Latin-1, Latin Extended-A, Greek
// and Cyrillic (enough for the text flows handle; no special casing).
uint32_t cp_lower(uint32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c >= 0x100 && c <= 0x137) return c | 1;
  if (c >= 0x139 && c <= 0x148) return (c & 1) ? c + 1 : c;
  if (c >= 0x14A && c <= 0x177) return c | 1;
  if (c == 0x178) return 0xFF;
  if (c >= 0x179 && c <= 0x17E) return (c & 1) ? c + 1 : c;
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

uint32_t cp_upper(uint32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if (c == 0xFF) return 0x178;
  if (c >= 0x100 && c <= 0x137) return c & ~1u;
  if (c >= 0x139 && c <= 0x148) return (c & 1) ? c : c - 1;
  if (c >= 0x14A && c <= 0x177) return c & ~1u;
  if (c >= 0x179 && c <= 0x17E) return (c & 1) ? c : c - 1;
  if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) return c - 32;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  return c;
}

bool cp_is_cased(uint32_t c) { return cp_lower(c) != cp_upper(c) || c == 0xDF; }
bool cp_is_lower(uint32_t c) { return cp_is_cased(c) && cp_lower(c) == c; }
bool cp_is_upper(uint32_t c) { return cp_is_cased(c) && cp_upper(c) == c; }

// Letters: ASCII plus the main alphabetic blocks (approximation of
// str.isalpha for non-ASCII text).
bool cp_is_alpha(uint32_t c) {
  if (c < 0x80) return (c | 32) >= 'a' && (c | 32) <= 'z';
  if (c == 0xAA || c == 0xB5 || c == 0xBA) return true;
  if (c >= 0xC0 && c <= 0x24F) return c != 0xD7 && c != 0xF7;
  if (c >= 0x370 && c <= 0x3FF) return c != 0x375 && c != 0x37E && c != 0x384 && c != 0x385 &&
                                        c != 0x387;
  if (c >= 0x400 && c <= 0x481) return true;
  if (c >= 0x48A && c <= 0x52F) return true;
  if (c >= 0x5D0 && c <= 0x5EA) return true;
  if (c >= 0x620 && c <= 0x64A) return true;
  if (c >= 0x3041 && c <= 0x30FF) return c != 0x30A0 && c != 0x30FB;
  if (c >= 0x4E00 && c <= 0x9FFF) return true;
  if (c >= 0xAC00 && c <= 0xD7A3) return true;
  return false;
}

bool cp_is_digit(uint32_t c) { return c >= '0' && c <= '9'; }

template <typename Fn>
std::string map_code_points(std::string_view s, Fn fn) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) utf8_append(out, fn(utf8_decode(s, i)));
  return out;
}

// ---------------------------------------------------------------- arguments
[[noreturn]] void no_attribute(const Value& obj, std::string_view name) {
  raise("AttributeError", quoted_type(obj) + " object has no attribute '" + std::string(name) + "'");
}

void expect_args(std::string_view name, const CallArgs& args, size_t min, size_t max) {
  if (!args.keywords.empty()) {
    raise("TypeError", std::string(name) + "() takes no keyword arguments");
  }
  const size_t n = args.positional.size();
  if (n < min || n > max) {
    std::string msg = std::string(name) + "() takes ";
    if (min == max) {
      msg += "exactly " + std::to_string(min);
    } else if (n < min) {
      msg += "at least " + std::to_string(min);
    } else {
      msg += "at most " + std::to_string(max);
    }
    msg += max == 1 && min == 1 ? " argument" : " arguments";
    msg += " (" + std::to_string(n) + " given)";
    raise("TypeError", std::move(msg));
  }
}

const std::string& expect_str(std::string_view what, const Value& v) {
  if (!v.is_str()) {
    raise("TypeError", std::string(what) + " must be str, not " + std::string(v.type_name()));
  }
  return v.as_str();
}

int64_t expect_int(std::string_view what, const Value& v) {
  if (!is_intlike(v)) {
    raise("TypeError", std::string(what) + ": " + quoted_type(v) +
                           " object cannot be interpreted as an integer");
  }
  return to_int(v);
}

// Code point index of byte offset `pos` in s.
int64_t cp_index(std::string_view s, size_t pos) {
  return static_cast<int64_t>(utf8_length(s.substr(0, pos)));
}

// ---------------------------------------------------------------- str
Value strip(std::string_view s, const CallArgs& args, bool left, bool right, std::string_view name) {
  expect_args(name, args, 0, 1);
  std::vector<uint32_t> chars;
  const bool custom = !args.positional.empty() && !args.positional[0].is_none();
  if (custom) {
    const std::string& set = expect_str(std::string(name) + " arg", args.positional[0]);
    size_t i = 0;
    while (i < set.size()) chars.push_back(utf8_decode(set, i));
  }
  auto strip_it = [&](uint32_t cp) {
    return custom ? std::find(chars.begin(), chars.end(), cp) != chars.end() : py_isspace(cp);
  };
  const std::vector<size_t> off = utf8_offsets(s);
  size_t b = 0, e = off.size() - 1;  // code point range [b, e)
  auto cp_at = [&](size_t k) {
    size_t i = off[k];
    return utf8_decode(s, i);
  };
  if (left) {
    while (b < e && strip_it(cp_at(b))) ++b;
  }
  if (right) {
    while (e > b && strip_it(cp_at(e - 1))) --e;
  }
  return Value(std::string(s.substr(off[b], off[e] - off[b])));
}

Value split(const std::string& s, CallArgs& args) {
  Value sep_v;
  int64_t maxsplit = -1;
  if (args.positional.size() > 2) raise("TypeError", "split() takes at most 2 arguments");
  if (!args.positional.empty()) sep_v = args.positional[0];
  if (args.positional.size() > 1) maxsplit = expect_int("split", args.positional[1]);
  for (auto& [k, v] : args.keywords) {
    if (k == "sep") {
      sep_v = v;
    } else if (k == "maxsplit") {
      maxsplit = expect_int("split", v);
    } else {
      raise("TypeError", "split() got an unexpected keyword argument '" + std::string(k) + "'");
    }
  }
  List out;
  if (sep_v.is_none()) {
    // Runs of whitespace; leading and trailing whitespace ignored.
    size_t i = 0;
    const size_t n = s.size();
    auto skip_space = [&]() {
      while (i < n) {
        size_t j = i;
        if (!py_isspace(utf8_decode(s, j))) break;
        i = j;
      }
    };
    skip_space();
    while (i < n) {
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
        // The rest, with trailing whitespace kept (as Python).
        out.emplace_back(s.substr(i));
        return Value(std::move(out));
      }
      const size_t start = i;
      while (i < n) {
        size_t j = i;
        if (py_isspace(utf8_decode(s, j))) break;
        i = j;
      }
      out.emplace_back(s.substr(start, i - start));
      skip_space();
    }
    return Value(std::move(out));
  }
  const std::string& sep = expect_str("separator", sep_v);
  if (sep.empty()) raise("ValueError", "empty separator");
  size_t start = 0;
  while (true) {
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) break;
    const size_t pos = s.find(sep, start);
    if (pos == std::string::npos) break;
    out.emplace_back(s.substr(start, pos - start));
    start = pos + sep.size();
  }
  out.emplace_back(s.substr(start));
  return Value(std::move(out));
}


int64_t count_occurrences(std::string_view s, std::string_view sub) {
  if (sub.empty()) return static_cast<int64_t>(utf8_length(s)) + 1;
  int64_t n = 0;
  size_t pos = 0;
  while ((pos = s.find(sub, pos)) != std::string_view::npos) {
    ++n;
    pos += sub.size();
  }
  return n;
}

Value replace(const std::string& s, const CallArgs& args) {
  expect_args("replace", args, 2, 3);
  const std::string& old_s = expect_str("replace() argument 1", args.positional[0]);
  const std::string& new_s = expect_str("replace() argument 2", args.positional[1]);
  int64_t count = args.positional.size() > 2 ? expect_int("replace", args.positional[2]) : -1;
  std::string out;
  if (old_s.empty()) {
    // Insert `new` before every code point and at the end.
    size_t i = 0;
    while (i < s.size() && count != 0) {
      out += new_s;
      const size_t start = i;
      utf8_decode(s, i);
      out.append(s, start, i - start);
      --count;
    }
    if (i < s.size()) {
      out.append(s, i, std::string::npos);
    } else if (count != 0) {
      out += new_s;
    }
    return Value(std::move(out));
  }
  size_t start = 0;
  while (count != 0) {
    const size_t pos = s.find(old_s, start);
    if (pos == std::string::npos) break;
    out.append(s, start, pos - start);
    out += new_s;
    start = pos + old_s.size();
    --count;
  }
  out.append(s, start, std::string::npos);
  return Value(std::move(out));
}

bool affix_match(const std::string& s, const Value& affix, bool prefix, std::string_view name) {
  auto one = [&](const Value& a) {
    const std::string& t = expect_str(std::string(name) + " first arg", a);
    if (t.size() > s.size()) return false;
    return prefix ? s.compare(0, t.size(), t) == 0 : s.compare(s.size() - t.size(), t.size(), t) == 0;
  };
  if (affix.is_list()) {
    for (const Value& a : affix.as_list()) {
      if (one(a)) return true;
    }
    return false;
  }
  return one(affix);
}

template <typename Pred>
bool all_code_points(std::string_view s, Pred pred) {
  if (s.empty()) return false;
  size_t i = 0;
  while (i < s.size()) {
    if (!pred(utf8_decode(s, i))) return false;
  }
  return true;
}

Value str_method(const std::string& s, std::string_view name, CallArgs& args) {
  if (name == "lower") {
    expect_args(name, args, 0, 0);
    return Value(map_code_points(s, cp_lower));
  }
  if (name == "upper") {
    expect_args(name, args, 0, 0);
    return Value(map_code_points(s, cp_upper));
  }
  if (name == "strip") return strip(s, args, true, true, name);
  if (name == "lstrip") return strip(s, args, true, false, name);
  if (name == "rstrip") return strip(s, args, false, true, name);
  if (name == "startswith" || name == "endswith") {
    expect_args(name, args, 1, 1);
    return Value(affix_match(s, args.positional[0], name == "startswith", name));
  }
  if (name == "replace") return replace(s, args);
  if (name == "split") return split(s, args);
  if (name == "join") {
    expect_args(name, args, 1, 1);
    const List items = iterate(args.positional[0]);
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_str()) {
        raise("TypeError", "sequence item " + std::to_string(i) + ": expected str instance, " +
                               std::string(items[i].type_name()) + " found");
      }
      if (i > 0) out += s;
      out += items[i].as_str();
    }
    return Value(std::move(out));
  }
  if (name == "find" || name == "index") {
    expect_args(name, args, 1, 1);
    const std::string& sub = expect_str(std::string(name) + "() argument", args.positional[0]);
    const size_t pos = s.find(sub);
    if (pos == std::string::npos) {
      if (name == "index") raise("ValueError", "substring not found");
      return Value(int64_t{-1});
    }
    return Value(cp_index(s, pos));
  }
  if (name == "count") {
    expect_args(name, args, 1, 1);
    return Value(count_occurrences(s, expect_str("count() argument", args.positional[0])));
  }
  if (name == "capitalize" || name == "title") {
    expect_args(name, args, 0, 0);
    std::string out;
    out.reserve(s.size());
    bool at_word_start = true;
    size_t i = 0;
    while (i < s.size()) {
      const uint32_t cp = utf8_decode(s, i);
      if (name == "capitalize") {
        utf8_append(out, at_word_start ? cp_upper(cp) : cp_lower(cp));
        at_word_start = false;
      } else {
        utf8_append(out, at_word_start ? cp_upper(cp) : cp_lower(cp));
        at_word_start = !cp_is_cased(cp) && !cp_is_alpha(cp);
      }
    }
    return Value(std::move(out));
  }
  if (name == "isdigit") {
    expect_args(name, args, 0, 0);
    return Value(all_code_points(s, cp_is_digit));
  }
  if (name == "isalpha") {
    expect_args(name, args, 0, 0);
    return Value(all_code_points(s, cp_is_alpha));
  }
  if (name == "isalnum") {
    expect_args(name, args, 0, 0);
    return Value(all_code_points(s, [](uint32_t c) { return cp_is_alpha(c) || cp_is_digit(c); }));
  }
  if (name == "isspace") {
    expect_args(name, args, 0, 0);
    return Value(all_code_points(s, py_isspace));
  }
  if (name == "islower" || name == "isupper") {
    expect_args(name, args, 0, 0);
    bool any_cased = false, ok = true;
    size_t i = 0;
    while (i < s.size()) {
      const uint32_t cp = utf8_decode(s, i);
      if (!cp_is_cased(cp)) continue;
      any_cased = true;
      if (name == "islower" ? !cp_is_lower(cp) : !cp_is_upper(cp)) ok = false;
    }
    return Value(any_cased && ok);
  }
  no_attribute(Value(s), name);
}

// ---------------------------------------------------------------- list

Value list_method(Value& obj, std::string_view name, CallArgs& args) {
  List& l = obj.as_list_mut();
  if (name == "append") {
    expect_args(name, args, 1, 1);
    l.push_back(args.positional[0]);
    return Value();
  }
  if (name == "extend") {
    expect_args(name, args, 1, 1);
    List items = iterate(args.positional[0]);  // copy first: `l.extend(l)` works
    l.insert(l.end(), std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
    return Value();
  }
  if (name == "insert") {
    expect_args(name, args, 2, 2);
    int64_t i = normalise_index(expect_int("insert", args.positional[0]), l.size());
    i = std::clamp<int64_t>(i, 0, static_cast<int64_t>(l.size()));
    l.insert(l.begin() + i, args.positional[1]);
    return Value();
  }
  if (name == "pop") {
    expect_args(name, args, 0, 1);
    if (l.empty()) raise("IndexError", "pop from empty list");
    int64_t i = args.positional.empty() ? static_cast<int64_t>(l.size()) - 1
                                        : normalise_index(expect_int("pop", args.positional[0]), l.size());
    if (i < 0 || i >= static_cast<int64_t>(l.size())) raise("IndexError", "pop index out of range");
    Value out = std::move(l[static_cast<size_t>(i)]);
    l.erase(l.begin() + i);
    return out;
  }
  if (name == "remove" || name == "index") {
    expect_args(name, args, 1, 1);
    for (size_t i = 0; i < l.size(); ++i) {
      if (l[i] == args.positional[0]) {
        if (name == "index") return Value(static_cast<int64_t>(i));
        l.erase(l.begin() + static_cast<std::ptrdiff_t>(i));
        return Value();
      }
    }
    if (name == "remove") raise("ValueError", "list.remove(x): x not in list");
    raise("ValueError", colang::to_python_repr(args.positional[0]) + " is not in list");
  }
  if (name == "count") {
    expect_args(name, args, 1, 1);
    int64_t n = 0;
    for (const Value& v : l) n += (v == args.positional[0]) ? 1 : 0;
    return Value(n);
  }
  if (name == "copy") {
    expect_args(name, args, 0, 0);
    return Value(List(l));
  }
  if (name == "clear") {
    expect_args(name, args, 0, 0);
    l.clear();
    return Value();
  }
  if (name == "reverse") {
    expect_args(name, args, 0, 0);
    std::reverse(l.begin(), l.end());
    return Value();
  }
  if (name == "sort") {
    bool reverse = false;
    if (!args.positional.empty()) raise("TypeError", "sort() takes no positional arguments");
    for (auto& [k, v] : args.keywords) {
      if (k != "reverse") raise("TypeError", "sort(): unsupported keyword argument '" + std::string(k) + "'");
      reverse = v.truthy();
    }
    // Sort a copy so a comparison error leaves the list untouched.
    List sorted = l;
    std::stable_sort(sorted.begin(), sorted.end(), [reverse](const Value& a, const Value& b) {
      return reverse ? py::compare("<", b, a) : py::compare("<", a, b);
    });
    l = std::move(sorted);
    return Value();
  }
  no_attribute(obj, name);
}

// ---------------------------------------------------------------- dict

Value dict_method(Value& obj, std::string_view name, CallArgs& args) {
  Dict& d = obj.as_dict_mut();
  if (name == "get") {
    expect_args(name, args, 1, 2);
    const Value& k = args.positional[0];
    check_hashable(k);
    const Value* v = k.is_str() ? d.find(k.as_str()) : nullptr;
    if (v != nullptr) return *v;
    return args.positional.size() > 1 ? args.positional[1] : Value();
  }
  if (name == "keys" || name == "values" || name == "items") {
    expect_args(name, args, 0, 0);
    List out;
    out.reserve(d.size());
    for (const auto& [k, v] : d) {
      if (name == "keys") {
        out.emplace_back(k);
      } else if (name == "values") {
        out.push_back(v);
      } else {
        out.emplace_back(List{Value(k), v});
      }
    }
    return Value(std::move(out));
  }
  if (name == "copy") {
    expect_args(name, args, 0, 0);
    return Value(Dict(d));
  }
  if (name == "update") {
    if (args.positional.size() > 1) raise("TypeError", "update expected at most 1 argument");
    if (!args.positional.empty()) {
      const Value& other = args.positional[0];
      if (!other.is_dict()) raise("TypeError", quoted_type(other) + " object is not a mapping");
      const Dict src = other.as_dict();  // copy: `d.update(d)` is safe
      for (const auto& [k, v] : src) d.set(k, v);
    }
    for (auto& [k, v] : args.keywords) d.set(std::string(k), v);
    return Value();
  }
  if (name == "pop") {
    expect_args(name, args, 1, 2);
    const std::string* key = nullptr;
    if (args.positional[0].is_str()) key = &args.positional[0].as_str();
    if (key != nullptr) {
      if (Value* v = d.find(*key)) {
        Value out = std::move(*v);
        d.erase(*key);
        return out;
      }
    }
    if (args.positional.size() > 1) return args.positional[1];
    raise("KeyError", colang::to_python_repr(args.positional[0]));
  }
  if (name == "setdefault") {
    expect_args(name, args, 1, 2);
    const std::string& k = dict_key(args.positional[0]);
    if (const Value* v = d.find(k)) return *v;
    Value dflt = args.positional.size() > 1 ? args.positional[1] : Value();
    d.set(k, dflt);
    return dflt;
  }
  if (name == "clear") {
    expect_args(name, args, 0, 0);
    d.entries().clear();
    return Value();
  }
  no_attribute(obj, name);
}

// ---------------------------------------------------------------- set
Value set_method(Value& obj, std::string_view name, CallArgs& args) {
  List& items = obj.as_list_mut();
  auto position = [&](const Value& v) {
    check_hashable(v);
    return std::find(items.begin(), items.end(), v);
  };
  if (name == "add") {
    expect_args(name, args, 1, 1);
    if (position(args.positional[0]) == items.end()) items.push_back(args.positional[0]);
    return Value();
  }
  if (name == "discard" || name == "remove") {
    expect_args(name, args, 1, 1);
    auto it = position(args.positional[0]);
    if (it != items.end()) {
      items.erase(it);
    } else if (name == "remove") {
      raise("KeyError", colang::to_python_repr(args.positional[0]));
    }
    return Value();
  }
  if (name == "copy") {
    expect_args(name, args, 0, 0);
    return Value::make_set(items);
  }
  if (name == "clear") {
    expect_args(name, args, 0, 0);
    items.clear();
    return Value();
  }
  no_attribute(obj, name);
}

}  // namespace

// Items of an iterable for join()/list.extend(): list, set, dict keys, str
// characters.
List iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kList:
    case Value::Kind::kSet:
      return v.as_list();
    case Value::Kind::kDict: {
      List keys;
      keys.reserve(v.as_dict().size());
      for (const auto& e : v.as_dict()) keys.emplace_back(e.first);
      return keys;
    }
    case Value::Kind::kStr: {
      List chars;
      const std::string& s = v.as_str();
      size_t i = 0;
      while (i < s.size()) {
        const size_t start = i;
        utf8_decode(s, i);
        chars.emplace_back(s.substr(start, i - start));
      }
      return chars;
    }
    default:
      raise("TypeError", quoted_type(v) + " object is not iterable");
  }
}

Value call_method(Value& obj, std::string_view name, CallArgs& args) {
  switch (obj.kind()) {
    case Value::Kind::kStr:
      return str_method(obj.as_str(), name, args);
    case Value::Kind::kList:
      return list_method(obj, name, args);
    case Value::Kind::kDict:
      return dict_method(obj, name, args);
    case Value::Kind::kSet:
      return set_method(obj, name, args);
    default:
      no_attribute(obj, name);
  }
}

}  // namespace rg::runtime::internal
