// retrieval/vector_index.h: nearest-neighbour search over fixed-size float
// vectors by cosine similarity. The seam where FAISS (CPU, later GPU through
// its own file) replaces the brute-force FlatIndex; callers use SearchIndex
// (search_index.h), which owns one VectorIndex.
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

  // The factory string this index was made from, e.g. "Flat".
  virtual std::string description() const = 0;

  // Appends n vectors (n x dimension() floats). Not thread-safe: build first,
  // then share the index const.
  virtual void add(std::size_t n, const float* vectors) = 0;

  // The min(k, size()) most similar vectors to `query` (dimension() floats),
  // by cosine descending, ties by lower id first. Thread-safe on a const index.
  virtual std::vector<Neighbor> search(const float* query, std::size_t k) const = 0;
};

// Exact search: inner products against one contiguous n x d matrix.
class FlatIndex final : public VectorIndex {
 public:
  explicit FlatIndex(std::size_t dimension) : dimension_(dimension) {}

  std::size_t dimension() const override { return dimension_; }
  std::size_t size() const override { return dimension_ == 0 ? 0 : data_.size() / dimension_; }
  std::string description() const override { return "Flat"; }
  void add(std::size_t n, const float* vectors) override;
  std::vector<Neighbor> search(const float* query, std::size_t k) const override;

 private:
  std::size_t dimension_;
  std::vector<float> data_;  // size() x dimension_, each row unit length (or zero)
};

// Builds an index from a factory string (FAISS style). Known: "Flat" (also
// the empty string). Unknown strings return nullptr and set *error to a
// message quoting the string.
std::unique_ptr<VectorIndex> make_vector_index(std::string_view spec, std::size_t dimension,
                                               std::string* error = nullptr);

}  // namespace rg::retrieval
