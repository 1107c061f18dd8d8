#include "retrieval/embedding_cache.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <unordered_map>

#include "retrieval/hashing.h"
#include "retrieval/internal/atomic_file.h"

namespace rg::retrieval {

// ------------------------------------------------------------------ in memory

std::optional<std::vector<float>> InMemoryStore::get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);  // most recent first
  return it->second->second;
}

void InMemoryStore::put(const std::string& key, const std::vector<float>& vector) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = map_.find(key);
  if (it != map_.end()) {
    it->second->second = vector;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.emplace_front(key, vector);
  map_.emplace(key, lru_.begin());
  if (max_entries_ > 0 && map_.size() > max_entries_) {
    map_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

std::size_t InMemoryStore::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return map_.size();
}

// ------------------------------------------------------------------ filesystem

std::string FilesystemStore::to_json(const std::vector<float>& v) {
  std::string s = "[";
  char buf[32];
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += ", ";
    const float x = std::isfinite(v[i]) ? v[i] : 0.0f;  // JSON has no NaN/Inf
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);  // shortest round-trip form
    s.append(buf, ec == std::errc() ? end : buf);
  }
  s += "]";
  return s;
}

std::optional<std::vector<float>> FilesystemStore::from_json(std::string_view text) {
  auto skip_ws = [&](std::size_t& i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) ++i;
  };
  std::size_t i = 0;
  skip_ws(i);
  if (i >= text.size() || text[i] != '[') return std::nullopt;
  ++i;
  std::vector<float> out;
  skip_ws(i);
  if (i < text.size() && text[i] == ']') {
    ++i;
  } else {
    for (;;) {
      skip_ws(i);
      float x = 0;
      const auto [p, ec] = std::from_chars(text.data() + i, text.data() + text.size(), x);
      if (ec != std::errc()) return std::nullopt;
      out.push_back(x);
      i = static_cast<std::size_t>(p - text.data());
      skip_ws(i);
      if (i >= text.size()) return std::nullopt;
      if (text[i] == ']') {
        ++i;
        break;
      }
      if (text[i] != ',') return std::nullopt;
      ++i;
    }
  }
  skip_ws(i);
  if (i != text.size()) return std::nullopt;
  return out;
}

