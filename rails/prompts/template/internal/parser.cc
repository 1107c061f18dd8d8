// Template parser: builds the Node tree from the scanner's pieces. Block
// nesting is tracked with an explicit stack; expressions are parsed by
// recursive descent with a depth cap, so a hostile template ("((((((...")
// fails with an error instead of overflowing the stack.
#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "rails/prompts/template/internal/ast.h"
#include "rails/prompts/template/internal/scanner.h"
#include "rails/prompts/template/template.h"

namespace rg::rails::prompts::internal {
namespace {

constexpr int kMaxDepth = 200;

using Code = TemplateError::Code;

// ---------------------------------------------------------------- expressions

class ExprParser {
 public:
  ExprParser(const std::vector<Token>& tokens, const Positions& pos, const FilterRegistry& filters,
             std::set<std::string>& names)
      : t_(tokens), pos_(pos), filters_(filters), names_(names) {}

  const Token& peek(size_t ahead = 0) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
  const Token& next() {
    const Token& t = t_[i_];
    if (i_ + 1 < t_.size()) ++i_;
    return t;
  }
  bool at_end() const { return peek().type == Token::Type::kEnd; }
  bool is_op(std::string_view op, size_t ahead = 0) const {
    return peek(ahead).type == Token::Type::kOp && peek(ahead).text == op;
  }
  bool is_name(std::string_view name, size_t ahead = 0) const {
    return peek(ahead).type == Token::Type::kName && peek(ahead).text == name;
  }

  [[noreturn]] void fail_at(const Token& t, std::string message, Code code = Code::kSyntax) const {
    throw ParseError{pos_.line(t.offset), pos_.column(t.offset), static_cast<int>(code), std::move(message)};
  }
  [[noreturn]] void unexpected(const Token& t, std::string_view expected) const {
    if (t.type == Token::Type::kEnd) fail_at(t, "expected " + std::string(expected) + ", found end of tag");
    std::string shown = t.type == Token::Type::kString ? "'" + t.text + "'" : t.text;
    fail_at(t, "unexpected '" + shown + "', expected " + std::string(expected));
  }
  void expect_op(std::string_view op) {
    if (!is_op(op)) unexpected(peek(), "'" + std::string(op) + "'");
    next();
  }
  std::string expect_name(std::string_view what) {
    if (peek().type != Token::Type::kName) unexpected(peek(), what);
    return next().text;
  }
  void expect_end() {
    if (!at_end()) unexpected(peek(), "end of tag");
  }

  ExprPtr make(Expr::Kind kind, const Token& at) const {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = pos_.line(at.offset);
    e->column = pos_.column(at.offset);
    return e;
  }

  ExprPtr expression(bool with_cond = true) {
    Depth guard(this, peek());
    ExprPtr e = or_expr();
    while (with_cond && is_name("if")) {
      const Token& at = next();
      auto c = make(Expr::Kind::kCond, at);
      c->items.push_back(std::move(e));
      c->items.push_back(or_expr());
      if (is_name("else")) {
        next();
        c->items.push_back(expression());
      } else {
        c->items.push_back(nullptr);
      }
      e = std::move(c);
    }
    return e;
  }

 private:
  struct Depth {
    Depth(ExprParser* p, const Token& at) : p_(p) {
      if (++p_->depth_ > kMaxDepth) p_->fail_at(at, "expression nested too deeply");
    }
    ~Depth() { --p_->depth_; }
    ExprParser* p_;
  };

  ExprPtr binary(Expr::Kind kind, const Token& at, ExprPtr a, ExprPtr b, std::string op = {}) {
    auto e = make(kind, at);
    e->name = std::move(op);
    e->items.push_back(std::move(a));
    e->items.push_back(std::move(b));
    return e;
  }

