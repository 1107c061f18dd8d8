// BatchingEmbedder: concurrent callers share inner calls, each gets its own
// vectors, failures reach every caller of the batch.
#include "retrieval/batching_embedder.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using rg::retrieval::BatchingEmbedder;
using rg::retrieval::Embedder;
using rg::retrieval::EmbeddingError;

namespace {

// Vector of a text: {length, first byte}; counts calls and the largest batch.
class CountingEmbedder final : public Embedder {
 public:
  std::string name() const override { return "counting"; }
  std::size_t dimension() const override { return 2; }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override {
    calls++;
    std::size_t n = texts.size();
    std::size_t seen = largest.load();
    while (n > seen && !largest.compare_exchange_weak(seen, n)) {
    }
    if (fail) throw EmbeddingError("counting: down");
    std::vector<std::vector<float>> out;
    for (const auto& t : texts) out.push_back({float(t.size()), t.empty() ? 0.f : float(t[0])});
    return out;
  }
  mutable std::atomic<int> calls{0};
  mutable std::atomic<std::size_t> largest{0};
  bool fail = false;
};

}  // namespace

TEST_CASE("batching: concurrent single texts share inner calls and get their own vectors") {
  auto inner = std::make_shared<CountingEmbedder>();
  BatchingEmbedder batched(inner, 64, std::chrono::milliseconds(200));
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::vector<float>>> results(kThreads);
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] { results[i] = batched.embed({std::string(i + 1, char('a' + i))}); });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    REQUIRE(results[i].size() == 1);
    CHECK(results[i][0][0] == float(i + 1));
    CHECK(results[i][0][1] == float('a' + i));
  }
  CHECK(inner->calls.load() < kThreads);
  CHECK(inner->largest.load() > 1);
}

TEST_CASE("batching: a full batch goes at once; a big call goes straight through") {
  auto inner = std::make_shared<CountingEmbedder>();
  BatchingEmbedder batched(inner, 2, std::chrono::seconds(30));
  auto start = std::chrono::steady_clock::now();
  auto direct = batched.embed({"x", "yy", "zzz"});
  CHECK(direct.size() == 3);
  std::thread other([&] { batched.embed({"a"}); });
  auto mine = batched.embed({"bb"});
  other.join();
  CHECK(mine[0][0] == 2.f);
  // Two single texts fill a batch of 2: nobody waits for the 30 s hold.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("batching: an inner failure reaches every caller of the batch") {
  auto inner = std::make_shared<CountingEmbedder>();
  inner->fail = true;
  BatchingEmbedder batched(inner, 64, std::chrono::milliseconds(100));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      try {
        batched.embed({"t"});
      } catch (const EmbeddingError& e) {
        if (std::string(e.what()) == "counting: down") failures++;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 4);
  CHECK(batched.embed({}).empty());
}
