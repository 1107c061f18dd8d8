// WordVectors (file format, corrupt-file errors), SifEmbedder (tokenizer,
// unit vectors, determinism, threads) and make_builtin_embedder, on small
// synthetic vector files written by the test; plus one check of meaning on
// the real file when it is present (skipped with a message otherwise).
#include "retrieval/sif_embedder.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "retrieval/default_embedder.h"
#include "retrieval/word_vectors.h"

using rg::retrieval::SifEmbedder;
using rg::retrieval::WordVectors;
using rg::retrieval::write_word_vectors;

namespace {

namespace fs = std::filesystem;

float cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return static_cast<float>(d / std::sqrt(na * nb));
}

float norm(const std::vector<float>& a) {
  double s = 0;
  for (float x : a) s += static_cast<double>(x) * x;
  return static_cast<float>(std::sqrt(s));
}

// Removed when the test binary exits.
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("rg_sif_test_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

fs::path temp_dir() {
  static TempDir dir;
  return dir.path;
}

// A small vocabulary in rank order with 8-d vectors: greetings point one way,
// weather another, function words a third; each vector also gets a shared
// offset (the "common component" real word vectors have).
const std::vector<std::string> kWords = {"the", "is", "what", "there", "do", "not", "hi", "hello",
                                         "hey", "weather", "rain", "sunny", "good", "bad", "email", "e-mail"};
constexpr std::size_t kDims = 8;

std::vector<float> synthetic_vectors() {
  std::vector<float> v(kWords.size() * kDims, 0.0f);
  auto set = [&](std::size_t r, std::size_t axis, float x) { v[r * kDims + axis] += x; };
  for (std::size_t r = 0; r < kWords.size(); ++r) {
    set(r, 7, 2.0f);                           // shared offset
    set(r, r % 3, 0.3f);                       // a little noise
  }
  for (std::size_t r : {0u, 1u, 2u, 3u, 4u, 5u}) set(r, 0, 1.5f);  // function words
  for (std::size_t r : {6u, 7u, 8u}) set(r, 1, 3.0f);              // greetings
  for (std::size_t r : {9u, 10u, 11u}) set(r, 2, 3.0f);            // weather
  set(12, 3, 3.0f);
  set(13, 3, -3.0f);
  set(14, 4, 3.0f);
  set(15, 4, 3.0f);
  return v;
}

std::string write_synthetic(const std::string& name, std::uint32_t encoding = WordVectors::kEncodingInt8) {
  const std::string path = (temp_dir() / name).string();
  std::string error;
  REQUIRE(write_word_vectors(path, kWords, synthetic_vectors(), kDims, encoding, &error));
  return path;
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string load_error(const std::string& path) {
  std::string error;
  auto wv = WordVectors::load(path, &error);
  CHECK(wv == nullptr);
  return error;
}

}  // namespace

TEST_CASE("word vectors: load, look up, dequantise (int8 and fp16)") {
  const auto expected = synthetic_vectors();
  for (std::uint32_t enc : {WordVectors::kEncodingInt8, WordVectors::kEncodingFp16}) {
    CAPTURE(enc);
    const std::string path = write_synthetic("ok_" + std::to_string(enc) + ".bin", enc);
    std::string error;
    auto wv = WordVectors::load(path, &error);
    REQUIRE_MESSAGE(wv, error);
    CHECK(wv->size() == kWords.size());
    CHECK(wv->dims() == kDims);
    CHECK(wv->encoding() == enc);
    CHECK(wv->find("hello") == 7u);
    CHECK(wv->word(7) == "hello");
    CHECK_FALSE(wv->find("Hello"));  // exact, lower-case lookups
    CHECK_FALSE(wv->find("missing"));
    CHECK_FALSE(wv->find(""));
    for (std::uint32_t r = 0; r < wv->size(); ++r) {
      std::vector<float> v(kDims);
      wv->vector(r, v.data());
      for (std::size_t k = 0; k < kDims; ++k) CHECK(v[k] == doctest::Approx(expected[r * kDims + k]).epsilon(0.02));
    }
  }
}

TEST_CASE("word vectors: clear errors for missing, truncated and corrupt files") {
  const std::string good = write_synthetic("good.bin");
  const std::string bytes = read_all(good);
  const std::string dir = temp_dir().string();

  CHECK(load_error(dir + "/does_not_exist.bin").find("does_not_exist.bin: No such file") != std::string::npos);

  write_all(dir + "/empty.bin", "");
  CHECK(load_error(dir + "/empty.bin").find("truncated") != std::string::npos);

  write_all(dir + "/trunc.bin", bytes.substr(0, bytes.size() - 8));
  const std::string trunc = load_error(dir + "/trunc.bin");
  CHECK(trunc.find(dir + "/trunc.bin") != std::string::npos);
  CHECK(trunc.find("truncated") != std::string::npos);

  write_all(dir + "/long.bin", bytes + std::string(4, '\0'));
  CHECK(load_error(dir + "/long.bin").find("corrupt") != std::string::npos);

  std::string magic = bytes;
  magic[0] = 'X';
  write_all(dir + "/magic.bin", magic);
  CHECK(load_error(dir + "/magic.bin").find("bad magic") != std::string::npos);

  std::string version = bytes;
  version[8] = 9;
  write_all(dir + "/version.bin", version);
  CHECK(load_error(dir + "/version.bin").find("unsupported format version 9") != std::string::npos);

  std::string flipped = bytes;
  flipped[bytes.size() - 20] ^= 0x10;
  write_all(dir + "/flipped.bin", flipped);
  CHECK(load_error(dir + "/flipped.bin").find("checksum") != std::string::npos);

  std::string error;
  auto words = kWords;
  words[3] = "hello";
  REQUIRE(write_word_vectors(dir + "/dup.bin", words, synthetic_vectors(), kDims));
  CHECK(load_error(dir + "/dup.bin").find("duplicate word \"hello\"") != std::string::npos);

  words = kWords;
  words[2] = "";
  REQUIRE(write_word_vectors(dir + "/emptyword.bin", words, synthetic_vectors(), kDims));
  CHECK(load_error(dir + "/emptyword.bin").find("empty word at rank 2") != std::string::npos);

  words = kWords;
  words[2] = "two\nwords";
  REQUIRE(write_word_vectors(dir + "/count.bin", words, synthetic_vectors(), kDims));
  CHECK(load_error(dir + "/count.bin").find("words") != std::string::npos);
}

TEST_CASE("sif tokenizer: GloVe-style contractions, hyphens, case") {
  using V = std::vector<std::string>;
  CHECK(SifEmbedder::tokenize("Don't stop!") == V{"do", "n't", "stop"});
  CHECK(SifEmbedder::tokenize("I can't, I won't") == V{"i", "ca", "n't", "i", "wo", "n't"});
  CHECK(SifEmbedder::tokenize("I'm what's they're we've you'll he'd") ==
        V{"i", "'m", "what", "'s", "they", "'re", "we", "'ve", "you", "'ll", "he", "'d"});
  CHECK(SifEmbedder::tokenize("O'Neill's e-mail, well-known -dash- 'quoted'") ==
        V{"o", "neill", "'s", "e-mail", "well-known", "dash", "quoted"});
  CHECK(SifEmbedder::tokenize("don\xE2\x80\x99t") == V{"do", "n't"});  // U+2019
  CHECK(SifEmbedder::tokenize("Caf\xC3\xA9 10x") == V{"caf\xC3\xA9", "10x"});
  CHECK(SifEmbedder::tokenize("?! ...").empty());
}

TEST_CASE("sif embedder: unit vectors, deterministic, meaning from the vectors") {
  std::string error;
  auto wv = WordVectors::load(write_synthetic("sif.bin"), &error);
  REQUIRE_MESSAGE(wv, error);
  SifEmbedder e(wv);
  CHECK(e.name() == "wink-sif-8d+lex256");
  CHECK(e.dimension() == kDims + 256);
  const std::vector<std::string> texts = {"hey there", "hi", "what is the weather", "", "?!", "zzzq qqqz",
                                          "HELLO!", "hello", "weathr", "not good", "e-mail", "email"};
  auto v = e.embed(texts);
  REQUIRE(v.size() == texts.size());
  for (const auto& x : v) {
    REQUIRE(x.size() == e.dimension());
    CHECK(norm(x) == doctest::Approx(1.0f).epsilon(1e-5));
  }
  CHECK(cosine(v[0], v[1]) > cosine(v[0], v[2]) + 0.3f);  // greeting vs weather
  CHECK(cosine(v[3], v[4]) == doctest::Approx(1.0f));     // no words: one fixed vector
  CHECK(cosine(v[6], v[7]) == doctest::Approx(1.0f));     // case and punctuation ignored
  CHECK(cosine(v[8], e.embed({"weather"})[0]) == doctest::Approx(1.0f));  // edit distance 1
  CHECK(cosine(v[10], v[11]) > 0.9f);                     // hyphenated form
  // Unknown words still give a unit vector, the same one each time.
  CHECK(e.embed({"zzzq qqqz"})[0] == v[5]);
  CHECK(e.embed(texts) == v);
  // Rarer words weigh more.
  CHECK(e.weight_of_rank(0) < e.weight_of_rank(10));
  CHECK(e.weight_of_rank(10) < 1.0f);
  // The removed common direction is a unit vector.
  CHECK(norm(e.common_component()) == doctest::Approx(1.0f).epsilon(1e-5));

  SifEmbedder::Options plain;
  plain.remove_common_component = false;
  plain.spell_correct = false;
  plain.hashed_oov = false;
  SifEmbedder p(wv, plain);
  auto u = p.embed({"zzzq", "", "weathr"});
  CHECK(cosine(u[0], u[1]) == doctest::Approx(1.0f));  // nothing known: the no-word vector
  CHECK(cosine(u[2], u[1]) == doctest::Approx(1.0f));
}

TEST_CASE("sif embedder: function words, negation, lexical channel") {
  auto wv = WordVectors::load(write_synthetic("parts.bin"));
  REQUIRE(wv);
  const SifEmbedder e(wv);
  // "the", "is", "what", "there", "do" are conversational function words:
  // capped at the weight of rank function_word_rank; "not" is a cue.
  CHECK(e.is_function_word(*wv->find("what")));
  CHECK_FALSE(e.is_function_word(*wv->find("weather")));
  CHECK_FALSE(e.is_function_word(*wv->find("not")));
  CHECK(e.word_weight(*wv->find("there")) <= e.weight_of_rank(e.options().function_word_rank));
  // Only function words: still a unit vector (their vectors, not the no-word one).
  auto v = e.embed({"what is there", "", "good", "not good", "rain", "rains"});
  CHECK(norm(v[0]) == doctest::Approx(1.0f).epsilon(1e-5));
  CHECK(cosine(v[0], v[1]) < 0.99f);
  CHECK(cosine(v[2], v[3]) < 0.9f);
  // "rains" lemmatises to "rain": the lexical buckets match too.
  CHECK(e.lemma("rains") == "rain");
  CHECK(cosine(v[4], v[5]) == doctest::Approx(1.0f).epsilon(1e-4));
  // The lexical channel off: dimension is the word vectors'.
  SifEmbedder::Options o;
  o.lexical_weight = 0;
  const SifEmbedder plain(wv, o);
  CHECK(plain.dimension() == kDims);
  CHECK(plain.name() == "wink-sif-8d");
}

TEST_CASE("sif embedder: the same vectors from 4 threads") {
  auto wv = WordVectors::load(write_synthetic("threads.bin"));
  REQUIRE(wv);
  const SifEmbedder e(wv);
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i)
    texts.push_back(kWords[i % kWords.size()] + " " + kWords[(i * 7) % kWords.size()] + " unknown" + std::to_string(i % 5));
  const auto expected = e.embed(texts);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep)
        if (e.embed(texts) != expected) ++mismatches[t];
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) CHECK(m == 0);
}

