// retrieval/default_embedder.h: the embedder railguard uses when a config
// names none: the built-in SifEmbedder over the wink/GloVe word vectors when
// the vectors file is found, else the HashedNgramEmbedder fallback.
//
//   std::string notice;
//   auto embedder = rg::retrieval::make_builtin_embedder(&notice);
//   log(notice);  // "embeddings: built-in wink-sif-100d (/…/word_vectors.bin)"
//
// Where the file is looked for, first found wins:
//   1. $RAILGUARD_WORD_VECTORS (when set and not empty);
//   2. the build's default, ${CMAKE_BINARY_DIR}/data/word_vectors.bin (the
//      CMake cache variable RG_WORD_VECTORS_PATH; scripts/setup.sh writes it);
//   3. <directory of the running executable>/../data/word_vectors.bin.
// A file that exists but does not load (truncated, corrupt) is reported in
// the notice and the next place is tried.
//
// The vectors are loaded once per process: the SifEmbedder of a path is kept
// in a process-wide cache of weak references (guarded by a mutex; the
// embedder is immutable after construction), so every caller that asks while
// another still holds it gets the same object; callers keep the shared_ptr.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "retrieval/embedder.h"

namespace rg::retrieval {

class SifEmbedder;

// The environment variable that overrides the vectors file.
inline constexpr const char* kWordVectorsEnv = "RAILGUARD_WORD_VECTORS";

// The places searched, in order (see above; entries may not exist).
std::vector<std::string> word_vector_candidates();

// The built-in embedder (never null); *notice (if given) gets one line saying
// which one is in use and why.
std::shared_ptr<const Embedder> make_builtin_embedder(std::string* notice = nullptr);

// The (cached) SifEmbedder over the vectors file at `path`, or nullptr with
// *error set.
std::shared_ptr<const SifEmbedder> load_sif_embedder(const std::string& path, std::string* error = nullptr);

}  // namespace rg::retrieval
