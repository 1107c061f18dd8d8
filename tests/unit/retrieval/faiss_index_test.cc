// FaissIndex (retrieval/faiss_index.h): factory strings, exact search against
// a brute-force oracle, HNSW recall, the tie order, persistence bytes,
// concurrent searches.
#include "retrieval/faiss_index.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using rg::retrieval::FaissIndex;
using rg::retrieval::FaissIndexKind;
using rg::retrieval::make_vector_index;
using rg::retrieval::Neighbor;

namespace {

std::vector<float> random_vectors(std::size_t n, std::size_t d, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> v(n * d);
  for (float& x : v) x = g(rng) * 3.0f;  // deliberately not unit length
  return v;
}

// The oracle: double-precision cosines, sorted by the contract's order.
std::vector<Neighbor> brute_force(const std::vector<float>& data, std::size_t d, const float* q, std::size_t k) {
  const std::size_t n = data.size() / d;
  double qn = 0;
  for (std::size_t j = 0; j < d; ++j) qn += double(q[j]) * q[j];
  std::vector<std::pair<double, std::size_t>> all;
  for (std::size_t i = 0; i < n; ++i) {
    double dot = 0, xn = 0;
    for (std::size_t j = 0; j < d; ++j) {
      dot += double(data[i * d + j]) * q[j];
      xn += double(data[i * d + j]) * data[i * d + j];
    }
    all.emplace_back(xn > 0 && qn > 0 ? dot / std::sqrt(xn * qn) : 0.0, i);
  }
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::vector<Neighbor> out;
  for (std::size_t i = 0; i < std::min(k, n); ++i) out.push_back({all[i].second, static_cast<float>(all[i].first)});
  return out;
}

void check_sorted(const std::vector<Neighbor>& v) {
  for (std::size_t i = 1; i < v.size(); ++i) {
    CHECK((v[i - 1].cosine > v[i].cosine || (v[i - 1].cosine == v[i].cosine && v[i - 1].id < v[i].id)));
  }
}

}  // namespace

TEST_CASE("factory strings: parse, describe, errors quote the string") {
  std::string error;
  auto c = FaissIndex::parse("", &error);
  REQUIRE(c);
  CHECK(c->kind == FaissIndexKind::kAuto);
  CHECK(c->auto_threshold == rg::retrieval::kDefaultAutoThreshold);
  CHECK(FaissIndex::describe(*c) == "auto:" + std::to_string(rg::retrieval::kDefaultAutoThreshold));
  CHECK(FaissIndex::parse("auto")->kind == FaissIndexKind::kAuto);
  CHECK(FaissIndex::parse("auto:500")->auto_threshold == 500);
  CHECK(FaissIndex::describe(*FaissIndex::parse("Flat")) == "Flat");
  auto h = FaissIndex::parse("HNSW16,efSearch=40,efConstruction=100");
  REQUIRE(h);
  CHECK(h->kind == FaissIndexKind::kHnsw);
  CHECK(h->hnsw.m == 16);
  CHECK(h->hnsw.ef_search == 40);
  CHECK(h->hnsw.ef_construction == 100);
  CHECK(FaissIndex::describe(*h) == "HNSW16,efConstruction=100,efSearch=40");
  CHECK(FaissIndex::describe(*FaissIndex::parse("auto:100,M=8")) == "auto:100,M=8");
  CHECK(FaissIndex::describe(*FaissIndex::parse("HNSW32")) == "HNSW32");

  for (const char* bad : {"IVF4096,PQ32", "HNSW", "HNSW1", "HNSWx", "Flat,efSearch=3", "auto:0", "auto:x",
                          "HNSW32,foo=1", "HNSW32,M=4", "HNSW32,efSearch", "HNSW32,efSearch=0", ",efSearch=3",
                          "flat"}) {
    error.clear();
    CHECK_MESSAGE(!FaissIndex::parse(bad, &error), bad);
    CHECK(error.find(std::string("'") + bad + "'") != std::string::npos);
    CHECK_FALSE(make_vector_index(bad, 8));
  }
  CHECK(make_vector_index("IVF4096,PQ32", 8, &error) == nullptr);
  CHECK(error.rfind("unknown vector index 'IVF4096,PQ32'", 0) == 0);

  auto index = make_vector_index("HNSW8", 12);
  REQUIRE(index);
  CHECK(index->dimension() == 12);
  CHECK(index->description() == "HNSW8");
  CHECK_FALSE(index->exact());
  CHECK(make_vector_index("Flat", 12)->exact());
  CHECK(make_vector_index("", 12)->exact());  // auto starts exact
}

