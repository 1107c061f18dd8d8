// search: FAISS vector search (retrieval/faiss_index.h) on random unit vectors.
//
//   build/bin/search            # about a minute on the 2-core VM
//   build/bin/search --quick    # 10k only, seconds
//   build/bin/search --full     # also HNSW at 100k and 1M (builds take minutes)
//
// Per dimension (384: all-MiniLM-L6-v2; 100: the word-vector embedders) and
// size: build time; single-query latency p50/p99 through FaissIndex::search
// (the path request threads take: one thread per query); batched QPS through
// search_batch (256 queries per call, all cores); for HNSW recall@10 against
// the exact index. Then an efSearch sweep (latency vs recall) and the
// aggregate QPS of single-query searches from 1, 2 and 8 threads (no
// oversubscription: 8 threads on 2 cores must not be slower than 2).
//
// Physical limit: the exact search streams the whole n x d fp32 matrix per
// query, so its floor is the memory bandwidth (or the cache bandwidth while
// the matrix fits in cache). The run measures this machine's streaming read
// bandwidth (one thread, and all cores) over a 1 GiB buffer and reports the
// single-query scan's bytes/s as a fraction of the one-thread figure (the
// query runs on one thread) and the batched scan's as a fraction of the
// all-core one.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <immintrin.h>

#include "retrieval/faiss_index.h"

namespace {

using rg::retrieval::FaissIndex;
using rg::retrieval::Neighbor;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// xorshift64*: fast enough to fill 384M floats in about a second.
struct Rng {
  std::uint64_t s;
  explicit Rng(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  float next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    const std::uint64_t r = s * 2685821657736338717ull;
    return static_cast<float>(static_cast<double>(r >> 40) / static_cast<double>(1ull << 24)) * 2.0f - 1.0f;
  }
};

// n x d uniform-in-the-cube vectors, normalised (the index normalises anyway).
std::vector<float> random_unit(std::size_t n, std::size_t d, std::uint64_t seed) {
  std::vector<float> v(n * d);
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Rng rng(seed * 1000 + t);
      for (std::size_t i = t; i < n; i += threads) {
        float* row = v.data() + i * d;
        double norm = 0;
        for (std::size_t j = 0; j < d; ++j) {
          row[j] = rng.next();
          norm += double(row[j]) * row[j];
        }
        const float inv = static_cast<float>(1.0 / std::sqrt(norm));
        for (std::size_t j = 0; j < d; ++j) row[j] *= inv;
      }
    });
  }
  for (auto& th : pool) th.join();
  return v;
}

// Sum of p[0..n) with AVX2 loads (4 independent accumulators): a read stream
// as fast as the exact scan's, so the fraction below compares like with like.
__attribute__((target("avx2"))) float stream_sum(const float* p, std::size_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (std::size_t i = 0; i + 32 <= n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + i + 24));
  }
  float out[8];
  _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

// Streaming read bandwidth in bytes/s over `buffer` with `threads` threads,
// best of 3 passes.
double read_bandwidth(const std::vector<float>& buffer, unsigned threads) {
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<double> sums(threads);
    const auto t0 = Clock::now();
    std::vector<std::thread> pool;
    const std::size_t per = buffer.size() / threads;
    for (unsigned t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        sums[t] = stream_sum(buffer.data() + t * per, per);
      });
    }
    for (auto& th : pool) th.join();
    const double secs = seconds_since(t0);
    double total = 0;
    for (double s : sums) total += s;
    if (total == 12345.678) std::printf(" ");  // keep the sums alive
    best = std::max(best, static_cast<double>(per * threads * sizeof(float)) / secs);
  }
  return best;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

struct Latency {
  double p50_us = 0, p99_us = 0;
};

Latency single_queries(const FaissIndex& index, const std::vector<float>& queries, std::size_t nq, std::size_t k) {
  const std::size_t d = index.dimension();
  std::vector<double> us;
  std::size_t found = 0;
  for (std::size_t q = 0; q < nq; ++q) {
    const auto t0 = Clock::now();
    found += index.search(queries.data() + (q % (queries.size() / d)) * d, k).size();
    us.push_back(seconds_since(t0) * 1e6);
  }
  if (found == 0) std::printf("(no results?)\n");
  return {percentile(us, 0.5), percentile(us, 0.99)};
}

double batched_qps(const FaissIndex& index, const std::vector<float>& queries, std::size_t nq, std::size_t k) {
  const auto t0 = Clock::now();
  const auto r = index.search_batch(nq, queries.data(), k);
  const double secs = seconds_since(t0);
  return r.size() == nq ? static_cast<double>(nq) / secs : 0.0;
}

double recall_at(const std::vector<std::vector<Neighbor>>& truth, const std::vector<std::vector<Neighbor>>& got) {
  std::size_t hit = 0, total = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    std::set<std::size_t> t;
    for (const Neighbor& n : truth[i]) t.insert(n.id);
    for (const Neighbor& n : got[i]) hit += t.count(n.id);
    total += truth[i].size();
  }
  return total ? static_cast<double>(hit) / static_cast<double>(total) : 0.0;
}

std::vector<std::vector<Neighbor>> singles(const FaissIndex& index, const std::vector<float>& queries, std::size_t nq,
                                           std::size_t k) {
  std::vector<std::vector<Neighbor>> out;
  for (std::size_t q = 0; q < nq; ++q) out.push_back(index.search(queries.data() + q * index.dimension(), k));
  return out;
}

