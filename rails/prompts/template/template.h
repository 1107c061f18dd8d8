// Template: the Jinja subset that prompt templates (prompts.yml, the built-in
// prompt files) are written in. Compile once, render many times:
//
//   auto compiled = Template::compile(source, "prompts.yml:generate_user_intent");
//   if (!compiled.ok()) report(compiled.error().to_string());
//   // "prompts.yml:generate_user_intent:3: unknown filter 'lowr'"
//   colang::Dict context;
//   context.set("user_input", "hello");
//   auto text = compiled.value()->render(context);   // TemplateResult<std::string>
//
// A compiled Template is immutable: share it (shared_ptr<const Template>)
// and render it from any number of threads at once.
//
// The language (Jinja 3 defaults: trim_blocks and lstrip_blocks off, one
// trailing newline of the source dropped, \r\n read as \n):
//   text                        copied as is
//   {{ expr }}                  Python str(value); an undefined value prints ""
//   {# comment #}               dropped
//   {% if e %}..{% elif e %}..{% else %}..{% endif %}
//   {% for x in e %}..{% else %}..{% endfor %}   also `for k, v in d.items()`
//                               and `for x in e if cond`; loop.index, index0,
//                               revindex, revindex0, first, last, length
//   {% set x = e %}             scoped like Jinja: a set inside a for body
//                               is gone after the loop
//   {%- -%} {{- -}} {#- -#}     strip the whitespace before / after the tag
//   {% raw %}..{% endraw %}     copied without interpretation
// Expressions: names, literals (strings, ints, floats, lists, dicts,
// true/false/none in either case), a.b (dict key), a[i], a["k"], a[i:j],
// + - * / // % **, ~ (string concatenation), == != < <= > >= in, not in,
// and / or / not, `a if c else b`, filters `e | f(args, k=v)` chained,
// tests `e is [not] defined|undefined|none|string|number|integer|float|
// mapping|sequence|iterable|boolean|true|false|odd|even`, and a few Python
// methods on values (strip, lower, upper, split, startswith, endswith,
// replace, items, keys, values, get) plus range().
//
// Undefined values follow Jinja's default Undefined: a missing variable or
// dict key prints "" and is false, while reading an attribute of it, doing
// arithmetic on it or passing it to a filter that needs a value is an error.
// Filters come from a FilterRegistry (filter_registry.h), resolved when the
// template is compiled, so an unknown filter is a compile error.
//
// Not supported (an error at compile or render time): macros, call blocks,
// include/extends/import, block set (`{% set x %}..{% endset %}`),
// `{% filter %}`, namespace(), loop.cycle(), `%` string formatting.
// (loop.depth is simply undefined.)
// Differences from Jinja: lower/upper/capitalize map ASCII letters only;
// integers are 64-bit (overflow is an error, not a big integer).
//
// Budgets per render: 1,000,000 loop iterations in all and 64 MiB of output;
// past either, render() fails with kLimit.
#pragma once

#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "colang/value.h"
#include "rails/prompts/template/expected.h"

namespace rg::rails::prompts {

class FilterRegistry;

namespace internal {
struct Node;
}

// An error in a template, at compile or render time.
struct TemplateError {
  // ORDER TemplateErrorCode: keep template_error_code_name() in step.
  enum class Code {
    kSyntax,         // the template is not well formed (bad token, unclosed tag)
    kUnknownFilter,  // `| f` where no filter f is registered
    kUnknownTest,    // `is t` where t is not a known test
    kUndefined,      // an undefined value used where a value is needed
    kType,           // an operation on values of the wrong type (1 + "a")
    kFilter,         // a filter rejected its input or arguments
    kLimit,          // a render budget ran out (loop iterations, output size)
  };
  Code code = Code::kSyntax;
  std::string template_name;  // as passed to compile()
  int line = 0;               // 1-based; 0 when unknown
  int column = 0;             // 1-based; 0 when unknown
  std::string message;        // what went wrong, in words

  // "<template_name>:<line>: <message>" (the line left out when unknown).
  std::string to_string() const;
};

std::string_view template_error_code_name(TemplateError::Code code);

template <typename T>
using TemplateResult = Expected<T, TemplateError>;

struct TemplateOptions {
  // Jinja's keep_trailing_newline: when false, one newline at the very end of
  // the source is dropped.
  bool keep_trailing_newline = false;
};

class Template {
 public:
  // Parses `source`; `name` prefixes every error ("prompts.yml:general").
  // `filters` defaults to default_filters() (Jinja built-ins + text filters).
  static TemplateResult<std::shared_ptr<const Template>> compile(
      std::string_view source, std::string name,
      std::shared_ptr<const FilterRegistry> filters = nullptr, TemplateOptions options = {});

  // Renders with `context` as the global variables. Thread-safe.
  TemplateResult<std::string> render(const colang::Dict& context) const;

  const std::string& name() const { return name_; }
  // Every variable name the template reads (sorted, without duplicates),
  // including names it sets itself and loop variables. Callers bind only
  // these (spec 3.2: only referenced variables are bound).
  const std::vector<std::string>& referenced_names() const { return names_; }

  ~Template();
  Template(const Template&) = delete;
  Template& operator=(const Template&) = delete;

 private:
  Template();
  std::string name_;
  std::shared_ptr<const FilterRegistry> filters_;  // keeps resolved filters alive
  std::vector<internal::Node> body_;
  std::vector<std::string> names_;
};

}  // namespace rg::rails::prompts
