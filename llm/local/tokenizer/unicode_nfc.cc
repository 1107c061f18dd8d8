// llm/local/tokenizer/unicode_nfc.cc: NFC per UAX #15 with the generated
// tables: decompose every code point fully (one lookup: the tables hold the
// recursive result), sort each run of non-starters by combining class
// (stable), then compose left to right against the last starter.
#include "llm/local/tokenizer/unicode_nfc.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "llm/local/tokenizer/internal/utf8.h"

namespace rg::llm::local {
namespace {

struct CombiningRange {
  char32_t first, last;
  std::uint8_t ccc;
};
struct Decomposition {
  char32_t cp;
  std::uint16_t offset;
  std::uint8_t length;
};
struct Composition {
  char32_t first, second, composite;
};

#include "llm/local/tokenizer/unicode_nfc_tables.inc"

// Hangul syllables (Unicode 3.12): S = SBase + (L * VCount + V) * TCount + T.
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr int kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
              kSCount = kLCount * kNCount;

// Invalid bytes travel as code points past Unicode (kRawByte + byte): class
// 0, no decomposition, no composition.
constexpr char32_t kRawByte = 0x110000;

int combining_class(char32_t cp) {
  if (cp < 0x300 || cp >= kRawByte) return 0;
  const auto* end = std::end(kCombiningClass);
  const auto* it = std::upper_bound(std::begin(kCombiningClass), end, cp,
                                    [](char32_t c, const CombiningRange& r) { return c < r.first; });
  if (it == std::begin(kCombiningClass)) return 0;
  --it;
  return cp <= it->last ? it->ccc : 0;
}

void decompose(char32_t cp, std::vector<char32_t>& out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const int s = static_cast<int>(cp - kSBase);
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
    return;
  }
  if (cp >= 0xC0 && cp < kRawByte) {
    const auto* end = std::end(kDecomposition);
    const auto* it = std::lower_bound(std::begin(kDecomposition), end, cp,
                                      [](const Decomposition& d, char32_t c) { return d.cp < c; });
    if (it != end && it->cp == cp) {
      out.insert(out.end(), kDecompositionPool + it->offset, kDecompositionPool + it->offset + it->length);
      return;
    }
  }
  out.push_back(cp);
}

// The primary composite of (a, b), or 0.
char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount)
    return a + (b - kTBase);
  const auto* end = std::end(kComposition);
  const auto* it = std::lower_bound(std::begin(kComposition), end, std::pair(a, b),
                                    [](const Composition& c, std::pair<char32_t, char32_t> k) {
                                      return c.first != k.first ? c.first < k.first : c.second < k.second;
                                    });
  return it != end && it->first == a && it->second == b ? it->composite : 0;
}

}  // namespace

bool nfc_trivially_unchanged(std::string_view text) {
  // U+0300 is 0xCC 0x80: a lead byte below 0xCC starts a code point below it.
  for (unsigned char b : text)
    if (b >= 0xCC) return false;
  return true;
}

std::string nfc(std::string_view text) {
  if (nfc_trivially_unchanged(text)) return std::string(text);
  std::vector<char32_t> cps;
  cps.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8::decode(text, i, &cp);
    if (n == 0) {
      cps.push_back(kRawByte + static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    decompose(cp, cps);
    i += n;
  }
  // Canonical ordering: a stable sort of every run of non-starters.
  for (std::size_t i = 0; i < cps.size();) {
    if (combining_class(cps[i]) == 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < cps.size() && combining_class(cps[j]) != 0) ++j;
    if (j - i > 1)
      std::stable_sort(cps.begin() + static_cast<std::ptrdiff_t>(i), cps.begin() + static_cast<std::ptrdiff_t>(j),
                       [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  // Canonical composition: each character joins the last starter unless a
  // character of the same or higher class (or a starter) stands between them.
  std::size_t starter = 0, kept = 1;
  bool have_starter = combining_class(cps[0]) == 0;
  int last_class = have_starter ? 0 : 256;
  for (std::size_t i = 1; i < cps.size(); ++i) {
    const char32_t c = cps[i];
    const int cls = combining_class(c);
    const char32_t composite = have_starter ? compose_pair(cps[starter], c) : 0;
    if (composite != 0 && (last_class < cls || (last_class == 0 && kept == starter + 1))) {
      cps[starter] = composite;
      continue;
    }
    if (cls == 0) {
      starter = kept;
      have_starter = true;
    }
    last_class = cls;
    cps[kept++] = c;
  }
  cps.resize(kept);
  std::string out;
  out.reserve(text.size() + 8);
  for (char32_t c : cps) {
    if (c >= kRawByte)
      out.push_back(static_cast<char>(c - kRawByte));
    else
      utf8::append(out, c);
  }
  return out;
}

const char* nfc_unicode_version() { return kNfcUnicodeVersion; }

}  // namespace rg::llm::local
