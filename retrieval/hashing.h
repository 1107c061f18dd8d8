// retrieval/hashing.h: the stable hashes behind every cache key of retrieval/
// (the saved vector indexes of index_store.h, the embedding cache of
// embedding_cache.h). Both are fixed algorithms, identical on every platform
// and run, so a key computed today finds the file written yesterday.
//
//   Md5 h;                      // RFC 1321
//   h.update("hello");
//   std::string hex = h.hex();  // "5d41402abc4b2a76b9719d911017c592"
//
//   fnv1a64("hello")            // 64-bit FNV-1a: cheap, for checksums and the
//                               // embedding cache's "hash" key generator
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rg::retrieval {

// Incremental MD5 (RFC 1321). Not for security: a stable 128-bit content hash.
class Md5 {
 public:
  Md5();
  void update(const void* data, std::size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Adds the decimal length, a ':' and the bytes, so that a sequence of
  // fields hashes unambiguously ("ab","c" differs from "a","bc").
  void update_field(std::string_view s);
  // The 16-byte digest. Ends the hash: call once.
  std::array<std::uint8_t, 16> digest();
  // digest() as 32 lower-case hex digits.
  std::string hex();

 private:
  void block(const std::uint8_t* p);
  std::uint32_t a_, b_, c_, d_;
  std::uint64_t length_ = 0;  // bytes seen
  std::uint8_t buffer_[64];
  std::size_t buffered_ = 0;
};

// md5 of one string, as 32 hex digits.
std::string md5_hex(std::string_view s);

inline constexpr std::uint64_t kFnv64Offset = 14695981039346656037ull;

// 64-bit FNV-1a; pass a previous result as `seed` to continue a hash.
std::uint64_t fnv1a64(const void* data, std::size_t size, std::uint64_t seed = kFnv64Offset);
inline std::uint64_t fnv1a64(std::string_view s, std::uint64_t seed = kFnv64Offset) {
  return fnv1a64(s.data(), s.size(), seed);
}

// 16 lower-case hex digits.
std::string hex64(std::uint64_t v);

}  // namespace rg::retrieval
