// retrieval_bench: word-vector load time, built-in embedder throughput (SIF
// over word vectors, hashed n-grams) and exact SearchIndex latency.
//
//   build/bin/retrieval_bench [queries]
//
// Table: items in the index, median microseconds per search (embedding the
// query included), and the matrix bytes a search streams per second, the
// figure to hold against the machine's memory bandwidth (the physical limit of
// brute-force search once the matrix leaves the caches).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "retrieval/default_embedder.h"
#include "retrieval/ngram_embedder.h"
#include "retrieval/search_index.h"
#include "retrieval/sif_embedder.h"
#include "retrieval/word_vectors.h"

namespace {

using Clock = std::chrono::steady_clock;

double micros(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

std::string sentence(int i) {
  static const char* kWords[] = {"how", "do", "I", "reset", "my", "password", "what", "is", "the",
                                 "capital", "of", "France", "tell", "me", "a", "joke", "about",
                                 "cats", "order", "status", "refund", "shipping", "account", "help"};
  std::string s;
  unsigned x = static_cast<unsigned>(i) * 2654435761u + 12345u;
  for (int w = 0; w < 8; ++w) {
    x = x * 1664525u + 1013904223u;
    if (w) s.push_back(' ');
    s += kWords[(x >> 8) % (sizeof(kWords) / sizeof(kWords[0]))];
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int queries = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
  std::string notice;
  const std::shared_ptr<const rg::retrieval::Embedder> embedder = rg::retrieval::make_builtin_embedder(&notice);
  std::printf("%s\n", notice.c_str());

  const std::string text = "what is the capital of France, please tell me about it";
  const auto* sif = dynamic_cast<const rg::retrieval::SifEmbedder*>(embedder.get());
  if (sif != nullptr) {
    // Load (mmap, checks, hash table) and SIF set-up (common component), best of 5.
    const std::string& path = sif->vectors()->path();
    double load_us = 1e30, setup_us = 1e30;
    for (int i = 0; i < 5; ++i) {
      auto a = Clock::now();
      auto wv = rg::retrieval::WordVectors::load(path);
      auto b = Clock::now();
      rg::retrieval::SifEmbedder e(wv);
      auto c = Clock::now();
      if (!wv) return 1;
      load_us = std::min(load_us, micros(a, b));
      setup_us = std::min(setup_us, micros(b, c));
    }
    std::printf("word vectors: %zu words x %zu dims, %.1f MiB; load %.1f ms, SIF set-up %.1f ms\n",
                sif->vectors()->size(), sif->vectors()->dims(),
                static_cast<double>(sif->vectors()->file_bytes()) / 1048576.0, load_us / 1e3, setup_us / 1e3);
    std::vector<float> v(sif->dimension());
    const int reps = 100000;
    auto t0 = Clock::now();
    for (int i = 0; i < reps; ++i) sif->embed_into(text, v.data());
    auto t1 = Clock::now();
    std::printf("%s embed (%zu bytes of text): %.3f us\n", sif->name().c_str(), text.size(), micros(t0, t1) / reps);
  }
  {
    rg::retrieval::HashedNgramEmbedder ngrams;
    std::vector<float> v(ngrams.dimension());
    const int reps = 100000;
    auto t0 = Clock::now();
    for (int i = 0; i < reps; ++i) ngrams.embed_into(text, v.data());
    auto t1 = Clock::now();
    std::printf("%s embed (%zu bytes of text): %.3f us\n\n", ngrams.name().c_str(), text.size(),
                micros(t0, t1) / reps);
  }

  std::printf("%10s %14s %12s\n", "items", "us/search", "GB/s");
  for (int n : {100, 1000, 10000, 100000}) {
    std::vector<rg::retrieval::IndexItem> items;
    items.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) items.push_back({sentence(i), std::to_string(i)});
    const rg::retrieval::SearchIndex index(embedder, std::move(items));

    std::vector<double> times;
    std::size_t found = 0;
    for (int q = 0; q < queries; ++q) {
      const std::string query = sentence(n + q);
      auto a = Clock::now();
      found += index.search(query, 5).size();
      auto b = Clock::now();
      times.push_back(micros(a, b));
    }
    std::sort(times.begin(), times.end());
    const double median = times[times.size() / 2];
    const double bytes = static_cast<double>(n) * embedder->dimension() * sizeof(float);
    std::printf("%10d %14.1f %12.2f\n", n, median, bytes / (median * 1e3));
    if (found == 0) return 1;
  }
  return 0;
}
