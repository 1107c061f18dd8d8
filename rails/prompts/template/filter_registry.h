// FilterRegistry: the filters a template may name (`{{ history | colang }}`).
//
// One table, name -> function. A filter gets a FilterCall (its input and
// arguments) and returns the result, or std::nullopt for Jinja's Undefined
// (`first` of an empty list). It throws FilterError with a message saying what
// is wrong; the template adds its name and line. Filters run concurrently
// from many renders: they must not keep mutable state.
//
// Registering a filter is one line:
//   registry.add("colang", [](const FilterCall& call) { ... });
// add_jinja_filters() and add_text_filters() hold the built-in ones; the dialog
// pipeline adds the filters that need the event history (colang, to_messages,
// ...) to its own copy of default_filters():
//   auto registry = std::make_shared<FilterRegistry>(*default_filters());
//   registry->add("colang", ...);
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "colang/value.h"

namespace rg::rails::prompts {

class FilterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One filter application: `input | name(args..., keyword=value...)`.
struct FilterCall {
  std::string_view name;
  colang::Value input;
  bool input_defined = true;
  // Set when the input is undefined: Jinja's message for using it
  // ("'history' is undefined").
  std::string undefined_message;
  std::vector<colang::Value> args;
  std::vector<bool> args_defined;  // parallel to args
  std::vector<std::pair<std::string, colang::Value>> kwargs;

  // The argument at `position`, or the keyword argument `keyword`; nullptr
  // when neither was passed. Throws FilterError when both were.
  const colang::Value* param(size_t position, std::string_view keyword) const;
  // Typed forms; `fallback` when not passed, FilterError on a wrong type.
  int64_t int_param(size_t position, std::string_view keyword, int64_t fallback) const;
  bool bool_param(size_t position, std::string_view keyword, bool fallback) const;
  std::string str_param(size_t position, std::string_view keyword, std::string fallback) const;
  // Throws FilterError when more than `count` arguments were passed, or a
  // keyword not in `keywords`.
  void check_arity(size_t count, std::initializer_list<std::string_view> keywords) const;
  // The input, which must be a defined string (FilterError otherwise).
  const std::string& input_str() const;
  // FilterError with undefined_message when the input is undefined.
  void require_defined() const;
};

using Filter = std::function<std::optional<colang::Value>(const FilterCall& call)>;

class FilterRegistry {
 public:
  // Registers (or replaces) the filter `name`.
  void add(std::string name, Filter filter);
  // nullptr when no filter has that name. The pointer stays valid for the
  // registry's lifetime as long as `name` is not replaced.
  const Filter* find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, Filter, std::less<>> filters_;
};

// Jinja's built-in filters that prompts use: join, length/count, lower, upper,
// trim, replace, default/d, first, last, int, float, string, list, tojson,
// capitalize, abs.
void add_jinja_filters(FilterRegistry& registry);
// The spec 3.3 filters that work on text or plain values: indent (NeMo's
// version, replacing Jinja's), first_turns, last_turns, remove_text_messages,
// verbose_v1, user_assistant_sequence, user_assistant_sequence_nemollm.
void add_text_filters(FilterRegistry& registry);
// Both of the above, built once and shared.
std::shared_ptr<const FilterRegistry> default_filters();

}  // namespace rg::rails::prompts
