// Diagnostic rendering (see diagnostic.h).
#include "colang/diagnostic.h"

namespace rg::colang {

std::string Diagnostic::render() const {
  std::string out;
  out += file.empty() ? "<input>" : file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  out += severity == Severity::kError ? ": error: " : ": warning: ";
  out += message;
  if (!near.empty()) out += " (near '" + near + "')";
  if (line > 0 && !source_line.empty()) {
    out += "\n  ";
    out += source_line;
    out += "\n  ";
    // The caret sits under column `column`, counted in characters; tabs in
    // the line are copied so the caret lines up however they are shown.
    int col = 1;
    for (size_t i = 0; i < source_line.size() && col < column; ++i) {
      unsigned char b = static_cast<unsigned char>(source_line[i]);
      if ((b & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
      out += b == '\t' ? '\t' : ' ';
      ++col;
    }
    // Past the end of the line (an error at the line end): pad on.
    for (; col < column; ++col) out += ' ';
    out += '^';
  }
  return out;
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
  for (const Diagnostic& d : diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) return true;
  }
  return false;
}

}  // namespace rg::colang
