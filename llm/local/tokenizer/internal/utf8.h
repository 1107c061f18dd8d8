// Not for use outside llm/local/tokenizer/.
// UTF-8 helpers shared by the pre-tokenizer, the BPE front ends and the
// decoders. Invalid input is never an error here: a decoder that meets a bad
// byte reads it as one U+FFFD of length 1, and lossy conversion follows the
// "maximal subpart" rule (one U+FFFD per maximal invalid prefix), which is what
// Rust's String::from_utf8_lossy, and so HF's decode, does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rg::llm::local::utf8 {

inline constexpr char32_t kReplacement = 0xFFFD;

// Length of the valid sequence starting at s[i] (1..4), or 0 if the bytes at i
// do not start a complete valid sequence. *cp receives the code point.
std::size_t decode(std::string_view s, std::size_t i, char32_t* cp);

// Like decode, but an invalid byte reads as U+FFFD of length 1 (never 0).
inline std::size_t decode_or_replace(std::string_view s, std::size_t i, char32_t* cp) {
  unsigned char b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) {
    *cp = b;
    return 1;
  }
  std::size_t n = decode(s, i, cp);
  if (n == 0) {
    *cp = kReplacement;
    return 1;
  }
  return n;
}

void append(std::string& out, char32_t cp);

// Length of the maximal subpart at s[i]: the longest prefix of a valid
// sequence found there (at least 1). Used when decode() returned 0.
std::size_t maximal_subpart(std::string_view s, std::size_t i);

// Appends s to out with every maximal invalid subpart replaced by U+FFFD.
void append_lossy(std::string& out, std::string_view s);

// True when s ends in the first 1..3 bytes of a sequence that more bytes could
// complete; *n receives how many bytes that tail is.
bool has_incomplete_tail(std::string_view s, std::size_t* n);

}  // namespace rg::llm::local::utf8
