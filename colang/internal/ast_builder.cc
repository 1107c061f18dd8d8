// Not for use outside colang/.
#include "colang/internal/ast_builder.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "colang/internal/string_literal.h"

namespace rg::colang::internal {

namespace {

using P = rg_colang_gen::ColangParser;

// An expression tree deeper than this is refused, so the evaluator and the
// destructors (both recursive) stay shallow. Brackets are already capped by
// the token source; this catches long operator chains such as `1+1+...`.
constexpr int kMaxExprDepth = 500;
// String interpolations nest at most this deep (`"{"{$x}"}"` cannot even be
// written, as inner text has no braces, but keep a hard stop).
constexpr int kMaxInterpolationDepth = 4;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::string strip_dollar(const std::string& var) {
  return !var.empty() && var[0] == '$' ? var.substr(1) : var;
}

std::string remove_underscores(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  return s;
}

}  // namespace

AstBuilder::AstBuilder(antlr4::CharStream* input, antlr4::TokenStream* tokens, DiagSink* sink,
                       TextOrigin origin, int depth)
    : input_(input), tokens_(tokens), sink_(sink), origin_(origin), depth_(depth) {}

// ================================================================ helpers

SourceLoc AstBuilder::loc_of(const antlr4::Token* tok) const {
  SourceLoc loc;
  if (tok == nullptr) return loc;
  int line = static_cast<int>(tok->getLine());
  int col = static_cast<int>(tok->getCharPositionInLine());
  if (line <= 1) {
    loc.line = origin_.line;
    loc.column = origin_.column + col;
  } else {
    loc.line = origin_.line + line - 1;
    loc.column = col + 1;
  }
  return loc;
}

std::string AstBuilder::text_of(Ctx* ctx) const {
  antlr4::Token* start = ctx->getStart();
  antlr4::Token* stop = ctx->getStop();
  if (start == nullptr || stop == nullptr) return "";
  size_t a = start->getStartIndex();
  size_t b = stop->getStopIndex();
  if (a == INVALID_INDEX || b == INVALID_INDEX || b < a) return "";
  return input_->getText(antlr4::misc::Interval(a, b));
}

std::string AstBuilder::name_of(P::NameWordContext* ctx) const { return ctx->getText(); }

void AstBuilder::error(const antlr4::Token* at, std::string code, std::string message) {
  SourceLoc loc = loc_of(at);
  sink_->error(std::move(code), loc.line, loc.column, std::move(message),
               at != nullptr ? at->getText() : "");
}

std::shared_ptr<Expr> AstBuilder::new_expr(ExprKind kind, Ctx* ctx) {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  e->loc = loc_of(ctx->getStart());
  e->source = text_of(ctx);
  return e;
}

int AstBuilder::depth_of(const ExprPtr& e) const {
  if (e == nullptr) return 0;
  auto it = expr_depth_.find(e.get());
  return it == expr_depth_.end() ? 1 : it->second;
}

ExprPtr AstBuilder::too_deep(Ctx* ctx) {
  SourceLoc loc = loc_of(ctx->getStart());
  if (!depth_reported_) {
    depth_reported_ = true;
    sink_->error("nesting", loc.line, loc.column,
                 "expression is nested too deeply (more than " + std::to_string(kMaxExprDepth) +
                     " levels)",
                 ctx->getStart()->getText());
  }
  auto stub = std::make_shared<Expr>();
  stub->kind = ExprKind::kLiteral;
  stub->loc = loc;
  return stub;
}

ExprPtr AstBuilder::done(std::shared_ptr<Expr> e) {
  int d = 0;
  auto take = [&](const ExprPtr& c) { d = std::max(d, depth_of(c)); };
  for (const ExprPtr& c : e->items) take(c);
  for (const auto& kw : e->kwargs) take(kw.second);
  for (const auto& en : e->entries) {
    take(en.first);
    take(en.second);
  }
  for (const StringPart& p : e->parts) take(p.expr);
  take(e->operand);
  take(e->lhs);
  take(e->rhs);
  take(e->step);
  ++d;
  if (d > kMaxExprDepth) {
    if (!depth_reported_) {
      depth_reported_ = true;
      sink_->error("nesting", e->loc.line, e->loc.column,
                   "expression is nested too deeply (more than " +
                       std::to_string(kMaxExprDepth) + " levels)",
                   e->source.substr(0, 20));
    }
    // Cut the tree here: the file is rejected anyway, and a shallow tree
    // keeps the destructors shallow.
    auto stub = std::make_shared<Expr>();
    stub->kind = ExprKind::kLiteral;
    stub->loc = e->loc;
    return stub;
  }
  expr_depth_[e.get()] = d;
  return e;
}

// ================================================================ file, flows

File AstBuilder::build_file(P::ColangFileContext* ctx, const std::string& path) {
  File file;
  file.path = path;
  for (P::StmtContext* s : ctx->stmt()) {
    if (auto* f = s->flowDef()) {
      build_flow(f, file);
    } else if (auto* imp = s->importStmt()) {
      Import im;
      im.loc = loc_of(imp->getStart());
      if (imp->STRING() != nullptr) {
        std::string raw = imp->STRING()->getText();
        StringToken st = split_string_token(raw);
        im.module = decode_escapes(st.body);
      } else {
        for (size_t i = 0; i < imp->nameWord().size(); ++i) {
          if (i > 0) im.module += ".";
          im.module += name_of(imp->nameWord(i));
        }
      }
      file.imports.push_back(std::move(im));
    } else {
      // B.2: the top level accepts any statement, but only flows and imports
      // are kept. Build it anyway so its own errors are still reported.
      std::vector<Stmt> dropped;
      build_stmt(s, dropped);
    }
  }
  return file;
}

void AstBuilder::build_flow(P::FlowDefContext* ctx, File& file) {
  Flow flow;
  flow.file = file.path;
  flow.loc = loc_of(ctx->FLOW()->getSymbol());
  for (P::NameWordContext* w : ctx->flowName()->nameWord()) {
    if (!flow.name.empty()) flow.name += " ";
    flow.name += name_of(w);
  }
  // B.1: a flow name may not start with a statement keyword (such a flow
  // could not be invoked by a statement; the reference loader rejects
  // send/match/start/stop/await/activate, the grammar the others).
  switch (ctx->flowName()->nameWord(0)->getStart()->getType()) {
    case P::NAME:
    case P::NOT:
    case P::IN:
    case P::IS:
      break;
    default:
      error(ctx->flowName()->getStart(), "semantic",
            "a flow name may not start with the keyword '" +
                ctx->flowName()->nameWord(0)->getText() + "'");
  }
  for (P::DecoratorContext* d : ctx->decorator()) build_decorator(d, flow);
  if (auto* params = ctx->flowParams()) flow.parameters = build_params(params->paramDef());
  if (auto* rets = ctx->flowReturns()) flow.return_members = build_params(rets->paramDef());

  std::vector<P::StmtContext*> stmts = ctx->suite()->stmt();
  size_t first = 0;
  if (!stmts.empty() && stmts[0]->docString() != nullptr) {
    std::string raw = stmts[0]->docString()->LONG_STRING()->getText();
    flow.docstring = std::string(split_string_token(raw).body);
    first = 1;
  }
  for (size_t i = first; i < stmts.size(); ++i) build_stmt(stmts[i], flow.body);
  flow.source_code = flow_source(ctx);
  file.flows.push_back(std::move(flow));
}

std::vector<Param> AstBuilder::build_params(const std::vector<P::ParamDefContext*>& defs) {
  std::vector<Param> params;
  for (P::ParamDefContext* d : defs) {
    Param p;
    p.name = strip_dollar(d->VAR_NAME()->getText());
    if (d->test() != nullptr) p.default_value = build_test(d->test());
    params.push_back(std::move(p));
  }
  return params;
}

void AstBuilder::build_decorator(P::DecoratorContext* ctx, Flow& flow) {
  std::string name = name_of(ctx->nameWord());
  Dict params;
  size_t positional = 0;
  bool seen_named = false;
  for (P::DecoratorArgContext* a : ctx->decoratorArg()) {
    ExprPtr value_expr = build_test(a->test());
    Value value;
    if (!literal_value(value_expr, &value)) {
      error(a->test()->getStart(), "semantic",
            "decorator arguments must be literal values (strings, numbers, True, False, None)");
      continue;
    }
    if (a->nameWord() != nullptr) {
      seen_named = true;
      params.set(name_of(a->nameWord()), std::move(value));
    } else {
      if (seen_named) {
        error(a->getStart(), "syntax", "positional argument follows a named argument");
      }
      params.set("$" + std::to_string(positional++), std::move(value));
    }
  }
  // B.3: repeated decorators merge into one.
  for (Decorator& existing : flow.decorators) {
    if (existing.name == name) {
      for (auto& entry : params.entries()) existing.parameters.set(entry.first, entry.second);
      return;
    }
  }
  Decorator dec;
  dec.name = std::move(name);
  dec.parameters = std::move(params);
  dec.loc = loc_of(ctx->getStart());
  flow.decorators.push_back(std::move(dec));
}

// Python's ast.literal_eval over our expression tree.
bool AstBuilder::literal_value(const ExprPtr& e, Value* out) {
  if (e == nullptr) return false;
  switch (e->kind) {
    case ExprKind::kLiteral:
      *out = e->literal;
      return true;
    case ExprKind::kString: {
      // Literal strings are not interpolated: re-read the token raw.
      StringToken st = split_string_token(e->source);
      *out = Value(decode_escapes(st.body));
      return true;
    }
    case ExprKind::kUnary: {
      Value v;
      if ((e->op != "-" && e->op != "+") || e->operand == nullptr ||
          e->operand->kind != ExprKind::kLiteral || !literal_value(e->operand, &v)) {
        return false;
      }
      if (v.is_int()) {
        *out = e->op == "-" ? Value(-v.as_int()) : v;
        return true;
      }
      if (v.is_float()) {
        *out = e->op == "-" ? Value(-v.as_float()) : v;
        return true;
      }
      return false;
    }
    case ExprKind::kList:
    case ExprKind::kSet: {
      List items;
      for (const ExprPtr& item : e->items) {
        Value v;
        if (!literal_value(item, &v)) return false;
        items.push_back(std::move(v));
      }
      *out = e->kind == ExprKind::kList ? Value(std::move(items)) : Value::make_set(std::move(items));
      return true;
    }
    case ExprKind::kDict: {
      Dict d;
      for (const auto& entry : e->entries) {
        Value k, v;
        if (entry.first == nullptr || !literal_value(entry.first, &k) || !k.is_str() ||
            !literal_value(entry.second, &v)) {
          return false;
        }
        d.set(k.as_str(), std::move(v));
      }
      *out = Value(std::move(d));
      return true;
    }
    default:
      return false;
  }
}

std::string AstBuilder::flow_source(P::FlowDefContext* ctx) {
  antlr4::Token* start = ctx->getStart();
  antlr4::Token* stop = ctx->getStop();
  if (start == nullptr || stop == nullptr) return "";
  // The flow ends on synthetic NEWLINE/DEDENT tokens: step back to the last
  // token that came from the text.
  ssize_t i = static_cast<ssize_t>(stop->getTokenIndex());
  antlr4::Token* last = nullptr;
  for (; i >= 0; --i) {
    antlr4::Token* t = tokens_->get(static_cast<size_t>(i));
    size_t type = t->getType();
    if (type != P::NEWLINE && type != P::INDENT && type != P::DEDENT) {
      last = t;
      break;
    }
  }
  if (last == nullptr || last->getStopIndex() == INVALID_INDEX) return "";
  size_t line_start = start->getStartIndex() - start->getCharPositionInLine();
  if (last->getStopIndex() < line_start) return "";
  std::string text = input_->getText(antlr4::misc::Interval(line_start, last->getStopIndex()));
  // Take the flow's own indentation off every line that has it, so a flow
  // from an indented file reads like one written at column 0.
  size_t indent_len = text.find_first_not_of(" \t");
  if (indent_len == 0 || indent_len == std::string::npos) return text;
  std::string indent = text.substr(0, indent_len);
  std::string out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line(text.data() + pos, (nl == std::string::npos ? text.size() : nl) - pos);
    if (starts_with(line, indent)) line.remove_prefix(indent.size());
    out.append(line);
    if (nl == std::string::npos) break;
    out += '\n';
    pos = nl + 1;
  }
  return out;
}

