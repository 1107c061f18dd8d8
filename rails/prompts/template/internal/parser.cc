// Template parser: scans text and tags, tokenises each tag and builds the
// Node tree. Block nesting is tracked with an explicit stack; expressions
// are parsed by recursive descent with a depth cap, so a hostile template
// ("((((((...") fails with an error instead of overflowing the stack.
#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "rails/prompts/template/internal/ast.h"
#include "rails/prompts/template/template.h"

namespace rg::rails::prompts::internal {
namespace {

constexpr int kMaxDepth = 200;

using Code = TemplateError::Code;

// Maps byte offsets to 1-based line and column.
class Positions {
 public:
  explicit Positions(const std::string& s) {
    starts_.push_back(0);
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n') starts_.push_back(i + 1);
    }
  }
  int line(size_t offset) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    return static_cast<int>(it - starts_.begin());
  }
  int column(size_t offset) const {
    return static_cast<int>(offset - starts_[static_cast<size_t>(line(offset)) - 1]) + 1;
  }

 private:
  std::vector<size_t> starts_;
};

struct Token {
  enum class Type { kName, kInt, kFloat, kString, kOp, kEnd };
  Type type = Type::kEnd;
  std::string text;  // name, operator, or decoded string
  colang::Value value;
  size_t offset = 0;
};

// One `{{ }}` or `{% %}` tag, tokenised (ends with a kEnd token).
struct Tag {
  char kind;  // '{' output, '%' statement
  size_t offset;
  std::vector<Token> tokens;
};