std::optional<std::vector<float>> FilesystemStore::get(const std::string& key) const {
  std::vector<unsigned char> bytes;
  if (!internal::read_file(dir_ / key, &bytes)) return std::nullopt;
  return from_json(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

bool FilesystemStore::put_checked(const std::string& key, const std::vector<float>& vector, std::string* error) {
  const std::string json = to_json(vector);
  return internal::write_file_atomic(dir_ / key, json.data(), json.size(), error);
}

void FilesystemStore::put(const std::string& key, const std::vector<float>& vector) {
  put_checked(key, vector, nullptr);
}

// ------------------------------------------------------------------ keys

std::optional<CacheKeyGenerator> parse_cache_key_generator(std::string_view name) {
  if (name == "md5") return CacheKeyGenerator::kMd5;
  if (name == "hash") return CacheKeyGenerator::kHash;
  return std::nullopt;
}

std::string embedding_cache_key(CacheKeyGenerator generator, std::string_view embedder_name,
                                std::string_view text) {
  if (generator == CacheKeyGenerator::kHash) {
    std::uint64_t h = fnv1a64(embedder_name);
    h = fnv1a64("\0", 1, h);
    return hex64(fnv1a64(text, h));
  }
  Md5 md5;
  md5.update(embedder_name);
  md5.update("\0", 1);
  md5.update(text);
  return md5.hex();
}

// ------------------------------------------------------------------ embedder

CachedEmbedder::CachedEmbedder(std::shared_ptr<const Embedder> inner, std::shared_ptr<EmbeddingStore> store,
                               CacheKeyGenerator generator)
    : inner_(std::move(inner)), store_(std::move(store)), generator_(generator) {
  assert(inner_ && store_ && "CachedEmbedder: null embedder or store");
}

std::vector<std::vector<float>> CachedEmbedder::embed(const std::vector<std::string>& texts) const {
  const std::string model = inner_->name();
  const std::size_t d = inner_->dimension();
  std::vector<std::vector<float>> out(texts.size());
  // Distinct missing texts, and for each the positions that want it.
  std::vector<std::string> miss_texts;
  std::vector<std::string> miss_keys;
  std::unordered_map<std::string, std::size_t> miss_index;  // key -> position in miss_texts
  std::vector<std::pair<std::size_t, std::size_t>> fill;    // (output position, miss position)
  std::uint64_t hits = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    std::string key = embedding_cache_key(generator_, model, texts[i]);
    if (const auto it = miss_index.find(key); it != miss_index.end()) {
      fill.emplace_back(i, it->second);
      continue;
    }
    std::optional<std::vector<float>> cached = store_->get(key);
    if (cached && cached->size() == d) {
      out[i] = std::move(*cached);
      ++hits;
      continue;
    }
    miss_index.emplace(key, miss_texts.size());
    fill.emplace_back(i, miss_texts.size());
    miss_texts.push_back(texts[i]);
    miss_keys.push_back(std::move(key));
  }
  hits_ += hits;
  misses_ += miss_texts.size();
  if (miss_texts.empty()) return out;

  const std::vector<std::vector<float>> fresh = inner_->embed(miss_texts);
  assert(fresh.size() == miss_texts.size());
  for (std::size_t m = 0; m < fresh.size(); ++m) store_->put(miss_keys[m], fresh[m]);
  for (const auto& [pos, m] : fill) out[pos] = fresh[m];
  return out;
}

// ------------------------------------------------------------------ config

std::shared_ptr<EmbeddingStore> make_embedding_store(const EmbeddingCacheConfig& config, std::string* error) {
  auto fail = [&](const std::string& message) -> std::shared_ptr<EmbeddingStore> {
    if (error) *error = message;
    return nullptr;
  };
  const auto option = [&](const char* name) -> std::optional<std::string> {
    const auto it = config.store_config.find(name);
    if (it == config.store_config.end()) return std::nullopt;
    return it->second;
  };
  if (config.store == "filesystem") {
    const std::optional<std::string> dir = option("cache_dir");
    return std::make_shared<FilesystemStore>(dir && !dir->empty() ? std::filesystem::path(*dir)
                                                                  : std::filesystem::path(FilesystemStore::kDefaultDir));
  }
  if (config.store == "in_memory") {
    std::size_t max_entries = InMemoryStore::kDefaultMaxEntries;
    if (const std::optional<std::string> m = option("max_entries")) {
      const auto [p, ec] = std::from_chars(m->data(), m->data() + m->size(), max_entries);
      if (ec != std::errc() || p != m->data() + m->size()) {
        return fail("embedding cache: store_config.max_entries must be a non-negative integer, got '" + *m + "'");
      }
    }
    return std::make_shared<InMemoryStore>(max_entries);
  }
  if (config.store == "redis") {
    return fail("embedding cache store 'redis' is not supported by railguard (use 'filesystem' or 'in_memory')");
  }
  return fail("unknown embedding cache store '" + config.store + "' (known: filesystem, in_memory)");
}

std::shared_ptr<const Embedder> make_cached_embedder(std::shared_ptr<const Embedder> inner,
                                                     const EmbeddingCacheConfig& config, std::string* error) {
  if (!config.enabled) return inner;
  const std::optional<CacheKeyGenerator> generator = parse_cache_key_generator(config.key_generator);
  if (!generator) {
    if (error) *error = "unknown embedding cache key_generator '" + config.key_generator + "' (known: md5, hash)";
    return nullptr;
  }
  std::shared_ptr<EmbeddingStore> store = make_embedding_store(config, error);
  if (!store) return nullptr;
  return std::make_shared<CachedEmbedder>(std::move(inner), std::move(store), *generator);
}

}  // namespace rg::retrieval