// ================================================================ statements

std::vector<Stmt> AstBuilder::build_suite(P::SuiteContext* ctx) {
  std::vector<Stmt> body;
  for (P::StmtContext* s : ctx->stmt()) build_stmt(s, body);
  return body;
}

void AstBuilder::build_stmt(P::StmtContext* ctx, std::vector<Stmt>& out) {
  Stmt st;
  st.loc = loc_of(ctx->getStart());
  if (auto* c = ctx->flowDef()) {
    error(c->FLOW()->getSymbol(), "syntax", "a flow can only be defined at the top level");
    return;
  }
  if (auto* c = ctx->importStmt()) {
    error(c->getStart(), "syntax", "'import' is only allowed at the top level");
    return;
  }
  if (auto* c = ctx->docString()) {
    st.kind = StmtKind::kDocString;
    std::string raw = c->LONG_STRING()->getText();
    st.text = std::string(split_string_token(raw).body);
  } else if (auto* c = ctx->generateStmt()) {
    st.kind = StmtKind::kGenerateFlow;
    st.text = c->GENERATE()->getText();
  } else if (auto* c = ctx->assignStmt()) {
    std::string var = strip_dollar(c->VAR_NAME()->getText());
    std::string op = c->assignOp()->getText();
    if (c->test() != nullptr) {
      st.kind = StmtKind::kAssignment;
      st.name = std::move(var);
      st.assign_op = std::move(op);
      st.expr = build_test(c->test());
    } else {
      Stmt spec_stmt = build_spec_op(c->specOp());
      spec_stmt.loc = st.loc;
      spec_stmt.return_var = std::move(var);
      spec_stmt.assign_op = std::move(op);
      out.push_back(std::move(spec_stmt));
      return;
    }
  } else if (auto* c = ctx->returnStmt()) {
    st.kind = StmtKind::kReturn;
    if (c->test() != nullptr) st.expr = build_test(c->test());
  } else if (auto* c = ctx->keywordStmt()) {
    switch (c->getStart()->getType()) {
      case P::ABORT: st.kind = StmtKind::kAbort; break;
      case P::BREAK: st.kind = StmtKind::kBreak; break;
      case P::CONTINUE: st.kind = StmtKind::kContinue; break;
      case P::PASS: st.kind = StmtKind::kPass; break;
      case P::LOG: st.kind = StmtKind::kLog; break;
      case P::PRINT: st.kind = StmtKind::kPrint; break;
      default: st.kind = StmtKind::kPriority; break;
    }
    if (c->expr() != nullptr) st.expr = build_expr(c->expr());
  } else if (auto* c = ctx->exprStmt()) {
    st.kind = StmtKind::kAssignment;
    st.name = "_";
    st.expr = build_test(c->test());
  } else if (auto* c = ctx->labelStmt()) {
    st.kind = StmtKind::kLabel;
    st.name = c->NAME()->getText();
  } else if (auto* c = ctx->globalStmt()) {
    st.kind = StmtKind::kGlobal;
    st.name = strip_dollar(c->VAR_NAME()->getText());
  } else if (auto* c = ctx->ifStmt()) {
    st.kind = StmtKind::kIf;
    st.conditions.push_back(build_test(c->test()));
    st.bodies.push_back(build_suite(c->suite()));
    for (P::ElifClauseContext* e : c->elifClause()) {
      st.conditions.push_back(build_test(e->test()));
      st.bodies.push_back(build_suite(e->suite()));
    }
    if (auto* e = c->elseClause()) {
      st.has_else = true;
      st.else_body = build_suite(e->suite());
    }
  } else if (auto* c = ctx->whileStmt()) {
    st.kind = StmtKind::kWhile;
    st.conditions.push_back(build_test(c->test()));
    st.bodies.push_back(build_suite(c->suite()));
  } else if (auto* c = ctx->whenStmt()) {
    st.kind = StmtKind::kWhen;
    st.cases.push_back(build_spec_expr(c->specExpr()));
    st.bodies.push_back(build_suite(c->suite()));
    for (P::OrWhenClauseContext* o : c->orWhenClause()) {
      st.cases.push_back(build_spec_expr(o->specExpr()));
      st.bodies.push_back(build_suite(o->suite()));
    }
    if (auto* e = c->elseClause()) {
      st.has_else = true;
      st.else_body = build_suite(e->suite());
    }
  } else if (auto* c = ctx->specOpStmt()) {
    st = build_spec_op(c->specOp());
  } else {
    return;  // cannot happen: the grammar has no other statement
  }
  out.push_back(std::move(st));
}

