// kernels/formats/gguf_writer.cc: see gguf_writer.h.
#include "kernels/formats/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace rg::kernels::formats {

namespace {

constexpr std::uint32_t kVersion = 3;
constexpr std::size_t kAlignment = 32;

std::uint64_t align_up(std::uint64_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

template <typename T>
void put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

void put_string(std::string* out, const std::string& s) {
  put<std::uint64_t>(out, s.size());
  out->append(s);
}

void put_scalar(std::string* out, GgufType t, std::int64_t i, double r) {
  switch (t) {
    case GgufType::kUint8: put<std::uint8_t>(out, static_cast<std::uint8_t>(i)); break;
    case GgufType::kInt8: put<std::int8_t>(out, static_cast<std::int8_t>(i)); break;
    case GgufType::kUint16: put<std::uint16_t>(out, static_cast<std::uint16_t>(i)); break;
    case GgufType::kInt16: put<std::int16_t>(out, static_cast<std::int16_t>(i)); break;
    case GgufType::kUint32: put<std::uint32_t>(out, static_cast<std::uint32_t>(i)); break;
    case GgufType::kInt32: put<std::int32_t>(out, static_cast<std::int32_t>(i)); break;
    case GgufType::kUint64: put<std::uint64_t>(out, static_cast<std::uint64_t>(i)); break;
    case GgufType::kInt64: put<std::int64_t>(out, i); break;
    case GgufType::kBool: put<std::uint8_t>(out, i ? 1 : 0); break;
    case GgufType::kFloat32: put<float>(out, static_cast<float>(r)); break;
    case GgufType::kFloat64: put<double>(out, r); break;
    default: throw std::logic_error("put_scalar: not a scalar type");
  }
}

// The value without its leading type tag (arrays: element type, count, items).
void put_value(std::string* out, const GgufValue& v) {
  if (v.type == GgufType::kString) {
    put_string(out, v.string);
  } else if (v.type == GgufType::kArray) {
    put<std::uint32_t>(out, static_cast<std::uint32_t>(v.array_type));
    put<std::uint64_t>(out, v.array_size());
    if (v.array_type == GgufType::kString) {
      for (const auto& s : v.strings) put_string(out, s);
    } else if (v.array_type == GgufType::kArray) {
      for (const auto& item : v.items) put_value(out, item);
    } else if (v.array_type == GgufType::kFloat32 || v.array_type == GgufType::kFloat64) {
      for (double r : v.reals) put_scalar(out, v.array_type, 0, r);
    } else {
      for (std::int64_t i : v.integers) put_scalar(out, v.array_type, i, 0);
    }
  } else {
    put_scalar(out, v.type, v.integer, v.real);
  }
}

}  // namespace

void GgufWriter::set(const std::string& key, GgufValue value) {
  for (auto& [k, v] : metadata_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  metadata_.emplace_back(key, std::move(value));
}

bool GgufWriter::add_tensor(const std::string& name, const std::vector<std::int64_t>& torch_shape,
                            std::uint32_t type, Producer produce, std::string* error) {
  const std::string where = path_ + ": tensor \"" + name + "\": ";
  for (const auto& t : tensors_) {
    if (t.name == name) {
      if (error) *error = where + "declared twice";
      return false;
    }
  }
  if (torch_shape.empty() || torch_shape.size() > 4) {
    if (error) *error = where + std::to_string(torch_shape.size()) + " dimensions (1 to 4 allowed)";
    return false;
  }
  Tensor t;
  t.name = name;
  t.ne.assign(torch_shape.rbegin(), torch_shape.rend());
  t.type = type;
  std::int64_t rows = 1;
  for (std::size_t d = 1; d < t.ne.size(); ++d) rows *= t.ne[d];
  const int block = ggml_block_size(type);
  const std::size_t row_bytes = ggml_row_bytes(type, t.ne[0]);
  if (block == 0 || row_bytes == 0 || t.ne[0] % block != 0) {
    if (error)
      *error = where + "cannot write type " + ggml_type_name(type) + " with a row length of " +
               std::to_string(t.ne[0]);
    return false;
  }
  t.bytes = row_bytes * static_cast<std::size_t>(rows);
  t.offset = data_size_;
  t.produce = std::move(produce);
  data_size_ = align_up(data_size_ + t.bytes);
  tensors_.push_back(std::move(t));
  return true;
}

std::string GgufWriter::header_bytes() const {
  std::string h;
  put<std::uint32_t>(&h, 0x46554747);  // "GGUF"
  put<std::uint32_t>(&h, kVersion);
  put<std::uint64_t>(&h, tensors_.size());
  put<std::uint64_t>(&h, metadata_.size());
  for (const auto& [key, v] : metadata_) {
    put_string(&h, key);
    put<std::uint32_t>(&h, static_cast<std::uint32_t>(v.type));
    put_value(&h, v);
  }
  for (const auto& t : tensors_) {
    put_string(&h, t.name);
    put<std::uint32_t>(&h, static_cast<std::uint32_t>(t.ne.size()));
    for (auto d : t.ne) put<std::uint64_t>(&h, static_cast<std::uint64_t>(d));
    put<std::uint32_t>(&h, t.type);
    put<std::uint64_t>(&h, t.offset);
  }
  h.resize(align_up(h.size()), '\0');
  return h;
}

std::uint64_t GgufWriter::planned_size() const { return header_bytes().size() + data_size_; }

bool GgufWriter::write(std::string* error,
                       const std::function<void(std::size_t, std::size_t, const std::string&)>& progress) {
  const std::string tmp = path_ + ".tmp";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) {
    if (error) *error = tmp + ": cannot create file: " + std::strerror(errno);
    return false;
  }
  const std::string header = header_bytes();
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  std::vector<unsigned char> buf;
  std::uint64_t written = 0;
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    const Tensor& t = tensors_[i];
    buf.assign(t.bytes, 0);
    try {
      t.produce(buf.data(), buf.size());
    } catch (const std::exception& e) {
      out.close();
      std::filesystem::remove(tmp);
      if (error) *error = path_ + ": tensor \"" + t.name + "\": " + e.what();
      return false;
    }
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
    written += buf.size();
    const std::uint64_t padded = align_up(written);
    for (; written < padded; ++written) out.put('\0');
    if (!out) break;
    if (progress) progress(i, tensors_.size(), t.name);
  }
  out.close();
  if (!out) {
    std::filesystem::remove(tmp);
    if (error) *error = tmp + ": write failed (disk full?)";
    return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path_, ec);
  if (ec) {
    if (error) *error = path_ + ": cannot rename from " + tmp + ": " + ec.message();
    return false;
  }
  return true;
}

}  // namespace rg::kernels::formats
