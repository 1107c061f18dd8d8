// The typed AST of a Colang 2.x file (spec/colang.md B.2-B.3).
//
// Plain structs, produced by colang/parse.h and consumed by colang/expand.h.
// Expressions are fully parsed (not stored as source text as the reference
// does) so the runtime never re-parses on the hot path; `source` keeps the
// original text for messages.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "colang/value.h"

namespace rg::colang {

struct SourceLoc {
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

// ---------------------------------------------------------------- expressions
struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

// ORDER ExprKind: keep expr_kind_name() in ast.cc in step.
enum class ExprKind {
  kLiteral,     // literal: None/True/False/int/float (strings use kString)
  kString,      // parts: literal text and `{expr}` interpolations (B.4 step 1)
  kVar,         // name: variable name without '$' (`$self`, `$system` included)
  kList,        // items
  kSet,         // items
  kDict,        // entries: (key, value); key == nullptr means `**value`
  kUnary,       // op: "-", "+", "~"; operand
  kBinary,      // op: "+","-","*","/","//","%","**","@","|","^","&","<<",">>"; lhs, rhs
  kCompare,     // items: operands (n), ops: operators (n-1): "<",">","==",">=","<=",
                //   "!=","<>","in","not in","is","is not"
  kAnd,         // items (short-circuit, Python value semantics)
  kOr,          // items
  kNot,         // operand
  kCall,        // name: function name; items: positional args; kwargs
  kAttr,        // operand.name
  kMethodCall,  // operand.name(items, kwargs)
  kIndex,       // operand[items[0]]  (items[0] may be a kSlice)
  kSlice,       // lhs:rhs:step (each may be null)
};

struct StringPart {
  std::string text;  // literal text (escapes resolved, `{{`/`}}` already collapsed)
  ExprPtr expr;      // when set, this part is `{expr}` and `text` is its source
};

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  SourceLoc loc;
  std::string source;  // the expression's source text, for messages

  Value literal;                                           // kLiteral
  std::string name;                                        // kVar, kCall, kAttr, kMethodCall
  std::string op;                                          // kUnary, kBinary
  std::vector<StringPart> parts;                           // kString
  bool nld = false;                                        // kString prefixed by `...`
  std::vector<ExprPtr> items;                              // see ExprKind
  std::vector<std::pair<std::string, ExprPtr>> kwargs;     // kCall, kMethodCall
  std::vector<std::pair<ExprPtr, ExprPtr>> entries;        // kDict
  std::vector<std::string> ops;                            // kCompare
  ExprPtr operand;                                         // kUnary, kNot, kAttr, kMethodCall, kIndex
  ExprPtr lhs, rhs, step;                                  // kBinary (lhs, rhs), kSlice
};

// ---------------------------------------------------------------- specs
// Kind from the name (B.3): all lower-case => flow; ends with "Action" and does
// not start with Start/Stop/Change => action; otherwise event; `$x...` =>
// reference.
enum class SpecKind { kFlow, kAction, kEvent, kReference };

// One argument. Positional arguments are named "$0", "$1", ...
struct Arg {
  std::string name;
  ExprPtr value;
};

struct SpecMember {
  std::string name;  // "Finished", "Start", "TranscriptUpdated", ...
  std::vector<Arg> args;
  SourceLoc loc;
};

struct Spec {
  SpecKind kind = SpecKind::kEvent;
  std::string name;      // flow/action/event name, words joined by one space;
                         // for kReference the variable name without '$'
  std::vector<Arg> args;
  std::vector<SpecMember> members;
  std::string capture;   // `as $ref`: variable name without '$' (empty: none)
  SourceLoc loc;
};

// A spec or an and/or group of specs (B.2 specExpr). `and` binds tighter than
// `or`.
struct SpecExpr {
  enum class Type { kSpec, kAnd, kOr };
  Type type = Type::kSpec;
  Spec spec;                       // kSpec
  std::vector<SpecExpr> children;  // kAnd, kOr
  SourceLoc loc;
};

// ORDER SpecOpKind
enum class SpecOpKind { kMatch, kAwait, kStart, kStop, kActivate, kDeactivate, kSend };

// ---------------------------------------------------------------- statements
// ORDER StmtKind: keep stmt_kind_name() in ast.cc in step.
enum class StmtKind {
  kSpecOp,      // op spec_expr [-> return_var via `$v = op spec`]
  kAssignment,  // var = expr  (`(e)` expression statement: var "_")
  kIf,          // conditions[i] / bodies[i] for if + elifs; else_body
  kWhile,       // conditions[0], bodies[0]
  kWhen,        // cases[i] / bodies[i]; else_body (has_else)
  kReturn,      // expr (may be null)
  kAbort,
  kBreak,
  kContinue,
  kPass,
  kLabel,       // name
  kGlobal,      // name (variable without '$')
  kLog,         // expr
  kPrint,       // expr
  kPriority,    // expr
  kDocString,   // text (ignored at run time)
  kGenerateFlow,  // an indented `...` line: body continues from generated instructions
};

struct Stmt {
  StmtKind kind = StmtKind::kPass;
  SourceLoc loc;

  // kSpecOp
  SpecOpKind op = SpecOpKind::kAwait;
  SpecExpr spec;
  std::string return_var;  // `$v = await f`: "v" (empty: none)

  // kAssignment, kLabel, kGlobal
  std::string name;
  std::string assign_op = "=";  // "=", "+=", "-="
  ExprPtr expr;                 // kAssignment, kReturn, kLog, kPrint, kPriority

  // kIf, kWhile, kWhen
  std::vector<ExprPtr> conditions;          // kIf, kWhile
  std::vector<SpecExpr> cases;              // kWhen
  std::vector<std::vector<Stmt>> bodies;    // one per condition / case
  std::vector<Stmt> else_body;
  bool has_else = false;

  std::string text;  // kDocString, kGenerateFlow
};

// ---------------------------------------------------------------- flows, files
struct Decorator {
  std::string name;  // "active", "loop", "meta", "override", ...
  Dict parameters;   // positional as "$0", "$1"; named by name; literal values
  SourceLoc loc;
};

struct Param {
  std::string name;  // without '$'
  ExprPtr default_value;  // may be null
};

struct Flow {
  std::string name;  // words joined by one space: "bot say"
  std::vector<Decorator> decorators;
  std::vector<Param> parameters;
  std::vector<Param> return_members;
  std::vector<Stmt> body;
  std::string docstring;
  std::string source_code;  // the flow's text, for messages and the LLM
  std::string file;
  SourceLoc loc;
  bool exclude_from_llm = false;  // `# meta: exclude from llm` in the file
};

struct Import {
  std::string module;  // `import core` => "core"; `import a.b` => "a.b"; string path as given
  SourceLoc loc;
};

struct File {
  std::string path;
  std::vector<Flow> flows;
  std::vector<Import> imports;
  bool exclude_from_llm = false;
};

std::string_view expr_kind_name(ExprKind kind);
std::string_view stmt_kind_name(StmtKind kind);
std::string_view spec_op_name(SpecOpKind op);

}  // namespace rg::colang
