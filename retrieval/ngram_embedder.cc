#include "retrieval/ngram_embedder.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace rg::retrieval {
namespace {

// Feature tags keep a word and an n-gram with the same bytes apart.
constexpr unsigned char kWordTag = 'w';
constexpr unsigned char kNgramTag = 'g';
constexpr unsigned char kEmptyTag = 'e';

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

unsigned char ascii_lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

// FNV-1a over the tag and the bytes, then a 64-bit finaliser (splitmix64) so
// that low bits (the bucket) and the top bit (the sign) are well mixed.
struct FeatureHash {
  std::uint64_t h = 1469598103934665603ULL;
  explicit FeatureHash(unsigned char tag) { add(tag); }
  void add(unsigned char c) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  std::uint64_t finish() const {
    std::uint64_t z = h + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

void add_feature(std::uint64_t hash, float weight, float* out, std::size_t dimension) {
  const float sign = (hash >> 63) ? -1.0f : 1.0f;
  out[hash % dimension] += sign * weight;
}

bool ends_with(const std::string& w, std::string_view suffix) {
  return w.size() >= suffix.size() && std::string_view(w).substr(w.size() - suffix.size()) == suffix;
}

bool is_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

// "runn" -> "run", "stopp" -> "stop"; keeps "ll", "ss", "zz" ("call", "pass").
void undouble(std::string& w) {
  const std::size_t n = w.size();
  if (n >= 3 && w[n - 1] == w[n - 2] && !is_vowel(w[n - 1]) && w[n - 1] != 'l' &&
      w[n - 1] != 's' && w[n - 1] != 'z' && (w[n - 1] < '0' || w[n - 1] > '9')) {
    w.pop_back();
  }
}

// Light suffix stripping, in place (the buffer is reused, so no allocation).
void stem_in_place(std::string& w) {
  const std::size_t n = w.size();
  if (n > 4 && ends_with(w, "ies")) {
    w.resize(n - 3);
    w.push_back('y');
  } else if (ends_with(w, "sses")) {
    w.resize(n - 2);
  } else if (n > 3 && w[n - 1] == 's' && !ends_with(w, "ss") && !ends_with(w, "us") &&
             !ends_with(w, "is")) {
    w.pop_back();
  } else if (n > 5 && ends_with(w, "ing")) {
    w.resize(n - 3);
    undouble(w);
  } else if (n > 4 && ends_with(w, "ed") && !ends_with(w, "eed")) {
    w.resize(n - 2);
    undouble(w);
  }
}

}  // namespace

HashedNgramEmbedder::HashedNgramEmbedder(std::size_t dimension)
    : dimension_(dimension == 0 ? kDefaultDimension : dimension) {}

std::string HashedNgramEmbedder::name() const { return "hashed-ngrams-" + std::to_string(dimension_); }

std::string HashedNgramEmbedder::normalize_word(std::string_view lowered_word) {
  std::string w(lowered_word);
  stem_in_place(w);
  return w;
}

void HashedNgramEmbedder::embed_into(std::string_view text, float* out) const {
  std::fill(out, out + dimension_, 0.0f);
  std::string word;
  word.reserve(64);
  bool any_word = false;

  auto flush = [&] {
    if (word.empty()) return;
    any_word = true;
    // n-grams of "^word$" (before stemming, so inflections still share most).
    const std::size_t framed = word.size() + 2;
    auto framed_at = [&](std::size_t k) -> unsigned char {
      if (k == 0) return '^';
      if (k == framed - 1) return '$';
      return static_cast<unsigned char>(word[k - 1]);
    };
    for (std::size_t n = 2; n <= 4; ++n) {
      for (std::size_t j = 0; j + n <= framed; ++j) {
        FeatureHash h(kNgramTag);
        for (std::size_t k = 0; k < n; ++k) h.add(framed_at(j + k));
        add_feature(h.finish(), kNgramWeight, out, dimension_);
      }
    }
    stem_in_place(word);
    FeatureHash h(kWordTag);
    for (char c : word) h.add(static_cast<unsigned char>(c));
    add_feature(h.finish(), 1.0f, out, dimension_);
    word.clear();
  };

  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_word_byte(c)) {
      word.push_back(static_cast<char>(ascii_lower(c)));
    } else if ((c == '\'') && !word.empty() && i + 1 < n &&
               is_word_byte(static_cast<unsigned char>(text[i + 1]))) {
      // "don't" -> "dont": an apostrophe inside a word is dropped.
    } else {
      flush();
    }
  }
  flush();

  if (!any_word) add_feature(FeatureHash(kEmptyTag).finish(), 1.0f, out, dimension_);

  double norm2 = 0.0;
  for (std::size_t k = 0; k < dimension_; ++k) norm2 += static_cast<double>(out[k]) * out[k];
  if (norm2 > 0.0) {
    const float inv = static_cast<float>(1.0 / std::sqrt(norm2));
    for (std::size_t k = 0; k < dimension_; ++k) out[k] *= inv;
  } else {
    // Every feature cancelled out in its bucket (possible with signed
    // hashing): fall back to the no-word vector.
    std::fill(out, out + dimension_, 0.0f);
    add_feature(FeatureHash(kEmptyTag).finish(), 1.0f, out, dimension_);
  }
}

std::vector<std::vector<float>> HashedNgramEmbedder::embed(const std::vector<std::string>& texts) const {
  std::vector<std::vector<float>> result(texts.size(), std::vector<float>(dimension_));
  for (std::size_t i = 0; i < texts.size(); ++i) embed_into(texts[i], result[i].data());
  return result;
}

}  // namespace rg::retrieval
