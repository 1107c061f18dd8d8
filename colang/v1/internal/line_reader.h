// Not for use outside colang/.
//
// The Colang 1.0 line pre-processor (spec/colang.md A.1 steps 1-6): splits
// the text into logical lines the way the reference's line reader does.
//
//   * indentation = the number of leading spaces (a tab stops the count);
//   * blank lines and `#` lines disappear; consecutive `#` lines (and a
//     `"""` block) become the `comment` of the next real line;
//   * a trailing `# ...` outside a string is cut off;
//   * a line that opens a `"` string without closing it continues until a
//     line ending with `"` (pieces joined with '\n');
//   * a line ending in `\` or in the word ` or` is joined with the next one.
//
// Problems (an unterminated string or `"""` block) become diagnostics; the
// reader never fails otherwise and runs in linear time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "colang/diagnostic.h"

namespace rg::colang::v1::internal {

struct LogicalLine {
  std::string text;        // stripped, comment removed, continuations joined
  int line = 0;            // 1-based physical line where it starts
  int last_line = 0;       // 1-based physical line where it ends
  int column = 0;          // 1-based column of its first character
  int indent = 0;          // leading spaces
  std::string comment;     // the `#` lines / `"""` block right above
  bool has_comment = false;
};

struct LineReaderResult {
  std::vector<LogicalLine> lines;
  std::vector<std::string_view> physical;  // the source split on '\n' (no '\r')
};

// `source` must outlive the result (physical lines point into it).
LineReaderResult read_lines(std::string_view source, const std::string& file,
                            std::vector<Diagnostic>* diagnostics);

}  // namespace rg::colang::v1::internal
