// retrieval/embedding_cache.h: the embedding cache of spec 4 (config
// `core.embedding_search_provider.cache` / `knowledge_base...cache` in the
// reference: `enabled`, `key_generator`, `store`, `store_config`). A
// CachedEmbedder wraps any Embedder: each text is looked up by key, only the
// misses are embedded (in one call), and their vectors are stored.
//
//   EmbeddingCacheConfig cache;                 // from the config's `cache:` block
//   cache.enabled = true;
//   cache.store = "filesystem";                 // or "in_memory"; "redis" is refused
//   cache.store_config["cache_dir"] = "/tmp/emb";
//   std::string error;
//   std::shared_ptr<const Embedder> e = make_cached_embedder(inner, cache, &error);
//   if (!e) { /* error: "embedding cache store 'redis' is not supported ..." */ }
//
// Keys: key_generator "md5" (default) = md5 hex, "hash" = FNV-1a 64 hex, of
// the wrapped embedder's name(), a NUL byte and the text, so two models never
// share entries (the reference keys by text alone).
//
// CachedEmbedder::name() is the wrapped embedder's name: caching does not
// change the vectors, so saved indexes (index_store.h) stay valid.
// Everything here is thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "retrieval/embedder.h"

namespace rg::retrieval {

// Where cached vectors live. Implementations must be thread-safe.
class EmbeddingStore {
 public:
  virtual ~EmbeddingStore() = default;
  virtual std::string name() const = 0;  // "in_memory", "filesystem"
  virtual std::optional<std::vector<float>> get(const std::string& key) const = 0;
  virtual void put(const std::string& key, const std::vector<float>& vector) = 0;
};

// A map in memory, least recently used entries evicted past max_entries (0:
// unbounded, as the reference's dict). The default bound keeps it under about
// 160 MB of 384-d vectors.
class InMemoryStore final : public EmbeddingStore {
 public:
  static constexpr std::size_t kDefaultMaxEntries = 100000;
  explicit InMemoryStore(std::size_t max_entries = kDefaultMaxEntries) : max_entries_(max_entries) {}

  std::string name() const override { return "in_memory"; }
  std::optional<std::vector<float>> get(const std::string& key) const override;
  void put(const std::string& key, const std::vector<float>& vector) override;
  std::size_t size() const;

 private:
  using Lru = std::list<std::pair<std::string, std::vector<float>>>;  // front: most recent
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  mutable Lru lru_;
  std::unordered_map<std::string, Lru::iterator> map_;
};

// One file per key, `<dir>/<key>`, holding the vector as a JSON array of
// floats (as the reference does), e.g. "[0.0123,-0.5,...]", written to a
// temporary file and renamed. Floats are printed with 9 significant digits,
// so they read back bit-exact. A file that does not parse as an array of
// numbers is a miss (and is overwritten by the next put).
class FilesystemStore final : public EmbeddingStore {
 public:
  static constexpr const char* kDefaultDir = ".cache/embeddings";
  explicit FilesystemStore(std::filesystem::path dir = kDefaultDir) : dir_(std::move(dir)) {}

  std::string name() const override { return "filesystem"; }
  const std::filesystem::path& dir() const { return dir_; }
  std::optional<std::vector<float>> get(const std::string& key) const override;
  // Write failures are dropped (the cache is an optimisation); put_checked
  // reports them.
  void put(const std::string& key, const std::vector<float>& vector) override;
  bool put_checked(const std::string& key, const std::vector<float>& vector, std::string* error);

  // JSON array text <-> floats (exposed for tests).
  static std::string to_json(const std::vector<float>& v);
  static std::optional<std::vector<float>> from_json(std::string_view text);

 private:
  std::filesystem::path dir_;
};

enum class CacheKeyGenerator { kMd5, kHash };

// "md5" / "hash"; nullopt for anything else.
std::optional<CacheKeyGenerator> parse_cache_key_generator(std::string_view name);

// The store key of `text` for an embedder named `embedder_name`.
std::string embedding_cache_key(CacheKeyGenerator generator, std::string_view embedder_name,
                                std::string_view text);

class CachedEmbedder final : public Embedder {
 public:
  // `inner` and `store` must not be null.
  CachedEmbedder(std::shared_ptr<const Embedder> inner, std::shared_ptr<EmbeddingStore> store,
                 CacheKeyGenerator generator = CacheKeyGenerator::kMd5);

  std::string name() const override { return inner_->name(); }
  std::size_t dimension() const override { return inner_->dimension(); }
  // Looks every text up; embeds the misses (each distinct text once) in one
  // inner embed() call; stores them. A stored vector of the wrong length is
  // a miss.
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override;

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;  // texts looked up and not found (duplicates in one call count once)
  };
  Stats stats() const { return {hits_.load(), misses_.load()}; }

  const Embedder& inner() const { return *inner_; }
  const EmbeddingStore& store() const { return *store_; }

 private:
  std::shared_ptr<const Embedder> inner_;
  std::shared_ptr<EmbeddingStore> store_;
  CacheKeyGenerator generator_;
  mutable std::atomic<std::uint64_t> hits_{0};
  mutable std::atomic<std::uint64_t> misses_{0};
};

// The config's `cache` block.
struct EmbeddingCacheConfig {
  bool enabled = false;
  std::string key_generator = "md5";  // "md5" | "hash"
  std::string store = "filesystem";   // "filesystem" | "in_memory" | ("redis": refused)
  // filesystem: "cache_dir" (default FilesystemStore::kDefaultDir).
  // in_memory: "max_entries" (default InMemoryStore::kDefaultMaxEntries; 0 = unbounded).
  std::map<std::string, std::string> store_config;
};

// The store a config names; nullptr + *error for an unknown or unsupported
// store ("redis") or a bad store_config value.
std::shared_ptr<EmbeddingStore> make_embedding_store(const EmbeddingCacheConfig& config,
                                                     std::string* error = nullptr);

// `inner` itself when !config.enabled; else a CachedEmbedder over the
// configured store. nullptr + *error on a bad key_generator or store.
std::shared_ptr<const Embedder> make_cached_embedder(std::shared_ptr<const Embedder> inner,
                                                     const EmbeddingCacheConfig& config,
                                                     std::string* error = nullptr);

}  // namespace rg::retrieval