  ExprPtr or_expr() {
    ExprPtr e = and_expr();
    while (is_name("or")) {
      const Token& at = next();
      e = binary(Expr::Kind::kOr, at, std::move(e), and_expr());
    }
    return e;
  }
  ExprPtr and_expr() {
    ExprPtr e = not_expr();
    while (is_name("and")) {
      const Token& at = next();
      e = binary(Expr::Kind::kAnd, at, std::move(e), not_expr());
    }
    return e;
  }
  ExprPtr not_expr() {
    if (is_name("not")) {
      Depth guard(this, peek());
      const Token& at = next();
      auto e = make(Expr::Kind::kNot, at);
      e->items.push_back(not_expr());
      return e;
    }
    return compare();
  }
  ExprPtr compare() {
    ExprPtr first = math1();
    ExprPtr chain;
    while (true) {
      std::string op;
      const Token& at = peek();
      if (peek().type == Token::Type::kOp &&
          (at.text == "==" || at.text == "!=" || at.text == "<" || at.text == "<=" || at.text == ">" ||
           at.text == ">=")) {
        op = next().text;
      } else if (is_name("in")) {
        next();
        op = "in";
      } else if (is_name("not") && is_name("in", 1)) {
        next();
        next();
        op = "not in";
      } else {
        break;
      }
      if (!chain) {
        chain = make(Expr::Kind::kCompare, at);
        chain->items.push_back(std::move(first));
      }
      chain->ops.push_back(op);
      chain->items.push_back(math1());
    }
    return chain ? std::move(chain) : std::move(first);
  }
  ExprPtr math1() {
    ExprPtr e = concat();
    while (is_op("+") || is_op("-")) {
      const Token& at = next();
      e = binary(Expr::Kind::kBinary, at, std::move(e), concat(), at.text);
    }
    return e;
  }
  ExprPtr concat() {
    ExprPtr e = math2();
    while (is_op("~")) {
      const Token& at = next();
      e = binary(Expr::Kind::kBinary, at, std::move(e), math2(), "~");
    }
    return e;
  }
  ExprPtr math2() {
    ExprPtr e = power();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& at = next();
      e = binary(Expr::Kind::kBinary, at, std::move(e), power(), at.text);
    }
    return e;
  }
  ExprPtr power() {
    ExprPtr e = unary(true);
    while (is_op("**")) {
      const Token& at = next();
      e = binary(Expr::Kind::kBinary, at, std::move(e), unary(true), "**");
    }
    return e;
  }
  ExprPtr unary(bool with_filter) {
    Depth guard(this, peek());
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      const Token& at = next();
      e = make(at.text == "-" ? Expr::Kind::kNeg : Expr::Kind::kPos, at);
      e->items.push_back(unary(false));
    } else {
      e = primary();
    }
    e = postfix(std::move(e));
    if (with_filter) e = filters_and_tests(std::move(e));
    return e;
  }

  ExprPtr primary() {
    const Token& t = peek();
    switch (t.type) {
      case Token::Type::kName: {
        next();
        auto e = make(Expr::Kind::kLiteral, t);
        if (t.text == "true" || t.text == "True") {
          e->value = true;
        } else if (t.text == "false" || t.text == "False") {
          e->value = false;
        } else if (t.text == "none" || t.text == "None") {
          e->value = colang::Value();
        } else if (is_op("(")) {
          e->kind = Expr::Kind::kCall;
          e->name = t.text;
          e->items.push_back(nullptr);  // no object: a global function
          call_args(*e, /*allow_keywords=*/false);
        } else {
          e->kind = Expr::Kind::kName;
          e->name = t.text;
          names_.insert(t.text);
        }
        return e;
      }
      case Token::Type::kInt:
      case Token::Type::kFloat: {
        next();
        auto e = make(Expr::Kind::kLiteral, t);
        e->value = t.value;
        return e;
      }
      case Token::Type::kString: {
        next();
        auto e = make(Expr::Kind::kLiteral, t);
        std::string s = t.text;
        while (peek().type == Token::Type::kString) s += next().text;  // "a" "b" == "ab"
        e->value = colang::Value(std::move(s));
        return e;
      }
      case Token::Type::kOp:
        if (t.text == "(") {
          next();
          ExprPtr first = expression();
          if (is_op(",")) {  // a tuple: treated as a list
            auto e = make(Expr::Kind::kList, t);
            e->items.push_back(std::move(first));
            while (is_op(",")) {
              next();
              if (is_op(")")) break;
              e->items.push_back(expression());
            }
            expect_op(")");
            return e;
          }
          expect_op(")");
          return first;
        }
        if (t.text == "[") {
          next();
          auto e = make(Expr::Kind::kList, t);
          while (!is_op("]")) {
            e->items.push_back(expression());
            if (!is_op(",")) break;
            next();
          }
          expect_op("]");
          return e;
        }
        if (t.text == "{") {
          next();
          auto e = make(Expr::Kind::kDict, t);
          while (!is_op("}")) {
            e->items.push_back(expression());
            expect_op(":");
            e->items.push_back(expression());
            if (!is_op(",")) break;
            next();
          }
          expect_op("}");
          return e;
        }
        break;
      case Token::Type::kEnd:
        break;
    }
    unexpected(t, "an expression");
  }

