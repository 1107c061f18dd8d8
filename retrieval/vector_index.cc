#include "retrieval/vector_index.h"

#include <algorithm>
#include <cmath>

namespace rg::retrieval {
namespace {

// Copies `src` into `dst` scaled to unit length (zero stays zero).
void copy_normalized(const float* src, std::size_t d, float* dst) {
  double norm2 = 0.0;
  for (std::size_t k = 0; k < d; ++k) norm2 += static_cast<double>(src[k]) * src[k];
  const float inv = norm2 > 0.0 ? static_cast<float>(1.0 / std::sqrt(norm2)) : 0.0f;
  for (std::size_t k = 0; k < d; ++k) dst[k] = src[k] * inv;
}

// Inner product with 8 independent partial sums, so the compiler can keep
// them in one SIMD register without reassociating (no -ffast-math needed).
float dot(const float* a, const float* b, std::size_t d) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t j = 0;
  for (; j + 8 <= d; j += 8) {
    for (std::size_t l = 0; l < 8; ++l) acc[l] += a[j + l] * b[j + l];
  }
  float tail = 0.0f;
  for (; j < d; ++j) tail += a[j] * b[j];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

}  // namespace

void FlatIndex::add(std::size_t n, const float* vectors) {
  const std::size_t old = data_.size();
  data_.resize(old + n * dimension_);
  for (std::size_t i = 0; i < n; ++i) {
    copy_normalized(vectors + i * dimension_, dimension_, data_.data() + old + i * dimension_);
  }
}

std::vector<Neighbor> FlatIndex::search(const float* query, std::size_t k) const {
  const std::size_t n = size();
  k = std::min(k, n);
  if (k == 0) return {};

  std::vector<float> q(dimension_);
  copy_normalized(query, dimension_, q.data());

  std::vector<Neighbor> all(n);
  const float* row = data_.data();
  for (std::size_t i = 0; i < n; ++i, row += dimension_) {
    all[i] = Neighbor{i, std::clamp(dot(row, q.data(), dimension_), -1.0f, 1.0f)};
  }
  auto better = [](const Neighbor& a, const Neighbor& b) {
    return a.cosine != b.cosine ? a.cosine > b.cosine : a.id < b.id;
  };
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(), better);
  all.resize(k);
  return all;
}

std::unique_ptr<VectorIndex> make_vector_index(std::string_view spec, std::size_t dimension,
                                               std::string* error) {
  if (spec.empty() || spec == "Flat") return std::make_unique<FlatIndex>(dimension);
  if (error) {
    *error = "unknown vector index '" + std::string(spec) + "' (known: Flat)";
  }
  return nullptr;
}

}  // namespace rg::retrieval
