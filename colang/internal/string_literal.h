// Not for use outside colang/.
//
// String literals: Python escape rules and the `{...}` interpolation split
// of spec/colang.md B.4 step 1 and D.9.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "colang/ast.h"

namespace rg::colang::internal {

// A string token taken apart: `...` marker, quotes and raw body.
struct StringToken {
  bool nld = false;          // prefixed by `...`
  bool long_form = false;    // """...""" or '''...'''
  std::string_view body;     // between the quotes, escapes not yet resolved
  size_t body_offset = 0;    // byte offset of `body` in the token text
};

// Splits the text of a STRING / LONG_STRING token. The lexer guarantees the
// shape, so this cannot fail.
StringToken split_string_token(std::string_view token_text);

// Resolves Python escapes (\n \t \\ \" \' \xhh \uXXXX \UXXXXXXXX octal,
// backslash-newline) in `raw`. Unknown escapes keep their backslash, as in
// Python.
std::string decode_escapes(std::string_view raw);

// Parses the inner text of a `{...}` interpolation. Returns null when the
// text is no expression. `offset` is the byte offset of `inner` in the body.
using InnerParser = std::function<ExprPtr(std::string_view inner, size_t offset)>;

// Cuts a raw string body into parts (B.4 step 1):
//   * `{{` and `}}` stand for `{` and `}`;
//   * `{inner}` (inner non-empty, without braces, and the `}` not doubled) is
//     an interpolation when `inner` parses as an expression;
//   * everything else is literal text, escapes resolved.
// Adjacent text is merged; an empty body gives one empty text part.
//
// Choice: an `{inner}` that does not parse as an expression stays literal
// text `{inner}`, with no diagnostic. The reference keeps such text in the
// string until evaluation, where it fails only if the string is reached; we
// prefer never to reject at load time a file the reference loads, and prose
// like "{not an expression}" then reads back unchanged.
std::vector<StringPart> split_interpolations(std::string_view body, const InnerParser& parse_inner);

}  // namespace rg::colang::internal
