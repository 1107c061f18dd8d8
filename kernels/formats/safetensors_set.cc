// kernels/formats/safetensors_set.cc: see safetensors_set.h.
#include "kernels/formats/safetensors_set.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace rg::kernels::formats {

namespace fs = std::filesystem;

std::unique_ptr<SafetensorsSet> SafetensorsSet::open_folder(const std::string& dir, std::string* error) {
  const fs::path index = fs::path(dir) / "model.safetensors.index.json";
  const fs::path single = fs::path(dir) / "model.safetensors";
  std::error_code ec;
  if (fs::is_regular_file(index, ec)) return open_index(index.string(), error);
  if (fs::is_regular_file(single, ec)) return open_file(single.string(), error);
  if (error)
    *error = dir + ": no model.safetensors or model.safetensors.index.json" +
             (fs::exists(fs::path(dir) / "pytorch_model.bin", ec) ? " (only pytorch_model.bin: convert it to safetensors)"
                                                                  : "");
  return nullptr;
}

std::unique_ptr<SafetensorsSet> SafetensorsSet::open_file(const std::string& path, std::string* error) {
  auto file = SafetensorsFile::open(path, error);
  if (!file) return nullptr;
  std::unique_ptr<SafetensorsSet> set(new SafetensorsSet());
  set->source_ = path;
  for (const auto& t : file->tensors()) set->by_name_[t.name] = Entry{file.get(), &t};
  set->files_.push_back(std::move(file));
  return set;
}

std::unique_ptr<SafetensorsSet> SafetensorsSet::open_index(const std::string& index_path, std::string* error) {
  auto fail = [&](const std::string& what) -> std::unique_ptr<SafetensorsSet> {
    if (error) *error = index_path + ": " + what;
    return nullptr;
  };
  nlohmann::json index;
  {
    std::ifstream in(index_path);
    if (!in) return fail("cannot open");
    try {
      index = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      return fail(std::string("not valid JSON: ") + e.what());
    }
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    return fail("no \"weight_map\" object");
  std::unique_ptr<SafetensorsSet> set(new SafetensorsSet());
  set->source_ = index_path;
  const fs::path base = fs::path(index_path).parent_path();
  std::map<std::string, SafetensorsFile*> shards;
  for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
    const std::string where = "weight_map[\"" + it.key() + "\"]: ";
    if (!it.value().is_string()) return fail(where + "is not a file name");
    const std::string shard = it.value().get<std::string>();
    // Shards sit beside the index; a path that leaves the folder is refused.
    const fs::path rel(shard);
    if (shard.empty() || rel.is_absolute() || shard.find("..") != std::string::npos)
      return fail(where + "shard \"" + shard + "\" is not a file name inside the model folder");
    auto found = shards.find(shard);
    if (found == shards.end()) {
      std::string shard_error;
      auto file = SafetensorsFile::open((base / rel).string(), &shard_error);
      if (!file) return fail(where + shard_error);
      found = shards.emplace(shard, file.get()).first;
      set->files_.push_back(std::move(file));
    }
    const SafeTensorInfo* info = found->second->find(it.key());
    if (!info)
      return fail(where + "tensor \"" + it.key() + "\" is not in " + found->second->path());
    set->by_name_[it.key()] = Entry{found->second, info};
  }
  if (set->by_name_.empty()) return fail("weight_map is empty");
  return set;
}

SafetensorsSet::Entry SafetensorsSet::find(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? Entry{} : it->second;
}

std::vector<std::string> SafetensorsSet::names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : by_name_) out.push_back(name);
  return out;
}

std::size_t SafetensorsSet::total_bytes() const {
  std::size_t n = 0;
  for (const auto& [_, e] : by_name_) n += e.info->end - e.info->begin;
  return n;
}

bool SafetensorsSet::view(std::string_view name, TensorView* out, std::string* error) const {
  const Entry e = find(name);
  if (!e.info) {
    if (error) *error = source_ + ": no tensor \"" + std::string(name) + "\"";
    return false;
  }
  if (e.info->dtype == "F32") out->dtype = DType::kF32;
  else if (e.info->dtype == "F16") out->dtype = DType::kF16;
  else if (e.info->dtype == "BF16") out->dtype = DType::kBF16;
  else {
    if (error)
      *error = e.file->path() + ": tensor \"" + e.info->name + "\" has dtype " + e.info->dtype +
               "; supported: F32, F16, BF16";
    return false;
  }
  out->shape = e.info->shape;
  out->data = e.file->data(*e.info);
  return true;
}

}  // namespace rg::kernels::formats
