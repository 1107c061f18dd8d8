// retrieval/embedder.h: text -> vector. The one interface every embedding
// engine implements (later: FastEmbed/ONNX all-MiniLM-L6-v2, OpenAI, NIM), and
// LexicalEmbedder, a dependency-free stand-in used until real models land.
//
// Layout: embed() returns one vector per input text, each dimension() floats,
// L2-normalised (length 1), so the inner product of two of them is their
// cosine similarity.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rg::retrieval {

class Embedder {
 public:
  virtual ~Embedder() = default;

  // Engine/model name, e.g. "lexical"; part of any cache key.
  virtual std::string name() const = 0;

  // Length of every vector embed() returns.
  virtual std::size_t dimension() const = 0;

  // One unit vector per text, in input order. Must be callable from several
  // threads at once.
  virtual std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const = 0;
};

// A STAND-IN for a neural sentence embedder: hashed bag-of-words plus
// character 3-grams, so cosine similarity measures word and sub-word overlap
// (not meaning: "hi" and "hello" are far apart). Deterministic across runs and
// platforms, stateless and therefore thread-safe, and cheap (one pass over the
// bytes, no per-token allocation).
//
// Features of a text (term-frequency weighted, hashed into dimension() signed
// buckets, then L2-normalised):
//  * words: maximal runs of ASCII letters/digits and non-ASCII bytes, ASCII
//    lower-cased, apostrophes inside a word dropped ("Don't" -> "dont"), then
//    lightly stemmed ("flowers" -> "flower", "asked" -> "ask",
//    "greeting" -> "greet", "countries" -> "country"); weight 1 each;
//  * character 3-grams of each lower-cased word framed as "^word$"
//    ("^he", "hel", ..., "lo$"); weight kTrigramWeight each.
// A text without words ("", "?!") maps to one fixed vector, so all such texts
// are identical to each other and unrelated to everything else.
class LexicalEmbedder final : public Embedder {
 public:
  static constexpr std::size_t kDefaultDimension = 512;
  static constexpr float kTrigramWeight = 0.25f;

  // dimension must be > 0.
  explicit LexicalEmbedder(std::size_t dimension = kDefaultDimension);

  std::string name() const override { return "lexical"; }
  std::size_t dimension() const override { return dimension_; }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override;

  // Writes the unit vector of `text` into out[0 .. dimension()).
  void embed_into(std::string_view text, float* out) const;

  // The normalised word form used as a unigram feature (exposed for tests).
  static std::string normalize_word(std::string_view lowered_word);

 private:
  std::size_t dimension_;
};

}  // namespace rg::retrieval
