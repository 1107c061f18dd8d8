#include "retrieval/kb_chunker.h"

#include <utility>

namespace rg::retrieval {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Characters as Python counts them: UTF-8 code points (continuation bytes skipped).
std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(s.substr(start));
      return lines;
    }
    lines.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
}

}  // namespace

std::vector<KbChunk> split_markdown_in_topic_chunks(std::string_view content,
                                                    std::size_t max_chunk_size) {
  std::vector<KbChunk> chunks;
  const std::vector<std::string_view> lines = split_lines(trim(content));
  std::size_t i = 0;

  std::string front_matter;
  if (lines[0].substr(0, 3) == "```") {
    for (i = 1; i < lines.size() && lines[i].substr(0, 3) != "```"; ++i) {
      front_matter.append(lines[i]);
      front_matter.push_back('\n');
    }
    if (i == lines.size()) return chunks;  // unclosed fence
    ++i;                                   // the closing fence
  }

  std::vector<std::string> title_parts;
  std::vector<std::string_view> body_lines;
  std::size_t chunk_size = 0;
  bool have_lines = false;  // body_lines non-empty (blank lines count)

  auto record = [&] {
    std::string body;
    for (std::size_t k = 0; k < body_lines.size(); ++k) {
      if (k) body.push_back('\n');
      body.append(body_lines[k]);
    }
    const std::string_view trimmed = trim(body);
    if (!trimmed.empty()) {
      std::string title;
      for (std::size_t k = 0; k < title_parts.size(); ++k) {
        if (k) title.append(" - ");
        title.append(title_parts[k]);
      }
      chunks.push_back(KbChunk{std::move(title), std::string(trimmed), front_matter, {}});
    }
    body_lines.clear();
    chunk_size = 0;
    have_lines = false;
  };

  for (; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (!line.empty() && line.front() == '#') {
      if (have_lines) record();
      std::size_t level = 0;
      while (!line.empty() && line.front() == '#') {
        ++level;
        line.remove_prefix(1);
      }
      if (title_parts.size() > level - 1) title_parts.resize(level - 1);
      title_parts.emplace_back(trim(line));
    } else if (trim(line).empty()) {
      body_lines.emplace_back();
      have_lines = true;
      if (chunk_size > max_chunk_size) record();
    } else {
      body_lines.push_back(line);
      have_lines = true;
      chunk_size += code_points(line);
    }
  }
  if (have_lines) record();
  return chunks;
}

namespace {

std::vector<KbChunk> chunk_all(const std::vector<KbDocument>& documents, std::size_t max_chunk_size) {
  std::vector<KbChunk> all;
  for (const KbDocument& doc : documents) {
    for (KbChunk& c : split_markdown_in_topic_chunks(doc.content, max_chunk_size)) {
      c.source = doc.path;
      all.push_back(std::move(c));
    }
  }
  return all;
}

std::vector<IndexItem> index_items(const std::vector<KbChunk>& chunks) {
  std::vector<IndexItem> items;
  items.reserve(chunks.size());
  for (const KbChunk& c : chunks) items.push_back(IndexItem{KnowledgeBase::index_text(c), {}});
  return items;
}

}  // namespace

std::string KnowledgeBase::index_text(const KbChunk& chunk) {
  std::string text = "# ";
  text.append(chunk.title);
  text.append("\n\n");
  text.append(trim(chunk.body));
  return text;
}

KnowledgeBase::KnowledgeBase(std::shared_ptr<const Embedder> embedder,
                             const std::vector<KbDocument>& documents, std::size_t max_chunk_size)
    : chunks_(chunk_all(documents, max_chunk_size)),
      index_(std::move(embedder), index_items(chunks_)) {}

std::optional<KnowledgeBase> KnowledgeBase::build(std::shared_ptr<const Embedder> embedder,
                                                  const std::vector<KbDocument>& documents,
                                                  const SearchIndexOptions& options, std::string* error,
                                                  std::size_t max_chunk_size, SearchIndexBuildInfo* info) {
  std::vector<KbChunk> chunks = chunk_all(documents, max_chunk_size);
  std::optional<SearchIndex> index =
      SearchIndex::build(std::move(embedder), index_items(chunks), options, error, info);
  if (!index) return std::nullopt;
  return KnowledgeBase(std::move(chunks), std::move(*index));
}

std::vector<SearchHit> KnowledgeBase::search_hits(std::string_view query, std::size_t k,
                                                  std::optional<float> threshold) const {
  return index_.search(query, k, threshold);
}

std::vector<KbChunk> KnowledgeBase::search(std::string_view query, std::size_t k) const {
  std::vector<KbChunk> result;
  for (const SearchHit& hit : index_.search(query, k)) result.push_back(chunks_[hit.index]);
  return result;
}

}  // namespace rg::retrieval