Stmt AstBuilder::build_spec_op(P::SpecOpContext* ctx) {
  Stmt st;
  st.kind = StmtKind::kSpecOp;
  st.loc = loc_of(ctx->getStart());
  if (auto* kw = ctx->specKeyword()) {
    switch (kw->getStart()->getType()) {
      case P::MATCH: st.op = SpecOpKind::kMatch; break;
      case P::AWAIT: st.op = SpecOpKind::kAwait; break;
      case P::START: st.op = SpecOpKind::kStart; break;
      case P::STOP: st.op = SpecOpKind::kStop; break;
      case P::ACTIVATE: st.op = SpecOpKind::kActivate; break;
      case P::DEACTIVATE: st.op = SpecOpKind::kDeactivate; break;
      default: st.op = SpecOpKind::kSend; break;
    }
    st.spec = build_spec_expr(ctx->specExpr());
  } else {
    // D.1: a bare spec is awaited.
    st.op = SpecOpKind::kAwait;
    st.spec = build_bare_spec_expr(ctx->bareSpecExpr());
  }
  return st;
}

// ================================================================ specs

namespace {

// Folds a list of operands into one group node, or returns the single one.
SpecExpr make_group(SpecExpr::Type type, std::vector<SpecExpr> items, SourceLoc loc) {
  if (items.size() == 1) return std::move(items[0]);
  SpecExpr g;
  g.type = type;
  g.children = std::move(items);
  g.loc = loc;
  return g;
}

}  // namespace

