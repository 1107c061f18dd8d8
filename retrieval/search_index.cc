#include "retrieval/search_index.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>

#include "retrieval/faiss_index.h"

namespace rg::retrieval {

namespace {

std::vector<std::string> texts_of(const std::vector<IndexItem>& items) {
  std::vector<std::string> texts;
  texts.reserve(items.size());
  for (const IndexItem& item : items) texts.push_back(item.text);
  return texts;
}

void default_warn(const std::string& message) {
  std::fprintf(stderr, "railguard: warning: %s\n", message.c_str());
}

}  // namespace

std::vector<float> SearchIndex::embed_matrix(const Embedder& embedder, const std::vector<std::string>& texts,
                                             std::size_t batch, ProgressBar::Mode progress,
                                             const std::string& label) {
  const std::size_t d = embedder.dimension();
  const std::size_t n = texts.size();
  std::vector<float> matrix(n * d);
  if (n == 0) return matrix;
  // Small lists: one call, no bar (what callers counting embed() calls see).
  if (n < kProgressMinItems) batch = n;
  batch = std::max<std::size_t>(1, batch);
  ProgressBar bar(label, n, progress);
  std::vector<std::string> chunk;
  for (std::size_t begin = 0; begin < n; begin += batch) {
    const std::size_t end = std::min(n, begin + batch);
    chunk.assign(texts.begin() + static_cast<std::ptrdiff_t>(begin), texts.begin() + static_cast<std::ptrdiff_t>(end));
    const std::vector<std::vector<float>> embedded = embedder.embed(chunk);
    assert(embedded.size() == chunk.size());
    for (std::size_t i = 0; i < embedded.size(); ++i) {
      assert(embedded[i].size() == d);
      std::copy(embedded[i].begin(), embedded[i].end(),
                matrix.begin() + static_cast<std::ptrdiff_t>((begin + i) * d));
    }
    bar.advance(end - begin);
  }
  bar.finish();
  return matrix;
}

SearchIndex::SearchIndex(std::shared_ptr<const Embedder> embedder, std::vector<IndexItem> items,
                         std::unique_ptr<VectorIndex> vectors)
    : embedder_(std::move(embedder)), items_(std::move(items)), vectors_(std::move(vectors)) {
  assert(embedder_ && "SearchIndex: null embedder");
  const std::size_t d = embedder_->dimension();
  if (!vectors_) vectors_ = make_vector_index("", d);
  assert(vectors_ && vectors_->dimension() == d && vectors_->size() == 0);
  if (items_.empty()) return;
  const std::vector<float> matrix = embed_matrix(*embedder_, texts_of(items_));
  vectors_->add(items_.size(), matrix.data());
}

SearchIndex::SearchIndex(Prebuilt, std::shared_ptr<const Embedder> embedder, std::vector<IndexItem> items,
                         std::unique_ptr<VectorIndex> vectors)
    : embedder_(std::move(embedder)), items_(std::move(items)), vectors_(std::move(vectors)) {
  assert(embedder_ && vectors_ && vectors_->size() == items_.size());
}

std::optional<SearchIndex> SearchIndex::build(std::shared_ptr<const Embedder> embedder,
                                              std::vector<IndexItem> items, const SearchIndexOptions& options,
                                              std::string* error, SearchIndexBuildInfo* info) {
  assert(embedder && "SearchIndex::build: null embedder");
  SearchIndexBuildInfo local_info;
  SearchIndexBuildInfo& out = info ? *info : local_info;
  out = SearchIndexBuildInfo{};
  auto warn = [&](const std::string& message) {
    out.warnings.push_back(message);
    if (options.warn) {
      options.warn(message);
    } else {
      default_warn(message);
    }
  };

  const std::optional<FaissIndex::Config> config = FaissIndex::parse(options.index_spec, error);
  if (!config) return std::nullopt;
  const std::size_t d = embedder->dimension();
  const std::vector<std::string> texts = texts_of(items);

  const bool persist = !options.cache_dir.empty() && !items.empty();
  std::optional<IndexStore> store;
  if (persist) {
    store.emplace(options.cache_dir);
    out.key = index_cache_key(*embedder, texts);
    out.cache_file = store->path_for(out.key);
    IndexStore::Loaded got = store->load(out.key, embedder->name(), d, texts.size(), *config);
    if (got.status == IndexStore::Status::kLoaded || got.status == IndexStore::Status::kConverted) {
      out.loaded = true;
      const bool converted = got.status == IndexStore::Status::kConverted;
      SearchIndex index(Prebuilt{}, std::move(embedder), std::move(items), std::move(got.index));
      if (converted) {  // save the structure now asked for
        std::string save_error;
        const auto& faiss = static_cast<const FaissIndex&>(*index.vectors_);
        out.saved = store->save(out.key, index.embedder_->name(), faiss, &save_error);
        if (!out.saved) warn("could not save the vector index: " + save_error);
      }
      return index;
    }
    if (got.status == IndexStore::Status::kCorrupt) warn(got.message + "; rebuilding it");
  }

  auto vectors = std::make_unique<FaissIndex>(d, *config);
  if (!items.empty()) {
    const std::vector<float> matrix =
        embed_matrix(*embedder, texts, options.embed_batch, options.progress, options.progress_label);
    out.embedded = texts.size();
    vectors->add(texts.size(), matrix.data());
  }
  if (persist) {
    std::string save_error;
    out.saved = store->save(out.key, embedder->name(), *vectors, &save_error);
    if (!out.saved) warn("could not save the vector index: " + save_error);
  }
  return SearchIndex(Prebuilt{}, std::move(embedder), std::move(items), std::move(vectors));
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
