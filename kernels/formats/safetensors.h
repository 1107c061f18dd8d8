// kernels/formats/safetensors.h: read (mmap) and write HuggingFace
// safetensors files.
//
// Format: 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {"k": "v"}}, then the data; offsets are relative to the
// byte after the header. Opening validates everything (header length and
// JSON, known dtype, shape, offsets inside the data, end - begin equal to the
// element count times the dtype size, no overlapping tensors); every error
// names the file and, where there is one, the tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/formats/half_float.h"

namespace rg::kernels::formats {

struct SafeTensorInfo {
  std::string name;
  std::string dtype;                // "F32", "F16", "BF16", "F64", "I64", ...
  std::vector<std::int64_t> shape;  // [] is a scalar
  std::size_t begin = 0, end = 0;   // byte range in the data section
  std::int64_t numel() const;
};

class SafetensorsFile {
 public:
  // Maps and validates `path`; nullptr + *error on any problem.
  static std::unique_ptr<SafetensorsFile> open(const std::string& path, std::string* error);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Sorted by name.
  const std::vector<SafeTensorInfo>& tensors() const { return tensors_; }
  // nullptr when absent.
  const SafeTensorInfo* find(std::string_view name) const;
  // Raw bytes of a tensor (little-endian, possibly unaligned).
  const unsigned char* data(const SafeTensorInfo& t) const { return data_ + t.begin; }

  // The tensor as fp32 (F32 copied, F16/BF16/F64 converted). False + *error
  // (naming file and tensor) when absent or of another dtype.
  bool read_f32(std::string_view name, std::vector<float>* out, std::string* error) const;

 private:
  SafetensorsFile() = default;
  std::string path_;
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  const unsigned char* data_ = nullptr;
  std::size_t data_size_ = 0;
  std::map<std::string, std::string> metadata_;
  std::vector<SafeTensorInfo> tensors_;
};

// Bytes per element of a dtype name; 0 when unknown.
std::size_t safetensors_dtype_size(std::string_view dtype);

// IEEE half / bfloat16 <-> float: kernels/formats/half_float.h.

// One tensor to write: fp32 values stored as `dtype` ("F32", "F16", "BF16").
struct SafeTensorToWrite {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;
  std::string dtype = "F32";
};

// Writes a safetensors file (tensors laid out in name order, header padded
// with spaces to a multiple of 8 like the reference writer).
bool write_safetensors(const std::string& path, const std::vector<SafeTensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata, std::string* error);

}  // namespace rg::kernels::formats
