// retrieval/index_store.h: vector indexes saved under a cache folder, so a
// restart loads them instead of embedding every text again (the reference
// keeps `./.cache/<md5(engine+model+texts)>.ann`; we keep FAISS indexes).
// Most callers never use this directly: SearchIndex::build (search_index.h)
// with SearchIndexOptions::cache_dir set does load-or-embed-and-save.
//
//   IndexStore store(".cache/railguard");
//   const std::string key = index_cache_key(embedder, texts);
//   IndexStore::Loaded got = store.load(key, embedder.name(), embedder.dimension(),
//                                       texts.size(), config);
//   if (got.status == IndexStore::Status::kLoaded) use(std::move(got.index));
//   else { if (got.status == kCorrupt) warn(got.message); build; store.save(key, ...); }
//
// The key is the MD5 of the embedder's name, its dimension and every text in
// order (lengths included, so no two lists collide by concatenation): change
// the model or any text and the key changes. Item metadata and the index
// factory string are not in the key: metadata is not embedded, and a saved
// index of another structure (Flat vs HNSW) is converted from its stored
// vectors on load (nothing re-embedded; status kConverted).
//
// File `<dir>/<key>.rgindex`, little-endian:
//   "RGINDEX\x01"                   8 bytes, magic + format version
//   u32 header length, header       text lines: key=, embedder=, dimension=,
//                                   count=, spec= (FaissIndex::describe)
//   u64 payload length, payload     faiss::write_index bytes
//   u64 checksum                    FNV-1a 64 of every byte before it
// Writes go to a temporary file in the same folder, then rename(): readers
// see the old file or the new one, never half of one. A file that fails any
// check (magic, lengths, checksum, header fields, FAISS parse) is reported as
// kCorrupt and never crashes the reader.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "retrieval/embedder.h"
#include "retrieval/faiss_index.h"

namespace rg::retrieval {

// Relative to the working directory, like the reference's ./.cache.
inline constexpr const char* kDefaultIndexCacheDir = ".cache/railguard";

// 32 hex digits: md5 over ("railguard-index-v1", embedder.name(),
// embedder.dimension(), texts.size(), each text), every field length-prefixed.
std::string index_cache_key(const Embedder& embedder, const std::vector<std::string>& texts);
std::string index_cache_key(std::string_view embedder_name, std::size_t dimension,
                            const std::vector<std::string>& texts);

class IndexStore {
 public:
  enum class Status {
    kMissing,    // no file for the key
    kLoaded,     // loaded as saved
    kConverted,  // loaded, then rebuilt from its vectors into the asked structure
    kCorrupt,    // a file is there but unusable (message says why); rebuild and save
  };

  struct Loaded {
    Status status = Status::kMissing;
    std::unique_ptr<FaissIndex> index;  // set for kLoaded, kConverted
    std::string message;                // why, for kCorrupt
  };

  explicit IndexStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path path_for(std::string_view key) const;

  // Loads the index saved under `key` and checks it against the caller's
  // expectations (embedder name, dimension, vector count). Thread-safe.
  Loaded load(std::string_view key, std::string_view embedder_name, std::size_t dimension,
              std::size_t count, const FaissIndex::Config& config) const;

  // Saves `index` under `key` atomically (temporary file + rename), creating
  // the folder. False + *error when the folder or file cannot be written.
  bool save(std::string_view key, std::string_view embedder_name, const FaissIndex& index,
            std::string* error = nullptr) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace rg::retrieval