TEST_CASE("builtin embedder: $RAILGUARD_WORD_VECTORS wins; a corrupt file is reported and skipped") {
  const std::string path = write_synthetic("env.bin");
  const char* old = std::getenv(rg::retrieval::kWordVectorsEnv);
  const std::string saved = old ? old : "";

  ::setenv(rg::retrieval::kWordVectorsEnv, path.c_str(), 1);
  CHECK(rg::retrieval::word_vector_candidates().at(0) == path);
  std::string notice;
  auto e = rg::retrieval::make_builtin_embedder(&notice);
  REQUIRE(e);
  CHECK(e->name() == "wink-sif-8d+lex256");
  CHECK(notice == "embeddings: built-in wink-sif-8d+lex256 (" + path + ")");
  // Loaded once: a second call while the first is held shares it.
  CHECK(rg::retrieval::make_builtin_embedder() == e);

  const std::string bad = (temp_dir() / "bad.bin").string();
  write_all(bad, "RGWVECS");
  ::setenv(rg::retrieval::kWordVectorsEnv, bad.c_str(), 1);
  notice.clear();
  auto f = rg::retrieval::make_builtin_embedder(&notice);
  REQUIRE(f);
  CHECK(notice.find(bad + ": truncated") != std::string::npos);
  MESSAGE("with a corrupt $RAILGUARD_WORD_VECTORS: " << notice);

  if (old) ::setenv(rg::retrieval::kWordVectorsEnv, saved.c_str(), 1);
  else ::unsetenv(rg::retrieval::kWordVectorsEnv);
}

