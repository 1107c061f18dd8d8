// Diagnostic rendering (see diagnostic.h).
#include "colang/diagnostic.h"

namespace rg::colang {

namespace {

// Lines longer than this many characters are shown as a window around the
// column, so one diagnostic about a huge line stays readable.
constexpr size_t kMaxShownChars = 160;
constexpr size_t kContextChars = 70;

}  // namespace

std::string Diagnostic::render() const {
  std::string out;
  out += file.empty() ? "<input>" : file;
  if (line > 0) {
    // (append, not ":" + ...: GCC 12 warns falsely on that form)
    out.append(":").append(std::to_string(line));
    if (column > 0) out.append(":").append(std::to_string(column));
  }
  out += severity == Severity::kError ? ": error: " : ": warning: ";
  out += message;
  if (!near.empty()) out.append(" (near '").append(near).append("')");
  if (line <= 0 || source_line.empty()) return out;

  // Byte offset of each character (UTF-8) of the line.
  std::vector<size_t> starts;
  for (size_t i = 0; i < source_line.size(); ++i) {
    if ((static_cast<unsigned char>(source_line[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  size_t n = starts.size();
  size_t col = column > 0 ? static_cast<size_t>(column - 1) : 0;  // 0-based character
  size_t first = 0, last = n;                                       // shown characters
  if (n > kMaxShownChars) {
    first = col > kContextChars ? col - kContextChars : 0;
    if (first > n) first = n;
    last = first + 2 * kContextChars < n ? first + 2 * kContextChars : n;
  }
  auto byte_at = [&](size_t c) { return c < n ? starts[c] : source_line.size(); };
  std::string shown = source_line.substr(byte_at(first), byte_at(last) - byte_at(first));
  std::string lead = first > 0 ? "..." : "";
  out.append("\n  ").append(lead).append(shown).append(last < n ? "..." : "");
  // The caret sits under the column; tabs are copied so it lines up however
  // they are displayed.
  out.append("\n  ").append(lead.size(), ' ');
  for (size_t c = first; c < col; ++c) {
    out += (c < n && source_line[starts[c]] == '\t') ? '\t' : ' ';
  }
  out += '^';
  return out;
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
  for (const Diagnostic& d : diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) return true;
  }
  return false;
}

}  // namespace rg::colang
