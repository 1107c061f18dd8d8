// retrieval/vector_index.h: nearest-neighbour search over fixed-size float
// vectors by cosine similarity. Callers normally use SearchIndex
// (search_index.h), which owns one VectorIndex; the implementation is
// FaissIndex (faiss_index.h: exact IndexFlatIP, HNSW above a size threshold).
//
//   std::string error;
//   auto index = rg::retrieval::make_vector_index("auto:20000", 384, &error);
//   if (!index) { /* error: "unknown vector index 'IVF' (known: ...)" */ }
//   index->add(n, vectors);                       // n x 384 floats, row-major
//   std::vector<Neighbor> top = index->search(query, 10);
//
// Layout: vectors are passed as n x dimension() floats, row-major. Ids are the
// insertion positions 0, 1, 2, ... An index normalises what it stores and what
// it is queried with, so any non-zero vectors work; a zero vector has cosine 0
// with everything.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rg::retrieval {

struct Neighbor {
  std::size_t id = 0;    // insertion position
  float cosine = 0.0f;  // in [-1, 1]
};

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  virtual std::size_t dimension() const = 0;
  virtual std::size_t size() const = 0;

  // The canonical factory string of this index, e.g. "Flat", "HNSW32",
  // "auto:20000" (make_vector_index(description()) makes an equivalent one).
  virtual std::string description() const = 0;

  // True when search() is exact (brute force); false for approximate
  // structures such as HNSW, which may miss some true neighbours.
  virtual bool exact() const = 0;

  // Appends n vectors (n x dimension() floats). Not thread-safe: build first,
  // then share the index const.
  virtual void add(std::size_t n, const float* vectors) = 0;

  // The min(k, size()) most similar vectors to `query` (dimension() floats),
  // by cosine descending, ties by lower id first. Thread-safe on a const
  // index, and single-threaded: meant to be called from many request threads
  // at once without oversubscribing the cores.
  virtual std::vector<Neighbor> search(const float* query, std::size_t k) const = 0;

  // search() for n queries (n x dimension() floats), one result list each.
  // Implementations may use every core for one call (FaissIndex does: BLAS
  // and OpenMP), so this is for bulk work, not for request threads.
  virtual std::vector<std::vector<Neighbor>> search_batch(std::size_t n, const float* queries,
                                                          std::size_t k) const {
    std::vector<std::vector<Neighbor>> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = search(queries + i * dimension(), k);
    return out;
  }
};

// Builds an empty index from a factory string (FAISS style; grammar and
// defaults in faiss_index.h):
//   ""  or "auto"         exact until the default threshold, then HNSW
//   "auto:<n>"            exact while size() <= n, HNSW above
//   "Flat"                always exact (faiss::IndexFlatIP)
//   "HNSW<M>"             always HNSW with M links (faiss::IndexHNSWFlat)
//   any of the last three, then ",efSearch=<n>", ",efConstruction=<n>"
//   (and ",M=<n>" after "auto")
// Unknown or malformed strings return nullptr and set *error to a message
// quoting the string.
std::unique_ptr<VectorIndex> make_vector_index(std::string_view spec, std::size_t dimension,
                                               std::string* error = nullptr);

}  // namespace rg::retrieval
