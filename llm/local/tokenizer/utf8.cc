// llm/local/tokenizer/utf8.cc: see internal/utf8.h.
#include "llm/local/tokenizer/internal/utf8.h"

namespace rg::llm::local::utf8 {
namespace {

// For a lead byte: the sequence length (0 = never a lead) and the allowed
// range of the second byte (Unicode Table 3-7; excludes overlongs,
// surrogates and code points past U+10FFFF).
struct Lead {
  std::uint8_t len, lo, hi;
};

Lead lead_of(unsigned char b) {
  if (b < 0x80) return {1, 0, 0};
  if (b < 0xC2) return {0, 0, 0};
  if (b < 0xE0) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b < 0xF0) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b < 0xF4) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// How many bytes from i form a valid (possibly incomplete) prefix.
std::size_t valid_prefix(std::string_view s, std::size_t i, std::size_t* want) {
  Lead l = lead_of(static_cast<unsigned char>(s[i]));
  *want = l.len;
  if (l.len <= 1) return l.len;
  std::size_t k = 1;
  for (; k < l.len && i + k < s.size(); ++k) {
    unsigned char c = static_cast<unsigned char>(s[i + k]);
    unsigned char lo = k == 1 ? l.lo : 0x80, hi = k == 1 ? l.hi : 0xBF;
    if (c < lo || c > hi) break;
  }
  return k;
}

}  // namespace

std::size_t decode(std::string_view s, std::size_t i, char32_t* cp) {
  std::size_t want = 0;
  std::size_t got = valid_prefix(s, i, &want);
  if (want == 0 || got < want) return 0;
  unsigned char b = static_cast<unsigned char>(s[i]);
  char32_t v = want == 1 ? b : want == 2 ? (b & 0x1F) : want == 3 ? (b & 0x0F) : (b & 0x07);
  for (std::size_t k = 1; k < want; ++k) v = (v << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  *cp = v;
  return want;
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::size_t maximal_subpart(std::string_view s, std::size_t i) {
  std::size_t want = 0;
  std::size_t got = valid_prefix(s, i, &want);
  return got == 0 ? 1 : got;
}

void append_lossy(std::string& out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    // Copy the valid run in one go.
    std::size_t start = i;
    char32_t cp;
    while (i < s.size()) {
      std::size_t n = static_cast<unsigned char>(s[i]) < 0x80 ? 1 : decode(s, i, &cp);
      if (n == 0) break;
      i += n;
    }
    out.append(s.data() + start, i - start);
    if (i < s.size()) {
      append(out, kReplacement);
      i += maximal_subpart(s, i);
    }
  }
}

bool has_incomplete_tail(std::string_view s, std::size_t* n) {
  // A sequence is at most 4 bytes, so the lead is among the last 3.
  for (std::size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    std::size_t i = s.size() - back;
    unsigned char b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) == 0x80) continue;  // continuation: look further back
    std::size_t want = 0;
    std::size_t got = valid_prefix(s, i, &want);
    if (want > back && got == back) {
      *n = back;
      return true;
    }
    return false;
  }
  return false;
}

}  // namespace rg::llm::local::utf8
