#include "retrieval/word_vectors.h"

#include "kernels/formats/half_float.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

namespace rg::retrieval {
namespace {

using kernels::formats::float_to_half;
using kernels::formats::half_to_float;

constexpr char kMagic[8] = {'R', 'G', 'W', 'V', 'E', 'C', 'S', '\0'};
constexpr std::size_t kHeaderBytes = 40;

std::uint32_t read_u32(const unsigned char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

std::uint64_t read_u64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

std::size_t pad4(std::size_t n) { return (n + 3) & ~static_cast<std::size_t>(3); }

std::uint64_t hash_word(std::string_view w) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : w) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 32;
  h *= 0x9E3779B97F4A7C15ULL;
  return h ^ (h >> 29);
}

template <typename T>
void append(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

void pad_to_4(std::string& out) {
  while (out.size() % 4 != 0) out.push_back('\0');
}

}  // namespace

bool write_word_vectors(const std::string& path, const std::vector<std::string>& words,
                        const std::vector<float>& vectors, std::size_t dims, std::uint32_t encoding,
                        std::string* error) {
  std::string out(kMagic, sizeof kMagic);
  append<std::uint32_t>(out, WordVectors::kVersion);
  append<std::uint32_t>(out, static_cast<std::uint32_t>(words.size()));
  append<std::uint32_t>(out, static_cast<std::uint32_t>(dims));
  append<std::uint32_t>(out, encoding);
  std::uint64_t blob = 0;
  for (const auto& w : words) blob += w.size() + 1;
  append<std::uint64_t>(out, blob);
  append<std::uint32_t>(out, 0);  // checksum, below
  append<std::uint32_t>(out, 0);
  for (const auto& w : words) {
    out += w;
    out.push_back('\n');
  }
  pad_to_4(out);
  const std::size_t n = words.size();
  if (encoding == WordVectors::kEncodingInt8) {
    std::vector<float> scales(n);
    for (std::size_t r = 0; r < n; ++r) {
      float max_abs = 0.0f;
      for (std::size_t k = 0; k < dims; ++k) max_abs = std::max(max_abs, std::fabs(vectors[r * dims + k]));
      scales[r] = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
      append<float>(out, scales[r]);
    }
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t k = 0; k < dims; ++k) {
        const float q = std::round(vectors[r * dims + k] / scales[r]);
        out.push_back(static_cast<char>(static_cast<std::int8_t>(std::clamp(q, -127.0f, 127.0f))));
      }
    }
  } else {
    for (std::size_t i = 0; i < n * dims; ++i) append<std::uint16_t>(out, float_to_half(vectors[i]));
  }
  pad_to_4(out);
  std::uint32_t h = 2166136261u;
  for (std::size_t off = kHeaderBytes; off < out.size(); off += 4)
    h = (h ^ read_u32(reinterpret_cast<const unsigned char*>(out.data()) + off)) * 16777619u;
  std::memcpy(out.data() + 32, &h, 4);

  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f || !f.write(out.data(), static_cast<std::streamsize>(out.size())) || !f.flush()) {
    if (error) *error = "cannot write " + path;
    return false;
  }
  return true;
}

WordVectors::~WordVectors() {
  if (map_ != nullptr) munmap(const_cast<unsigned char*>(map_), map_size_);
}

std::shared_ptr<const WordVectors> WordVectors::load(const std::string& path, std::string* error) {
  auto fail = [&](const std::string& what) -> std::shared_ptr<const WordVectors> {
    if (error) *error = "word vectors " + path + ": " + what;
    return nullptr;
  };
  if constexpr (std::endian::native != std::endian::little) {
    return fail("this build reads the little-endian format only on little-endian hosts");
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return fail(std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("not a regular file");
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size < kHeaderBytes) {
    ::close(fd);
    return fail("truncated: " + std::to_string(size) + " bytes, smaller than the 40-byte header");
  }
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);
  if (p == MAP_FAILED) return fail(std::string("mmap failed: ") + std::strerror(map_errno));

  std::shared_ptr<WordVectors> wv(new WordVectors());
  wv->path_ = path;
  wv->map_ = static_cast<const unsigned char*>(p);
  wv->map_size_ = size;
  std::string what;
  if (!wv->parse(&what)) return fail(what);
  return wv;
}