SpecExpr AstBuilder::build_spec_expr(P::SpecExprContext* ctx) {
  std::vector<SpecExpr> items;
  for (P::SpecAndContext* a : ctx->specAnd()) items.push_back(build_spec_and(a));
  return make_group(SpecExpr::Type::kOr, std::move(items), loc_of(ctx->getStart()));
}

SpecExpr AstBuilder::build_spec_and(P::SpecAndContext* ctx) {
  std::vector<SpecExpr> items;
  for (P::SpecAtomContext* a : ctx->specAtom()) items.push_back(build_spec_atom(a));
  return make_group(SpecExpr::Type::kAnd, std::move(items), loc_of(ctx->getStart()));
}

SpecExpr AstBuilder::build_spec_atom(P::SpecAtomContext* ctx) {
  if (ctx->specExpr() != nullptr) return build_spec_expr(ctx->specExpr());
  SpecExpr se;
  se.type = SpecExpr::Type::kSpec;
  se.spec = build_spec(ctx->spec());
  se.loc = se.spec.loc;
  return se;
}

SpecExpr AstBuilder::build_bare_spec_expr(P::BareSpecExprContext* ctx) {
  std::vector<SpecExpr> items;
  items.push_back(build_bare_spec_and(ctx->bareSpecAnd()));
  for (P::SpecAndContext* a : ctx->specAnd()) items.push_back(build_spec_and(a));
  return make_group(SpecExpr::Type::kOr, std::move(items), loc_of(ctx->getStart()));
}

SpecExpr AstBuilder::build_bare_spec_and(P::BareSpecAndContext* ctx) {
  std::vector<SpecExpr> items;
  items.push_back(build_bare_spec_atom(ctx->bareSpecAtom()));
  for (P::SpecAtomContext* a : ctx->specAtom()) items.push_back(build_spec_atom(a));
  return make_group(SpecExpr::Type::kAnd, std::move(items), loc_of(ctx->getStart()));
}

SpecExpr AstBuilder::build_bare_spec_atom(P::BareSpecAtomContext* ctx) {
  if (ctx->specExpr() != nullptr) return build_spec_expr(ctx->specExpr());
  SpecExpr se;
  se.type = SpecExpr::Type::kSpec;
  se.spec = build_named_spec(ctx->namedSpec());
  se.loc = se.spec.loc;
  return se;
}

Spec AstBuilder::build_spec(P::SpecContext* ctx) {
  if (ctx->namedSpec() != nullptr) return build_named_spec(ctx->namedSpec());
  Spec spec;
  spec.kind = SpecKind::kReference;
  spec.name = strip_dollar(ctx->VAR_NAME()->getText());
  spec.loc = loc_of(ctx->getStart());
  build_members(ctx->member(), spec);
  if (ctx->capture() != nullptr) spec.capture = strip_dollar(ctx->capture()->VAR_NAME()->getText());
  return spec;
}

