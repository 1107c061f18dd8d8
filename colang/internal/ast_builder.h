// Not for use outside colang/.
//
// AstBuilder turns the ANTLR parse tree of colang/grammar/ColangParser.g4
// into the typed AST of colang/ast.h: spec kinds (B.3), argument naming
// ("$0", "$1", ... for positional), string interpolation parts (B.4), flow
// docstrings, decorators with literal parameters and the flow's source text.
// Problems it finds (a positional argument after a named one, a non-literal
// decorator argument, ...) are recorded in the DiagSink; building goes on.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ColangParser.h"
#include "colang/ast.h"
#include "colang/internal/error_listener.h"

namespace rg::colang::internal {

// Where offset 0 of the text being parsed lies in the file, so expressions
// parsed from inside a string literal report file positions.
struct TextOrigin {
  int line = 1;
  int column = 1;  // 1-based
};

// Parses `text` as one expression (rule singleTest) with positions shifted
// by `origin`. Errors go to `sink` (which may be quiet). Implemented in
// parse.cc, which owns the lexer/parser set-up.
// `interpolation` false: string literals are taken as plain text (Colang 1.0).
ExprPtr parse_test_text(std::string_view text, TextOrigin origin, DiagSink* sink, int depth,
                        bool interpolation = true);

class AstBuilder {
 public:
  using P = rg_colang_gen::ColangParser;

  // `depth` counts how many string interpolations we are inside.
  AstBuilder(antlr4::CharStream* input, antlr4::TokenStream* tokens, DiagSink* sink,
             TextOrigin origin, int depth);

  File build_file(P::ColangFileContext* ctx, const std::string& path);
  ExprPtr build_test(P::TestContext* ctx);
  // false: strings are not split into `{expr}` parts (Colang 1.0).
  void set_interpolation(bool on) { interpolation_ = on; }

 private:
  using Ctx = antlr4::ParserRuleContext;

  // ---- flows
  void build_flow(P::FlowDefContext* ctx, File& file);
  void build_decorator(P::DecoratorContext* ctx, Flow& flow);
  bool literal_value(const ExprPtr& expr, Value* out);
  std::vector<Param> build_params(const std::vector<P::ParamDefContext*>& defs);
  std::string flow_source(P::FlowDefContext* ctx);

  // ---- statements
  void build_stmt(P::StmtContext* ctx, std::vector<Stmt>& out);
  std::vector<Stmt> build_suite(P::SuiteContext* ctx);
  Stmt build_spec_op(P::SpecOpContext* ctx);

  // ---- specs
  SpecExpr build_spec_expr(P::SpecExprContext* ctx);
  SpecExpr build_spec_and(P::SpecAndContext* ctx);
  SpecExpr build_spec_atom(P::SpecAtomContext* ctx);
  SpecExpr build_bare_spec_expr(P::BareSpecExprContext* ctx);
  SpecExpr build_bare_spec_and(P::BareSpecAndContext* ctx);
  SpecExpr build_bare_spec_atom(P::BareSpecAtomContext* ctx);
  Spec build_spec(P::SpecContext* ctx);
  Spec build_named_spec(P::NamedSpecContext* ctx);
  void build_members(const std::vector<P::MemberContext*>& members, Spec& spec);
  std::vector<Arg> build_classic_args(P::ClassicArgsContext* ctx);
  std::vector<Arg> build_simple_args(P::SimpleArgsContext* ctx);
  void add_arg(std::vector<Arg>& args, std::string name, ExprPtr value, antlr4::Token* at);
  static SpecKind classify(std::string_view name);

  // ---- expressions
  ExprPtr build_and_test(P::AndTestContext* ctx);
  ExprPtr build_not_test(P::NotTestContext* ctx);
  ExprPtr build_comparison(P::ComparisonContext* ctx);
  ExprPtr build_expr(P::ExprContext* ctx);
  ExprPtr build_next_arg_expr(P::NextArgExprContext* ctx);
  struct Operand {
    ExprPtr expr;
    antlr4::Token* start;
    antlr4::Token* stop;
  };
  ExprPtr fold_binary(std::vector<Operand> operands, const std::vector<P::BinOpContext*>& ops);
  ExprPtr build_factor(P::FactorContext* ctx);
  ExprPtr build_power(P::PowerContext* ctx);
  ExprPtr build_next_arg_factor(P::NextArgFactorContext* ctx);
  ExprPtr build_atom_expr(P::AtomExprContext* ctx);
  ExprPtr build_trailers(ExprPtr base, antlr4::Token* start,
                         const std::vector<P::TrailerContext*>& trailers);
  ExprPtr build_list(P::ListExprContext* ctx);
  ExprPtr build_non_list_primary(P::NonListPrimaryContext* ctx);
  ExprPtr build_subscript(P::SubscriptContext* ctx);
  void build_arguments(P::ArgumentsContext* ctx, Expr& call);
  ExprPtr build_atom(P::AtomContext* ctx);
  ExprPtr build_string(antlr4::Token* tok);

  // ---- helpers
  std::shared_ptr<Expr> new_expr(ExprKind kind, Ctx* ctx);
  ExprPtr done(std::shared_ptr<Expr> e);  // records depth, checks the limit
  ExprPtr too_deep(Ctx* ctx);             // reports once, returns a stub
  int depth_of(const ExprPtr& e) const;
  SourceLoc loc_of(const antlr4::Token* tok) const;
  std::string text_of(Ctx* ctx) const;
  std::string name_of(P::NameWordContext* ctx) const;
  void error(const antlr4::Token* at, std::string code, std::string message);

  antlr4::CharStream* input_;
  antlr4::TokenStream* tokens_;
  DiagSink* sink_;
  TextOrigin origin_;
  int depth_;
  bool interpolation_ = true;
  std::unordered_map<const Expr*, int> expr_depth_;
  bool depth_reported_ = false;
};

}  // namespace rg::colang::internal
