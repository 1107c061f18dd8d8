// retrieval/kb_chunker.h: the knowledge base of a config's kb/ folder (spec 4).
// Markdown documents are split into topic chunks, each chunk is indexed as
// "# <title>\n\n<body>", and a query returns the top chunks (3 by default).
//
//   auto kb = rg::retrieval::KnowledgeBase(embedder, {{"kb/faq.md", text}});
//   for (const KbChunk& c : kb.search("how do I reset my password")) ...
//
// With the index saved and reloaded across restarts (search_index.h):
//   SearchIndexOptions options;
//   options.cache_dir = kDefaultIndexCacheDir;
//   std::optional<KnowledgeBase> kb = KnowledgeBase::build(embedder, documents, options, &error);
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retrieval/embedder.h"
#include "retrieval/search_index.h"

namespace rg::retrieval {

struct KbChunk {
  std::string title;         // heading path, "Intro - Setup - Linux" ("" before any heading)
  std::string body;          // trimmed, never empty
  std::string front_matter;  // raw YAML of the document's leading ``` block ("" if none)
  std::string source;        // KbDocument::path (empty from split_markdown_in_topic_chunks)
};

inline constexpr std::size_t kDefaultMaxChunkSize = 400;

// Splits one markdown document into topic chunks, as the reference does:
//  * the content is trimmed and split into lines at '\n';
//  * if the first line starts with ```, the lines up to the next line that
//    starts with ``` are the front matter, copied into every chunk (an
//    unclosed fence makes the rest of the document front matter: no chunks);
//  * a line starting with '#' is a heading: it closes the current chunk, and
//    its level (number of leading '#') replaces that level and deeper in the
//    title path, whose parts are joined by " - ";
//  * a blank line closes the chunk once its non-blank lines hold more than
//    max_chunk_size characters (code points);
//  * bodies are trimmed; empty ones are dropped.
std::vector<KbChunk> split_markdown_in_topic_chunks(std::string_view content,
                                                    std::size_t max_chunk_size = kDefaultMaxChunkSize);

struct KbDocument {
  std::string path;     // for diagnostics and KbChunk::source
  std::string content;  // markdown
};

class KnowledgeBase {
 public:
  // Chunks every document (in order) and indexes the chunks. `embedder` must
  // not be null. Built once, then const and thread-safe.
  KnowledgeBase(std::shared_ptr<const Embedder> embedder, const std::vector<KbDocument>& documents,
                std::size_t max_chunk_size = kDefaultMaxChunkSize);

  // The same through SearchIndex::build: the chunk index is loaded from
  // options.cache_dir when saved there for the same embedder and chunk texts,
  // else embedded and saved. nullopt + *error only for a bad
  // options.index_spec.
  static std::optional<KnowledgeBase> build(std::shared_ptr<const Embedder> embedder,
                                            const std::vector<KbDocument>& documents,
                                            const SearchIndexOptions& options,
                                            std::string* error = nullptr,
                                            std::size_t max_chunk_size = kDefaultMaxChunkSize,
                                            SearchIndexBuildInfo* info = nullptr);

  bool empty() const { return chunks_.empty(); }
  const std::vector<KbChunk>& chunks() const { return chunks_; }
  const SearchIndex& index() const { return index_; }

  // The up to k chunks nearest to `query`, best first.
  std::vector<KbChunk> search(std::string_view query, std::size_t k = 3) const;

  // The same with scores (SearchHit::index is the position in chunks()).
  std::vector<SearchHit> search_hits(std::string_view query, std::size_t k = 3,
                                     std::optional<float> threshold = std::nullopt) const;

  // "# <title>\n\n<body>": the text a chunk is indexed under.
  static std::string index_text(const KbChunk& chunk);

 private:
  KnowledgeBase(std::vector<KbChunk> chunks, SearchIndex index)
      : chunks_(std::move(chunks)), index_(std::move(index)) {}

  std::vector<KbChunk> chunks_;
  SearchIndex index_;
};

}  // namespace rg::retrieval
