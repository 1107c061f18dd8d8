// Parsing Colang 1.0 source (spec/colang.md A.1-A.5) into a Document.
//
// The grammar lives in colang/grammar/ColangV1*.g4 (ANTLR4, generated at
// build time). Parsing never throws on bad input and never hangs: every
// problem becomes a Diagnostic with file, line, column and caret line.
#pragma once

#include <string>
#include <string_view>

#include "colang/v1/document.h"

namespace rg::colang::v1 {

// Parses one Colang 1.0 file. `filename` is used in diagnostics and in
// Element::source / Flow::source.
ParseResult parse_colang_v1(std::string_view source, std::string filename);

// The reference's version sniffing (product.md 1.1): true when the text has a
// line that starts with `define` (after optional indentation) and no line that
// starts with `import` followed by a module name the 2.x way. Used to skip
// files written for the other Colang version.
bool looks_like_colang_v1(std::string_view source);

}  // namespace rg::colang::v1