  ExprPtr postfix(ExprPtr e) {
    while (true) {
      if (is_op(".")) {
        const Token& at = next();
        const Token& t = peek();
        if (t.type == Token::Type::kInt) {  // xs.0 is xs[0]
          next();
          auto lit = make(Expr::Kind::kLiteral, t);
          lit->value = t.value;
          e = binary(Expr::Kind::kItem, at, std::move(e), std::move(lit));
          continue;
        }
        std::string name = expect_name("an attribute name");
        if (is_op("(")) {
          auto call = make(Expr::Kind::kCall, at);
          call->name = std::move(name);
          call->items.push_back(std::move(e));
          call_args(*call, false);
          e = std::move(call);
        } else {
          auto attr = make(Expr::Kind::kAttr, at);
          attr->name = std::move(name);
          attr->items.push_back(std::move(e));
          e = std::move(attr);
        }
      } else if (is_op("[")) {
        const Token& at = next();
        ExprPtr lo;
        if (!is_op(":")) lo = expression();
        if (is_op(":")) {
          next();
          auto slice = make(Expr::Kind::kSlice, at);
          slice->items.push_back(std::move(e));
          slice->items.push_back(std::move(lo));
          slice->items.push_back(is_op("]") || is_op(":") ? nullptr : expression());
          ExprPtr step;
          if (is_op(":")) {
            next();
            if (!is_op("]")) step = expression();
          }
          slice->items.push_back(std::move(step));
          expect_op("]");
          e = std::move(slice);
        } else {
          expect_op("]");
          e = binary(Expr::Kind::kItem, at, std::move(e), std::move(lo));
        }
      } else {
        return e;
      }
    }
  }

  void call_args(Expr& e, bool allow_keywords) {
    expect_op("(");
    while (!is_op(")")) {
      if (allow_keywords && peek().type == Token::Type::kName && is_op("=", 1)) {
        e.keywords.push_back(next().text);
        next();
        e.items.push_back(expression());
      } else {
        if (!e.keywords.empty()) fail_at(peek(), "positional argument after a keyword argument");
        e.items.push_back(expression());
      }
      if (!is_op(",")) break;
      next();
    }
    expect_op(")");
  }

  ExprPtr filters_and_tests(ExprPtr e) {
    static const std::set<std::string, std::less<>> kTests = {
        "defined", "undefined", "none",     "string", "number", "integer", "float", "mapping",
        "sequence", "iterable", "boolean", "true",   "false",  "odd",     "even",  "divisibleby"};
    while (true) {
      if (is_op("|")) {
        next();
        const Token& at = peek();
        std::string name = expect_name("a filter name");
        auto f = make(Expr::Kind::kFilter, at);
        f->filter = filters_.find(name);
        if (f->filter == nullptr) fail_at(at, "unknown filter '" + name + "'", Code::kUnknownFilter);
        f->name = std::move(name);
        f->items.push_back(std::move(e));
        if (is_op("(")) call_args(*f, true);
        e = std::move(f);
      } else if (is_name("is")) {
        next();
        auto test = make(Expr::Kind::kTest, peek());
        if (is_name("not")) {
          next();
          test->negated = true;
        }
        const Token& at = peek();
        std::string name;
        if (at.type == Token::Type::kName) {
          name = next().text;
        } else {
          unexpected(at, "a test name");
        }
        if (kTests.find(name) == kTests.end()) fail_at(at, "unknown test '" + name + "'", Code::kUnknownTest);
        test->name = std::move(name);
        test->items.push_back(std::move(e));
        if (is_op("(")) {
          call_args(*test, false);
        } else if ((peek().type == Token::Type::kName && !is_name("else") && !is_name("or") && !is_name("and")) ||
                   peek().type == Token::Type::kString || peek().type == Token::Type::kInt ||
                   peek().type == Token::Type::kFloat || is_op("[") || is_op("{")) {
          test->items.push_back(postfix(primary()));  // `x is divisibleby 3`
        }
        const size_t n_args = test->items.size() - 1;
        if (test->name == "divisibleby" ? n_args != 1 : n_args != 0) {
          fail_at(at, "test '" + test->name + "' takes " + (test->name == "divisibleby" ? "one argument" : "no arguments"));
        }
        e = std::move(test);
      } else {
        return e;
      }
    }
  }

  const std::vector<Token>& t_;
  size_t i_ = 0;
  int depth_ = 0;
  const Positions& pos_;
  const FilterRegistry& filters_;
  std::set<std::string>& names_;
};

// ---------------------------------------------------------------- statements

struct Open {
  Node* node;   // null for the root
  Body* body;   // where new nodes go
  std::string tag;  // "if" / "for"
  size_t offset;
  bool in_else = false;
};

class TreeBuilder {
 public:
  TreeBuilder(const Positions& pos, const FilterRegistry& filters) : pos_(pos), filters_(filters) {}

