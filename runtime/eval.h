// Evaluation of Colang 2.x expressions (spec/colang.md B.4) with Python
// semantics: arithmetic, comparisons, `and`/`or` value semantics, indexing,
// slicing, attribute access on dicts, string interpolation and the built-in
// functions (len, regex, search, find_all, uid, pretty_str, escape, is_int,
// is_float, is_bool, is_str, is_regex, type, list, int, float, str, rand,
// randint, flows_info, less_than, equal_less_than, greater_than,
// equal_greater_than, not_equal_to).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "colang/ast.h"
#include "colang/value.h"

namespace rg::runtime {

// An expression could not be evaluated (type error, unknown function, bad
// regex, ...). The runtime turns it into a ColangError event and fails the
// flow, as the reference does.
class EvalError : public std::runtime_error {
 public:
  EvalError(std::string type, const std::string& message)
      : std::runtime_error(message), type_(std::move(type)) {}
  // Python-style exception class name: "TypeError", "KeyError", ...
  const std::string& type() const { return type_; }

 private:
  std::string type_;
};

// What the evaluator needs from the runtime. One host per evaluation scope
// (a flow instance); the runtime implements it over its State.
class EvalHost {
 public:
  virtual ~EvalHost() = default;
  // `$name` (without '$'), including `self` and `system`. Unset => None.
  virtual colang::Value get_variable(std::string_view name) = 0;
  // Attribute of a flow instance (`$ref.uid`, `.flow_id`, `.context`, ...) or
  // an action (`$a.return_value`, `.name`, ...). Throws EvalError when unknown.
  virtual colang::Value flow_attribute(const colang::FlowRef& ref, std::string_view attr) = 0;
  virtual colang::Value action_attribute(const colang::ActionRef& ref, std::string_view attr) = 0;
  // A fresh unique id for `uid()` (injected so runs are reproducible).
  virtual std::string new_uid() = 0;
  // A number in [0, 1) for `rand()` / `randint()` (seeded by the host).
  virtual double random() = 0;
  // `flows_info(uid)`: a dict describing a flow instance and its children.
  virtual colang::Value flows_info(const colang::Value& uid) = 0;
};

colang::Value evaluate(const colang::Expr& expr, EvalHost& host);

// Python operators, shared with the runtime's event matching.
namespace py {
colang::Value binary(std::string_view op, const colang::Value& a, const colang::Value& b);
// `a < b` etc.; throws EvalError("TypeError") for unorderable types.
bool compare(std::string_view op, const colang::Value& a, const colang::Value& b);
// Applies a comparison matcher (less_than(5), ...) to a value. Throws
// EvalError("TypeError") when the value is not a number.
bool matcher_accepts(const colang::Matcher& m, const colang::Value& v);
// RE2 search of `pattern` anywhere in `text` (Python re.search semantics).
bool regex_search(const colang::Regex& re, std::string_view text);
}  // namespace py

}  // namespace rg::runtime