Spec AstBuilder::build_named_spec(P::NamedSpecContext* ctx) {
  Spec spec;
  spec.loc = loc_of(ctx->getStart());
  P::SpecNameContext* name = ctx->specName();
  spec.name = name->firstNameWord()->getText();
  for (P::NameWordContext* w : name->nameWord()) spec.name.append(" ").append(name_of(w));
  spec.kind = classify(spec.name);
  P::ClassicArgsContext* classic = ctx->classicArgs();
  P::SimpleArgsContext* simple = ctx->simpleArgs();
  if (auto* args = ctx->specArgs()) {  // the parenthesised form
    classic = args->classicArgs();
    simple = args->simpleArgs();
  }
  if (classic != nullptr) spec.args = build_classic_args(classic);
  if (simple != nullptr) spec.args = build_simple_args(simple);
  build_members(ctx->member(), spec);
  if (ctx->capture() != nullptr) spec.capture = strip_dollar(ctx->capture()->VAR_NAME()->getText());
  return spec;
}

void AstBuilder::build_members(const std::vector<P::MemberContext*>& members, Spec& spec) {
  for (P::MemberContext* m : members) {
    SpecMember member;
    member.name = name_of(m->nameWord());
    member.loc = loc_of(m->nameWord()->getStart());
    if (m->classicArgs() != nullptr) member.args = build_classic_args(m->classicArgs());
    spec.members.push_back(std::move(member));
  }
}

void AstBuilder::add_arg(std::vector<Arg>& args, std::string name, ExprPtr value,
                         antlr4::Token* at) {
  // Positional arguments are "$0", "$1", ...; they must all come first, so
  // the next index is the size of the list while no named one was seen.
  bool seen_named = !args.empty() && (args.back().name.empty() || args.back().name[0] != '$');
  if (name.empty()) {
    if (seen_named) error(at, "syntax", "positional argument follows a named argument");
    name = "$" + std::to_string(args.size());
  }
  args.push_back(Arg{std::move(name), std::move(value)});
}

std::vector<Arg> AstBuilder::build_classic_args(P::ClassicArgsContext* ctx) {
  std::vector<Arg> args;
  for (P::ArgumentContext* a : ctx->argument()) {
    std::string name;
    if (a->nameWord() != nullptr) name = name_of(a->nameWord());
    if (a->VAR_NAME() != nullptr) name = strip_dollar(a->VAR_NAME()->getText());
    add_arg(args, std::move(name), build_expr(a->expr()), a->getStart());
  }
  return args;
}

std::vector<Arg> AstBuilder::build_simple_args(P::SimpleArgsContext* ctx) {
  std::vector<Arg> args;
  P::SimpleArgContext* first = ctx->simpleArg();
  std::string name;
  if (first->VAR_NAME() != nullptr) name = strip_dollar(first->VAR_NAME()->getText());
  add_arg(args, std::move(name), build_expr(first->expr()), first->getStart());
  for (P::NextSimpleArgContext* a : ctx->nextSimpleArg()) {
    if (a->VAR_NAME() != nullptr) {
      add_arg(args, strip_dollar(a->VAR_NAME()->getText()), build_expr(a->expr()), a->getStart());
    } else {
      add_arg(args, "", build_next_arg_expr(a->nextArgExpr()), a->getStart());
    }
  }
  return args;
}

// Case of one code point: +1 upper, -1 lower, 0 uncased. ASCII plus the
// Latin-1, Latin Extended-A, Greek and Cyrillic letters, which covers the
// names people write; other scripts count as uncased.
static int letter_case(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return 1;
  if (cp >= 'a' && cp <= 'z') return -1;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return 1;
  if (cp >= 0xDF && cp <= 0xFF && cp != 0xF7) return -1;
  if (cp >= 0x100 && cp <= 0x17F && cp != 0x138 && cp != 0x149) {
    // Pairs: upper at even code points, except 0x139-0x148 and 0x179-0x17E
    // where upper is odd.
    bool odd_upper = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    bool upper = odd_upper ? (cp % 2 == 1) : (cp % 2 == 0);
    if (cp == 0x178) upper = true;
    return upper ? 1 : -1;
  }
  if (cp >= 0x391 && cp <= 0x3A9) return 1;
  if (cp >= 0x3B1 && cp <= 0x3C9) return -1;
  if (cp >= 0x400 && cp <= 0x42F) return 1;
  if (cp >= 0x430 && cp <= 0x45F) return -1;
  return 0;
}

// B.3: all lower-case (Python str.islower: some cased letter, none upper)
// => flow; ends with "Action" and does not start with Start/Stop/Change =>
// action; otherwise event.
SpecKind AstBuilder::classify(std::string_view name) {
  bool has_lower = false, has_upper = false;
  for (size_t i = 0; i < name.size();) {
    unsigned char b = static_cast<unsigned char>(name[i]);
    uint32_t cp = b;
    size_t len = 1;
    if (b >= 0xF0) {
      len = 4;
      cp = b & 0x07;
    } else if (b >= 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if (b >= 0xC0) {
      len = 2;
      cp = b & 0x1F;
    }
    for (size_t k = 1; k < len && i + k < name.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(name[i + k]) & 0x3F);
    }
    i += len;
    int c = letter_case(cp);
    if (c > 0) has_upper = true;
    if (c < 0) has_lower = true;
  }
  if (has_lower && !has_upper) return SpecKind::kFlow;
  if (ends_with(name, "Action") && !starts_with(name, "Start") && !starts_with(name, "Stop") &&
      !starts_with(name, "Change")) {
    return SpecKind::kAction;
  }
  return SpecKind::kEvent;
}