  ParseOutput build(const std::vector<Piece>& pieces) {
    ParseOutput out;
    stack_.push_back(Open{nullptr, &out.body, "", 0});
    for (const Piece& piece : pieces) {
      if (piece.is_text) {
        Node n = node(Node::Kind::kText, piece.offset);
        n.text = piece.text;
        stack_.back().body->push_back(std::move(n));
      } else if (piece.tag.kind == '{') {
        ExprParser p(piece.tag.tokens, pos_, filters_, names_);
        Node n = node(Node::Kind::kOutput, piece.offset);
        if (p.at_end()) p.unexpected(p.peek(), "an expression");
        n.expr = p.expression();
        p.expect_end();
        stack_.back().body->push_back(std::move(n));
      } else {
        statement(piece.tag);
      }
    }
    if (stack_.size() > 1) {
      const Open& open = stack_.back();
      fail(open.offset, "unclosed '{% " + open.tag + " %}' opened on line " + std::to_string(pos_.line(open.offset)));
    }
    out.names.assign(names_.begin(), names_.end());
    return out;
  }

 private:
  [[noreturn]] void fail(size_t offset, std::string message) const {
    throw ParseError{pos_.line(offset), pos_.column(offset), static_cast<int>(Code::kSyntax), std::move(message)};
  }
  Node node(Node::Kind kind, size_t offset) const {
    Node n;
    n.kind = kind;
    n.line = pos_.line(offset);
    n.column = pos_.column(offset);
    return n;
  }

  void statement(const Tag& tag) {
    ExprParser p(tag.tokens, pos_, filters_, names_);
    if (p.peek().type != Token::Type::kName) p.unexpected(p.peek(), "a tag name");
    const std::string word = p.next().text;
    Open& top = stack_.back();
    if (word == "if") {
      Node n = node(Node::Kind::kIf, tag.offset);
      n.conditions.push_back(p.expression());
      p.expect_end();
      n.bodies.emplace_back();
      push(std::move(n), "if", tag.offset);
    } else if (word == "elif") {
      if (top.tag != "if" || top.in_else) misplaced(tag, word);
      top.node->conditions.push_back(p.expression());
      p.expect_end();
      top.node->bodies.emplace_back();
      top.body = &top.node->bodies.back();
    } else if (word == "else") {
      if ((top.tag != "if" && top.tag != "for") || top.in_else) misplaced(tag, word);
      p.expect_end();
      top.in_else = true;
      top.node->has_else = true;
      top.body = &top.node->else_body;
    } else if (word == "endif" || word == "endfor") {
      if (top.tag != word.substr(3)) misplaced(tag, word);
      p.expect_end();
      stack_.pop_back();
    } else if (word == "for") {
      Node n = node(Node::Kind::kFor, tag.offset);
      n.targets = targets(p);
      if (!p.is_name("in")) p.unexpected(p.peek(), "'in'");
      p.next();
      n.expr = p.expression(/*with_cond=*/false);
      if (p.is_name("if")) {
        p.next();
        n.loop_filter = p.expression(false);
      }
      p.expect_end();
      n.bodies.emplace_back();
      push(std::move(n), "for", tag.offset);
    } else if (word == "set") {
      Node n = node(Node::Kind::kSet, tag.offset);
      n.targets = targets(p);
      if (!p.is_op("=")) p.fail_at(p.peek(), "expected '=' in '{% set %}' (block set is not supported)");
      p.next();
      n.expr = p.expression();
      p.expect_end();
      top.body->push_back(std::move(n));
    } else {
      p.fail_at(tag.tokens[0], "unknown tag '" + word + "'");
    }
  }

  std::vector<std::string> targets(ExprParser& p) {
    std::vector<std::string> names;
    bool paren = p.is_op("(");
    if (paren) p.next();
    names.push_back(p.expect_name("a variable name"));
    while (p.is_op(",")) {
      p.next();
      names.push_back(p.expect_name("a variable name"));
    }
    if (paren) p.expect_op(")");
    for (const auto& n : names) names_.insert(n);
    return names;
  }

  void push(Node n, std::string tag, size_t offset) {
    Body* body = stack_.back().body;
    body->push_back(std::move(n));
    Node* added = &body->back();
    stack_.push_back(Open{added, &added->bodies.back(), std::move(tag), offset});
    if (stack_.size() > static_cast<size_t>(kMaxDepth)) fail(offset, "blocks nested too deeply");
  }

  [[noreturn]] void misplaced(const Tag& tag, const std::string& word) const {
    const Open& top = stack_.back();
    if (top.node == nullptr) fail(tag.offset, "unexpected '{% " + word + " %}': no block is open");
    fail(tag.offset, "unexpected '{% " + word + " %}': the innermost open block is '{% " + top.tag +
                         " %}' opened on line " + std::to_string(pos_.line(top.offset)));
  }

  const Positions& pos_;
  const FilterRegistry& filters_;
  std::vector<Open> stack_;
  std::set<std::string> names_;
};

}  // namespace}  // namespace

ParseOutput parse_template(const std::string& source, const FilterRegistry& filters) {
  Positions pos(source);
  std::vector<Piece> pieces = scan_template(source, pos);
  TreeBuilder builder(pos, filters);
  return builder.build(pieces);
}

}  // namespace rg::rails::prompts::internal
