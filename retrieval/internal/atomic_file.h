// retrieval/internal/atomic_file.h: not for use outside retrieval/.
// Whole-file reads and atomic whole-file writes for the caches
// (index_store.cc, embedding_cache.cc).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace rg::retrieval::internal {

// Writes `size` bytes to `path` through a temporary file in the same folder
// (<path>.tmp.<pid>.<n>), flushed and fsync'ed, then renamed over `path`, so
// a reader sees the old file or the new one. Creates missing folders. False +
// *error (with the path) on failure; the temporary file is removed.
bool write_file_atomic(const std::filesystem::path& path, const void* data, std::size_t size,
                       std::string* error = nullptr);

// Reads the whole file. False when it cannot be opened or read.
bool read_file(const std::filesystem::path& path, std::vector<unsigned char>* out);

}  // namespace rg::retrieval::internal
