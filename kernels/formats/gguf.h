// kernels/formats/gguf.h: read (mmap) GGUF files, the single-file model
// format of llama.cpp (versions 2 and 3). The writer is gguf_writer.h.
//
// Layout (all little-endian):
//   "GGUF" u32 version, u64 tensor_count, u64 metadata_count
//   metadata_count x (string key, u32 value type, value)
//   tensor_count x (string name, u32 n_dims, n_dims x u64 ne, u32 ggml type, u64 offset)
//   padding to `general.alignment` (default 32), then the data section;
//   each tensor's offset is relative to the data section and aligned.
// A string is a u64 byte count + bytes (no terminator); an array is a u32
// element type + u64 count + elements. Dimensions are listed innermost
// first: ne[0] is the row length (a Linear's in-features), so the PyTorch
// shape is ne reversed (torch_shape()).
//
// Opening validates the whole structure before anything is used: magic,
// version, every length against the bytes left, value types, tensor types
// whose size is known, offsets (aligned, inside the file, no overlaps).
// Errors name the file and the key or tensor. Tensor types other than F32,
// F16, BF16 and Q8_0 open fine (their metadata is readable); asking for a
// view of one is the error (view()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernels/decoder.h"

namespace rg::kernels::formats {

// Metadata value types (the u32 before each value).
enum class GgufType : std::uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};
const char* gguf_type_name(GgufType t);  // "uint32", ..., "unknown"

// ggml tensor type ids this code reads (the file may hold others).
inline constexpr std::uint32_t kGgmlF32 = 0;
inline constexpr std::uint32_t kGgmlF16 = 1;
inline constexpr std::uint32_t kGgmlQ8_0 = 8;
inline constexpr std::uint32_t kGgmlBF16 = 30;
// "F32", "Q4_K", ... or "type N" for an id this code does not know.
std::string ggml_type_name(std::uint32_t id);
// Bytes of `count` elements of a ggml type along a row (count a multiple of
// the block size); 0 when the type's size is not known here.
std::size_t ggml_row_bytes(std::uint32_t id, std::int64_t count);
// Elements per block (32 for Q8_0, 256 for the K quants, 1 for plain types);
// 0 when unknown.
int ggml_block_size(std::uint32_t id);

// One metadata value. Integers of every width (and bool) are held in
// `integer`, floats in `real`; arrays hold their elements in the vector of
// their element type (nested arrays in `items`).
struct GgufValue {
  GgufType type = GgufType::kUint32;
  GgufType array_type = GgufType::kUint32;  // when type == kArray
  std::int64_t integer = 0;
  double real = 0;
  std::string string;
  std::vector<std::int64_t> integers;      // arrays of integer / bool
  std::vector<double> reals;               // arrays of float32 / float64
  std::vector<std::string> strings;        // arrays of string
  std::vector<GgufValue> items;            // arrays of arrays
  std::size_t array_size() const;

  static GgufValue u32(std::uint32_t v);
  static GgufValue i32(std::int32_t v);
  static GgufValue u64(std::uint64_t v);
  static GgufValue f32(float v);
  static GgufValue boolean(bool v);
  static GgufValue str(std::string v);
  static GgufValue string_array(std::vector<std::string> v);
  static GgufValue f32_array(std::vector<float> v);
  static GgufValue i32_array(std::vector<std::int32_t> v);
  // A readable rendering for messages: `uint32 7`, `string "llama"`, `array<string>[32000]`.
  std::string describe() const;
};

struct GgufTensorInfo {
  std::string name;
  std::vector<std::int64_t> ne;   // innermost first (ne[0] = row length)
  std::uint32_t type = kGgmlF32;  // ggml type id
  std::uint64_t offset = 0;       // from the start of the data section
  std::size_t bytes = 0;          // 0 when the type's size is unknown
  std::int64_t numel() const;
  // ne reversed: [out, in] for a Linear weight.
  std::vector<std::int64_t> torch_shape() const;
};

class GgufFile {
 public:
  // Maps and validates `path`; nullptr + *error on any problem.
  static std::unique_ptr<GgufFile> open(const std::string& path, std::string* error);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  std::uint32_t version() const { return version_; }
  std::size_t alignment() const { return alignment_; }
  std::size_t file_size() const { return map_size_; }

  // In file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  const GgufValue* find(std::string_view key) const;
  // In file order.
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;
  const unsigned char* data(const GgufTensorInfo& t) const { return data_ + t.offset; }

  // A zero-copy view (PyTorch-order shape) of an F32/F16/BF16/Q8_0 tensor.
  // False + *error naming file, tensor and type (name and id) for any other
  // type, or when the tensor is absent.
  bool view(std::string_view name, TensorView* out, std::string* error) const;

  // Typed reads of metadata; false + *error naming file and key when the key
  // is absent or holds another type (integers of any width and sign convert
  // when the value fits; floats accept float32/float64).
  bool get_string(std::string_view key, std::string* out, std::string* error) const;
  bool get_int(std::string_view key, std::int64_t* out, std::string* error) const;
  bool get_float(std::string_view key, double* out, std::string* error) const;
  bool get_bool(std::string_view key, bool* out, std::string* error) const;

 private:
  GgufFile() = default;
  std::string path_;
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::uint32_t version_ = 0;
  std::size_t alignment_ = 32;
  const unsigned char* data_ = nullptr;
  std::size_t data_size_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  std::vector<std::size_t> tensor_order_;  // indexes of tensors_ sorted by name
};

}  // namespace rg::kernels::formats
