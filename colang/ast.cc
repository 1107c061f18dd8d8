// Name tables for the AST enums (see ast.h). Each table follows its enum in
// declaration order: grep for its ORDER tag when adding a value.
#include "colang/ast.h"

namespace rg::colang {

// ORDER ExprKind
std::string_view expr_kind_name(ExprKind kind) {
  switch (kind) {
    case ExprKind::kLiteral: return "literal";
    case ExprKind::kString: return "string";
    case ExprKind::kVar: return "var";
    case ExprKind::kList: return "list";
    case ExprKind::kSet: return "set";
    case ExprKind::kDict: return "dict";
    case ExprKind::kUnary: return "unary";
    case ExprKind::kBinary: return "binary";
    case ExprKind::kCompare: return "compare";
    case ExprKind::kAnd: return "and";
    case ExprKind::kOr: return "or";
    case ExprKind::kNot: return "not";
    case ExprKind::kCall: return "call";
    case ExprKind::kAttr: return "attr";
    case ExprKind::kMethodCall: return "method_call";
    case ExprKind::kIndex: return "index";
    case ExprKind::kSlice: return "slice";
  }
  return "?";
}

// ORDER StmtKind
std::string_view stmt_kind_name(StmtKind kind) {
  switch (kind) {
    case StmtKind::kSpecOp: return "spec_op";
    case StmtKind::kAssignment: return "assignment";
    case StmtKind::kIf: return "if";
    case StmtKind::kWhile: return "while";
    case StmtKind::kWhen: return "when";
    case StmtKind::kReturn: return "return";
    case StmtKind::kAbort: return "abort";
    case StmtKind::kBreak: return "break";
    case StmtKind::kContinue: return "continue";
    case StmtKind::kPass: return "pass";
    case StmtKind::kLabel: return "label";
    case StmtKind::kGlobal: return "global";
    case StmtKind::kLog: return "log";
    case StmtKind::kPrint: return "print";
    case StmtKind::kPriority: return "priority";
    case StmtKind::kDocString: return "docstring";
    case StmtKind::kGenerateFlow: return "generate_flow";
  }
  return "?";
}

// ORDER SpecOpKind: the keywords as written in Colang.
std::string_view spec_op_name(SpecOpKind op) {
  switch (op) {
    case SpecOpKind::kMatch: return "match";
    case SpecOpKind::kAwait: return "await";
    case SpecOpKind::kStart: return "start";
    case SpecOpKind::kStop: return "stop";
    case SpecOpKind::kActivate: return "activate";
    case SpecOpKind::kDeactivate: return "deactivate";
    case SpecOpKind::kSend: return "send";
  }
  return "?";
}

}  // namespace rg::colang
