// ConfigIndexer: how one config's indexes are built (spec 4): the embedder
// of its `core` (dialog indexes) and `knowledge_base` search providers, their
// search thresholds, and where built indexes are saved so a restart does not
// embed again.
//
//   EmbedderPool pool;
//   std::string error;
//   auto indexer = ConfigIndexer::create(*config, pool, {}, &error);   // null + error: bad settings
//   auto intents = indexer->build(items, IndexPurpose::kDialog, "user messages");
//   auto kb = indexer->build_kb(documents);
//
// Saving: under IndexingOptions::cache_dir, else $RAILGUARD_INDEX_CACHE
// ("off" = never), else ./.cache/railguard (the reference's place,
// relative to the working directory). Indexes of the built-in embedder are
// saved only from 1,000 items up (re-embedding a few hundred short texts
// costs less than hashing them and reading a file); with a model or a remote
// engine always; `railguard index` (save_all) saves everything.
// Building throws retrieval::EmbeddingError when the engine fails.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rails/config/rails_config.h"
#include "rails/embeddings/embedder_pool.h"
#include "rails/embeddings/embedding_settings.h"
#include "retrieval/kb_chunker.h"
#include "retrieval/progress.h"
#include "retrieval/search_index.h"

namespace rg::rails::embeddings {

// What one build did, for `railguard index`.
struct IndexReport {
  std::string label;
  std::string embedder;
  std::size_t items = 0;
  bool loaded = false;  // from the cache
  bool saved = false;
  std::filesystem::path file;
};

struct IndexingOptions {
  std::optional<std::filesystem::path> cache_dir;  // unset: $RAILGUARD_INDEX_CACHE / default
  bool save_all = false;
  retrieval::ProgressBar::Mode progress = retrieval::ProgressBar::Mode::kAuto;
  // Where notices and warnings go; default: a line on stderr each.
  std::function<void(const std::string&)> log;
  // Told about every index built (`railguard index` prints them).
  std::function<void(const IndexReport&)> on_built;
};


class ConfigIndexer {
 public:
  static std::shared_ptr<const ConfigIndexer> create(const config::RailsConfig& config, EmbedderPool& pool,
                                                     IndexingOptions options, std::string* error);

  const std::shared_ptr<const retrieval::Embedder>& embedder(IndexPurpose p) const {
    return p == IndexPurpose::kDialog ? dialog_.embedder : kb_.embedder;
  }
  std::optional<float> search_threshold(IndexPurpose p) const {
    return p == IndexPurpose::kDialog ? dialog_settings_.search_threshold : kb_settings_.search_threshold;
  }

  // An index of `items` (never empty). `report`, when given, gets what
  // happened (on_built too).
  std::unique_ptr<retrieval::SearchIndex> build(std::vector<retrieval::IndexItem> items, IndexPurpose purpose,
                                                const std::string& label, IndexReport* report = nullptr) const;
  std::unique_ptr<retrieval::KnowledgeBase> build_kb(const std::vector<retrieval::KbDocument>& documents,
                                                     IndexReport* report = nullptr) const;

 private:
  ConfigIndexer() = default;
  retrieval::SearchIndexOptions options_for(const EmbedderChoice& choice, std::size_t items,
                                            const std::string& label) const;

  EmbeddingSettings dialog_settings_, kb_settings_;
  EmbedderChoice dialog_, kb_;
  std::filesystem::path cache_dir_;  // empty: never saved
  IndexingOptions options_;
};

}  // namespace rg::rails::embeddings
