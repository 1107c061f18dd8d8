// retrieval/search_index.h: a searchable list of texts, the "embeddings index"
// of the Colang 1.0 pipeline (spec 3.5, 4): user-message examples (meta: the
// intent), bot messages (text: the intent, meta: one utterance), flow lines
// (meta: the flow source), knowledge-base chunks.
//
//   auto embedder = std::make_shared<rg::retrieval::LexicalEmbedder>();
//   rg::retrieval::SearchIndex index(embedder, {{"hello", "express greeting"},
//                                               {"bye", "express goodbye"}});
//   for (const auto& hit : index.search("hello there", 5, 0.8f)) ...
//
// Built once (the constructor embeds every item), then const and thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retrieval/embedder.h"
#include "retrieval/vector_index.h"

namespace rg::retrieval {

struct IndexItem {
  std::string text;  // what is embedded and compared
  std::string meta;  // opaque to retrieval: an intent name, JSON, ...
};

struct SearchHit {
  std::size_t index = 0;  // position of the item in the list the index was built from
  std::string text;
  std::string meta;
  float score = 0.0f;  // score_from_cosine(cosine similarity), in [0, 1]
};

class SearchIndex {
 public:
  // Embeds `items` with `embedder` into `vectors` (nullptr: a FlatIndex of
  // the embedder's dimension; otherwise an empty index of that dimension, e.g.
  // from make_vector_index). `embedder` must not be null.
  SearchIndex(std::shared_ptr<const Embedder> embedder, std::vector<IndexItem> items,
              std::unique_ptr<VectorIndex> vectors = nullptr);

  SearchIndex(SearchIndex&&) noexcept = default;
  SearchIndex& operator=(SearchIndex&&) noexcept = default;

  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const std::vector<IndexItem>& items() const { return items_; }
  const Embedder& embedder() const { return *embedder_; }
  const VectorIndex& vectors() const { return *vectors_; }

  // The up to `max_results` items nearest to `query`, by score descending,
  // ties by insertion order. With a threshold, hits whose score is below it
  // are dropped (after taking the top max_results, as the reference does).
  std::vector<SearchHit> search(std::string_view query, std::size_t max_results,
                                std::optional<float> threshold = std::nullopt) const;

  // The same with an already embedded query (dimension() floats).
  std::vector<SearchHit> search_vector(const float* query, std::size_t max_results,
                                       std::optional<float> threshold = std::nullopt) const;

  // The reference's score: 1 - angular_distance / 2 with
  // angular_distance = sqrt(2 (1 - cosine)). 1 for identical directions, about
  // 0.29 for orthogonal ones, 0 for opposite ones. Not the raw cosine.
  static float score_from_cosine(float cosine);

 private:
  std::shared_ptr<const Embedder> embedder_;
  std::vector<IndexItem> items_;
  std::unique_ptr<VectorIndex> vectors_;
};

}  // namespace rg::retrieval
