// retrieval/ngram_embedder.h: HashedNgramEmbedder, the dependency-free
// fallback embedder used when the word-vector file is absent (see
// default_embedder.h). Similarity is word and spelling overlap, not meaning:
// "hi" and "hello" are unrelated to it.
//
// Features of a text (summed, hashed into dimension() signed buckets, then
// L2-normalised):
//  * words: maximal runs of ASCII letters/digits and non-ASCII bytes, ASCII
//    lower-cased, apostrophes inside a word dropped ("Don't" -> "dont"), then
//    lightly stemmed ("flowers" -> "flower", "asked" -> "ask",
//    "greeting" -> "greet", "countries" -> "country"); weight 1 each;
//  * character 2-, 3- and 4-grams of each lower-cased (unstemmed) word framed
//    as "^word$" ("^h", "he", ..., "^he", ..., "llo$"); weight kNgramWeight each.
// Hash: FNV-1a 64 over a feature tag and the bytes, then the splitmix64
// finaliser; bucket = hash % dimension, sign = top bit. Only fixed-width
// unsigned arithmetic on bytes, so vectors are identical on every platform.
// A text without words ("", "?!") maps to one fixed vector. Stateless, so
// thread-safe; no allocation per token.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "retrieval/embedder.h"

namespace rg::retrieval {

class HashedNgramEmbedder final : public Embedder {
 public:
  static constexpr std::size_t kDefaultDimension = 512;
  static constexpr float kNgramWeight = 0.25f;

  // dimension must be > 0 (0 is replaced by kDefaultDimension).
  explicit HashedNgramEmbedder(std::size_t dimension = kDefaultDimension);

  // "hashed-ngrams-512".
  std::string name() const override;
  std::size_t dimension() const override { return dimension_; }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override;

  // Writes the unit vector of `text` into out[0 .. dimension()).
  void embed_into(std::string_view text, float* out) const;

  // The normalised word form used as a word feature (exposed for tests).
  static std::string normalize_word(std::string_view lowered_word);

 private:
  std::size_t dimension_;
};

}  // namespace rg::retrieval
