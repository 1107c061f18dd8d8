// Not for use outside colang/.
//
// Runs the ANTLR Colang 1.0 grammar (colang/grammar/ColangV1*.g4) over the
// logical lines of line_reader.h: each line is lexed on its own, the token
// source adds NEWLINE / INDENT / DEDENT from the indentation, and the parse
// tree is returned as a tree of line indices. Reported here: strings left
// open on a line, a dedent to a column that opens no block, a first line
// indented deeper than the rest, and nesting past kMaxDepth.
#pragma once

#include <string>
#include <vector>

#include "colang/diagnostic.h"
#include "colang/v1/internal/line_reader.h"

namespace rg::colang::v1::internal {

inline constexpr int kMaxDepth = 100;  // nested blocks

struct LineNode {
  int line = -1;  // index into the logical lines
  std::vector<LineNode> children;
};

// Returns the top-level nodes. On a structural error the diagnostics say
// why and the result holds what came before it.
std::vector<LineNode> parse_blocks(const LineReaderResult& lines, const std::string& file,
                                   std::vector<Diagnostic>* diagnostics);

}  // namespace rg::colang::v1::internal