// ================================================================ expressions

ExprPtr AstBuilder::build_test(P::TestContext* ctx) {
  std::vector<P::AndTestContext*> parts = ctx->andTest();
  if (parts.size() == 1) return build_and_test(parts[0]);
  auto e = new_expr(ExprKind::kOr, ctx);
  for (P::AndTestContext* p : parts) e->items.push_back(build_and_test(p));
  return done(std::move(e));
}

ExprPtr AstBuilder::build_and_test(P::AndTestContext* ctx) {
  std::vector<P::NotTestContext*> parts = ctx->notTest();
  if (parts.size() == 1) return build_not_test(parts[0]);
  auto e = new_expr(ExprKind::kAnd, ctx);
  for (P::NotTestContext* p : parts) e->items.push_back(build_not_test(p));
  return done(std::move(e));
}

ExprPtr AstBuilder::build_not_test(P::NotTestContext* ctx) {
  if (ctx->comparison() != nullptr) return build_comparison(ctx->comparison());
  auto e = new_expr(ExprKind::kNot, ctx);
  e->operand = build_not_test(ctx->notTest());
  return done(std::move(e));
}

ExprPtr AstBuilder::build_comparison(P::ComparisonContext* ctx) {
  std::vector<P::ExprContext*> operands = ctx->expr();
  if (operands.size() == 1) return build_expr(operands[0]);
  auto e = new_expr(ExprKind::kCompare, ctx);
  for (P::ExprContext* o : operands) e->items.push_back(build_expr(o));
  for (P::CompOpContext* op : ctx->compOp()) {
    std::string text;
    for (antlr4::tree::ParseTree* child : op->children) {
      if (!text.empty()) text += " ";
      text += child->getText();
    }
    e->ops.push_back(std::move(text));
  }
  return done(std::move(e));
}

namespace {

// Binding strength of the flat binary operators (Python's order); all are
// left associative.
int binary_precedence(size_t token_type) {
  switch (token_type) {
    case P::PIPE: return 1;
    case P::CARET: return 2;
    case P::AMP: return 3;
    case P::LSHIFT:
    case P::RSHIFT: return 4;
    case P::PLUS:
    case P::MINUS: return 5;
    default: return 6;  // * @ / % //
  }
}

}  // namespace

ExprPtr AstBuilder::build_expr(P::ExprContext* ctx) {
  std::vector<P::FactorContext*> factors = ctx->factor();
  if (factors.size() >= static_cast<size_t>(kMaxExprDepth)) return too_deep(ctx);
  std::vector<Operand> operands;
  operands.push_back({build_factor(factors[0]), factors[0]->getStart(), factors[0]->getStop()});
  for (size_t i = 1; i < factors.size(); ++i) {
    operands.push_back({build_factor(factors[i]), factors[i]->getStart(), factors[i]->getStop()});
  }
  return fold_binary(std::move(operands), ctx->binOp());
}

ExprPtr AstBuilder::build_next_arg_expr(P::NextArgExprContext* ctx) {
  std::vector<P::FactorContext*> factors = ctx->factor();
  if (factors.size() + 1 >= static_cast<size_t>(kMaxExprDepth)) return too_deep(ctx);
  std::vector<Operand> operands;
  P::NextArgFactorContext* head = ctx->nextArgFactor();
  operands.push_back({build_next_arg_factor(head), head->getStart(), head->getStop()});
  for (P::FactorContext* f : factors) {
    operands.push_back({build_factor(f), f->getStart(), f->getStop()});
  }
  return fold_binary(std::move(operands), ctx->binOp());
}

// Operator precedence over `operand (op operand)*`, without recursion: a
// stack of operands and one of pending operators (shunting-yard).
ExprPtr AstBuilder::fold_binary(std::vector<Operand> operands,
                                const std::vector<P::BinOpContext*>& ops) {
  if (operands.size() == 1) return std::move(operands[0].expr);
  std::vector<Operand> values;
  std::vector<antlr4::Token*> pending;
  auto reduce = [&]() {
    Operand rhs = std::move(values.back());
    values.pop_back();
    Operand lhs = std::move(values.back());
    values.pop_back();
    antlr4::Token* op = pending.back();
    pending.pop_back();
    auto e = std::make_shared<Expr>();
    e->kind = ExprKind::kBinary;
    e->loc = loc_of(lhs.start);
    e->op = op->getText();
    size_t a = lhs.start->getStartIndex();
    size_t b = rhs.stop->getStopIndex();
    if (a != INVALID_INDEX && b != INVALID_INDEX && b >= a) {
      e->source = input_->getText(antlr4::misc::Interval(a, b));
    }
    e->lhs = std::move(lhs.expr);
    e->rhs = std::move(rhs.expr);
    values.push_back({done(std::move(e)), lhs.start, rhs.stop});
  };
  values.push_back(std::move(operands[0]));
  for (size_t i = 0; i < ops.size() && i + 1 < operands.size(); ++i) {
    antlr4::Token* op = ops[i]->getStart();
    int prec = binary_precedence(op->getType());
    while (!pending.empty() && binary_precedence(pending.back()->getType()) >= prec) reduce();
    pending.push_back(op);
    values.push_back(std::move(operands[i + 1]));
  }
  while (!pending.empty()) reduce();
  return std::move(values.back().expr);
}

