// llm/local/tokenizer/unicode_categories.h: the three character classes the
// byte-level pre-tokenizer regexes distinguish (\p{L}, \p{N}, \s) plus
// "other". Tables are generated (scripts/gen_tokenizer_unicode.py) from
// Unicode 14.0, the version of the Oniguruma that HF tokenizers runs.
#pragma once

#include <cstdint>

namespace rg::llm::local {

enum class CharClass : std::uint8_t {
  kLetter,  // general category L*
  kNumber,  // general category N*
  kSpace,   // White_Space property (regex \s)
  kOther,   // everything else, including unassigned code points
};

// Binary search in the generated tables (unicode_categories.cc).
CharClass char_class_slow(char32_t cp);

// The Unicode version the tables were generated from.
const char* unicode_tables_version();

// ASCII answers without a search; text is mostly ASCII.
inline CharClass char_class(char32_t cp) {
  if (cp < 0x80) {
    if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') return CharClass::kLetter;
    if (cp >= '0' && cp <= '9') return CharClass::kNumber;
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return CharClass::kSpace;
    return CharClass::kOther;
  }
  return char_class_slow(cp);
}

}  // namespace rg::llm::local
