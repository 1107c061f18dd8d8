// Not for use outside colang/.
//
// Diagnostic plumbing shared by the token source, the ANTLR error listener
// and the AST builder. Parsing stops at the first syntax error (as Python and
// Lua do): the listener records one Diagnostic and throws ParseAbort, which
// parse_colang() catches. Semantic problems found while building the AST are
// recorded without stopping.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "antlr4-runtime.h"
#include "colang/diagnostic.h"

namespace rg::colang::internal {

class IndentTokenSource;

// Thrown to unwind the ANTLR parser after the first fatal error. Carries
// nothing: the diagnostic is already in the sink.
struct ParseAbort {};

// Where diagnostics go, with what is needed to fill them in.
class DiagSink {
 public:
  DiagSink(std::string file, std::string_view source, std::vector<Diagnostic>* out);

  // Records an error. `line`/`column` are 1-based; `near` is the token text.
  void error(std::string code, int line, int column, std::string message, std::string near = "");
  // Records an error and throws ParseAbort.
  [[noreturn]] void fatal(std::string code, int line, int column, std::string message,
                          std::string near = "");

  int error_count() const { return error_count_; }
  const std::string& file() const { return file_; }
  // Silences recording (used while probing string interpolations, whose
  // failure is not an error).
  void set_quiet(bool quiet) { quiet_ = quiet; }

 private:
  std::string file_;
  std::vector<std::string_view> lines_;
  std::vector<Diagnostic>* out_;
  int error_count_ = 0;
  bool quiet_ = false;
};

// Replaces ANTLR's console listener: turns the first syntax error into a
// Diagnostic worded for people, then aborts the parse.
class SyntaxErrorListener : public antlr4::BaseErrorListener {
 public:
  explicit SyntaxErrorListener(DiagSink* sink, const IndentTokenSource* source = nullptr)
      : sink_(sink), source_(source) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t line,
                   size_t column, const std::string& msg, std::exception_ptr e) override;

 private:
  DiagSink* sink_;
  const IndentTokenSource* source_;
};

// "a name", "end of line", "'('", ... for a token type of ColangLexer.
std::string describe_token_type(size_t type, const antlr4::dfa::Vocabulary& vocabulary);
// How an offending token is shown in "near '...'".
std::string token_display_text(const antlr4::Token* token);

}  // namespace rg::colang::internal