TEST_CASE("exact search equals a brute-force oracle") {
  const std::size_t d = 48, n = 3000;
  const auto data = random_vectors(n, d, 1);
  const auto queries = random_vectors(25, d, 2);
  FaissIndex index(d, *FaissIndex::parse("Flat"));
  index.add(1000, data.data());  // several adds append
  index.add(n - 1000, data.data() + 1000 * d);
  REQUIRE(index.size() == n);
  for (std::size_t qi = 0; qi < 25; ++qi) {
    const float* q = queries.data() + qi * d;
    const auto want = brute_force(data, d, q, 10);
    const auto got = index.search(q, 10);
    REQUIRE(got.size() == 10);
    check_sorted(got);
    for (std::size_t i = 0; i < 10; ++i) {
      CHECK(got[i].cosine == doctest::Approx(want[i].cosine).epsilon(1e-4));
      // Same id unless two true cosines are within float rounding.
      if (got[i].id != want[i].id) CHECK(std::abs(want[i].cosine - got[i].cosine) < 1e-5);
    }
  }
  // k larger than the index, k = 0.
  CHECK(index.search(queries.data(), n + 10).size() == n);
  CHECK(index.search(queries.data(), 0).empty());
  // Batched search agrees with single searches.
  const auto batch = index.search_batch(25, queries.data(), 10);
  REQUIRE(batch.size() == 25);
  for (std::size_t qi = 0; qi < 25; ++qi) {
    const auto one = index.search(queries.data() + qi * d, 10);
    REQUIRE(batch[qi].size() == one.size());
    for (std::size_t i = 0; i < one.size(); ++i) CHECK(batch[qi][i].cosine == doctest::Approx(one[i].cosine).epsilon(1e-5));
  }
}

TEST_CASE("normalisation, zero vectors and the tie order") {
  for (const char* spec : {"Flat", "HNSW8"}) {
    CAPTURE(spec);
    auto index = make_vector_index(spec, 2);
    const float v[] = {3, 0, 0, 0.5f, 0, 0};  // unit x, unit y, zero
    index->add(3, v);
    const float q[] = {0, 10};
    auto n = index->search(q, 5);
    REQUIRE(n.size() == 3);
    CHECK(n[0].id == 1);
    CHECK(n[0].cosine == doctest::Approx(1.0));
    CHECK(n[1].id == 0);  // tie at cosine 0 with the zero vector: lower id first
    CHECK(n[2].id == 2);
    CHECK(n[2].cosine == doctest::Approx(0.0));
  }

  // 40 copies of one direction among others: the exact index returns the
  // lowest ids of the tied group, in id order, also at the k boundary.
  const std::size_t d = 16;
  auto others = random_vectors(200, d, 7);
  std::vector<float> data;
  for (std::size_t i = 0; i < 240; ++i) {
    if (i % 6 == 0 && i / 6 < 40) {
      for (std::size_t j = 0; j < d; ++j) data.push_back(j == 0 ? 4.0f : 0.0f);  // identical vectors: exact ties
    } else {
      data.insert(data.end(), others.begin() + (i % 200) * d, others.begin() + (i % 200 + 1) * d);
    }
  }
  std::vector<float> q(d, 0.0f);
  q[0] = 1.0f;
  FaissIndex flat(d, *FaissIndex::parse("Flat"));
  flat.add(240, data.data());
  for (std::size_t k : {1u, 7u, 10u, 40u}) {
    const auto got = flat.search(q.data(), k);
    REQUIRE(got.size() == k);
    for (std::size_t i = 0; i < k; ++i) CHECK(got[i].id == 6 * i);
    const auto batch = flat.search_batch(1, q.data(), k);
    for (std::size_t i = 0; i < k; ++i) CHECK(batch[0][i].id == 6 * i);
  }
  // 25 identical queries in one batch take FAISS's BLAS path: same answer.
  std::vector<float> qs;
  for (int i = 0; i < 25; ++i) qs.insert(qs.end(), q.begin(), q.end());
  for (const auto& r : flat.search_batch(25, qs.data(), 10)) {
    for (std::size_t i = 0; i < 10; ++i) CHECK(r[i].id == 6 * i);
  }
  FaissIndex hnsw(d, *FaissIndex::parse("HNSW16"));
  hnsw.add(240, data.data());
  check_sorted(hnsw.search(q.data(), 40));
}

TEST_CASE("HNSW recall@10 >= 0.95 on 5k random vectors") {
  const std::size_t d = 32, n = 5000, nq = 100, k = 10;
  const auto data = random_vectors(n, d, 11);
  const auto queries = random_vectors(nq, d, 12);
  FaissIndex index(d, *FaissIndex::parse("HNSW32"));
  index.add(n, data.data());
  CHECK_FALSE(index.exact());
  std::size_t found = 0;
  for (std::size_t qi = 0; qi < nq; ++qi) {
    const float* q = queries.data() + qi * d;
    std::set<std::size_t> truth;
    for (const Neighbor& nb : brute_force(data, d, q, k)) truth.insert(nb.id);
    const auto got = index.search(q, k);
    REQUIRE(got.size() == k);
    check_sorted(got);
    for (const Neighbor& nb : got) found += truth.count(nb.id);
  }
  const double recall = double(found) / double(nq * k);
  MESSAGE("HNSW32 recall@10 = " << recall);
  CHECK(recall >= 0.95);
  // The batched path (FAISS's own IndexHNSW::search) finds the same.
  const auto batch = index.search_batch(nq, queries.data(), k);
  for (std::size_t qi = 0; qi < nq; ++qi) {
    const auto one = index.search(queries.data() + qi * d, k);
    REQUIRE(batch[qi].size() == one.size());
    for (std::size_t i = 0; i < k; ++i) CHECK(batch[qi][i].id == one[i].id);
  }
}

