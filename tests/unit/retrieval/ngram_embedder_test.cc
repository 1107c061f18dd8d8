// HashedNgramEmbedder: the fallback embedder without word vectors.
#include "retrieval/ngram_embedder.h"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

using rg::retrieval::HashedNgramEmbedder;

namespace {

float cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return static_cast<float>(d / std::sqrt(na * nb));
}

}  // namespace

TEST_CASE("ngram embedder: unit vectors, deterministic, overlap-based") {
  HashedNgramEmbedder e;
  CHECK(e.dimension() == 512);
  CHECK(e.name() == "hashed-ngrams-512");
  auto v = e.embed({"hello", "hello there", "what is the capital of France", "", "?!", "Hello!"});
  REQUIRE(v.size() == 6);
  for (const auto& x : v) {
    REQUIRE(x.size() == 512);
    CHECK(cosine(x, x) == doctest::Approx(1.0));
    double n2 = 0;
    for (float f : x) n2 += static_cast<double>(f) * f;
    CHECK(n2 == doctest::Approx(1.0).epsilon(1e-5));
  }
  CHECK(cosine(v[1], v[0]) > cosine(v[1], v[2]) + 0.3f);
  CHECK(cosine(v[0], v[5]) == doctest::Approx(1.0));  // case and punctuation ignored
  CHECK(cosine(v[3], v[4]) == doctest::Approx(1.0));  // no words: one fixed vector
  CHECK(e.embed({"hello there"})[0] == v[1]);

  // Light stemming.
  CHECK(HashedNgramEmbedder::normalize_word("flowers") == "flower");
  CHECK(HashedNgramEmbedder::normalize_word("countries") == "country");
  CHECK(HashedNgramEmbedder::normalize_word("greeting") == "greet");
  CHECK(HashedNgramEmbedder::normalize_word("running") == "run");
  CHECK(HashedNgramEmbedder::normalize_word("asked") == "ask");
  CHECK(HashedNgramEmbedder::normalize_word("class") == "class");
  CHECK(HashedNgramEmbedder::normalize_word("bus") == "bus");
  CHECK(HashedNgramEmbedder::normalize_word("is") == "is");
  CHECK(HashedNgramEmbedder::normalize_word("bing") == "bing");
  auto s = e.embed({"I like flowers", "i liked the flower", "the stock market crashed"});
  CHECK(cosine(s[0], s[1]) > cosine(s[0], s[2]) + 0.3f);
  // Spelling variants share most n-grams.
  auto t = e.embed({"survived", "survivied", "weather"});
  CHECK(cosine(t[0], t[1]) > cosine(t[0], t[2]) + 0.3f);

  // Other dimensions work too; 0 means the default.
  HashedNgramEmbedder small(16);
  CHECK(small.embed({"a b c d e f g"})[0].size() == 16);
  CHECK(HashedNgramEmbedder(0).dimension() == 512);
}

TEST_CASE("ngram embedder: the same vector on every platform") {
  // Fixed-width integer hashing only: these values pin the hash, the bucket
  // and the sign scheme (they change only if the features change).
  HashedNgramEmbedder e(64);
  auto v = e.embed({"hi"})[0];
  // "hi": the word (weight 1) and six n-grams ^h hi i$ ^hi hi$ ^hi$ (0.25
  // each), no two in one bucket here, so the norm is sqrt(1 + 6/16).
  const float big = 1.0f / std::sqrt(1.375f), small = 0.25f / std::sqrt(1.375f);
  std::vector<float> expected(64, 0.0f);
  expected[23] = -small;
  expected[33] = small;
  expected[40] = small;
  expected[44] = -big;
  expected[48] = small;
  expected[56] = small;
  expected[63] = small;
  for (std::size_t i = 0; i < 64; ++i) {
    CAPTURE(i);
    CHECK(v[i] == doctest::Approx(expected[i]).epsilon(1e-6));
  }
  CHECK(e.embed({"hi"})[0] == v);
}

TEST_CASE("ngram embedder: the same vectors from 4 threads") {
  const HashedNgramEmbedder e;
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) texts.push_back("example sentence number " + std::to_string(i) + " about topic");
  const auto expected = e.embed(texts);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep)
        if (e.embed(texts) != expected) ++mismatches[t];
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) CHECK(m == 0);
}
