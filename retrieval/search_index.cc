#include "retrieval/search_index.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace rg::retrieval {

SearchIndex::SearchIndex(std::shared_ptr<const Embedder> embedder, std::vector<IndexItem> items,
                         std::unique_ptr<VectorIndex> vectors)
    : embedder_(std::move(embedder)), items_(std::move(items)), vectors_(std::move(vectors)) {
  assert(embedder_ && "SearchIndex: null embedder");
  const std::size_t d = embedder_->dimension();
  if (!vectors_) vectors_ = std::make_unique<FlatIndex>(d);
  assert(vectors_->dimension() == d && vectors_->size() == 0);
  if (items_.empty()) return;

  std::vector<std::string> texts;
  texts.reserve(items_.size());
  for (const IndexItem& item : items_) texts.push_back(item.text);
  const std::vector<std::vector<float>> embedded = embedder_->embed(texts);
  assert(embedded.size() == items_.size());

  std::vector<float> matrix(items_.size() * d);
  for (std::size_t i = 0; i < embedded.size(); ++i) {
    assert(embedded[i].size() == d);
    std::copy(embedded[i].begin(), embedded[i].end(), matrix.begin() + static_cast<std::ptrdiff_t>(i * d));
  }
  vectors_->add(items_.size(), matrix.data());
}

float SearchIndex::score_from_cosine(float cosine) {
  const float c = std::clamp(cosine, -1.0f, 1.0f);
  const float angular = std::sqrt(std::max(0.0f, 2.0f * (1.0f - c)));
  return 1.0f - angular / 2.0f;
}

std::vector<SearchHit> SearchIndex::search_vector(const float* query, std::size_t max_results,
                                                  std::optional<float> threshold) const {
  std::vector<SearchHit> hits;
  if (items_.empty() || max_results == 0) return hits;
  const std::vector<Neighbor> neighbors = vectors_->search(query, max_results);
  hits.reserve(neighbors.size());
  for (const Neighbor& n : neighbors) {
    const float score = score_from_cosine(n.cosine);
    if (threshold && score < *threshold) continue;
    const IndexItem& item = items_[n.id];
    hits.push_back(SearchHit{n.id, item.text, item.meta, score});
  }
  return hits;
}

std::vector<SearchHit> SearchIndex::search(std::string_view query, std::size_t max_results,
                                           std::optional<float> threshold) const {
  if (items_.empty() || max_results == 0) return {};
  const std::vector<std::vector<float>> q = embedder_->embed({std::string(query)});
  return search_vector(q.front().data(), max_results, threshold);
}

}  // namespace rg::retrieval
