#include "retrieval/default_embedder.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>

#include "retrieval/ngram_embedder.h"
#include "retrieval/sif_embedder.h"
#include "retrieval/word_vectors.h"

#ifndef RG_DEFAULT_WORD_VECTORS
#define RG_DEFAULT_WORD_VECTORS ""
#endif

namespace rg::retrieval {
namespace {

std::string executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec || exe.empty()) return {};
  return exe.parent_path().string();
}

}  // namespace

std::vector<std::string> word_vector_candidates() {
  std::vector<std::string> out;
  if (const char* env = std::getenv(kWordVectorsEnv); env != nullptr && *env != '\0') out.emplace_back(env);
  if (const std::string compiled = RG_DEFAULT_WORD_VECTORS; !compiled.empty()) out.push_back(compiled);
  if (const std::string dir = executable_dir(); !dir.empty()) {
    out.push_back((std::filesystem::path(dir) / ".." / "data" / "word_vectors.bin").lexically_normal().string());
  }
  // The same file reached two ways is looked at once.
  std::vector<std::string> unique;
  for (auto& p : out) {
    bool seen = false;
    for (const auto& u : unique) seen = seen || u == p;
    if (!seen) unique.push_back(std::move(p));
  }
  return unique;
}

std::shared_ptr<const SifEmbedder> load_sif_embedder(const std::string& path, std::string* error) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const SifEmbedder>> cache;
  std::lock_guard<std::mutex> lock(mutex);  // held while loading: one load per path
  if (auto cached = cache[path].lock()) return cached;
  auto vectors = WordVectors::load(path, error);
  if (!vectors) return nullptr;
  auto embedder = std::make_shared<const SifEmbedder>(std::move(vectors));
  cache[path] = embedder;
  return embedder;
}

std::shared_ptr<const Embedder> make_builtin_embedder(std::string* notice) {
  const std::vector<std::string> candidates = word_vector_candidates();
  std::string problems;
  for (const std::string& path : candidates) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) continue;
    std::string error;
    if (auto sif = load_sif_embedder(path, &error)) {
      if (notice) {
        *notice = "embeddings: built-in " + sif->name() + " (" + path + ")";
        if (!problems.empty()) *notice += "; skipped: " + problems;
      }
      return sif;
    }
    if (!problems.empty()) problems += "; ";
    problems += error;
  }
  auto fallback = std::make_shared<const HashedNgramEmbedder>();
  if (notice) {
    std::string looked;
    for (const auto& p : candidates) looked += (looked.empty() ? "" : ", ") + p;
    if (problems.empty()) {
      *notice = "embeddings: word vectors not found (looked in " + looked + "); using " + fallback->name() +
                " (hashed character n-grams, word overlap only) - run scripts/setup.sh";
    } else {
      *notice = "embeddings: " + problems + "; using " + fallback->name() +
                " (hashed character n-grams, word overlap only) - re-run scripts/fetch_word_vectors.sh";
    }
  }
  return fallback;
}

}  // namespace rg::retrieval
