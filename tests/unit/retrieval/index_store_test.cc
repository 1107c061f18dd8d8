// Saved vector indexes (retrieval/index_store.h) and SearchIndex::build /
// KnowledgeBase::build over them: keys, round trips that never call the
// embedder, corrupt files rebuilt with a warning, MD5 test vectors.
#include "retrieval/index_store.h"

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "retrieval/hashing.h"
#include "retrieval/kb_chunker.h"
#include "retrieval/search_index.h"

namespace fs = std::filesystem;
using namespace rg::retrieval;

namespace {

// Deterministic pseudo-random unit vectors per text; counts texts embedded.
class CountingEmbedder final : public Embedder {
 public:
  explicit CountingEmbedder(std::string name = "counting", std::size_t dim = 16) : name_(std::move(name)), dim_(dim) {}
  std::string name() const override { return name_; }
  std::size_t dimension() const override { return dim_; }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override {
    calls += 1;
    embedded += texts.size();
    std::vector<std::vector<float>> out;
    for (const std::string& t : texts) {
      std::mt19937 rng(static_cast<unsigned>(fnv1a64(t)));
      std::normal_distribution<float> g;
      std::vector<float> v(dim_);
      double n = 0;
      for (float& x : v) {
        x = g(rng);
        n += double(x) * x;
      }
      for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
      out.push_back(std::move(v));
    }
    return out;
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
    path = fs::temp_directory_path() / ("rg_index_store_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

std::vector<IndexItem> make_items(std::size_t n, const std::string& prefix = "text") {
  std::vector<IndexItem> items;
  for (std::size_t i = 0; i < n; ++i) items.push_back({prefix + " number " + std::to_string(i), "meta" + std::to_string(i)});
  return items;
}

SearchIndexOptions quiet_options(const fs::path& dir, std::vector<std::string>* warnings) {
  SearchIndexOptions o;
  o.cache_dir = dir;
  o.progress = ProgressBar::Mode::kOff;
  o.warn = [warnings](const std::string& w) { warnings->push_back(w); };
  return o;
}

}  // namespace

TEST_CASE("md5 and fnv1a64 known answers") {
  CHECK(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(md5_hex("The quick brown fox jumps over the lazy dog") == "9e107d9d372bb6826bd81d3542a419d6");
  CHECK(md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890") ==
        "57edf4a22be3c955ac49da2e2107b67a");
  // Incremental updates across block boundaries equal one update.
  std::string big(1000, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  Md5 h;
  for (std::size_t i = 0; i < big.size(); i += 37) h.update(std::string_view(big).substr(i, 37));
  CHECK(h.hex() == md5_hex(big));
  CHECK(fnv1a64("") == kFnv64Offset);
  CHECK(hex64(fnv1a64("a")) == "af63dc4c8601ec8c");
}

TEST_CASE("index keys: stable, and change with any text, the order, the model or the dimension") {
  const std::vector<std::string> texts = {"hello", "bye", "what is up"};
  const std::string key = index_cache_key("model-a", 384, texts);
  CHECK(key.size() == 32);
  CHECK(key == index_cache_key("model-a", 384, texts));
  CHECK(key != index_cache_key("model-b", 384, texts));
  CHECK(key != index_cache_key("model-a", 100, texts));
  CHECK(key != index_cache_key("model-a", 384, {"hello", "bye", "what is up!"}));
  CHECK(key != index_cache_key("model-a", 384, {"bye", "hello", "what is up"}));
  CHECK(key != index_cache_key("model-a", 384, {"hello", "bye"}));
  CHECK(index_cache_key("m", 1, {"ab", "c"}) != index_cache_key("m", 1, {"a", "bc"}));
  CountingEmbedder e("model-a", 384);
  CHECK(index_cache_key(e, texts) == key);
}

TEST_CASE("SearchIndex::build saves, and a restart loads without embedding") {
  TempDir tmp;
  std::vector<std::string> warnings;
  const auto items = make_items(300);
  auto first = std::make_shared<CountingEmbedder>();
  SearchIndexBuildInfo info;
  std::string error;
  auto a = SearchIndex::build(first, items, quiet_options(tmp.path, &warnings), &error, &info);
  REQUIRE(a);
  CHECK_FALSE(info.loaded);
  CHECK(info.saved);
  CHECK(info.embedded == 300);
  CHECK(first->embedded == 300);
  CHECK(first->calls == 5);  // batches of 64 past kProgressMinItems
  CHECK(fs::exists(info.cache_file));
  CHECK(info.cache_file.parent_path() == tmp.path);
  CHECK(info.cache_file.filename().string() == info.key + ".rgindex");
  CHECK(warnings.empty());

  // "Restart": a new embedder of the same model; the item metadata changed.
  auto second = std::make_shared<CountingEmbedder>();
  auto items2 = items;
  items2[7].meta = "new meta";
  SearchIndexBuildInfo info2;
  auto b = SearchIndex::build(second, items2, quiet_options(tmp.path, &warnings), &error, &info2);
  REQUIRE(b);
  CHECK(info2.loaded);
  CHECK_FALSE(info2.saved);
  CHECK(info2.embedded == 0);
  CHECK(second->embedded == 0);
  CHECK(b->size() == 300);
  for (const char* q : {"text number 7", "text number 123", "something else"}) {
    const auto ha = a->search(q, 5);
    const auto hb = b->search(q, 5);
    REQUIRE(ha.size() == hb.size());
    for (std::size_t i = 0; i < ha.size(); ++i) {
      CHECK(ha[i].index == hb[i].index);
      CHECK(ha[i].score == hb[i].score);
    }
  }
  CHECK(b->search("text number 7", 1).at(0).meta == "new meta");
  CHECK(warnings.empty());

  // One text changed: another key, embedded again.
  auto third = std::make_shared<CountingEmbedder>();
  auto items3 = items;
  items3[299].text += "!";
  SearchIndexBuildInfo info3;
  REQUIRE(SearchIndex::build(third, items3, quiet_options(tmp.path, &warnings), &error, &info3));
  CHECK_FALSE(info3.loaded);
  CHECK(info3.key != info.key);
  CHECK(third->embedded == 300);

  // Another model name: another key.
  auto other_model = std::make_shared<CountingEmbedder>("other-model");
  SearchIndexBuildInfo info4;
  REQUIRE(SearchIndex::build(other_model, items, quiet_options(tmp.path, &warnings), &error, &info4));
  CHECK_FALSE(info4.loaded);
  CHECK(other_model->embedded == 300);
}

TEST_CASE("a saved index of another structure is converted, not re-embedded") {
  TempDir tmp;
  std::vector<std::string> warnings;
  const auto items = make_items(120);
  auto opts = quiet_options(tmp.path, &warnings);
  opts.index_spec = "Flat";
  auto e1 = std::make_shared<CountingEmbedder>();
  REQUIRE(SearchIndex::build(e1, items, opts));
  opts.index_spec = "HNSW16";
  auto e2 = std::make_shared<CountingEmbedder>();
  SearchIndexBuildInfo info;
  auto idx = SearchIndex::build(e2, items, opts, nullptr, &info);
  REQUIRE(idx);
  CHECK(info.loaded);
  CHECK(info.saved);  // re-saved in the new structure
  CHECK(e2->embedded == 0);
  CHECK_FALSE(idx->vectors().exact());
  CHECK(idx->vectors().description() == "HNSW16");
  CHECK(idx->search("text number 42", 1).at(0).index == 42);
  // And now it loads as is.
  IndexStore store(tmp.path);
  auto loaded = store.load(info.key, "counting", 16, 120, *FaissIndex::parse("HNSW16"));
  CHECK(loaded.status == IndexStore::Status::kLoaded);
  CHECK(warnings.empty());
}

TEST_CASE("corrupt or truncated saved indexes are rebuilt with a warning") {
  TempDir tmp;
  const auto items = make_items(50);
  std::vector<std::string> warnings;
  auto e = std::make_shared<CountingEmbedder>();
  SearchIndexBuildInfo info;
  REQUIRE(SearchIndex::build(e, items, quiet_options(tmp.path, &warnings), nullptr, &info));
  const fs::path file = info.cache_file;
  std::string original;
  {
    std::ifstream in(file, std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  REQUIRE(original.size() > 100);

  auto damage = [&](const std::string& bytes) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << bytes;
  };
  std::string flipped = original;
  flipped[flipped.size() / 2] ^= 0x40;
  std::string bad_header = original;
  bad_header[12] ^= 1;  // inside the header text; checksum fixed below is not recomputed -> mismatch
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"empty", ""},
      {"garbage", std::string(4096, '\x7f')},
      {"truncated", original.substr(0, original.size() / 3)},
      {"truncated by one byte", original.substr(0, original.size() - 1)},
      {"one byte flipped", flipped},
      {"header byte flipped", bad_header},
      {"magic only", original.substr(0, 8)},
  };
  for (const auto& [name, bytes] : cases) {
    CAPTURE(name);
    damage(bytes);
    warnings.clear();
    auto fresh = std::make_shared<CountingEmbedder>();
    SearchIndexBuildInfo again;
    auto idx = SearchIndex::build(fresh, items, quiet_options(tmp.path, &warnings), nullptr, &again);
    REQUIRE(idx);
    CHECK_FALSE(again.loaded);
    CHECK(fresh->embedded == 50);
    CHECK(again.saved);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("unusable") != std::string::npos);
    CHECK(warnings[0].find("rebuilding") != std::string::npos);
    CHECK(again.warnings == warnings);
    CHECK(idx->search("text number 3", 1).at(0).index == 3);
  }
  // The rebuilt file loads cleanly.
  auto last = std::make_shared<CountingEmbedder>();
  SearchIndexBuildInfo clean;
  warnings.clear();
  REQUIRE(SearchIndex::build(last, items, quiet_options(tmp.path, &warnings), nullptr, &clean));
  CHECK(clean.loaded);
  CHECK(last->embedded == 0);
  CHECK(warnings.empty());

  // A file saved for other expectations (count) is refused by IndexStore.
  IndexStore store(tmp.path);
  auto wrong = store.load(clean.key, "counting", 16, 51, FaissIndexConfig{});
  CHECK(wrong.status == IndexStore::Status::kCorrupt);
  CHECK(wrong.message.find("holds 50 vectors") != std::string::npos);
  CHECK(store.load(std::string(32, '0'), "counting", 16, 50, FaissIndexConfig{}).status ==
        IndexStore::Status::kMissing);
}

TEST_CASE("an unwritable cache folder is a warning, the index is still built") {
  TempDir tmp;
  const fs::path blocker = tmp.path / "a-file";
  std::ofstream(blocker) << "x";
  std::vector<std::string> warnings;
  auto e = std::make_shared<CountingEmbedder>();
  SearchIndexBuildInfo info;
  auto idx = SearchIndex::build(e, make_items(10), quiet_options(blocker / "sub", &warnings), nullptr, &info);
  REQUIRE(idx);
  CHECK_FALSE(info.saved);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("could not save") != std::string::npos);
  CHECK(idx->size() == 10);
}

TEST_CASE("build: bad spec, empty items, no cache folder") {
  TempDir tmp;
  std::vector<std::string> warnings;
  auto e = std::make_shared<CountingEmbedder>();
  auto opts = quiet_options(tmp.path, &warnings);
  opts.index_spec = "IVF4096";
  std::string error;
  CHECK_FALSE(SearchIndex::build(e, make_items(3), opts, &error));
  CHECK(error.find("'IVF4096'") != std::string::npos);

  opts.index_spec = "";
  SearchIndexBuildInfo info;
  auto empty = SearchIndex::build(e, {}, opts, &error, &info);
  REQUIRE(empty);
  CHECK(empty->empty());
  CHECK_FALSE(info.saved);
  CHECK(fs::is_empty(tmp.path));

  SearchIndexOptions no_cache;
  no_cache.progress = ProgressBar::Mode::kOff;
  auto plain = SearchIndex::build(e, make_items(3), no_cache, &error, &info);
  REQUIRE(plain);
  CHECK(info.key.empty());
  CHECK_FALSE(info.saved);
  CHECK(fs::is_empty(tmp.path));
}

TEST_CASE("KnowledgeBase::build reuses the saved chunk index") {
  TempDir tmp;
  std::vector<std::string> warnings;
  const std::vector<KbDocument> docs = {{"kb/a.md", "# Passwords\n\nReset it from the settings page.\n\n# Billing\n\nInvoices are monthly."}};
  auto e1 = std::make_shared<CountingEmbedder>();
  std::string error;
  auto kb1 = KnowledgeBase::build(e1, docs, quiet_options(tmp.path, &warnings), &error);
  REQUIRE(kb1);
  CHECK(kb1->chunks().size() == 2);
  CHECK(e1->embedded == 2);
  auto e2 = std::make_shared<CountingEmbedder>();
  SearchIndexBuildInfo info;
  auto kb2 = KnowledgeBase::build(e2, docs, quiet_options(tmp.path, &warnings), &error, kDefaultMaxChunkSize, &info);
  REQUIRE(kb2);
  CHECK(info.loaded);
  CHECK(e2->embedded == 0);
  const std::string q = KnowledgeBase::index_text(kb1->chunks()[1]);
  CHECK(kb2->search(q, 1).at(0).title == "Billing");
}
