// Not for use outside colang/.
//
// Small string helpers of the Colang 1.0 front end, each worded after the
// reference's behaviour it reproduces (spec/colang.md A.1-A.3).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rg::colang::v1::internal {

std::string strip(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);

// Splits `text` on `word`, ignoring occurrences inside "..." strings; parts
// are stripped and empty parts dropped (the reference's word_split).
std::vector<std::string> word_split(std::string_view text, std::string_view word);

// Splits on the first occurrence of `sep` only: {before, after} or {text}.
std::vector<std::string> split_once(std::string_view text, std::string_view sep);

// Collapses runs of spaces outside strings (A.1 step 7).
std::string collapse_spaces(std::string_view text);

// The first word; `else` fused with the next word (`else if`, `else when`),
// `go` with the next (`go to`).
std::string main_token(std::string_view text);

// Removes the first word (which must be `token`) and returns the stripped rest.
std::string remove_token(std::string_view token, std::string_view text);

// The reference's 32-bit string hash over code points, as lower-case hex
// (used for "anonymous-<hash>" flow ids).
std::string string_hash(std::string_view utf8);

// `$var` / `$a.b` in a bot message becomes `{{ var }}` / `{{ a.b }}`; text
// already inside `{{ ... }}` is kept as is.
std::string bot_text_to_jinja(std::string_view text);

// `$name` in a user example becomes `{name}` (the reference's entity slot).
std::string user_example_slots(std::string_view text);

// Index of the first `"` string's end quote starting at `open` (a `"`), or
// npos when it is not closed. Backslash escapes are honoured.
size_t find_string_end(std::string_view text, size_t open);

// True when `s` is a `$name` / `$a.b` variable reference and nothing else.
bool is_var_ref(std::string_view s);

}  // namespace rg::colang::v1::internal