TEST_CASE("real word vectors: greetings are near each other") {
  std::shared_ptr<const SifEmbedder> e;
  for (const auto& path : rg::retrieval::word_vector_candidates()) {
    if (!fs::exists(path)) continue;
    std::string error;
    e = rg::retrieval::load_sif_embedder(path, &error);
    if (e) break;
  }
  if (!e) {
    MESSAGE("SKIPPED: no word-vector file found (run scripts/fetch_word_vectors.sh build/data/word_vectors.bin)");
    return;
  }
  MESSAGE("real word vectors: " << e->vectors()->path());
  CHECK(e->name() == "wink-sif-100d+lex256");
  auto v = e->embed({"hey there", "hi", "what is the weather"});
  CHECK(cosine(v[0], v[1]) > cosine(v[0], v[2]));
  // The lexical channel's lemmas: inflection and derivation, checked against
  // the vocabulary.
  CHECK(e->lemma("stocks") == "stock");
  CHECK(e->lemma("assistance") == "assist");
  CHECK(e->lemma("summarization") == "summarize");
  CHECK(e->lemma("countries") == "country");
  CHECK(e->lemma("stopped") == "stop");
  CHECK(e->lemma("e-mail") == "email");
  CHECK(e->lemma("thing") == "thing");
  // Conversational function words weigh less than content words.
  const auto& wv = *e->vectors();
  CHECK(e->word_weight(*wv.find("tell")) < 0.1f);
  CHECK(e->word_weight(*wv.find("please")) < 0.1f);
  CHECK(e->word_weight(*wv.find("weather")) > 0.5f);
  // Negation: "not good" is further from "good" than "really good" is.
  auto n = e->embed({"good", "not good", "really good"});
  CHECK(cosine(n[0], n[1]) < cosine(n[0], n[2]) - 0.1f);
}
