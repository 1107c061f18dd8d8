#include "rails/embeddings/config_indexes.h"

#include <cstdlib>
#include <iostream>
#include <utility>

namespace rg::rails::embeddings {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kSaveBuiltinFrom = 1000;

void log_line(const IndexingOptions& o, const std::string& line) {
  if (o.log) o.log(line);
  else std::cerr << "railguard: " << line << "\n";
}

}  // namespace

std::shared_ptr<const ConfigIndexer> ConfigIndexer::create(const config::RailsConfig& config, EmbedderPool& pool,
                                                           IndexingOptions options, std::string* error) {
  std::shared_ptr<ConfigIndexer> ix(new ConfigIndexer());
  ix->options_ = std::move(options);
  for (IndexPurpose p : {IndexPurpose::kDialog, IndexPurpose::kKnowledgeBase}) {
    SettingsResult r = embedding_settings_for(config, p);
    if (!r.settings) {
      *error = r.error;
      return nullptr;
    }
    (p == IndexPurpose::kDialog ? ix->dialog_settings_ : ix->kb_settings_) = std::move(*r.settings);
  }
  ix->dialog_ = pool.get(ix->dialog_settings_, config.dir);
  if (!ix->dialog_.error.empty()) {
    *error = ix->dialog_.error;
    return nullptr;
  }
  ix->kb_ = pool.get(ix->kb_settings_, config.dir);
  if (!ix->kb_.error.empty()) {
    *error = ix->kb_.error;
    return nullptr;
  }

  log_line(ix->options_, ix->dialog_.notice);
  if (ix->kb_.notice != ix->dialog_.notice) log_line(ix->options_, "knowledge base " + ix->kb_.notice);

  if (ix->options_.cache_dir) {
    ix->cache_dir_ = *ix->options_.cache_dir;
  } else if (const char* env = std::getenv("RAILGUARD_INDEX_CACHE"); env && *env) {
    if (std::string(env) != "off") ix->cache_dir_ = env;
  } else {
    ix->cache_dir_ = retrieval::kDefaultIndexCacheDir;
  }
  return ix;
}

retrieval::SearchIndexOptions ConfigIndexer::options_for(const EmbedderChoice& choice, std::size_t items,
                                                         const std::string& label) const {
  retrieval::SearchIndexOptions o;
  o.index_spec = (&choice == &kb_ ? kb_settings_ : dialog_settings_).index_spec;
  if (options_.save_all || !choice.builtin || items >= kSaveBuiltinFrom) o.cache_dir = cache_dir_;
  o.progress = options_.progress;
  o.progress_label = label;
  const IndexingOptions& io = options_;
  o.warn = [io](const std::string& w) { log_line(io, "warning: " + w); };
  return o;
}

std::unique_ptr<retrieval::SearchIndex> ConfigIndexer::build(std::vector<retrieval::IndexItem> items,
                                                             IndexPurpose purpose, const std::string& label,
                                                             IndexReport* report) const {
  const EmbedderChoice& choice = purpose == IndexPurpose::kDialog ? dialog_ : kb_;
  const std::size_t n = items.size();
  retrieval::SearchIndexBuildInfo info;
  std::string error;
  auto index = retrieval::SearchIndex::build(choice.embedder, std::move(items), options_for(choice, n, label), &error,
                                             &info);
  if (!index) throw retrieval::EmbeddingError(label + " index: " + error);
  IndexReport r{label, choice.embedder->name(), n, info.loaded, info.saved, info.cache_file};
  if (options_.on_built) options_.on_built(r);
  if (report) *report = std::move(r);
  return std::make_unique<retrieval::SearchIndex>(std::move(*index));
}

std::unique_ptr<retrieval::KnowledgeBase> ConfigIndexer::build_kb(const std::vector<retrieval::KbDocument>& documents,
                                                                  IndexReport* report) const {
  retrieval::SearchIndexBuildInfo info;
  std::string error;
  // The chunk count is known only after chunking; documents stand in for the
  // save rule (a kb of any size is worth keeping with a model).
  auto kb = retrieval::KnowledgeBase::build(kb_.embedder, documents,
                                            options_for(kb_, documents.size() * 8, "knowledge base"), &error,
                                            retrieval::kDefaultMaxChunkSize, &info);
  if (!kb) throw retrieval::EmbeddingError("knowledge base index: " + error);
  IndexReport r{"knowledge base", kb_.embedder->name(), kb->chunks().size(), info.loaded, info.saved,
                info.cache_file};
  if (options_.on_built) options_.on_built(r);
  if (report) *report = std::move(r);
  return std::make_unique<retrieval::KnowledgeBase>(std::move(*kb));
}

}  // namespace rg::rails::embeddings
