// Not for use outside colang/.
#include "colang/internal/indent_token_source.h"

#include <cstdio>

#include "ColangLexer.h"

namespace rg::colang::internal {

namespace {

using L = rg_colang_gen::ColangLexer;

bool is_open_bracket(size_t t) { return t == L::LPAREN || t == L::LBRACK || t == L::LBRACE; }
bool is_close_bracket(size_t t) { return t == L::RPAREN || t == L::RBRACK || t == L::RBRACE; }
bool is_prefix_op(size_t t) {
  return t == L::MINUS || t == L::PLUS || t == L::TILDE || t == L::NOT;
}

// Indentation width of a run of blanks: a tab moves to the next multiple of
// 8, a form feed starts over (as in Python).
int advance_width(int width, const std::string& blanks) {
  for (char c : blanks) {
    if (c == '\t') {
      width = (width / 8 + 1) * 8;
    } else if (c == '\f') {
      width = 0;
    } else {
      ++width;
    }
  }
  return width;
}

bool starts_with_ellipsis(const antlr4::Token* tok) {
  size_t t = tok->getType();
  if (t == L::ELLIPSIS) return true;
  if (t == L::STRING || t == L::LONG_STRING || t == L::OPEN_STRING) {
    return tok->getText().rfind("...", 0) == 0;
  }
  return false;
}

// A stray character for a message: printable ones quoted, others as code.
std::string show_char(const std::string& text) {
  if (text.size() == 1 && (static_cast<unsigned char>(text[0]) < 0x20 || text[0] == 0x7f)) {
    char buf[16];
    snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(text[0]));
    return buf;
  }
  return "'" + text + "'";
}

std::string trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\f");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\f");
  return s.substr(b, e - b + 1);
}

}  // namespace

IndentTokenSource::IndentTokenSource(antlr4::Lexer* lexer, DiagSink* sink, bool expression_mode)
    : lexer_(lexer), sink_(sink), expression_mode_(expression_mode) {}

std::unique_ptr<antlr4::Token> IndentTokenSource::nextToken() {
  while (out_.empty()) produce();
  std::unique_ptr<antlr4::Token> tok = std::move(out_.front());
  out_.pop_front();
  return tok;
}

std::unique_ptr<antlr4::Token> IndentTokenSource::next_raw() {
  if (!raw_.empty()) {
    std::unique_ptr<antlr4::Token> tok = std::move(raw_.front());
    raw_.pop_front();
    return tok;
  }
  return lexer_->nextToken();
}

antlr4::Token* IndentTokenSource::peek_raw(size_t k) {
  while (raw_.size() <= k) {
    if (!raw_.empty() && raw_.back()->getType() == antlr4::Token::EOF) return raw_.back().get();
    raw_.push_back(lexer_->nextToken());
  }
  return raw_[k].get();
}

std::unique_ptr<antlr4::Token> IndentTokenSource::make(size_t type, const antlr4::Token* at,
                                                        std::string text) {
  auto tok = std::make_unique<antlr4::CommonToken>(type, text);
  tok->setLine(at->getLine());
  tok->setCharPositionInLine(at->getCharPositionInLine());
  // An empty interval at the position of `at`, so rule contexts that start
  // or stop on a synthetic token still map to sensible source offsets.
  tok->setStartIndex(at->getStartIndex());
  tok->setStopIndex(at->getStartIndex() - 1);
  return tok;
}

void IndentTokenSource::fail(const antlr4::Token* at, std::string code, std::string message) {
  sink_->fatal(std::move(code), static_cast<int>(at->getLine()),
               static_cast<int>(at->getCharPositionInLine()) + 1, std::move(message),
               token_display_text(at));
}

void IndentTokenSource::produce() {
  if (done_) {
    // The parser may ask again after EOF; keep answering EOF.
    auto eof = std::make_unique<antlr4::CommonToken>(antlr4::Token::EOF, "<EOF>");
    out_.push_back(std::move(eof));
    return;
  }
  std::unique_ptr<antlr4::Token> tok = next_raw();
  switch (tok->getType()) {
    case L::WS:
      if (at_line_start_) line_width_ = advance_width(line_width_, tok->getText());
      return;
    case L::LINE_JOIN:
      // An explicit line join: the next physical line continues this one.
      at_line_start_ = false;
      return;
    case L::COMMENT:
      if (at_line_start_ && trim(tok->getText()) == "# meta: exclude from llm") {
        exclude_from_llm_ = true;
      }
      return;
    case L::NEWLINE:
      at_line_start_ = true;
      line_width_ = 0;
      if (expression_mode_ || depth_ > 0) {
        at_line_start_ = depth_ == 0;
        return;
      }
      if (line_has_tokens_) {
        pending_newline_ = make(L::NEWLINE, tok.get(), "\n");
        line_has_tokens_ = false;
        pow_count_ = 0;
        prefix_run_ = 0;
      }
      return;
    case antlr4::Token::EOF:
      finish(tok.get());
      out_.push_back(std::move(tok));
      done_ = true;
      return;
    case L::ERROR_CHAR:
      fail(tok.get(), "syntax", "unexpected character " + show_char(tok->getText()));
    case L::OPEN_STRING: {
      // `"""abc` with no closing quotes lexes as the empty string `""`
      // followed by an open `"abc`: report the long string where it began.
      if (last_type_ == L::STRING && last_stop_ + 1 == tok->getStartIndex() &&
          (last_text_.ends_with("\"\"") || last_text_.ends_with("''")) &&
          last_text_.find_first_not_of(". \t") == last_text_.size() - 2) {
        sink_->fatal("string", last_line_, last_column_,
                     "triple-quoted string is never closed", last_text_ + tok->getText());
      }
      fail(tok.get(), "string", "string is not closed on its line");
    }
    default:
      handle_real_token(std::move(tok));
      return;
  }
}

