// Parsing Colang 2.x source into the typed AST (colang/ast.h).
//
// The grammar lives in colang/grammar/*.g4; the ANTLR4 C++ code is generated
// into the build tree. Parsing never throws on bad input and never hangs:
// every problem becomes a Diagnostic with file, line, column and caret line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "colang/ast.h"
#include "colang/diagnostic.h"

namespace rg::colang {

struct ParseResult {
  File file;
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return !has_errors(diagnostics); }
};

// Parses one Colang 2.x file. `filename` is used in diagnostics and recorded
// in File::path and Flow::file.
ParseResult parse_colang(std::string_view source, std::string filename);

// Parses one stand-alone expression (the `test` rule of B.2), e.g. for string
// interpolation or tools. Returns null and appends diagnostics on error.
ExprPtr parse_expression(std::string_view text, std::vector<Diagnostic>* diagnostics,
                         std::string_view filename = "<expr>");

// How parse_expression() reads its text.
struct ExpressionOptions {
  // false: string literals are plain text (Colang 1.0 has no `{expr}`
  // interpolation); each string becomes one text part, escapes resolved and
  // braces kept as written.
  bool interpolation = true;
  // Where the text starts in its file, for diagnostics (1-based).
  int line = 1;
  int column = 1;
};
ExprPtr parse_expression(std::string_view text, std::vector<Diagnostic>* diagnostics,
                         std::string_view filename, const ExpressionOptions& options);

}  // namespace rg::colang
