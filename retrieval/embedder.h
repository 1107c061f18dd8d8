// retrieval/embedder.h: text -> vector. The one interface every embedding
// engine implements: the built-in SifEmbedder (sif_embedder.h) and its
// fallback HashedNgramEmbedder (ngram_embedder.h), picked by
// make_builtin_embedder (default_embedder.h); later transformer models
// (all-MiniLM-L6-v2) and remote engines (OpenAI, NIM).
//
// Layout: embed() returns one vector per input text, each dimension() floats,
// L2-normalised (length 1), so the inner product of two of them is their
// cosine similarity.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace rg::retrieval {

// What an engine throws when it cannot embed: the message names the engine
// and the cause ("openai: POST https://...: HTTP 401: invalid key").
class EmbeddingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Embedder {
 public:
  virtual ~Embedder() = default;

  // Engine/model name, e.g. "wink-sif-100d"; part of any cache key.
  virtual std::string name() const = 0;

  // Length of every vector embed() returns.
  virtual std::size_t dimension() const = 0;

  // One unit vector per text, in input order. Must be callable from several
  // threads at once. An engine that can fail (a remote endpoint, a GPU)
  // throws EmbeddingError saying what went wrong.
  virtual std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const = 0;
};

}  // namespace rg::retrieval
