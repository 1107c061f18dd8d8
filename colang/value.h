// Value: the dynamic value of the Colang 2.x expression language.
//
// Colang expressions follow Python semantics, so a Value is one of Python's
// types that flows can produce: None, bool, int, float, str, list, dict, set,
// plus the runtime's own kinds: a compiled regex, a comparison matcher
// (`less_than(5)`), a reference to a flow instance or an action (by uid, so a
// State stays a plain serialisable value), and a captured event.
//
// Lists, dicts and sets are held by shared_ptr: copying a Value aliases the
// container exactly like assigning a Python variable does. Use deep_copy()
// where independence is needed (cloning a conversation state).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace re2 {
class RE2;
}

namespace rg::colang {

class Value;

using List = std::vector<Value>;

// An insertion-ordered dict with string keys (Python dict order). Linear
// lookup: event and context dicts hold a handful of keys, where a vector beats
// any hash map.
class Dict {
 public:
  using Entry = std::pair<std::string, Value>;

  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // Inserts or overwrites, keeping the original position of an existing key.
  void set(std::string key, Value value);
  bool erase(std::string_view key);
  // Room for n entries (event dicts are built key by key: one allocation
  // instead of one per doubling).
  void reserve(size_t n) { entries_.reserve(n); }
  size_t size() const;
  bool empty() const;
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>& entries() { return entries_; }
  std::vector<Entry>::const_iterator begin() const;
  std::vector<Entry>::const_iterator end() const;

 private:
  std::vector<Entry> entries_;
};

// A compiled regular expression (RE2 syntax, Python-compatible for the
// patterns flows use) together with its source pattern.
struct Regex {
  std::string pattern;
  std::shared_ptr<const re2::RE2> re;
};

// Comparison matchers used as event-argument patterns:
// `match Event(p=less_than(5))`. Numeric only; comparing with a value of
// another type is an evaluation error (as in the reference).
struct Matcher {
  enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual, kNotEqual };
  Op op;
  std::shared_ptr<const Value> operand;
};

// A reference to a runtime object that lives in the conversation State.
// Attributes are resolved through the evaluator's host (runtime/eval.h).
struct FlowRef {
  std::string uid;
};
struct ActionRef {
  std::string uid;
};

// An event captured with `match X as $e`: `$e.name`, `$e.arguments.k`, and
// for flow lifecycle events (FlowStarted/Finished/Failed) `$e.flow`, the flow
// instance the event is about (flow_uid; empty for other events). Any other
// attribute reads the argument of that name.
struct EventValue {
  std::string name;
  std::shared_ptr<Dict> arguments;
  std::string flow_uid;
};

class Value {
 public:
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kStr,
    kList,
    kDict,
    kSet,
    kRegex,
    kMatcher,
    kFlowRef,
    kActionRef,
    kEvent
  };

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  Value(int i) : v_(static_cast<int64_t>(i)) {}
  Value(int64_t i) : v_(i) {}
  Value(double d) : v_(d) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(List l) : v_(std::make_shared<List>(std::move(l))) {}
  Value(Dict d) : v_(std::make_shared<Dict>(std::move(d))) {}
  Value(std::shared_ptr<List> l) : v_(std::move(l)) {}
  Value(std::shared_ptr<Dict> d) : v_(std::move(d)) {}
  Value(Regex r) : v_(std::make_shared<const Regex>(std::move(r))) {}
  Value(Matcher m) : v_(std::make_shared<const Matcher>(std::move(m))) {}
  Value(FlowRef r) : v_(std::move(r)) {}
  Value(ActionRef r) : v_(std::move(r)) {}
  Value(EventValue e) : v_(std::make_shared<const EventValue>(std::move(e))) {}
  // Sets are lists of distinct values (Python sets of hashable scalars).
  static Value make_set(List items);

  Kind kind() const;
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_str() const { return kind() == Kind::kStr; }
  bool is_list() const { return kind() == Kind::kList; }
  bool is_dict() const { return kind() == Kind::kDict; }
  bool is_set() const { return kind() == Kind::kSet; }

  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_float() const { return std::get<double>(v_); }
  // Numeric value of bool/int/float (Python's numeric tower).
  double as_number() const;
  const std::string& as_str() const { return std::get<std::string>(v_); }
  const List& as_list() const;
  List& as_list_mut();
  const Dict& as_dict() const { return *std::get<std::shared_ptr<Dict>>(v_); }
  Dict& as_dict_mut() { return *std::get<std::shared_ptr<Dict>>(v_); }
  const std::shared_ptr<Dict>& dict_ptr() const { return std::get<std::shared_ptr<Dict>>(v_); }
  const Regex& as_regex() const { return *std::get<std::shared_ptr<const Regex>>(v_); }
  const Matcher& as_matcher() const { return *std::get<std::shared_ptr<const Matcher>>(v_); }
  const FlowRef& as_flow_ref() const { return std::get<FlowRef>(v_); }
  const ActionRef& as_action_ref() const { return std::get<ActionRef>(v_); }
  const EventValue& as_event() const { return *std::get<std::shared_ptr<const EventValue>>(v_); }

  // Python truthiness.
  bool truthy() const;
  // Python type name: "NoneType", "bool", "int", "float", "str", "list", ...
  std::string_view type_name() const;
  // Python `==` (1 == 1.0 == True; containers element-wise).
  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

  // A copy that shares no container with this one.
  Value deep_copy() const;

 private:
  // Set is a distinct alternative from list so type() and matching can tell
  // them apart.
  struct SetBox {
    std::shared_ptr<List> items;
  };
  std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<List>,
               std::shared_ptr<Dict>, SetBox, std::shared_ptr<const Regex>,
               std::shared_ptr<const Matcher>, FlowRef, ActionRef,
               std::shared_ptr<const EventValue>>
      v_;
};

// Dict's inline members need the complete Value type (clang insists).
inline size_t Dict::size() const { return entries_.size(); }
inline bool Dict::empty() const { return entries_.empty(); }
inline std::vector<Dict::Entry>::const_iterator Dict::begin() const { return entries_.begin(); }
inline std::vector<Dict::Entry>::const_iterator Dict::end() const { return entries_.end(); }

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i.
// An invalid byte decodes as itself (0x80-0xFF) and advances by one.
uint32_t decode_utf8(std::string_view s, size_t& i);
// Appends s as a JSON string the way Python's json.dumps writes it (ASCII
// only: other characters as \\uXXXX); html_safe also escapes < > & ' as
// Jinja's tojson does.
void append_json_string(std::string& out, std::string_view s, bool html_safe = false);
// Appends code point cp as UTF-8 (invalid code points become U+FFFD).
void append_utf8(std::string& out, uint32_t cp);

// Python `str(v)`: strings as-is, `None`, `True`, `1.5`, `10.0`, lists and
// dicts in repr form (`['a', 1]`, `{'k': 'v'}`).
std::string to_python_str(const Value& v);
// Python `repr(v)`: strings quoted.
std::string to_python_repr(const Value& v);
// Appending forms of the two above (no temporary string per value).
void append_python_str(std::string& out, const Value& v);
void append_python_repr(std::string& out, const Value& v);

// Exact Python ordering of two numbers (bool/int/float; an int is never
// rounded to a double): -1, 0 or 1, or 2 when unordered (a NaN is involved).
// Both values must satisfy is_number().
int compare_numbers(const Value& a, const Value& b);

}  // namespace rg::colang
