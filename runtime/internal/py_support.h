// Internal to runtime/: not for use outside runtime/. The public entry points
// are in runtime/eval.h.
//
// Helpers shared by the expression evaluator's files: eval.cc (tree walk),
// py_ops.cc (operators, subscripts, slices), py_methods.cc (str/list/dict/set
// methods, UTF-8), builtins.cc (built-in functions, regex cache).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "colang/value.h"
#include "runtime/eval.h"

namespace re2 {
class RE2;
}

namespace rg::runtime::internal {

// Positional and keyword arguments of a call, already evaluated.
struct CallArgs {
  std::vector<colang::Value> positional;
  std::vector<std::pair<std::string_view, colang::Value>> keywords;
};

// Throws EvalError(type, message). The evaluator appends the source of the
// failing expression.
[[noreturn]] void raise(std::string_view type, std::string message);

// ----------------------------------------------------------- operators
colang::Value py_unary(std::string_view op, const colang::Value& v);
// Python `item in container`.
bool py_contains(const colang::Value& container, const colang::Value& item);
// Raises TypeError for values Python cannot put in a set or use as a key.
void check_hashable(const colang::Value& v);

// ----------------------------------------------------------- subscripts
colang::Value py_index(const colang::Value& obj, const colang::Value& key);
// Missing bounds are None.
colang::Value py_slice(const colang::Value& obj, const colang::Value& start,
                       const colang::Value& stop, const colang::Value& step);
// A dict subscript key: the str itself; KeyError for another hashable value,
// TypeError for an unhashable one.
const std::string& dict_key(const colang::Value& key);
// Python index `i` of a sequence of length n with negative indices resolved
// (may still be out of range).
inline int64_t normalise_index(int64_t i, size_t n) {
  return i < 0 ? i + static_cast<int64_t>(n) : i;
}
// `obj.name(args)`. Mutating methods (list.append, dict.update, ...) change
// the shared container.
colang::Value call_method(colang::Value& obj, std::string_view name, CallArgs& args);

// ----------------------------------------------------------- builtins
// Throws EvalError("NameError") for an unknown name.
colang::Value call_builtin(std::string_view name, CallArgs& args, EvalHost& host);
// Compiles (or fetches from a small per-thread cache) an RE2 regex. Throws
// EvalError("error") when the pattern is invalid.
std::shared_ptr<const re2::RE2> compile_regex(const std::string& pattern);

// Items of an iterable (list, set, dict keys, str characters) as a new list;
// EvalError("TypeError") for anything else.
colang::List iterate(const colang::Value& v);

// ----------------------------------------------------------- UTF-8
// Strings are UTF-8; Python indexes them by code point.
bool is_ascii(std::string_view s);
size_t utf8_length(std::string_view s);
// Byte offset of each code point, plus s.size() at the end.
std::vector<size_t> utf8_offsets(std::string_view s);
// Decodes the code point at s[i] and advances i (an invalid byte decodes as
// itself).
uint32_t utf8_decode(std::string_view s, size_t& i);
void utf8_append(std::string& out, uint32_t cp);
// Python str.isspace() for one code point.
bool py_isspace(uint32_t cp);

// Int helpers (bool counts as int, as in Python).
inline bool is_intlike(const colang::Value& v) { return v.is_int() || v.is_bool(); }
inline int64_t to_int(const colang::Value& v) {
  return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int();
}

// "'list'" style quoting of a value's type name for messages.
inline std::string quoted_type(const colang::Value& v) {
  std::string s = "'";
  s += v.type_name();
  s += "'";
  return s;
}

}  // namespace rg::runtime::internal