std::string human(std::size_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return std::to_string(n / 1000000) + "M";
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, full = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    if (!std::strcmp(argv[i], "--full")) full = true;
  }
  const std::size_t k = 10;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const auto t_start = Clock::now();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // rows appear as they finish

  std::vector<float> buffer(std::size_t(1) << 28, 1.0f);  // 1 GiB
  const double bw1 = read_bandwidth(buffer, 1);
  const double bwn = read_bandwidth(buffer, cores);
  buffer = {};
  buffer.shrink_to_fit();
  std::printf("streaming read bandwidth (1 GiB): %.1f GB/s one thread, %.1f GB/s %u threads\n\n", bw1 / 1e9,
              bwn / 1e9, cores);

  std::printf("%-5s %5s %-22s %9s %10s %10s %11s %8s %11s %9s\n", "d", "n", "index", "build s", "p50 us",
              "p99 us", "batch QPS", "recall", "scan GB/s", "of limit");
  const std::vector<std::size_t> dims = {384, 100};
  for (std::size_t d : dims) {
    const std::size_t nq_max = 256;
    const std::vector<float> queries = random_unit(nq_max, d, 7 + d);
    std::vector<std::size_t> sizes = {10000, 100000, 1000000};
    if (quick) sizes = {10000};
    for (std::size_t n : sizes) {
      const std::vector<float> data = random_unit(n, d, 1 + d);
      const double bytes = static_cast<double>(n) * static_cast<double>(d) * sizeof(float);

      // Exact.
      auto t0 = Clock::now();
      FaissIndex flat(d, *FaissIndex::parse("Flat"));
      flat.add(n, data.data());
      const double flat_build = seconds_since(t0);
      const std::size_t nq_single = n >= 1000000 ? (d > 200 ? 15 : 40) : (n >= 100000 ? 100 : 1000);
      const Latency lf = single_queries(flat, queries, nq_single, k);
      const std::size_t nq_batch = n >= 1000000 ? 64 : 256;
      const double qf = batched_qps(flat, queries, nq_batch, k);
      const double scan1 = bytes / (lf.p50_us * 1e-6);
      std::printf("%-5zu %5s %-22s %9.2f %10.1f %10.1f %11.0f %8s %11.1f %8.0f%%\n", d, human(n).c_str(), "Flat",
                  flat_build, lf.p50_us, lf.p99_us, qf, "1", scan1 / 1e9, 100.0 * scan1 / bw1);
      const double scanb = bytes * qf;
      std::printf("%-5s %5s %-22s %9s %10s %10s %11s %8s %11.1f %8.0f%%  (batched, vs %u-thread bandwidth)\n", "", "",
                  "", "", "", "", "", "", scanb / 1e9, 100.0 * scanb / bwn, cores);

      // HNSW: default parameters. Its build costs about n * efConstruction
      // * log n distance evaluations: 384-d at 100k and anything at 1M take
      // minutes on 2 cores, so only with --full.
      const std::size_t hnsw_max = full ? 1000000 : 10000;
      if (n > hnsw_max) {
        std::printf("%-5zu %5s %-22s   (skipped: --full builds it)\n", d, human(n).c_str(), "HNSW32");
        continue;
      }
      const std::size_t nq_recall = 200;
      const auto truth = flat.search_batch(nq_recall, queries.data(), k);
      t0 = Clock::now();
      FaissIndex hnsw(d, *FaissIndex::parse("HNSW32"));
      hnsw.add(n, data.data());
      const double hnsw_build = seconds_since(t0);
      const Latency lh = single_queries(hnsw, queries, 1000, k);
      const double qh = batched_qps(hnsw, queries, nq_batch, k);
      const double rh = recall_at(truth, singles(hnsw, queries, nq_recall, k));
      std::printf("%-5zu %5s %-22s %9.2f %10.1f %10.1f %11.0f %8.3f %11s %9s\n", d, human(n).c_str(),
                  hnsw.description().c_str(), hnsw_build, lh.p50_us, lh.p99_us, qh, rh, "-", "-");

      // efSearch sweep at the largest HNSW built: the latency / recall
      // trade-off behind the default.
      if (n == std::min(hnsw_max, sizes.back())) {
        const auto bytes_hnsw = hnsw.serialize();
        for (int ef : {16, 32, 64, 128, 256}) {
          auto config = *FaissIndex::parse("HNSW32,efSearch=" + std::to_string(ef));
          auto tuned = FaissIndex::deserialize(bytes_hnsw.data(), bytes_hnsw.size(), d, config);
          const Latency l = single_queries(*tuned, queries, 1000, k);
          const double r = recall_at(truth, singles(*tuned, queries, nq_recall, k));
          std::printf("%-5zu %5s %-22s %9s %10.1f %10.1f %11s %8.3f\n", d, human(n).c_str(),
                      ("  efSearch=" + std::to_string(ef)).c_str(), "", l.p50_us, l.p99_us, "", r);
        }
      }

      // Threads: aggregate single-query QPS at 10k.
      if (n == 10000) {
        for (const FaissIndex* index : {&flat, &hnsw}) {
          std::printf("%-5zu %5s %-22s  single-query QPS by threads:", d, human(n).c_str(),
                      index->description().c_str());
          for (unsigned threads : {1u, 2u, 8u}) {
            std::atomic<std::size_t> done{0};
            const auto t1 = Clock::now();
            std::vector<std::thread> pool;
            for (unsigned t = 0; t < threads; ++t) {
              pool.emplace_back([&, t] {
                for (std::size_t q = 0; q < 2000 / threads; ++q) {
                  done += index->search(queries.data() + ((q * threads + t) % nq_max) * d, k).size() > 0;
                }
              });
            }
            for (auto& th : pool) th.join();
            std::printf("  %u: %.0f", threads, static_cast<double>(done) / seconds_since(t1));
          }
          std::printf("\n");
        }
      }
    }
  }
  std::printf("\ntotal %.1f s\n", seconds_since(t_start));
  return 0;
}
