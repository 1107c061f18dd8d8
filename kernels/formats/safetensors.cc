// kernels/formats/safetensors.cc: see safetensors.h.
#include "kernels/formats/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "kernels/formats/mapped_file.h"

namespace rg::kernels::formats {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; big-endian hosts are not supported");

namespace {

using json = nlohmann::json;
constexpr std::uint64_t kMaxHeader = 100ull << 20;  // as the reference reader

struct Fail : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

std::int64_t SafeTensorInfo::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::size_t safetensors_dtype_size(std::string_view d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
  return 0;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path, std::string* error) {
  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = path;
  try {
    if (std::string e = internal::map_read_only(
            path, 8, "no 8-byte header length", &f->map_, &f->map_size_);
        !e.empty())
      throw Fail(e);
    const std::size_t size = f->map_size_;
    const auto* bytes = static_cast<const unsigned char*>(f->map_);
    std::uint64_t n = 0;
    std::memcpy(&n, bytes, 8);
    if (n > kMaxHeader) throw Fail("header length " + std::to_string(n) + " is implausible (> 100 MB)");
    if (n > size - 8)
      throw Fail("truncated file: header length " + std::to_string(n) + " but only " +
                 std::to_string(size - 8) + " bytes follow");
    f->data_ = bytes + 8 + n;
    f->data_size_ = size - 8 - static_cast<std::size_t>(n);
    json h;
    try {
      h = json::parse(bytes + 8, bytes + 8 + n);
    } catch (const json::parse_error& e) {
      throw Fail(std::string("header is not valid JSON: ") + e.what());
    }
    if (!h.is_object()) throw Fail("header is not a JSON object");
    for (auto it = h.begin(); it != h.end(); ++it) {
      const std::string& name = it.key();
      const json& v = it.value();
      if (name == "__metadata__") {
        if (!v.is_object()) throw Fail("__metadata__ is not an object");
        for (auto m2 = v.begin(); m2 != v.end(); ++m2) {
          if (!m2.value().is_string()) throw Fail("__metadata__ value \"" + m2.key() + "\" is not a string");
          f->metadata_[m2.key()] = m2.value().get<std::string>();
        }
        continue;
      }
      const std::string where = "tensor \"" + name + "\": ";
      if (!v.is_object()) throw Fail(where + "entry is not an object");
      SafeTensorInfo t;
      t.name = name;
      if (!v.contains("dtype") || !v["dtype"].is_string()) throw Fail(where + "no dtype");
      t.dtype = v["dtype"].get<std::string>();
      const std::size_t esize = safetensors_dtype_size(t.dtype);
      if (esize == 0) throw Fail(where + "unknown dtype \"" + t.dtype + "\"");
      if (!v.contains("shape") || !v["shape"].is_array()) throw Fail(where + "no shape");
      std::int64_t numel = 1;
      for (const auto& d : v["shape"]) {
        if (!d.is_number_integer() || d.get<std::int64_t>() < 0)
          throw Fail(where + "shape " + v["shape"].dump() + " is not a list of non-negative integers");
        const std::int64_t dim = d.get<std::int64_t>();
        if (dim != 0 && numel > std::numeric_limits<std::int64_t>::max() / 16 / dim)
          throw Fail(where + "shape " + v["shape"].dump() + " is too large");
        numel *= dim;
        t.shape.push_back(dim);
      }
      if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2 ||
          !v["data_offsets"][0].is_number_unsigned() || !v["data_offsets"][1].is_number_unsigned())
        throw Fail(where + "data_offsets is not [begin, end]");
      const std::uint64_t b = v["data_offsets"][0].get<std::uint64_t>();
      const std::uint64_t e = v["data_offsets"][1].get<std::uint64_t>();
      if (b > e) throw Fail(where + "data_offsets [" + std::to_string(b) + ", " + std::to_string(e) + "] are reversed");
      if (e > f->data_size_)
        throw Fail(where + "data_offsets end " + std::to_string(e) + " is past the data (" +
                   std::to_string(f->data_size_) + " bytes; truncated file?)");
      if (e - b != static_cast<std::uint64_t>(numel) * esize)
        throw Fail(where + "shape " + v["shape"].dump() + " x " + t.dtype + " needs " +
                   std::to_string(static_cast<std::uint64_t>(numel) * esize) + " bytes, data_offsets give " +
                   std::to_string(e - b));
      t.begin = static_cast<std::size_t>(b);
      t.end = static_cast<std::size_t>(e);
      f->tensors_.push_back(std::move(t));
    }
    std::vector<const SafeTensorInfo*> by_offset;
    for (const auto& t : f->tensors_) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(), [](const SafeTensorInfo* a, const SafeTensorInfo* b) {
      return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    for (std::size_t i = 1; i < by_offset.size(); ++i) {
      if (by_offset[i]->begin < by_offset[i - 1]->end)
        throw Fail("tensors \"" + by_offset[i - 1]->name + "\" and \"" + by_offset[i]->name + "\" overlap");
    }
    std::sort(f->tensors_.begin(), f->tensors_.end(),
              [](const SafeTensorInfo& a, const SafeTensorInfo& b) { return a.name < b.name; });
  } catch (const Fail& e) {
    if (error) *error = path + ": " + e.what();
    return nullptr;
  } catch (const json::exception& e) {
    if (error) *error = path + ": malformed header: " + e.what();
    return nullptr;
  }
  return f;
}

SafetensorsFile::~SafetensorsFile() {
  internal::unmap(map_, map_size_);
}

const SafeTensorInfo* SafetensorsFile::find(std::string_view name) const {
  const auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                                   [](const SafeTensorInfo& t, std::string_view n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

bool SafetensorsFile::read_f32(std::string_view name, std::vector<float>* out, std::string* error) const {
  const SafeTensorInfo* t = find(name);
  if (!t) {
    if (error) *error = path_ + ": no tensor \"" + std::string(name) + "\"";
    return false;
  }
  const std::size_t n = static_cast<std::size_t>(t->numel());
  const unsigned char* p = data(*t);
  out->resize(n);
  if (t->dtype == "F32") {
    if (n) std::memcpy(out->data(), p, n * 4);
  } else if (t->dtype == "F16" || t->dtype == "BF16") {
    const bool bf = t->dtype == "BF16";
    for (std::size_t i = 0; i < n; ++i) {
      std::uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      (*out)[i] = bf ? bf16_to_float(h) : half_to_float(h);
    }
  } else if (t->dtype == "F64") {
    for (std::size_t i = 0; i < n; ++i) {
      double d;
      std::memcpy(&d, p + 8 * i, 8);
      (*out)[i] = static_cast<float>(d);
    }
  } else {
    if (error)
      *error = path_ + ": tensor \"" + t->name + "\" has dtype " + t->dtype +
               ", not a floating-point type (F32, F16, BF16, F64)";
    out->clear();
    return false;
  }
  return true;
}

bool write_safetensors(const std::string& path, const std::vector<SafeTensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata, std::string* error) {
  std::vector<const SafeTensorToWrite*> order;
  for (const auto& t : tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->name < b->name; });
  json h = json::object();
  if (!metadata.empty()) h["__metadata__"] = metadata;
  std::string data;
  for (const auto* t : order) {
    std::int64_t numel = 1;
    for (auto d : t->shape) numel *= d;
    if (numel != static_cast<std::int64_t>(t->values.size())) {
      if (error) *error = path + ": tensor \"" + t->name + "\": shape does not match its values";
      return false;
    }
    const std::size_t begin = data.size();
    if (t->dtype == "F32") {
      data.append(reinterpret_cast<const char*>(t->values.data()), t->values.size() * 4);
    } else if (t->dtype == "F16" || t->dtype == "BF16") {
      for (float v : t->values) {
        const std::uint16_t u = t->dtype == "F16" ? float_to_half(v) : float_to_bf16(v);
        data.append(reinterpret_cast<const char*>(&u), 2);
      }
    } else {
      if (error) *error = path + ": tensor \"" + t->name + "\": cannot write dtype " + t->dtype;
      return false;
    }
    h[t->name] = {{"dtype", t->dtype}, {"shape", t->shape}, {"data_offsets", {begin, data.size()}}};
  }
  std::string header = h.dump();
  while (header.size() % 8) header.push_back(' ');
  const std::uint64_t n = header.size();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    if (error) *error = path + ": cannot create file";
    return false;
  }
  out.write(reinterpret_cast<const char*>(&n), 8);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) {
    if (error) *error = path + ": write failed";
    return false;
  }
  return true;
}

}  // namespace rg::kernels::formats
