// retrieval/search_index.h: a searchable list of texts, the "embeddings index"
// of the Colang 1.0 pipeline (spec 3.5, 4): user-message examples (meta: the
// intent), bot messages (text: the intent, meta: one utterance), flow lines
// (meta: the flow source), knowledge-base chunks.
//
//   auto embedder = rg::retrieval::make_builtin_embedder();  // default_embedder.h
//   rg::retrieval::SearchIndex index(embedder, {{"hello", "express greeting"},
//                                               {"bye", "express goodbye"}});
//   for (const auto& hit : index.search("hello there", 5, 0.8f)) ...
//
// With a saved index (a restart loads it instead of embedding again):
//
//   rg::retrieval::SearchIndexOptions options;
//   options.cache_dir = rg::retrieval::kDefaultIndexCacheDir;  // ".cache/railguard"
//   options.index_spec = "auto";                               // see faiss_index.h
//   std::string error;
//   std::optional<SearchIndex> index = SearchIndex::build(embedder, items, options, &error);
//   if (!index) { /* only a bad index_spec fails; cache trouble is a warning */ }
//
// Built once (construction embeds every item, in batches with a progress bar
// on stderr past kProgressMinItems items), then const and thread-safe.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retrieval/embedder.h"
#include "retrieval/index_store.h"
#include "retrieval/progress.h"
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

// Texts embedded per Embedder::embed call while building (progress steps).
inline constexpr std::size_t kDefaultEmbedBatch = 64;

struct SearchIndexOptions {
  // make_vector_index factory string: "" (= "auto": exact up to 20,000
  // items, HNSW above), "Flat", "HNSW32", "auto:<n>", ... (faiss_index.h).
  std::string index_spec;
  // Where indexes are saved and looked up (index_store.h); empty: never
  // saved. kDefaultIndexCacheDir is the reference's place, relative to the
  // working directory.
  std::filesystem::path cache_dir;
  // Texts per embed() call (>= 1).
  std::size_t embed_batch = kDefaultEmbedBatch;
  // Progress bar while embedding (printed only past kProgressMinItems items).
  ProgressBar::Mode progress = ProgressBar::Mode::kAuto;
  std::string progress_label = "embedding";
  // Receives warnings (unusable saved index, failed save). Default: a line
  // "railguard: warning: <message>" on stderr.
  std::function<void(const std::string&)> warn;
};

// What SearchIndex::build did, for logs and tests.
struct SearchIndexBuildInfo {
  std::string key;                    // index_cache_key (empty without cache_dir)
  std::filesystem::path cache_file;   // where it was looked up / saved
  bool loaded = false;                // from the cache, nothing embedded
  bool saved = false;                 // written to cache_file
  std::size_t embedded = 0;           // texts given to the embedder
  std::vector<std::string> warnings;  // also passed to SearchIndexOptions::warn
};

class SearchIndex {
 public:
  // Embeds `items` with `embedder` into `vectors` (nullptr: an "auto"
  // FaissIndex of the embedder's dimension, exact for small lists; otherwise
  // an empty index of that dimension, e.g. from make_vector_index).
  // `embedder` must not be null. Shows a progress bar past kProgressMinItems.
  SearchIndex(std::shared_ptr<const Embedder> embedder, std::vector<IndexItem> items,
              std::unique_ptr<VectorIndex> vectors = nullptr);

  // Loads the index saved for (embedder, texts) under options.cache_dir, or
  // embeds, builds and saves it (see index_store.h). nullopt + *error only
  // when options.index_spec is not a valid factory string; an unusable or
  // unwritable cache is a warning and the index is built anyway.
  static std::optional<SearchIndex> build(std::shared_ptr<const Embedder> embedder,
                                          std::vector<IndexItem> items,
                                          const SearchIndexOptions& options = {},
                                          std::string* error = nullptr,
                                          SearchIndexBuildInfo* info = nullptr);

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

  // Embeds `texts` into a texts.size() x dimension matrix, `batch` texts per
  // embed() call, advancing a progress bar (kProgressMinItems and up).
  static std::vector<float> embed_matrix(const Embedder& embedder, const std::vector<std::string>& texts,
                                         std::size_t batch = kDefaultEmbedBatch,
                                         ProgressBar::Mode progress = ProgressBar::Mode::kAuto,
                                         const std::string& label = "embedding");

 private:
  struct Prebuilt {};
  SearchIndex(Prebuilt, std::shared_ptr<const Embedder> embedder, std::vector<IndexItem> items,
              std::unique_ptr<VectorIndex> vectors);

  std::shared_ptr<const Embedder> embedder_;
  std::vector<IndexItem> items_;
  std::unique_ptr<VectorIndex> vectors_;
};

}  // namespace rg::retrieval
