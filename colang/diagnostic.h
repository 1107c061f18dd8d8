// Diagnostic: one error or warning about Colang source, with its position.
#pragma once

#include <string>
#include <vector>

namespace rg::colang {

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string file;         // as given to the parser ("" for inline content)
  int line = 0;             // 1-based; 0 when the problem is not tied to a line
  int column = 0;           // 1-based
  std::string code;         // closed set, e.g. "syntax", "indent", "string", "semantic"
  std::string message;      // what is wrong, in words
  std::string near;         // the offending token text, when there is one
  std::string source_line;  // the whole source line, for the caret display

  // "file:line:col: error: message (near 'x')\n  <source line>\n  <caret>"
  std::string render() const;
};

bool has_errors(const std::vector<Diagnostic>& diagnostics);

}  // namespace rg::colang
