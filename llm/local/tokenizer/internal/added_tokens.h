// Not for use outside llm/local/tokenizer/.
// Special and added tokens, found in text before the pre-tokenizer runs:
// leftmost-longest matching over a byte trie (HF's AddedVocabulary uses
// Aho-Corasick with LeftmostLongest, which picks the same matches), with HF's
// per-token options: lstrip/rstrip swallow the whitespace beside a match,
// single_word rejects a match inside a word.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rg::llm::local {

// A piece of the text after splitting: an added token's id, or text (id -1).
struct TextSegment {
  std::int32_t id = -1;
  std::string_view text;
};

class AddedTokenMatcher {
 public:
  struct Pattern {
    std::string text;
    std::int32_t id = -1;
    bool special = false;  // skipped when the caller does not parse specials
    bool lstrip = false, rstrip = false, single_word = false;
  };

  void add(Pattern p);
  bool empty() const { return patterns_.empty(); }

  // Splits text into segments, appended to out. Empty text gives nothing.
  void split(std::string_view text, bool parse_special, std::vector<TextSegment>& out) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, std::int32_t>> next;  // sorted by byte
    std::int32_t pattern = -1;
  };
  std::int32_t child(std::int32_t node, unsigned char b) const;
  // Longest pattern starting at i: its index, and its end in *end; -1 if none.
  std::int32_t longest_at(std::string_view text, std::size_t i, std::size_t* end) const;

  std::vector<Node> nodes_{Node{}};
  std::vector<Pattern> patterns_;
  bool first_byte_[256] = {};
};

}  // namespace rg::llm::local
