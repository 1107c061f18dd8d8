// retrieval/faiss_index.h: the VectorIndex on FAISS (CPU). Cosine similarity
// as inner product of L2-normalised vectors:
//  * exact: faiss::IndexFlatIP, one scan of the n x d matrix per query;
//  * approximate: faiss::IndexHNSWFlat (METRIC_INNER_PRODUCT), a graph with
//    M links per node, built with efConstruction candidates and searched with
//    efSearch candidates (more = better recall, slower);
//  * auto (the default): exact while size() <= threshold, converted to HNSW
//    (from the stored vectors, nothing re-embedded) when an add() crosses it.
//
//   std::string error;
//   auto config = rg::retrieval::FaissIndex::parse("auto:20000", &error);
//   rg::retrieval::FaissIndex index(384, *config);
//   index.add(n, vectors);
//   auto top10 = index.search(query, 10);   // cosine desc, ties by lower id
//
// Factory strings (make_vector_index in vector_index.h takes the same):
//   spec   := base ("," param)*
//   base   := "" | "auto" | "auto:" <threshold> | "Flat" | "HNSW" <M>
//   param  := "efSearch=" <n> | "efConstruction=" <n> | "M=" <n>
// Flat takes no params; "M=" only after auto ("HNSW<M>" names M itself).
// Defaults, measured with bench/search (bench/RESULTS.md, "search"):
//   threshold kDefaultAutoThreshold, M kDefaultHnswM,
//   efConstruction kDefaultEfConstruction, efSearch kDefaultEfSearch.
//
// Arithmetic: Debian's libfaiss 1.7.3 is compiled without SIMD (its
// fvec_inner_product is the scalar reference loop), so the inner products
// are ours (AVX2+FMA when the CPU has them, picked at run time; else a loop
// SSE2 vectorises): the exact scan over IndexFlat's stored matrix, and a
// DistanceComputer handed to faiss::HNSW for insertion and search. FAISS
// keeps the storage, the HNSW graph and its algorithms, and the file format.
// Batched exact search of >= 20 queries goes through FAISS (OpenBLAS sgemm).
//
// Threads: search() on a const index is safe from any number of threads and
// runs on the calling thread only (the exact scan is ours; the HNSW walk
// calls faiss::HNSW::search directly with a pooled visited table instead of
// IndexHNSW::search, which opens an OpenMP team per call and allocates an
// ntotal-byte table per thread). So N server threads use N cores, not
// N x omp_get_max_threads(). search_batch() and add() use every core
// (OpenMP, OpenBLAS): bulk work, not for request threads.
//
// FAISS stays out of this header (pimpl): only faiss_index.cc and
// index_store.cc include it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retrieval/vector_index.h"

namespace rg::retrieval {

inline constexpr std::size_t kDefaultAutoThreshold = 20000;
inline constexpr int kDefaultHnswM = 32;
inline constexpr int kDefaultEfConstruction = 80;
inline constexpr int kDefaultEfSearch = 128;

struct HnswParams {
  int m = kDefaultHnswM;                          // links per node (>= 2)
  int ef_construction = kDefaultEfConstruction;  // candidates while inserting
  int ef_search = kDefaultEfSearch;              // candidates while searching (raised to k if lower)
};

enum class FaissIndexKind {
  kFlat,  // "Flat": always exact
  kHnsw,  // "HNSW<M>": always HNSW
  kAuto,  // "auto[:<n>]": exact while size() <= auto_threshold, then HNSW
};

// A parsed factory string.
struct FaissIndexConfig {
  FaissIndexKind kind = FaissIndexKind::kAuto;
  std::size_t auto_threshold = kDefaultAutoThreshold;  // kAuto only
  HnswParams hnsw;                                     // kHnsw, kAuto
};

class FaissIndex final : public VectorIndex {
 public:
  using Kind = FaissIndexKind;
  using Config = FaissIndexConfig;

  // Parses a factory string (grammar above); nullopt + *error quoting the
  // string when it is not one.
  static std::optional<Config> parse(std::string_view spec, std::string* error = nullptr);
  // The canonical string of a config ("auto:20000", "HNSW32,efSearch=64").
  static std::string describe(const Config& config);

  explicit FaissIndex(std::size_t dimension, const Config& config = {});
  ~FaissIndex() override;
  FaissIndex(const FaissIndex&) = delete;
  FaissIndex& operator=(const FaissIndex&) = delete;

  const Config& config() const { return config_; }

  std::size_t dimension() const override { return dimension_; }
  std::size_t size() const override;
  std::string description() const override { return describe(config_); }
  bool exact() const override;  // the current structure: an auto index is exact until it converts
  void add(std::size_t n, const float* vectors) override;
  std::vector<Neighbor> search(const float* query, std::size_t k) const override;
  std::vector<std::vector<Neighbor>> search_batch(std::size_t n, const float* queries,
                                                  std::size_t k) const override;

  // The stored (normalised) vectors, size() x dimension() floats.
  std::vector<float> stored_vectors() const;

  // The FAISS structure as bytes (faiss::write_index), for index_store.h.
  std::vector<std::uint8_t> serialize() const;

  // Reads bytes from serialize(). The result has `config`; when the stored
  // structure is not what `config` asks for at that size (say a saved Flat
  // and a config of HNSW32), the index is rebuilt from the stored vectors
  // and *rebuilt is set. nullptr + *error when the bytes are not a FAISS
  // IndexFlatIP / IndexHNSWFlat(inner product) of this dimension. Never
  // throws on bad bytes.
  static std::unique_ptr<FaissIndex> deserialize(const std::uint8_t* data, std::size_t size,
                                                 std::size_t dimension, const Config& config,
                                                 std::string* error = nullptr,
                                                 bool* rebuilt = nullptr);

 private:
  struct Impl;
  FaissIndex(std::size_t dimension, const Config& config, std::unique_ptr<Impl> impl);
  std::vector<Neighbor> hnsw_search(const float* normalized_query, std::size_t k) const;

  std::size_t dimension_;
  Config config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rg::retrieval