ExprPtr AstBuilder::build_factor(P::FactorContext* ctx) {
  if (ctx->power() != nullptr) return build_power(ctx->power());
  auto e = new_expr(ExprKind::kUnary, ctx);
  e->op = ctx->getStart()->getText();
  e->operand = build_factor(ctx->factor());
  return done(std::move(e));
}

ExprPtr AstBuilder::build_power(P::PowerContext* ctx) {
  ExprPtr base = build_atom_expr(ctx->atomExpr());
  if (ctx->factor() == nullptr) return base;
  auto e = new_expr(ExprKind::kBinary, ctx);
  e->op = "**";
  e->lhs = std::move(base);
  e->rhs = build_factor(ctx->factor());
  return done(std::move(e));
}

ExprPtr AstBuilder::build_next_arg_factor(P::NextArgFactorContext* ctx) {
  if (ctx->TILDE() != nullptr) {
    auto e = new_expr(ExprKind::kUnary, ctx);
    e->op = "~";
    e->operand = build_factor(ctx->factor());
    return done(std::move(e));
  }
  ExprPtr base = build_trailers(build_non_list_primary(ctx->nonListPrimary()), ctx->getStart(),
                                ctx->trailer());
  if (ctx->POW() == nullptr) return base;
  auto e = new_expr(ExprKind::kBinary, ctx);
  e->op = "**";
  e->lhs = std::move(base);
  e->rhs = build_factor(ctx->factor());
  return done(std::move(e));
}

ExprPtr AstBuilder::build_atom_expr(P::AtomExprContext* ctx) {
  P::PrimaryContext* primary = ctx->primary();
  ExprPtr base = primary->listExpr() != nullptr ? build_list(primary->listExpr())
                                                : build_non_list_primary(primary->nonListPrimary());
  return build_trailers(std::move(base), ctx->getStart(), ctx->trailer());
}

// `base[i]`, `base.name`, `base.name(args)`, applied left to right.
ExprPtr AstBuilder::build_trailers(ExprPtr base, antlr4::Token* start,
                                   const std::vector<P::TrailerContext*>& trailers) {
  if (trailers.size() >= static_cast<size_t>(kMaxExprDepth)) return too_deep(trailers[0]);
  ExprPtr acc = std::move(base);
  for (P::TrailerContext* t : trailers) {
    auto e = std::make_shared<Expr>();
    e->loc = loc_of(start);
    size_t a = start->getStartIndex();
    size_t b = t->getStop() != nullptr ? t->getStop()->getStopIndex() : INVALID_INDEX;
    if (a != INVALID_INDEX && b != INVALID_INDEX && b >= a) {
      e->source = input_->getText(antlr4::misc::Interval(a, b));
    }
    if (auto* ix = dynamic_cast<P::IndexTrailerContext*>(t)) {
      e->kind = ExprKind::kIndex;
      e->items.push_back(build_subscript(ix->subscript()));
    } else if (auto* mc = dynamic_cast<P::MethodTrailerContext*>(t)) {
      e->kind = ExprKind::kMethodCall;
      e->name = name_of(mc->nameWord());
      if (mc->arguments() != nullptr) build_arguments(mc->arguments(), *e);
    } else {
      e->kind = ExprKind::kAttr;
      e->name = name_of(static_cast<P::AttrTrailerContext*>(t)->nameWord());
    }
    e->operand = std::move(acc);
    acc = done(std::move(e));
    if (depth_reported_) break;  // refused anyway; stay linear in the input
  }
  return acc;
}

ExprPtr AstBuilder::build_list(P::ListExprContext* ctx) {
  auto e = new_expr(ExprKind::kList, ctx);
  for (P::AtomExprContext* item : ctx->atomExpr()) e->items.push_back(build_atom_expr(item));
  return done(std::move(e));
}

ExprPtr AstBuilder::build_non_list_primary(P::NonListPrimaryContext* ctx) {
  if (auto* c = dynamic_cast<P::CallExprContext*>(ctx)) {
    auto e = new_expr(ExprKind::kCall, ctx);
    e->name = c->callName()->getText();
    if (c->arguments() != nullptr) build_arguments(c->arguments(), *e);
    return done(std::move(e));
  }
  if (auto* c = dynamic_cast<P::SetExprContext*>(ctx)) {
    auto e = new_expr(ExprKind::kSet, ctx);
    for (P::AtomExprContext* item : c->atomExpr()) e->items.push_back(build_atom_expr(item));
    return done(std::move(e));
  }
  if (auto* c = dynamic_cast<P::DictExprContext*>(ctx)) {
    auto e = new_expr(ExprKind::kDict, ctx);
    for (P::DictItemContext* item : c->dictItem()) {
      if (item->POW() != nullptr) {
        e->entries.emplace_back(nullptr, build_expr(item->expr()));
      } else {
        e->entries.emplace_back(build_test(item->test(0)), build_test(item->test(1)));
      }
    }
    return done(std::move(e));
  }
  if (auto* c = dynamic_cast<P::ParenExprContext*>(ctx)) {
    // Interpolation off means a Colang 1.0 (plain Python) expression, where
    // parentheses group; Colang 2.x has no parenthesised terms.
    if (interpolation_) {
      error(ctx->getStart(), "syntax", "parentheses cannot group an expression in Colang 2.x");
      return nullptr;
    }
    return build_test(c->test());
  }
  return build_atom(static_cast<P::AtomOnlyContext*>(ctx)->atom());
}

