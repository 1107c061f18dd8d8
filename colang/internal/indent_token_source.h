// Not for use outside colang/.
//
// IndentTokenSource sits between the ANTLR lexer and the parser and gives
// Colang its line structure (spec/colang.md B.1):
//
//   * blank lines, comment lines and whitespace disappear;
//   * each logical line ends in NEWLINE; a deeper line opens an INDENT, a
//     shallower one closes DEDENTs (tab = 8 columns); the first non-blank line
//     sets the base column, so a whole file may be indented (the conformance
//     cases are);
//   * inside (), [] and {} line breaks and indentation are ignored;
//   * a line that starts with `and ` / `or ` (but not `or when`) continues the
//     previous line (D.16);
//   * a line that starts with `...` becomes one GENERATE token carrying the
//     rest of the line (B.5);
//   * `# meta: exclude from llm` alone on a line is remembered;
//   * stray characters, unterminated strings, bad dedents and too deep
//     nesting become diagnostics and abort the parse (ParseAbort).
//
// In expression mode (string interpolation, parse_expression) there is no
// line structure at all: line breaks are whitespace.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "antlr4-runtime.h"
#include "colang/internal/error_listener.h"

namespace rg::colang::internal {

// Limits that keep the recursive-descent parser (and everything that walks
// its tree) far away from the end of the stack, whatever the input.
inline constexpr int kMaxNesting = 100;       // brackets + prefix operators + `**` on a line
inline constexpr int kMaxIndentLevels = 100;  // nested blocks

class IndentTokenSource : public antlr4::TokenSource {
 public:
  IndentTokenSource(antlr4::Lexer* lexer, DiagSink* sink, bool expression_mode);

  std::unique_ptr<antlr4::Token> nextToken() override;
  size_t getLine() const override { return lexer_->getLine(); }
  size_t getCharPositionInLine() override { return lexer_->getCharPositionInLine(); }
  antlr4::CharStream* getInputStream() override { return lexer_->getInputStream(); }
  std::string getSourceName() override { return lexer_->getSourceName(); }
  antlr4::TokenFactory<antlr4::CommonToken>* getTokenFactory() override {
    return lexer_->getTokenFactory();
  }

  // The innermost bracket still open at the point the lexer has reached, as
  // "'(' opened on line N", for syntax errors deep inside one; "" if none.
  std::string open_bracket_note() const;

  // True once a `# meta: exclude from llm` line was seen.
  bool exclude_from_llm() const { return exclude_from_llm_; }

 private:
  std::unique_ptr<antlr4::Token> next_raw();
  antlr4::Token* peek_raw(size_t k);
  void produce();  // moves at least one token into out_
  void handle_real_token(std::unique_ptr<antlr4::Token> tok);
  void handle_line_start(antlr4::Token* tok);
  void handle_generate_line(std::unique_ptr<antlr4::Token> first);
  void finish(const antlr4::Token* eof);
  void check_nesting(const antlr4::Token* tok);
  bool is_continuation(const antlr4::Token* tok);
  std::unique_ptr<antlr4::Token> make(size_t type, const antlr4::Token* at, std::string text);
  [[noreturn]] void fail(const antlr4::Token* at, std::string code, std::string message);

  antlr4::Lexer* lexer_;
  DiagSink* sink_;
  bool expression_mode_;

  std::deque<std::unique_ptr<antlr4::Token>> raw_;  // lookahead from the lexer
  std::deque<std::unique_ptr<antlr4::Token>> out_;  // ready for the parser

  std::vector<int> indents_;  // indentation stack; [0] is the base column
  int line_width_ = 0;        // indentation width of the current physical line
  bool at_line_start_ = true;
  bool line_has_tokens_ = false;  // the current logical line produced tokens
  std::unique_ptr<antlr4::Token> pending_newline_;
  struct OpenBracket {
    int line;
    int column;
    std::string text;
  };
  std::vector<OpenBracket> open_brackets_;
  int depth_ = 0;        // open brackets (open_brackets_.size())
  int pow_count_ = 0;    // `**` on the current logical line
  int prefix_run_ = 0;   // consecutive prefix operators
  // The last token handed on, for "never closed" messages.
  size_t last_type_ = 0;
  size_t last_stop_ = 0;
  int last_line_ = 0;
  int last_column_ = 0;
  std::string last_text_;
  bool done_ = false;
  bool exclude_from_llm_ = false;
};

}  // namespace rg::colang::internal
