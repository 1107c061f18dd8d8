// llm/local/tokenizer/added_tokens.cc: see internal/added_tokens.h.
#include "llm/local/tokenizer/internal/added_tokens.h"

#include <algorithm>

#include "llm/local/tokenizer/internal/utf8.h"
#include "llm/local/tokenizer/unicode_categories.h"

namespace rg::llm::local {
namespace {

// The code point that ends s[0, end) (U+FFFD for a broken tail).
char32_t last_char(std::string_view s, std::size_t end, std::size_t* len) {
  std::size_t i = end;
  while (i > 0 && end - i < 4) {
    --i;
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) break;
  }
  char32_t cp;
  std::size_t n = utf8::decode_or_replace(s, i, &cp);
  *len = end - i;
  if (n != *len) cp = utf8::kReplacement;
  return cp;
}

bool is_word_char(char32_t cp) {
  CharClass c = char_class(cp);
  return c == CharClass::kLetter || c == CharClass::kNumber;
}

}  // namespace

std::int32_t AddedTokenMatcher::child(std::int32_t node, unsigned char b) const {
  const auto& next = nodes_[node].next;
  auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(b, std::int32_t{-1}));
  return it != next.end() && it->first == b ? it->second : -1;
}

void AddedTokenMatcher::add(Pattern p) {
  if (p.text.empty()) return;
  std::int32_t node = 0;
  for (unsigned char b : p.text) {
    std::int32_t c = child(node, b);
    if (c < 0) {
      c = static_cast<std::int32_t>(nodes_.size());
      nodes_.push_back(Node{});
      auto& next = nodes_[node].next;
      next.insert(std::lower_bound(next.begin(), next.end(), std::make_pair(b, std::int32_t{-1})),
                  {b, c});
    }
    node = c;
  }
  if (nodes_[node].pattern >= 0) return;  // the first token with this text wins
  first_byte_[static_cast<unsigned char>(p.text[0])] = true;
  nodes_[node].pattern = static_cast<std::int32_t>(patterns_.size());
  patterns_.push_back(std::move(p));
}

std::int32_t AddedTokenMatcher::longest_at(std::string_view text, std::size_t i,
                                           std::size_t* end) const {
  std::int32_t node = 0, best = -1;
  for (std::size_t k = i; k < text.size(); ++k) {
    node = child(node, static_cast<unsigned char>(text[k]));
    if (node < 0) break;
    if (nodes_[node].pattern >= 0) {
      best = nodes_[node].pattern;
      *end = k + 1;
    }
  }
  return best;
}

void AddedTokenMatcher::split(std::string_view text, bool parse_special,
                              std::vector<TextSegment>& out) const {
  std::size_t done = 0;  // end of the last emitted segment
  std::size_t i = 0;
  while (i < text.size()) {
    if (!first_byte_[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    std::size_t stop = 0;
    std::int32_t pi = longest_at(text, i, &stop);
    if (pi < 0) {
      ++i;
      continue;
    }
    const Pattern& p = patterns_[pi];
    std::size_t start = i;
    i = stop;  // matches never overlap, accepted or not (as HF's find_iter)
    if (p.special && !parse_special) continue;
    std::size_t len;
    if (p.single_word) {
      bool word_before = start > 0 && is_word_char(last_char(text, start, &len));
      char32_t cp = 0;
      bool word_after = stop < text.size() &&
                        is_word_char((utf8::decode_or_replace(text, stop, &cp), cp));
      if (word_before || word_after) continue;
    }
    if (p.lstrip) {
      while (start > done && char_class(last_char(text, start, &len)) == CharClass::kSpace)
        start -= len;
    }
    if (p.rstrip) {
      char32_t cp;
      while (stop < text.size()) {
        std::size_t n = utf8::decode_or_replace(text, stop, &cp);
        if (char_class(cp) != CharClass::kSpace) break;
        stop += n;
      }
      i = stop;
    }
    if (start > done) out.push_back({-1, text.substr(done, start - done)});
    out.push_back({p.id, text.substr(start, stop - start)});
    done = stop;
  }
  if (done < text.size()) out.push_back({-1, text.substr(done)});
}

}  // namespace rg::llm::local
