// Template scanner (see scanner.h).
#include "rails/prompts/template/internal/scanner.h"

#include <string>

#include "colang/value.h"
#include "rails/prompts/template/internal/ast.h"
#include "rails/prompts/template/template.h"

namespace rg::rails::prompts::internal {
namespace {

using Code = TemplateError::Code;

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
        if (end == std::string::npos && p >= n) break;  // Jinja drops a bare `{#` at the very end
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
    if (body >= n) return n;  // Jinja drops a bare `{% raw %}` at the very end
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
        if (tag.kind == '%' && s_[p] == '+' && s_.compare(p + 1, 2, close) == 0) {  // `+%}`: no-op here
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
            colang::append_utf8(out, cp);
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

}  // namespace

std::vector<Piece> scan_template(const std::string& source, const Positions& positions) {
  Scanner scanner(source, positions);
  return scanner.scan();
}

}  // namespace rg::rails::prompts::internal
