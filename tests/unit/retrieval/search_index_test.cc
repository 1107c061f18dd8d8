#include "retrieval/search_index.h"
#include "retrieval/ngram_embedder.h"

#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using rg::retrieval::Embedder;
using rg::retrieval::HashedNgramEmbedder;
using rg::retrieval::IndexItem;
using rg::retrieval::SearchHit;
using rg::retrieval::SearchIndex;

namespace {

// Maps a text to a fixed 2-d vector: "a" -> angle 0, "b" -> 60 deg, ...
// so test cosines are known exactly.
class TableEmbedder final : public Embedder {
 public:
  std::string name() const override { return "table"; }
  std::size_t dimension() const override { return 2; }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override {
    std::vector<std::vector<float>> out;
    for (const std::string& t : texts) {
      const double deg = t == "a" ? 0 : t == "b" ? 60 : t == "c" ? 90 : t == "d" ? 180 : 30;
      const double rad = deg * M_PI / 180.0;
      out.push_back({static_cast<float>(std::cos(rad)), static_cast<float>(std::sin(rad))});
    }
    return out;
  }
};

float cosine(const std::vector<float>& a, const std::vector<float>& b) {
  float d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d += a[i] * b[i];
  return d;
}

}  // namespace

TEST_CASE("score = 1 - angular_distance / 2") {
  CHECK(SearchIndex::score_from_cosine(1.0f) == doctest::Approx(1.0));
  CHECK(SearchIndex::score_from_cosine(0.0f) == doctest::Approx(1.0 - std::sqrt(2.0) / 2));
  CHECK(SearchIndex::score_from_cosine(-1.0f) == doctest::Approx(0.0));
  CHECK(SearchIndex::score_from_cosine(0.5f) == doctest::Approx(0.5));
  CHECK(SearchIndex::score_from_cosine(1.0001f) == doctest::Approx(1.0));  // clamped
}

TEST_CASE("ordering, scores, max_results and threshold") {
  auto e = std::make_shared<TableEmbedder>();
  SearchIndex index(e, {{"d", "m-d"}, {"b", "m-b"}, {"a", "m-a"}, {"c", "m-c"}});
  CHECK(index.size() == 4);

  // Query "a" (0 deg): a (cos 1), b (cos .5), c (cos 0), d (cos -1).
  auto hits = index.search("a", 10);
  REQUIRE(hits.size() == 4);
  CHECK(hits[0].text == "a");
  CHECK(hits[0].meta == "m-a");
  CHECK(hits[0].index == 2);
  CHECK(hits[0].score == doctest::Approx(1.0));
  CHECK(hits[1].text == "b");
  CHECK(hits[1].score == doctest::Approx(0.5));
  CHECK(hits[2].text == "c");
  CHECK(hits[2].score == doctest::Approx(1.0 - std::sqrt(2.0) / 2));
  CHECK(hits[3].text == "d");
  CHECK(hits[3].score == doctest::Approx(0.0).epsilon(1e-3));

  CHECK(index.search("a", 2).size() == 2);
  CHECK(index.search("a", 0).empty());

  auto above = index.search("a", 10, 0.5f);  // inclusive
  REQUIRE(above.size() == 2);
  CHECK(above[1].text == "b");
  CHECK(index.search("a", 10, 0.51f).size() == 1);
  CHECK(index.search("a", 10, 1.5f).empty());
  // The threshold filters the top max_results; it does not widen them.
  CHECK(index.search("a", 1, 0.0f).size() == 1);
}

TEST_CASE("ties keep insertion order") {
  auto e = std::make_shared<TableEmbedder>();
  SearchIndex index(e, {{"c", "1"}, {"a", "2"}, {"x", "3"}, {"a", "4"}, {"a", "5"}});
  auto hits = index.search("a", 3);
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].meta == "2");
  CHECK(hits[1].meta == "4");
  CHECK(hits[2].meta == "5");
}

TEST_CASE("empty index") {
  SearchIndex index(std::make_shared<HashedNgramEmbedder>(), {});
  CHECK(index.empty());
  CHECK(index.search("hello", 5).empty());
}

TEST_CASE("vector index factory") {
  std::string error;
  auto flat = rg::retrieval::make_vector_index("Flat", 8, &error);
  REQUIRE(flat);
  CHECK(flat->description() == "Flat");
  CHECK(flat->dimension() == 8);
  CHECK(rg::retrieval::make_vector_index("", 8));
  CHECK_FALSE(rg::retrieval::make_vector_index("IVF4096,PQ32", 8, &error));
  CHECK(error.rfind("unknown vector index 'IVF4096,PQ32'", 0) == 0);  // more in faiss_index_test

  auto e = std::make_shared<TableEmbedder>();
  SearchIndex index(e, {{"a", ""}, {"b", ""}}, rg::retrieval::make_vector_index("Flat", 2));
  CHECK(index.vectors().size() == 2);
  CHECK(index.search("b", 1).at(0).index == 1);
}

TEST_CASE("intent search with the hashed n-gram embedder") {
  auto e = std::make_shared<HashedNgramEmbedder>();
  SearchIndex index(e, {
      {"hello", "express greeting"},
      {"hi there", "express greeting"},
      {"what is the capital of France", "ask about capitals"},
      {"bye", "express goodbye"},
      {"tell me a joke", "ask for joke"},
  });
  auto hits = index.search("hello there", 5);
  REQUIRE(hits.size() == 5);
  CHECK(hits[0].meta == "express greeting");
  CHECK(hits[1].meta == "express greeting");
  CHECK(index.search("what's the capital of Spain?", 1).at(0).meta == "ask about capitals");
  CHECK(index.search("tell me jokes", 1).at(0).meta == "ask for joke");
  // An exact repeat scores 1, up to float rounding: near cosine 1 the square
  // root magnifies an error of 1e-7 in the cosine to about 3e-4 in the score
  // (Annoy in the reference behaves the same).
  CHECK(index.search("bye", 1).at(0).score == doctest::Approx(1.0).epsilon(1e-3));
}

TEST_CASE("concurrent searches agree with serial ones") {
  auto e = std::make_shared<HashedNgramEmbedder>();
  std::vector<IndexItem> items;
  for (int i = 0; i < 300; ++i) {
    items.push_back({"example sentence number " + std::to_string(i) + " about topic " +
                         std::to_string(i % 17),
                     std::to_string(i)});
  }
  const SearchIndex index(e, std::move(items));
  std::vector<std::string> queries;
  for (int i = 0; i < 40; ++i) queries.push_back("topic " + std::to_string(i % 17) + " sentence " + std::to_string(i));
  std::vector<std::vector<SearchHit>> expected;
  for (const auto& q : queries) expected.push_back(index.search(q, 10, 0.3f));

  std::vector<int> mismatches(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t qi = 0; qi < queries.size(); ++qi) {
          auto got = index.search(queries[qi], 10, 0.3f);
          if (got.size() != expected[qi].size()) {
            ++mismatches[t];
            continue;
          }
          for (std::size_t k = 0; k < got.size(); ++k) {
            if (got[k].index != expected[qi][k].index || got[k].score != expected[qi][k].score) {
              ++mismatches[t];
            }
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) CHECK(m == 0);
}
