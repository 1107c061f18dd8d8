// Not for use outside rails/prompts/template/.
//
// The parsed form of a template: plain structs, built by parser.cc and
// walked by template.cc. Immutable once built.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "colang/value.h"
#include "rails/prompts/template/filter_registry.h"

namespace rg::rails::prompts::internal {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,  // value
    kName,     // name
    kList,     // items
    kDict,     // items: key, value, key, value, ...
    kAttr,     // items[0].name
    kItem,     // items[0][items[1]]
    kSlice,    // items[0][items[1]:items[2]:items[3]] (a null item: left out)
    kNeg,      // -items[0]
    kPos,      // +items[0]
    kNot,      // not items[0]
    kAnd,      // items[0] and items[1]
    kOr,       // items[0] or items[1]
    kBinary,   // items[0] op items[1]: + - * / // % ** ~
    kCompare,  // items[0] ops[0] items[1] ops[1] items[2] ... (chained)
    kCond,     // items[0] if items[1] else items[2] (items[2] may be null)
    kFilter,   // items[0] | name(items[1..], keywords)
    kTest,     // items[0] is [not] name  (negated)
    kCall,     // items[0].name(items[1..]) (a method) or name(items[1..])
  };
  Kind kind = Kind::kLiteral;
  int line = 0;
  int column = 0;
  colang::Value value;
  std::string name;            // variable, attribute, operator, filter, test, method
  std::vector<std::string> ops;  // kCompare operators
  std::vector<ExprPtr> items;
  std::vector<std::string> keywords;  // kFilter/kCall: names of the trailing keyword args
  const Filter* filter = nullptr;     // kFilter: resolved at compile time
  bool negated = false;               // kTest
};

struct Node;
using Body = std::vector<Node>;

struct Node {
  enum class Kind { kText, kOutput, kIf, kFor, kSet };
  Kind kind = Kind::kText;
  int line = 0;
  int column = 0;
  std::string text;                   // kText
  ExprPtr expr;                       // kOutput, kSet value, kFor iterable
  std::vector<ExprPtr> conditions;    // kIf: one per branch
  std::vector<Body> bodies;           // kIf: one per branch; kFor: bodies[0]
  Body else_body;                     // kIf / kFor
  bool has_else = false;
  std::vector<std::string> targets;   // kFor / kSet
  ExprPtr loop_filter;                // kFor: `for x in xs if cond` (may be null)
};

struct ParseOutput {
  Body body;
  std::vector<std::string> names;  // every name read
};

// Parses `source` (already newline-normalised). Throws ParseError.
struct ParseError {
  int line;
  int column;
  int code;  // TemplateError::Code as int
  std::string message;
};
ParseOutput parse_template(const std::string& source, const FilterRegistry& filters);

}  // namespace rg::rails::prompts::internal