// Either text or a tag, in source order.
struct Piece {
  bool is_text = true;
  std::string text;
  size_t offset = 0;
  Tag tag;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

void rstrip(std::string& s) {
  while (!s.empty() && is_space(s.back())) s.pop_back();
}
void lstrip(std::string& s) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  s.erase(0, i);
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Scanner {
 public:
  Scanner(const std::string& src, const Positions& pos) : s_(src), pos_(pos) {}

  std::vector<Piece> scan() {
    std::vector<Piece> pieces;
    size_t at = 0;
    bool strip_next = false;
    const size_t n = s_.size();
    while (at < n) {
      size_t i = at;
      while (i + 1 < n && !(s_[i] == '{' && (s_[i + 1] == '{' || s_[i + 1] == '%' || s_[i + 1] == '#'))) ++i;
      if (i + 1 >= n) {
        add_text(pieces, s_.substr(at), at, strip_next, false);
        break;
      }
      const char kind = s_[i + 1];
      size_t p = i + 2;
      bool strip_before = p < n && s_[p] == '-';
      if (p < n && (s_[p] == '-' || s_[p] == '+')) ++p;
      add_text(pieces, s_.substr(at, i - at), at, strip_next, strip_before);
      strip_next = false;
      if (kind == '#') {
        size_t end = s_.find("#}", p);
        if (end == std::string::npos) fail(i, Code::kSyntax, "unclosed comment '{#' opened on line " + line_str(i));
        strip_next = end > p && s_[end - 1] == '-';
        at = end + 2;
        continue;
      }
      Piece piece;
      piece.is_text = false;
      piece.offset = i;
      piece.tag.kind = kind;
      piece.tag.offset = i;
      at = tokenize(piece.tag, p, &strip_next);
      if (kind == '%' && piece.tag.tokens.size() == 2 && piece.tag.tokens[0].type == Token::Type::kName &&
          piece.tag.tokens[0].text == "raw") {
        at = scan_raw(pieces, i, at, &strip_next);
        continue;
      }
      pieces.push_back(std::move(piece));
    }
    return pieces;
  }

 private:
  [[noreturn]] void fail(size_t offset, Code code, std::string message) const {
    throw ParseError{pos_.line(offset), pos_.column(offset), static_cast<int>(code), std::move(message)};
  }
  std::string line_str(size_t offset) const { return std::to_string(pos_.line(offset)); }

  static void add_text(std::vector<Piece>& pieces, std::string text, size_t offset, bool strip_left,
                       bool strip_right) {
    if (strip_left) {
      size_t before = text.size();
      lstrip(text);
      offset += before - text.size();
    }
    if (strip_right) rstrip(text);
    if (text.empty()) return;
    Piece piece;
    piece.text = std::move(text);
    piece.offset = offset;
    pieces.push_back(std::move(piece));
  }

  // `{% raw %}` ... `{% endraw %}`: everything between is text.
  size_t scan_raw(std::vector<Piece>& pieces, size_t open, size_t body, bool* strip_next) {
    const size_t n = s_.size();
    for (size_t i = s_.find("{%", body); i != std::string::npos; i = s_.find("{%", i + 2)) {
      size_t p = i + 2;
      bool strip_before = p < n && s_[p] == '-';
      if (p < n && (s_[p] == '-' || s_[p] == '+')) ++p;
      while (p < n && is_space(s_[p])) ++p;
      if (s_.compare(p, 6, "endraw") != 0) continue;
      p += 6;
      while (p < n && is_space(s_[p])) ++p;
      bool strip_after = false;
      if (p < n && s_[p] == '-') {
        strip_after = true;
        ++p;
      }
      if (s_.compare(p, 2, "%}") != 0) continue;
      add_text(pieces, s_.substr(body, i - body), body, *strip_next, strip_before);
      *strip_next = strip_after;
      return p + 2;
    }
    fail(open, Code::kSyntax, "unclosed '{% raw %}' opened on line " + line_str(open));
  }

  // Tokenises from `p` to the tag's end; returns the offset after it.
  size_t tokenize(Tag& tag, size_t p, bool* strip_after) {
    const std::string close = tag.kind == '{' ? "}}" : "%}";
    const size_t n = s_.size();
    int braces = 0;
    while (true) {
      while (p < n && is_space(s_[p])) ++p;
      if (p >= n) {
        fail(tag.offset, Code::kSyntax,
             std::string("unclosed '") + (tag.kind == '{' ? "{{" : "{%") + "' opened on line " +
                 line_str(tag.offset));
      }
      if (braces == 0) {
        if (s_[p] == '-' && s_.compare(p + 1, 2, close) == 0) {
          *strip_after = true;
          p += 3;
          break;
        }
        if (s_.compare(p, 2, close) == 0) {
          p += 2;
          break;
        }
      }
      Token t;
      t.offset = p;
      const char c = s_[p];
      if (is_name_start(c)) {
        size_t e = p;
        while (e < n && (is_name_start(s_[e]) || is_digit(s_[e]))) ++e;
        t.type = Token::Type::kName;
        t.text = s_.substr(p, e - p);
        p = e;
      } else if (is_digit(c)) {
        p = number(t, p);
      } else if (c == '\'' || c == '"') {
        p = string_literal(t, p);
      } else {
        static const char* kOps[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<",
                                     ">",  "=",  "(",  ")",  "[",  "]",  "{", "}", ".", ",", ":", "|"};
        const char* match = nullptr;
        for (const char* op : kOps) {
          if (s_.compare(p, std::char_traits<char>::length(op), op) == 0) {
            match = op;
            break;
          }
        }
        if (match == nullptr) fail(p, Code::kSyntax, std::string("unexpected character '") + c + "'");
        t.type = Token::Type::kOp;
        t.text = match;
        p += t.text.size();
        if (t.text == "{") ++braces;
        if (t.text == "}" && braces > 0) --braces;
      }
      tag.tokens.push_back(std::move(t));
    }
    Token end;
    end.type = Token::Type::kEnd;
    end.offset = p - 2;
    tag.tokens.push_back(end);
    return p;
  }

  size_t number(Token& t, size_t p) {
    const size_t n = s_.size();
    size_t e = p;
    auto digits = [&] {
      while (e < n && (is_digit(s_[e]) || (s_[e] == '_' && e + 1 < n && is_digit(s_[e + 1])))) ++e;
    };
    digits();
    bool is_float = false;
    if (e + 1 < n && s_[e] == '.' && is_digit(s_[e + 1])) {
      is_float = true;
      ++e;
      digits();
    }
    if (e < n && (s_[e] == 'e' || s_[e] == 'E')) {
      size_t f = e + 1;
      if (f < n && (s_[f] == '+' || s_[f] == '-')) ++f;
      if (f < n && is_digit(s_[f])) {
        is_float = true;
        e = f;
        digits();
      }
    }
    std::string text;
    for (size_t i = p; i < e; ++i) {
      if (s_[i] != '_') text += s_[i];
    }
    t.text = text;
    try {
      if (is_float) {
        t.type = Token::Type::kFloat;
        t.value = colang::Value(std::stod(text));
      } else {
        t.type = Token::Type::kInt;
        t.value = colang::Value(static_cast<int64_t>(std::stoll(text)));
      }
    } catch (const std::exception&) {
      fail(p, Code::kSyntax, "number out of range: " + text);
    }
    return e;
  }

  size_t string_literal(Token& t, size_t p) {
    const char quote = s_[p];
    const size_t n = s_.size();
    std::string out;
    size_t i = p + 1;
    while (true) {
      if (i >= n) fail(p, Code::kSyntax, "unterminated string opened on line " + line_str(p));
      char c = s_[i];
      if (c == quote) break;
      if (c == '\\' && i + 1 < n) {
        char e = s_[i + 1];
        i += 2;
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case '0': out += '\0'; break;
          case '\\': out += '\\'; break;
          case '\'': out += '\''; break;
          case '"': out += '"'; break;
          case '\n': break;  // line continuation
          case 'u':
          case 'x': {
            size_t len = e == 'u' ? 4 : 2;
            if (i + len > n) fail(i, Code::kSyntax, "bad escape in string");
            uint32_t cp = 0;
            for (size_t k = 0; k < len; ++k) {
              char h = s_[i + k];
              int d = is_digit(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
              if (d < 0) fail(i, Code::kSyntax, "bad escape in string");
              cp = cp * 16 + static_cast<uint32_t>(d);
            }
            append_utf8(out, cp);
            i += len;
            break;
          }
          default:  // Python keeps unknown escapes as written
            out += '\\';
            out += e;
        }
        continue;
      }
      out += c;
      ++i;
    }
    t.type = Token::Type::kString;
    t.text = out;
    t.value = colang::Value(std::move(out));
    return i + 1;
  }

  const std::string& s_;
  const Positions& pos_;
};

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
          slice->items.push_back(is_op("]") ? nullptr : expression());
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
        if (is_op("(")) call_args(*test, false);
        if (test->name == "divisibleby" && test->items.size() != 2) {
          fail_at(at, "test 'divisibleby' takes one argument");
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

}  // namespace

ParseOutput parse_template(const std::string& source, const FilterRegistry& filters) {
  Positions pos(source);
  Scanner scanner(source, pos);
  std::vector<Piece> pieces = scanner.scan();
  TreeBuilder builder(pos, filters);
  return builder.build(pieces);
}

}  // namespace rg::rails::prompts::internal