ExprPtr AstBuilder::build_subscript(P::SubscriptContext* ctx) {
  if (ctx->COLON().empty()) return build_test(ctx->test(0));
  // Slice: the tests sit between the colons, any of them may be missing.
  auto e = new_expr(ExprKind::kSlice, ctx);
  ExprPtr* slots[3] = {&e->lhs, &e->rhs, &e->step};
  int slot = 0;
  for (antlr4::tree::ParseTree* child : ctx->children) {
    if (auto* t = dynamic_cast<antlr4::tree::TerminalNode*>(child)) {
      if (t->getSymbol()->getType() == P::COLON) ++slot;
    } else if (auto* test = dynamic_cast<P::TestContext*>(child)) {
      if (slot < 3) *slots[slot] = build_test(test);
    }
  }
  return done(std::move(e));
}

void AstBuilder::build_arguments(P::ArgumentsContext* ctx, Expr& call) {
  for (P::ArgumentContext* a : ctx->argument()) {
    ExprPtr value = build_expr(a->expr());
    if (a->ASSIGN() != nullptr) {
      std::string name = a->nameWord() != nullptr ? name_of(a->nameWord())
                                                  : strip_dollar(a->VAR_NAME()->getText());
      call.kwargs.emplace_back(std::move(name), std::move(value));
    } else {
      if (!call.kwargs.empty()) {
        error(a->getStart(), "syntax", "positional argument follows a named argument");
      }
      call.items.push_back(std::move(value));
    }
  }
}

ExprPtr AstBuilder::build_atom(P::AtomContext* ctx) {
  antlr4::Token* tok = ctx->getStart();
  switch (tok->getType()) {
    case P::STRING:
    case P::LONG_STRING:
      return build_string(tok);
    case P::VAR_NAME: {
      auto e = new_expr(ExprKind::kVar, ctx);
      e->name = strip_dollar(tok->getText());
      return done(std::move(e));
    }
    case P::INT: {
      auto e = new_expr(ExprKind::kLiteral, ctx);
      std::string digits = remove_underscores(tok->getText());
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(digits.c_str(), &end, 10);
      if (errno == ERANGE) {
        error(tok, "semantic", "integer literal is too large (the limit is 64 bits)");
        v = 0;
      }
      e->literal = Value(static_cast<int64_t>(v));
      return done(std::move(e));
    }
    case P::FLOAT: {
      auto e = new_expr(ExprKind::kLiteral, ctx);
      std::string digits = remove_underscores(tok->getText());
      e->literal = Value(std::strtod(digits.c_str(), nullptr));  // overflow gives inf, as Python
      return done(std::move(e));
    }
    case P::NONE: {
      auto e = new_expr(ExprKind::kLiteral, ctx);
      e->literal = Value();
      return done(std::move(e));
    }
    case P::TRUE:
    case P::FALSE: {
      auto e = new_expr(ExprKind::kLiteral, ctx);
      e->literal = Value(tok->getType() == P::TRUE);
      return done(std::move(e));
    }
    default:
      return nullptr;  // cannot happen: the grammar has no other atom
  }
}

ExprPtr AstBuilder::build_string(antlr4::Token* tok) {
  auto e = std::make_shared<Expr>();
  e->kind = ExprKind::kString;
  e->loc = loc_of(tok);
  e->source = tok->getText();
  StringToken st = split_string_token(e->source);
  e->nld = st.nld;
  if (!interpolation_) {
    e->parts.push_back(StringPart{decode_escapes(st.body), nullptr});
    return done(std::move(e));
  }
  const std::string& text = e->source;
  SourceLoc tok_loc = e->loc;
  auto parse_inner = [&](std::string_view inner, size_t offset) -> ExprPtr {
    if (depth_ >= kMaxInterpolationDepth) return nullptr;
    // Where the inner text starts in the file.
    size_t upto = st.body_offset + offset;
    int lines = 0, cols = 0;
    for (size_t i = 0; i < upto && i < text.size(); ++i) {
      unsigned char b = static_cast<unsigned char>(text[i]);
      if (b == '\n') {
        ++lines;
        cols = 0;
      } else if ((b & 0xC0) != 0x80) {
        ++cols;
      }
    }
    TextOrigin origin;
    origin.line = tok_loc.line + lines;
    origin.column = lines == 0 ? tok_loc.column + cols : cols + 1;
    DiagSink quiet(sink_->file(), "", nullptr);
    quiet.set_quiet(true);
    return parse_test_text(inner, origin, &quiet, depth_ + 1);
  };
  e->parts = split_interpolations(st.body, parse_inner);
  return done(std::move(e));
}

}  // namespace rg::colang::internal