TEST_CASE("auto switches from exact to HNSW past its threshold") {
  const std::size_t d = 16;
  const auto data = random_vectors(300, d, 3);
  FaissIndex index(d, *FaissIndex::parse("auto:200"));
  CHECK(index.description() == "auto:200");
  index.add(200, data.data());
  CHECK(index.exact());
  const auto before = index.search(data.data() + 5 * d, 1);
  CHECK(before.at(0).id == 5);
  index.add(100, data.data() + 200 * d);
  CHECK_FALSE(index.exact());
  CHECK(index.size() == 300);
  CHECK(index.search(data.data() + 250 * d, 1).at(0).id == 250);
  CHECK(index.search(data.data() + 5 * d, 1).at(0).id == 5);
  // Stored vectors are the normalised inputs, in order.
  const auto stored = index.stored_vectors();
  REQUIRE(stored.size() == 300 * d);
  double norm = 0;
  for (std::size_t j = 0; j < d; ++j) norm += double(stored[7 * d + j]) * stored[7 * d + j];
  CHECK(norm == doctest::Approx(1.0));
}

TEST_CASE("serialize / deserialize: round trip, conversion, garbage") {
  const std::size_t d = 24, n = 500;
  const auto data = random_vectors(n, d, 5);
  const auto queries = random_vectors(10, d, 6);
  for (const char* spec : {"Flat", "HNSW16", "auto:100"}) {
    CAPTURE(spec);
    const auto config = *FaissIndex::parse(spec);
    FaissIndex index(d, config);
    index.add(n, data.data());
    const auto bytes = index.serialize();
    std::string error;
    bool rebuilt = true;
    auto back = FaissIndex::deserialize(bytes.data(), bytes.size(), d, config, &error, &rebuilt);
    REQUIRE_MESSAGE(back, error);
    CHECK_FALSE(rebuilt);
    CHECK(back->size() == n);
    CHECK(back->exact() == index.exact());
    CHECK(back->description() == index.description());
    for (std::size_t qi = 0; qi < 10; ++qi) {
      const auto a = index.search(queries.data() + qi * d, 5);
      const auto b = back->search(queries.data() + qi * d, 5);
      REQUIRE(a.size() == b.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].id == b[i].id);
        CHECK(a[i].cosine == b[i].cosine);
      }
    }
    // Wrong dimension.
    CHECK_FALSE(FaissIndex::deserialize(bytes.data(), bytes.size(), d + 1, config, &error));
    CHECK(error.find("dimension") != std::string::npos);
    // Truncated and garbage bytes: an error, never a crash.
    CHECK_FALSE(FaissIndex::deserialize(bytes.data(), bytes.size() / 2, d, config, &error));
    CHECK_FALSE(error.empty());
    std::vector<std::uint8_t> junk(bytes.size(), 0xAB);
    CHECK_FALSE(FaissIndex::deserialize(junk.data(), junk.size(), d, config, &error));
    CHECK_FALSE(FaissIndex::deserialize(nullptr, 0, d, config, &error));
  }
  // A saved Flat loaded for an HNSW config is converted from its vectors.
  FaissIndex flat(d, *FaissIndex::parse("Flat"));
  flat.add(n, data.data());
  const auto bytes = flat.serialize();
  bool rebuilt = false;
  auto hnsw = FaissIndex::deserialize(bytes.data(), bytes.size(), d, *FaissIndex::parse("HNSW8"), nullptr, &rebuilt);
  REQUIRE(hnsw);
  CHECK(rebuilt);
  CHECK_FALSE(hnsw->exact());
  CHECK(hnsw->size() == n);
  CHECK(hnsw->search(data.data() + 42 * d, 1).at(0).id == 42);
}

TEST_CASE("concurrent searches on a const index agree with single-threaded ones") {
  const std::size_t d = 32, n = 4000, nq = 64;
  const auto data = random_vectors(n, d, 21);
  const auto queries = random_vectors(nq, d, 22);
  for (const char* spec : {"Flat", "HNSW16"}) {
    CAPTURE(spec);
    FaissIndex index(d, *FaissIndex::parse(spec));
    index.add(n, data.data());
    const FaissIndex& shared = index;
    std::vector<std::vector<Neighbor>> want(nq);
    for (std::size_t qi = 0; qi < nq; ++qi) want[qi] = shared.search(queries.data() + qi * d, 10);
    std::vector<int> mismatches(8, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int rep = 0; rep < 5; ++rep) {
          for (std::size_t qi = 0; qi < nq; ++qi) {
            const auto got = shared.search(queries.data() + qi * d, 10);
            if (got.size() != want[qi].size()) {
              ++mismatches[t];
              continue;
            }
            for (std::size_t i = 0; i < got.size(); ++i) mismatches[t] += got[i].id != want[qi][i].id;
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    for (int m : mismatches) CHECK(m == 0);
  }
}
