// Not for use outside rails/prompts/template/.
//
// Python semantics of the template operators on colang::Value: arithmetic,
// ordering, containment, iteration, indexing, and the few methods templates
// may call. Errors are thrown as ValueError with Python's wording.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "colang/value.h"

namespace rg::rails::prompts::internal {

struct ValueError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// + - * / // % ** on two defined values.
colang::Value arithmetic(std::string_view op, const colang::Value& a, const colang::Value& b);
colang::Value negate(const colang::Value& v);
// < <= > >=: true/false, ValueError when the types do not order.
bool order(std::string_view op, const colang::Value& a, const colang::Value& b);
// `needle in haystack`.
bool contains(const colang::Value& haystack, const colang::Value& needle);
// The items a for loop visits: list/set items, dict keys, string characters.
std::vector<colang::Value> iterate(const colang::Value& v);
// The code points of a UTF-8 string, one string each.
std::vector<std::string> characters(const std::string& s);
// Python slicing v[lo:hi:step] on lists and strings (null: left out).
colang::Value slice(const colang::Value& v, const colang::Value* lo, const colang::Value* hi,
                    const colang::Value* step);
// A method call obj.name(args); throws ValueError when there is no such method.
colang::Value call_method(const colang::Value& obj, const std::string& name, const std::vector<colang::Value>& args);
// range(args).
colang::Value range(const std::vector<colang::Value>& args);
// Jinja's name for a value's type in "has no attribute" messages: "dict object".
std::string object_name(const colang::Value& v);
// Python str.strip() / split() on ASCII whitespace.
std::string strip(std::string_view s, std::string_view chars = " \t\n\r\f\v");

}  // namespace rg::rails::prompts::internal
