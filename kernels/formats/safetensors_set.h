// kernels/formats/safetensors_set.h: the weights of a Hugging Face model
// folder, one safetensors file or several shards.
//
// A sharded checkpoint has `model.safetensors.index.json`:
//   {"metadata": {"total_size": N}, "weight_map": {"tensor name": "shard file", ...}}
// with the shards beside it. The set opens (maps) every shard the map names,
// checks that each listed tensor is in its shard, and answers lookups by
// tensor name across them. Errors name the index or shard and the tensor.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/decoder.h"
#include "kernels/formats/safetensors.h"

namespace rg::kernels::formats {

class SafetensorsSet {
 public:
  // `dir`/model.safetensors.index.json when present, else
  // `dir`/model.safetensors; nullptr + *error when neither is there or a
  // file is malformed.
  static std::unique_ptr<SafetensorsSet> open_folder(const std::string& dir, std::string* error);
  // One safetensors file.
  static std::unique_ptr<SafetensorsSet> open_file(const std::string& path, std::string* error);
  // An index file and the shards it names (relative to the index's folder).
  static std::unique_ptr<SafetensorsSet> open_index(const std::string& index_path, std::string* error);

  struct Entry {
    const SafetensorsFile* file = nullptr;
    const SafeTensorInfo* info = nullptr;
  };
  // nullptr-filled Entry when absent.
  Entry find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name).info != nullptr; }
  // Every tensor name, sorted.
  std::vector<std::string> names() const;
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
  // The index file, or the single file: what error messages should name.
  const std::string& source() const { return source_; }
  std::size_t total_bytes() const;

  // A zero-copy view (PyTorch shape) of an F32/F16/BF16 tensor; false +
  // *error naming the file and tensor when absent or of another dtype.
  bool view(std::string_view name, TensorView* out, std::string* error) const;

 private:
  SafetensorsSet() = default;
  std::string source_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, Entry, std::less<>> by_name_;
};

}  // namespace rg::kernels::formats
