// kernels/formats/gguf_writer.h: write GGUF v3 files (the reader is gguf.h).
//
// Metadata is set first; tensors are declared with their shape and type and
// a function that produces their bytes. write() lays out the header and the
// tensor infos (offsets known from the declared sizes), then calls the
// producers one at a time and streams each tensor to the file: only one
// tensor's bytes are in memory at once, so converting an 8B model needs
// about one embedding matrix of memory besides the (mapped) source.
// Alignment is 32 bytes (GGUF's default, so general.alignment is not written).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "kernels/formats/gguf.h"

namespace rg::kernels::formats {

class GgufWriter {
 public:
  // Fills `out` (already sized to the tensor's byte count) with its data.
  using Producer = std::function<void(unsigned char* out, std::size_t bytes)>;

  explicit GgufWriter(std::string path) : path_(std::move(path)) {}

  // Sets (or replaces) a metadata value; written in the order first set.
  void set(const std::string& key, GgufValue value);
  // Declares a tensor. `torch_shape` is PyTorch order ([out, in]); the file
  // stores it innermost first. `type` is a ggml type id whose size is known
  // (ggml_row_bytes); the row length must be a multiple of its block.
  // False + *error when the name repeats or the shape/type do not fit.
  bool add_tensor(const std::string& name, const std::vector<std::int64_t>& torch_shape, std::uint32_t type,
                  Producer produce, std::string* error);

  // Writes the file (to `path` + ".tmp", renamed when complete, so a failed
  // conversion never leaves a file that looks finished). `progress`, when
  // set, is called after each tensor with (index, count, name).
  bool write(std::string* error,
             const std::function<void(std::size_t, std::size_t, const std::string&)>& progress = {});

  // Bytes the file will take (valid after the tensors are declared).
  std::uint64_t planned_size() const;

 private:
  struct Tensor {
    std::string name;
    std::vector<std::int64_t> ne;  // innermost first
    std::uint32_t type;
    std::size_t bytes;
    std::uint64_t offset;
    Producer produce;
  };
  std::string header_bytes() const;

  std::string path_;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<Tensor> tensors_;
  std::uint64_t data_size_ = 0;
};

}  // namespace rg::kernels::formats
