// The embedding cache (retrieval/embedding_cache.h): hits and misses, the
// stores, config errors, concurrent use. Also the progress bar
// (retrieval/progress.h), which shares nothing with it but size.
#include "retrieval/embedding_cache.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "retrieval/hashing.h"
#include "retrieval/progress.h"

namespace fs = std::filesystem;
using namespace rg::retrieval;

namespace {

class CountingEmbedder final : public Embedder {
 public:
  explicit CountingEmbedder(std::string name = "counting", std::size_t dim = 8) : name_(std::move(name)), dim_(dim) {}
  std::string name() const override { return name_; }
  std::size_t dimension() const override { return dim_; }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override {
    calls += 1;
    embedded += texts.size();
    std::vector<std::vector<float>> out;
    for (const std::string& t : texts) out.push_back(vector_of(t));
    return out;
  }
  std::vector<float> vector_of(const std::string& t) const {
    std::mt19937 rng(static_cast<unsigned>(fnv1a64(t)));
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(dim_);
    for (float& x : v) x = u(rng) / 3.0f;
    return v;
  }
  mutable std::atomic<int> calls{0};
  mutable std::atomic<std::size_t> embedded{0};

 private:
  std::string name_;
  std::size_t dim_;
};

struct TempDir {
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("rg_embedding_cache_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

}  // namespace

TEST_CASE("keys: per generator, per embedder, per text") {
  const std::string k = embedding_cache_key(CacheKeyGenerator::kMd5, "m", "hello");
  CHECK(k.size() == 32);
  CHECK(k == md5_hex(std::string("m") + '\0' + "hello"));
  CHECK(k != embedding_cache_key(CacheKeyGenerator::kMd5, "m2", "hello"));
  CHECK(k != embedding_cache_key(CacheKeyGenerator::kMd5, "m", "hello!"));
  const std::string h = embedding_cache_key(CacheKeyGenerator::kHash, "m", "hello");
  CHECK(h.size() == 16);
  CHECK(h != embedding_cache_key(CacheKeyGenerator::kHash, "m", "hellO"));
  CHECK(parse_cache_key_generator("md5") == CacheKeyGenerator::kMd5);
  CHECK(parse_cache_key_generator("hash") == CacheKeyGenerator::kHash);
  CHECK_FALSE(parse_cache_key_generator("sha1"));
}

TEST_CASE("cached embedder: only misses are embedded, in one call, results equal the inner embedder") {
  auto inner = std::make_shared<CountingEmbedder>();
  auto store = std::make_shared<InMemoryStore>();
  CachedEmbedder cached(inner, store);
  CHECK(cached.name() == "counting");
  CHECK(cached.dimension() == 8);

  auto a = cached.embed({"a", "b", "c"});
  CHECK(inner->calls == 1);
  CHECK(inner->embedded == 3);
  CHECK(cached.stats().misses == 3);
  CHECK(cached.stats().hits == 0);
  CHECK(a[1] == inner->vector_of("b"));

  auto b = cached.embed({"b", "d", "a", "d", "e"});  // d twice: embedded once
  CHECK(inner->calls == 2);
  CHECK(inner->embedded == 5);
  CHECK(cached.stats().hits == 2);
  CHECK(cached.stats().misses == 5);
  REQUIRE(b.size() == 5);
  CHECK(b[0] == a[1]);
  CHECK(b[2] == a[0]);
  CHECK(b[1] == b[3]);
  CHECK(b[4] == inner->vector_of("e"));

  auto c = cached.embed({"a", "e"});
  CHECK(inner->calls == 2);  // all hits: no call
  CHECK(cached.stats().hits == 4);
  CHECK(cached.embed({}).empty());

  // A stored vector of the wrong length is a miss.
  store->put(embedding_cache_key(CacheKeyGenerator::kMd5, "counting", "z"), {1.0f, 2.0f});
  CHECK(cached.embed({"z"})[0] == inner->vector_of("z"));
  CHECK(inner->calls == 3);

  // Another embedder name shares the store but not the entries.
  auto other = std::make_shared<CountingEmbedder>("other");
  CachedEmbedder cached_other(other, store);
  cached_other.embed({"a"});
  CHECK(other->embedded == 1);
}

TEST_CASE("in-memory store: LRU bound") {
  InMemoryStore store(2);
  store.put("a", {1});
  store.put("b", {2});
  CHECK(store.get("a"));  // a is now the most recent
  store.put("c", {3});    // evicts b
  CHECK(store.size() == 2);
  CHECK(store.get("a"));
  CHECK_FALSE(store.get("b"));
  CHECK(store.get("c")->at(0) == 3);
  store.put("c", {4});
  CHECK(store.get("c")->at(0) == 4);
  InMemoryStore unbounded(0);
  for (int i = 0; i < 1000; ++i) unbounded.put(std::to_string(i), {float(i)});
  CHECK(unbounded.size() == 1000);
}

TEST_CASE("filesystem store: JSON round trip, bit-exact, bad files are misses") {
  TempDir tmp;
  FilesystemStore store(tmp.path / "emb");
  const std::vector<float> v = {0.1f, -0.5f, 1e-8f, 3.4028235e38f, 0.0f, -0.0f, 0.333333343f};
  std::string error;
  REQUIRE(store.put_checked("k1", v, &error));
  auto back = store.get("k1");
  REQUIRE(back);
  CHECK(*back == v);
  std::ifstream in(tmp.path / "emb" / "k1");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  CHECK(text.front() == '[');
  CHECK(text.back() == ']');
  CHECK(text.find("0.1, -0.5") != std::string::npos);
  CHECK_FALSE(store.get("missing"));

  // Reference-style files (Python json.dumps) read back.
  std::ofstream(tmp.path / "emb" / "py") << "[0.25, -1.5e-05, 2]";
  CHECK(*store.get("py") == std::vector<float>{0.25f, -1.5e-05f, 2.0f});
  std::ofstream(tmp.path / "emb" / "bad") << "[0.25, oops]";
  CHECK_FALSE(store.get("bad"));
  std::ofstream(tmp.path / "emb" / "cut") << "[0.25, 0.5";
  CHECK_FALSE(store.get("cut"));
  CHECK(FilesystemStore::from_json(" [ ] ")->empty());
  CHECK_FALSE(FilesystemStore::from_json("[1,]"));
  CHECK_FALSE(FilesystemStore::from_json("[1] x"));
  CHECK_FALSE(FilesystemStore::from_json("{}"));

  // Through a CachedEmbedder: a second process (new objects) hits.
  auto inner = std::make_shared<CountingEmbedder>();
  {
    CachedEmbedder cached(inner, std::make_shared<FilesystemStore>(tmp.path / "emb"));
    cached.embed({"x", "y"});
  }
  auto inner2 = std::make_shared<CountingEmbedder>();
  CachedEmbedder cached2(inner2, std::make_shared<FilesystemStore>(tmp.path / "emb"));
  auto r = cached2.embed({"y", "x"});
  CHECK(inner2->embedded == 0);
  CHECK(r[0] == inner->vector_of("y"));
  // No temporary files left behind.
  for (const auto& entry : fs::directory_iterator(tmp.path / "emb")) {
    CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);
  }
  // An unwritable folder: put_checked reports, put is silent.
  std::ofstream(tmp.path / "file") << "x";
  FilesystemStore broken(tmp.path / "file" / "sub");
  CHECK_FALSE(broken.put_checked("k", v, &error));
  CHECK(error.find("file") != std::string::npos);
  broken.put("k", v);
}

TEST_CASE("config: defaults, stores, errors") {
  auto inner = std::make_shared<CountingEmbedder>();
  EmbeddingCacheConfig config;
  std::string error;
  CHECK(make_cached_embedder(inner, config, &error) == inner);  // disabled: unchanged

  config.enabled = true;
  config.store = "in_memory";
  auto e = make_cached_embedder(inner, config, &error);
  REQUIRE(e);
  CHECK(dynamic_cast<const CachedEmbedder*>(e.get()));
  CHECK(dynamic_cast<const CachedEmbedder&>(*e).store().name() == "in_memory");

  TempDir tmp;
  config.store = "filesystem";
  config.store_config["cache_dir"] = (tmp.path / "fs").string();
  auto store = make_embedding_store(config, &error);
  REQUIRE(store);
  CHECK(dynamic_cast<FilesystemStore&>(*store).dir() == tmp.path / "fs");
  config.store_config.clear();
  CHECK(dynamic_cast<FilesystemStore&>(*make_embedding_store(config)).dir() == fs::path(".cache/embeddings"));

  config.store = "redis";
  CHECK_FALSE(make_cached_embedder(inner, config, &error));
  CHECK(error.find("'redis' is not supported") != std::string::npos);
  config.store = "memcached";
  CHECK_FALSE(make_embedding_store(config, &error));
  CHECK(error.find("'memcached'") != std::string::npos);
  config.store = "in_memory";
  config.store_config["max_entries"] = "lots";
  CHECK_FALSE(make_embedding_store(config, &error));
  CHECK(error.find("max_entries") != std::string::npos);
  config.store_config.clear();
  config.key_generator = "sha1";
  CHECK_FALSE(make_cached_embedder(inner, config, &error));
  CHECK(error.find("'sha1'") != std::string::npos);
}

TEST_CASE("concurrent use from threads") {
  TempDir tmp;
  for (int which = 0; which < 2; ++which) {
    CAPTURE(which);
    auto inner = std::make_shared<CountingEmbedder>();
    std::shared_ptr<EmbeddingStore> store;
    if (which == 0) {
      store = std::make_shared<InMemoryStore>(50);  // small: evictions under contention
    } else {
      store = std::make_shared<FilesystemStore>(tmp.path / "threads");
    }
    CachedEmbedder cached(inner, store);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int rep = 0; rep < 40; ++rep) {
          std::vector<std::string> texts;
          for (int i = 0; i < 5; ++i) texts.push_back("text " + std::to_string((t * 7 + rep * 3 + i) % 60));
          const auto got = cached.embed(texts);
          for (std::size_t i = 0; i < texts.size(); ++i) wrong += got[i] != inner->vector_of(texts[i]);
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(wrong == 0);
    const auto s = cached.stats();
    CHECK(s.hits + s.misses > 0);
    CHECK(s.hits > 0);
    CHECK(inner->embedded == s.misses);
  }
}

TEST_CASE("progress bar: silent below the threshold, lines off a terminal, in place on one") {
  auto capture = [](auto&& body) {
    std::FILE* f = std::tmpfile();
    body(f);
    std::fflush(f);
    std::rewind(f);
    std::string s;
    char buf[4096];
    std::size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, got);
    std::fclose(f);
    return s;
  };
  // Below kProgressMinItems: nothing, whatever the mode.
  CHECK(capture([](std::FILE* f) {
          ProgressBar bar("embedding", kProgressMinItems - 1, ProgressBar::Mode::kLines, f);
          bar.advance(kProgressMinItems - 1);
        }).empty());
  // kAuto on a file (not a terminal) is kLines: start, 25/50/75%, end.
  const std::string lines = capture([](std::FILE* f) {
    ProgressBar bar("embedding", 1000, ProgressBar::Mode::kAuto, f);
    CHECK(bar.mode() == ProgressBar::Mode::kLines);
    for (int i = 0; i < 1000; i += 10) bar.advance(10);
    bar.finish();
    bar.finish();  // idempotent
  });
  CHECK(lines.find("embedding: 0/1000 (0%)") == 0);
  CHECK(lines.find("embedding: 250/1000 (25%)") != std::string::npos);
  CHECK(lines.find("embedding: 1000/1000 (100%)") != std::string::npos);
  CHECK(lines.find("items/s") != std::string::npos);
  CHECK(lines.find('\r') == std::string::npos);
  CHECK(std::count(lines.begin(), lines.end(), '\n') == 5);
  // In place: '\r' redraws, one final newline.
  const std::string in_place = capture([](std::FILE* f) {
    ProgressBar bar("kb", 300, ProgressBar::Mode::kInPlace, f);
    bar.advance(300);
  });  // the destructor finishes
  CHECK(in_place.find("\rkb [") == 0);
  CHECK(in_place.find("300/300 100%") != std::string::npos);
  CHECK(std::count(in_place.begin(), in_place.end(), '\n') == 1);
  CHECK(in_place.back() == '\n');
}