bool WordVectors::parse(std::string* what) {
  const unsigned char* m = map_;
  if (std::memcmp(m, kMagic, sizeof kMagic) != 0) {
    *what = "not a railguard word-vector file (bad magic; expected \"RGWVECS\")";
    return false;
  }
  const std::uint32_t version = read_u32(m + 8);
  if (version != kVersion) {
    *what = "unsupported format version " + std::to_string(version) + " (this build reads version " +
            std::to_string(kVersion) + "; re-run scripts/fetch_word_vectors.sh)";
    return false;
  }
  const std::uint32_t count = read_u32(m + 12);
  const std::uint32_t dims = read_u32(m + 16);
  encoding_ = read_u32(m + 20);
  const std::uint64_t words_bytes = read_u64(m + 24);
  const std::uint32_t checksum = read_u32(m + 32);
  if (count == 0 || dims == 0 || dims > 4096) {
    *what = "corrupt header: count " + std::to_string(count) + ", dims " + std::to_string(dims);
    return false;
  }
  std::size_t comp_bytes = 0;
  if (encoding_ == kEncodingInt8) {
    comp_bytes = 1;
  } else if (encoding_ == kEncodingFp16) {
    comp_bytes = 2;
  } else {
    *what = "corrupt header: unknown encoding " + std::to_string(encoding_);
    return false;
  }
  dims_ = dims;
  // Expected size, in 64-bit arithmetic (count, dims and W are bounded, so no overflow).
  if (words_bytes > map_size_) {
    *what = "corrupt header: word blob of " + std::to_string(words_bytes) + " bytes in a " +
            std::to_string(map_size_) + "-byte file";
    return false;
  }
  const std::size_t words_end = kHeaderBytes + pad4(static_cast<std::size_t>(words_bytes));
  const std::size_t scales_bytes = encoding_ == kEncodingInt8 ? 4 * static_cast<std::size_t>(count) : 0;
  const std::size_t vec_bytes = static_cast<std::size_t>(count) * dims * comp_bytes;
  const std::size_t expected = words_end + scales_bytes + pad4(vec_bytes);
  if (map_size_ != expected) {
    *what = (map_size_ < expected ? "truncated: " : "corrupt: ") + std::to_string(map_size_) +
            " bytes, the header (" + std::to_string(count) + " words x " + std::to_string(dims) +
            " dims) implies " + std::to_string(expected);
    return false;
  }
  // Checksum (catches flipped bytes; about 10 ms for the real file).
  std::uint32_t h = 2166136261u;
  for (std::size_t off = kHeaderBytes; off < map_size_; off += 4) h = (h ^ read_u32(m + off)) * 16777619u;
  if (h != checksum) {
    *what = "corrupt: checksum mismatch (the file was damaged or only partly written)";
    return false;
  }

  // Words.
  words_.reserve(count);
  const char* blob = reinterpret_cast<const char*>(m + kHeaderBytes);
  std::size_t pos = 0;
  while (pos < words_bytes) {
    const void* nl = std::memchr(blob + pos, '\n', static_cast<std::size_t>(words_bytes) - pos);
    if (nl == nullptr) {
      *what = "corrupt: the word blob does not end with a newline";
      return false;
    }
    const std::size_t end = static_cast<const char*>(nl) - blob;
    if (end == pos) {
      *what = "corrupt: empty word at rank " + std::to_string(words_.size());
      return false;
    }
    if (words_.size() == count) {
      *what = "corrupt: more than the " + std::to_string(count) + " words the header announces";
      return false;
    }
    words_.emplace_back(blob + pos, end - pos);
    pos = end + 1;
  }
  if (words_.size() != count) {
    *what = "corrupt: " + std::to_string(words_.size()) + " words, the header announces " + std::to_string(count);
    return false;
  }
  scales_ = encoding_ == kEncodingInt8 ? reinterpret_cast<const float*>(m + words_end) : nullptr;
  components_ = m + words_end + scales_bytes;

  // Hash table: power of two >= 2 x count.
  std::size_t cap = 16;
  while (cap < 2 * static_cast<std::size_t>(count)) cap <<= 1;
  slots_.assign(cap, 0);
  slot_mask_ = cap - 1;
  for (std::uint32_t r = 0; r < count; ++r) {
    std::uint64_t i = hash_word(words_[r]) & slot_mask_;
    while (slots_[i] != 0) {
      if (words_[slots_[i] - 1] == words_[r]) {
        *what = "corrupt: duplicate word \"" + std::string(words_[r]) + "\" at ranks " +
                std::to_string(slots_[i] - 1) + " and " + std::to_string(r);
        return false;
      }
      i = (i + 1) & slot_mask_;
    }
    slots_[i] = r + 1;
  }
  return true;
}

std::optional<std::uint32_t> WordVectors::find(std::string_view word) const {
  if (slots_.empty()) return std::nullopt;
  std::uint64_t i = hash_word(word) & slot_mask_;
  while (const std::uint32_t s = slots_[i]) {
    if (words_[s - 1] == word) return s - 1;
    i = (i + 1) & slot_mask_;
  }
  return std::nullopt;
}

void WordVectors::vector(std::uint32_t rank, float* out) const {
  for (std::size_t k = 0; k < dims_; ++k) out[k] = 0.0f;
  add_vector(rank, 1.0f, out);
}

void WordVectors::add_vector(std::uint32_t rank, float weight, float* out) const {
  if (encoding_ == kEncodingInt8) {
    float scale;
    std::memcpy(&scale, reinterpret_cast<const unsigned char*>(scales_) + 4 * static_cast<std::size_t>(rank), 4);
    const float s = scale * weight;
    const auto* q = reinterpret_cast<const std::int8_t*>(components_) + static_cast<std::size_t>(rank) * dims_;
    for (std::size_t k = 0; k < dims_; ++k) out[k] += s * static_cast<float>(q[k]);
  } else {
    const unsigned char* q = components_ + static_cast<std::size_t>(rank) * dims_ * 2;
    for (std::size_t k = 0; k < dims_; ++k) {
      std::uint16_t h;
      std::memcpy(&h, q + 2 * k, 2);
      out[k] += weight * half_to_float(h);
    }
  }
}

}  // namespace rg::retrieval