bool IndentTokenSource::is_continuation(const antlr4::Token* tok) {
  // `and ` / `or ` at the start of a line continue the previous statement,
  // except `or when`, which opens the next case of a `when`.
  size_t t = tok->getType();
  if (t != L::AND && t != L::OR) return false;
  if (peek_raw(0)->getType() != L::WS) return false;
  if (t == L::OR) {
    size_t k = 1;
    while (peek_raw(k)->getType() == L::WS) ++k;
    if (peek_raw(k)->getType() == L::WHEN) return false;
  }
  return true;
}

void IndentTokenSource::handle_line_start(antlr4::Token* tok) {
  at_line_start_ = false;
  if (pending_newline_ != nullptr && is_continuation(tok)) {
    pending_newline_.reset();
    line_has_tokens_ = true;
    return;
  }
  if (pending_newline_ != nullptr) out_.push_back(std::move(pending_newline_));
  int width = line_width_;
  if (indents_.empty()) {
    indents_.push_back(width);
    return;
  }
  if (width > indents_.back()) {
    if (static_cast<int>(indents_.size()) > kMaxIndentLevels) {
      fail(tok, "indent", "blocks are nested too deeply (more than " +
                              std::to_string(kMaxIndentLevels) + " levels)");
    }
    indents_.push_back(width);
    out_.push_back(make(L::INDENT, tok, tok->getText()));
    return;
  }
  while (width < indents_.back()) {
    indents_.pop_back();
    if (indents_.empty() || width > indents_.back()) {
      fail(tok, "indent",
           "line " + std::to_string(tok->getLine()) +
               " is dedented to a column that matches no enclosing block");
    }
    out_.push_back(make(L::DEDENT, tok, tok->getText()));
  }
}

void IndentTokenSource::handle_real_token(std::unique_ptr<antlr4::Token> tok) {
  if (!expression_mode_ && at_line_start_ && depth_ == 0) {
    handle_line_start(tok.get());
    if (starts_with_ellipsis(tok.get()) && line_has_tokens_ == false) {
      handle_generate_line(std::move(tok));
      return;
    }
  }
  at_line_start_ = false;
  check_nesting(tok.get());
  line_has_tokens_ = true;
  last_type_ = tok->getType();
  last_stop_ = tok->getStopIndex();
  last_line_ = static_cast<int>(tok->getLine());
  last_column_ = static_cast<int>(tok->getCharPositionInLine()) + 1;
  if (last_type_ == L::STRING) last_text_ = tok->getText();
  out_.push_back(std::move(tok));
}

void IndentTokenSource::handle_generate_line(std::unique_ptr<antlr4::Token> first) {
  // B.5: a line starting with `...` asks the LLM to continue the flow. The
  // token carries the rest of the line (after `...`), e.g. an instruction.
  antlr4::CharStream* input = lexer_->getInputStream();
  size_t begin = first->getStartIndex() + 3;
  size_t end = first->getStopIndex();  // inclusive
  while (true) {
    antlr4::Token* next = peek_raw(0);
    size_t t = next->getType();
    if (t == L::NEWLINE || t == antlr4::Token::EOF) break;
    std::unique_ptr<antlr4::Token> tok = next_raw();
    // Free text is allowed after `...` (stray characters, open quotes):
    // only the line end matters.
    if (tok->getType() != L::WS && tok->getType() != L::COMMENT) end = tok->getStopIndex();
  }
  std::string text;
  if (end + 1 > begin) text = input->getText(antlr4::misc::Interval(begin, end));
  auto gen = make(L::GENERATE, first.get(), trim(text));
  line_has_tokens_ = true;
  last_type_ = L::GENERATE;
  out_.push_back(std::move(gen));
}

void IndentTokenSource::check_nesting(const antlr4::Token* tok) {
  size_t t = tok->getType();
  if (is_open_bracket(t)) {
    ++depth_;
    open_brackets_.push_back(
        {static_cast<int>(tok->getLine()), static_cast<int>(tok->getCharPositionInLine()) + 1,
         tok->getText()});
  } else if (is_close_bracket(t)) {
    if (depth_ > 0) {
      --depth_;
      open_brackets_.pop_back();
    }
  } else if (t == L::POW) {
    ++pow_count_;
  }
  if (is_prefix_op(t)) {
    ++prefix_run_;
  } else {
    prefix_run_ = 0;
  }
  if (depth_ + pow_count_ + prefix_run_ > kMaxNesting) {
    fail(tok, "nesting",
         "expression is nested too deeply (more than " + std::to_string(kMaxNesting) +
             " levels of brackets or operators)");
  }
}

std::string IndentTokenSource::open_bracket_note() const {
  if (open_brackets_.empty()) return "";
  const OpenBracket& b = open_brackets_.back();
  return "'" + b.text + "' opened on line " + std::to_string(b.line);
}

void IndentTokenSource::finish(const antlr4::Token* eof) {
  if (!open_brackets_.empty()) {
    // Report the bracket, not the end of the file where it is noticed.
    const OpenBracket& b = open_brackets_.back();
    sink_->fatal("syntax", b.line, b.column, "'" + b.text + "' is never closed", b.text);
  }
  if (expression_mode_) return;
  if (pending_newline_ != nullptr) {
    out_.push_back(std::move(pending_newline_));
  } else if (line_has_tokens_) {
    // The last line has no line break of its own.
    out_.push_back(make(L::NEWLINE, eof, "\n"));
  }
  line_has_tokens_ = false;
  while (indents_.size() > 1) {
    indents_.pop_back();
    out_.push_back(make(L::DEDENT, eof, ""));
  }
}

}  // namespace rg::colang::internal
