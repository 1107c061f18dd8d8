// kernels/formats/gguf.cc: see gguf.h.
#include "kernels/formats/gguf.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "kernels/formats/mapped_file.h"

namespace rg::kernels::formats {

static_assert(std::endian::native == std::endian::little,
              "GGUF data is little-endian; big-endian hosts are not supported");

namespace {

constexpr std::uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr std::uint64_t kMaxStringBytes = 1ull << 30;
constexpr std::uint32_t kMaxDims = 4;  // GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 8;      // nested arrays: bound the recursion

struct Fail : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Bounds-checked little-endian reads from the mapping; `what` names the item
// being read so a truncation says where it happened.
class Cursor {
 public:
  Cursor(const unsigned char* p, std::size_t size) : p_(p), size_(size) {}
  std::size_t pos() const { return pos_; }
  std::size_t left() const { return size_ - pos_; }
  template <typename T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string(const std::string& what) {
    const auto n = read<std::uint64_t>(what + " (string length)");
    if (n > kMaxStringBytes) throw Fail(what + ": string length " + std::to_string(n) + " is implausible");
    need(static_cast<std::size_t>(n), what);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }

 private:
  void need(std::size_t n, const std::string& what) const {
    if (n > left())
      throw Fail("truncated file: " + what + " needs " + std::to_string(n) + " bytes at offset " +
                 std::to_string(pos_) + ", " + std::to_string(left()) + " left");
  }
  const unsigned char* p_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// Bytes one element of a scalar type takes (strings and arrays: 0, variable).
std::size_t scalar_size(GgufType t) {
  switch (t) {
    case GgufType::kUint8: case GgufType::kInt8: case GgufType::kBool: return 1;
    case GgufType::kUint16: case GgufType::kInt16: return 2;
    case GgufType::kUint32: case GgufType::kInt32: case GgufType::kFloat32: return 4;
    case GgufType::kUint64: case GgufType::kInt64: case GgufType::kFloat64: return 8;
    default: return 0;
  }
}

bool is_integer(GgufType t) {
  return t == GgufType::kUint8 || t == GgufType::kInt8 || t == GgufType::kUint16 || t == GgufType::kInt16 ||
         t == GgufType::kUint32 || t == GgufType::kInt32 || t == GgufType::kUint64 || t == GgufType::kInt64 ||
         t == GgufType::kBool;
}

GgufType checked_type(std::uint32_t raw, const std::string& what) {
  if (raw > static_cast<std::uint32_t>(GgufType::kFloat64))
    throw Fail(what + ": unknown value type " + std::to_string(raw));
  return static_cast<GgufType>(raw);
}

// One scalar of type t (not string/array) into v.integer / v.real.
void read_scalar(Cursor& c, GgufType t, GgufValue* v, const std::string& what) {
  switch (t) {
    case GgufType::kUint8: v->integer = c.read<std::uint8_t>(what); break;
    case GgufType::kInt8: v->integer = c.read<std::int8_t>(what); break;
    case GgufType::kUint16: v->integer = c.read<std::uint16_t>(what); break;
    case GgufType::kInt16: v->integer = c.read<std::int16_t>(what); break;
    case GgufType::kUint32: v->integer = c.read<std::uint32_t>(what); break;
    case GgufType::kInt32: v->integer = c.read<std::int32_t>(what); break;
    case GgufType::kUint64: v->integer = static_cast<std::int64_t>(c.read<std::uint64_t>(what)); break;
    case GgufType::kInt64: v->integer = c.read<std::int64_t>(what); break;
    case GgufType::kFloat32: v->real = c.read<float>(what); break;
    case GgufType::kFloat64: v->real = c.read<double>(what); break;
    case GgufType::kBool: {
      const auto b = c.read<std::uint8_t>(what);
      if (b > 1) throw Fail(what + ": bool value " + std::to_string(b) + " is neither 0 nor 1");
      v->integer = b;
      break;
    }
    default: throw Fail(what + ": not a scalar type");
  }
}

GgufValue read_value(Cursor& c, GgufType t, const std::string& what, int depth) {
  GgufValue v;
  v.type = t;
  if (t == GgufType::kString) {
    v.string = c.read_string(what);
  } else if (t == GgufType::kArray) {
    if (depth >= kMaxArrayDepth) throw Fail(what + ": arrays nested deeper than " + std::to_string(kMaxArrayDepth));
    v.array_type = checked_type(c.read<std::uint32_t>(what + " (array type)"), what);
    const auto n = c.read<std::uint64_t>(what + " (array length)");
    // Every element takes at least one byte (a string at least 8), so a count
    // larger than the bytes left is a corrupt length, not a huge array.
    const std::size_t min_elem = v.array_type == GgufType::kString || v.array_type == GgufType::kArray
                                     ? 8 : scalar_size(v.array_type);
    if (n > c.left() / min_elem)
      throw Fail(what + ": array of " + std::to_string(n) + " " + gguf_type_name(v.array_type) +
                 " does not fit in the " + std::to_string(c.left()) + " bytes left (truncated file?)");
    const std::size_t count = static_cast<std::size_t>(n);
    if (v.array_type == GgufType::kString) {
      v.strings.reserve(count);
      for (std::size_t i = 0; i < count; ++i) v.strings.push_back(c.read_string(what + "[" + std::to_string(i) + "]"));
    } else if (v.array_type == GgufType::kArray) {
      // Each element is itself an array: element type, count, elements.
      for (std::size_t i = 0; i < count; ++i)
        v.items.push_back(read_value(c, GgufType::kArray, what + "[" + std::to_string(i) + "]", depth + 1));
    } else if (is_integer(v.array_type)) {
      v.integers.resize(count);
      GgufValue e;
      for (std::size_t i = 0; i < count; ++i) {
        read_scalar(c, v.array_type, &e, what);
        v.integers[i] = e.integer;
      }
    } else {
      v.reals.resize(count);
      GgufValue e;
      for (std::size_t i = 0; i < count; ++i) {
        read_scalar(c, v.array_type, &e, what);
        v.reals[i] = e.real;
      }
    }
  } else {
    read_scalar(c, t, &v, what);
  }
  return v;
}

}  // namespace

const char* gguf_type_name(GgufType t) {
  switch (t) {
    case GgufType::kUint8: return "uint8";
    case GgufType::kInt8: return "int8";
    case GgufType::kUint16: return "uint16";
    case GgufType::kInt16: return "int16";
    case GgufType::kUint32: return "uint32";
    case GgufType::kInt32: return "int32";
    case GgufType::kFloat32: return "float32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kUint64: return "uint64";
    case GgufType::kInt64: return "int64";
    case GgufType::kFloat64: return "float64";
  }
  return "unknown";
}

// ggml's type table, as far as this code needs it: name, elements per block,
// bytes per block (0 = size not known here). Ids 4 and 5 were removed from
// ggml and are never written.
namespace {
struct GgmlTypeInfo {
  std::uint32_t id;
  const char* name;
  int block;
  int block_bytes;
};
constexpr GgmlTypeInfo kGgmlTypes[] = {
    {0, "F32", 1, 4},       {1, "F16", 1, 2},       {2, "Q4_0", 32, 18},    {3, "Q4_1", 32, 20},
    {6, "Q5_0", 32, 22},    {7, "Q5_1", 32, 24},    {8, "Q8_0", 32, 34},    {9, "Q8_1", 32, 36},
    {10, "Q2_K", 256, 84},  {11, "Q3_K", 256, 110}, {12, "Q4_K", 256, 144}, {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210}, {15, "Q8_K", 256, 292}, {16, "IQ2_XXS", 256, 66}, {17, "IQ2_XS", 256, 74},
    {18, "IQ3_XXS", 256, 98}, {19, "IQ1_S", 256, 50}, {20, "IQ4_NL", 32, 18}, {21, "IQ3_S", 256, 110},
    {22, "IQ2_S", 256, 82}, {23, "IQ4_XS", 256, 136}, {24, "I8", 1, 1},     {25, "I16", 1, 2},
    {26, "I32", 1, 4},      {27, "I64", 1, 8},      {28, "F64", 1, 8},      {29, "IQ1_M", 256, 56},
    {30, "BF16", 1, 2},
};
const GgmlTypeInfo* ggml_info(std::uint32_t id) {
  for (const auto& t : kGgmlTypes)
    if (t.id == id) return &t;
  return nullptr;
}
}  // namespace

std::string ggml_type_name(std::uint32_t id) {
  const GgmlTypeInfo* t = ggml_info(id);
  return t ? t->name : "type " + std::to_string(id);
}

int ggml_block_size(std::uint32_t id) {
  const GgmlTypeInfo* t = ggml_info(id);
  return t ? t->block : 0;
}

std::size_t ggml_row_bytes(std::uint32_t id, std::int64_t count) {
  const GgmlTypeInfo* t = ggml_info(id);
  if (!t || t->block_bytes == 0) return 0;
  return static_cast<std::size_t>(count / t->block) * static_cast<std::size_t>(t->block_bytes);
}

std::size_t GgufValue::array_size() const {
  if (type != GgufType::kArray) return 0;
  if (array_type == GgufType::kString) return strings.size();
  if (array_type == GgufType::kArray) return items.size();
  return is_integer(array_type) ? integers.size() : reals.size();
}

GgufValue GgufValue::u32(std::uint32_t v) { GgufValue x; x.type = GgufType::kUint32; x.integer = v; return x; }
GgufValue GgufValue::i32(std::int32_t v) { GgufValue x; x.type = GgufType::kInt32; x.integer = v; return x; }
GgufValue GgufValue::u64(std::uint64_t v) {
  GgufValue x; x.type = GgufType::kUint64; x.integer = static_cast<std::int64_t>(v); return x;
}
GgufValue GgufValue::f32(float v) { GgufValue x; x.type = GgufType::kFloat32; x.real = v; return x; }
GgufValue GgufValue::boolean(bool v) { GgufValue x; x.type = GgufType::kBool; x.integer = v; return x; }
GgufValue GgufValue::str(std::string v) { GgufValue x; x.type = GgufType::kString; x.string = std::move(v); return x; }
GgufValue GgufValue::string_array(std::vector<std::string> v) {
  GgufValue x; x.type = GgufType::kArray; x.array_type = GgufType::kString; x.strings = std::move(v); return x;
}
GgufValue GgufValue::f32_array(std::vector<float> v) {
  GgufValue x; x.type = GgufType::kArray; x.array_type = GgufType::kFloat32;
  x.reals.assign(v.begin(), v.end());
  return x;
}
GgufValue GgufValue::i32_array(std::vector<std::int32_t> v) {
  GgufValue x; x.type = GgufType::kArray; x.array_type = GgufType::kInt32;
  x.integers.assign(v.begin(), v.end());
  return x;
}

std::string GgufValue::describe() const {
  switch (type) {
    case GgufType::kString: return "string \"" + string.substr(0, 60) + (string.size() > 60 ? "...\"" : "\"");
    case GgufType::kArray:
      return std::string("array<") + gguf_type_name(array_type) + ">[" + std::to_string(array_size()) + "]";
    case GgufType::kFloat32: case GgufType::kFloat64:
      return std::string(gguf_type_name(type)) + " " + std::to_string(real);
    case GgufType::kBool: return integer ? "bool true" : "bool false";
    default: return std::string(gguf_type_name(type)) + " " + std::to_string(integer);
  }
}

std::int64_t GgufTensorInfo::numel() const {
  std::int64_t n = 1;
  for (auto d : ne) n *= d;
  return n;
}

std::vector<std::int64_t> GgufTensorInfo::torch_shape() const { return {ne.rbegin(), ne.rend()}; }

std::unique_ptr<GgufFile> GgufFile::open(const std::string& path, std::string* error) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = path;
  try {
    if (std::string e = internal::map_read_only(
            path, 24, "shorter than a GGUF header (24)", &f->map_, &f->map_size_);
        !e.empty())
      throw Fail(e);
    const std::size_t size = f->map_size_;
    const auto* bytes = static_cast<const unsigned char*>(f->map_);
    Cursor c(bytes, size);

    if (c.read<std::uint32_t>("magic") != kMagic) throw Fail("not a GGUF file (bad magic; expected \"GGUF\")");
    f->version_ = c.read<std::uint32_t>("version");
    if (f->version_ != 2 && f->version_ != 3)
      throw Fail("GGUF version " + std::to_string(f->version_) + " is not supported (2 and 3 are)");
    const auto n_tensors = c.read<std::uint64_t>("tensor count");
    const auto n_kv = c.read<std::uint64_t>("metadata count");
    // A metadata entry takes at least 8 + 4 + 1 bytes, a tensor info 8 + 4 + 4 + 8.
    if (n_kv > c.left() / 13) throw Fail("metadata count " + std::to_string(n_kv) + " does not fit in the file");
    if (n_tensors > c.left() / 24) throw Fail("tensor count " + std::to_string(n_tensors) + " does not fit in the file");

    for (std::uint64_t i = 0; i < n_kv; ++i) {
      std::string key = c.read_string("metadata key #" + std::to_string(i));
      const std::string what = "metadata \"" + key + "\"";
      const GgufType t = checked_type(c.read<std::uint32_t>(what + " (type)"), what);
      GgufValue v = read_value(c, t, what, 0);
      for (const auto& [k, _] : f->metadata_)
        if (k == key) throw Fail(what + ": key appears twice");
      f->metadata_.emplace_back(std::move(key), std::move(v));
    }
    if (const GgufValue* a = f->find("general.alignment")) {
      if (!is_integer(a->type) || a->type == GgufType::kBool || a->integer <= 0 || a->integer > (1 << 20) ||
          (a->integer & (a->integer - 1)) != 0)
        throw Fail("metadata \"general.alignment\": " + a->describe() + " is not a power of two");
      f->alignment_ = static_cast<std::size_t>(a->integer);
    }

    for (std::uint64_t i = 0; i < n_tensors; ++i) {
      GgufTensorInfo t;
      t.name = c.read_string("tensor name #" + std::to_string(i));
      const std::string what = "tensor \"" + t.name + "\"";
      const auto n_dims = c.read<std::uint32_t>(what + " (dims)");
      if (n_dims == 0 || n_dims > kMaxDims)
        throw Fail(what + ": " + std::to_string(n_dims) + " dimensions (1 to " + std::to_string(kMaxDims) + " allowed)");
      std::int64_t numel = 1;
      for (std::uint32_t d = 0; d < n_dims; ++d) {
        const auto dim = c.read<std::uint64_t>(what + " (shape)");
        if (dim == 0 || dim > (1ull << 40) || static_cast<std::uint64_t>(numel) > (1ull << 50) / dim)
          throw Fail(what + ": dimension " + std::to_string(d) + " = " + std::to_string(dim) + " is implausible");
        numel *= static_cast<std::int64_t>(dim);
        t.ne.push_back(static_cast<std::int64_t>(dim));
      }
      t.type = c.read<std::uint32_t>(what + " (type)");
      t.offset = c.read<std::uint64_t>(what + " (offset)");
      if (const GgmlTypeInfo* info = ggml_info(t.type)) {
        if (t.ne[0] % info->block != 0)
          throw Fail(what + ": row length " + std::to_string(t.ne[0]) + " is not a multiple of " +
                     ggml_type_name(t.type) + "'s block of " + std::to_string(info->block));
        t.bytes = ggml_row_bytes(t.type, t.ne[0]) * static_cast<std::size_t>(numel / t.ne[0]);
      }
      if (t.offset % f->alignment_ != 0)
        throw Fail(what + ": offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                   std::to_string(f->alignment_));
      f->tensors_.push_back(std::move(t));
    }

    const std::size_t data_start = (c.pos() + f->alignment_ - 1) / f->alignment_ * f->alignment_;
    // A file of metadata only may end right after the infos.
    f->data_ = bytes + std::min(data_start, size);
    f->data_size_ = data_start <= size ? size - data_start : 0;
    for (const auto& t : f->tensors_) {
      if (t.offset > f->data_size_ || t.bytes > f->data_size_ - t.offset)
        throw Fail("tensor \"" + t.name + "\": data [" + std::to_string(t.offset) + ", " +
                   std::to_string(t.offset + t.bytes) + ") is past the end of the data section (" +
                   std::to_string(f->data_size_) + " bytes; truncated file?)");
    }
    f->tensor_order_.resize(f->tensors_.size());
    for (std::size_t i = 0; i < f->tensors_.size(); ++i) f->tensor_order_[i] = i;
    const auto& ts = f->tensors_;
    std::sort(f->tensor_order_.begin(), f->tensor_order_.end(),
              [&](std::size_t a, std::size_t b) { return ts[a].name < ts[b].name; });
    for (std::size_t i = 1; i < ts.size(); ++i)
      if (ts[f->tensor_order_[i]].name == ts[f->tensor_order_[i - 1]].name)
        throw Fail("tensor \"" + ts[f->tensor_order_[i]].name + "\" appears twice");
    std::vector<const GgufTensorInfo*> by_offset;
    for (const auto& t : ts) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
    for (std::size_t i = 1; i < by_offset.size(); ++i)
      if (by_offset[i - 1]->bytes && by_offset[i]->offset < by_offset[i - 1]->offset + by_offset[i - 1]->bytes)
        throw Fail("tensors \"" + by_offset[i - 1]->name + "\" and \"" + by_offset[i]->name + "\" overlap");
  } catch (const Fail& e) {
    if (error) *error = path + ": " + e.what();
    return nullptr;
  }
  return f;
}

GgufFile::~GgufFile() {
  internal::unmap(map_, map_size_);
}

const GgufValue* GgufFile::find(std::string_view key) const {
  for (const auto& [k, v] : metadata_)
    if (k == key) return &v;
  return nullptr;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  const auto it = std::lower_bound(tensor_order_.begin(), tensor_order_.end(), name,
                                   [&](std::size_t i, std::string_view n) { return tensors_[i].name < n; });
  return it != tensor_order_.end() && tensors_[*it].name == name ? &tensors_[*it] : nullptr;
}

bool GgufFile::view(std::string_view name, TensorView* out, std::string* error) const {
  const GgufTensorInfo* t = find_tensor(name);
  if (!t) {
    if (error) *error = path_ + ": no tensor \"" + std::string(name) + "\"";
    return false;
  }
  switch (t->type) {
    case kGgmlF32: out->dtype = DType::kF32; break;
    case kGgmlF16: out->dtype = DType::kF16; break;
    case kGgmlBF16: out->dtype = DType::kBF16; break;
    case kGgmlQ8_0: out->dtype = DType::kQ8_0; break;
    default:
      if (error)
        *error = path_ + ": tensor \"" + t->name + "\" has type " + ggml_type_name(t->type) + " (ggml type id " +
                 std::to_string(t->type) + "); supported: F32, F16, BF16, Q8_0";
      return false;
  }
  out->shape = t->torch_shape();
  out->data = data(*t);
  return true;
}

namespace {
bool missing_or_wrong(const GgufFile& f, std::string_view key, const GgufValue* v, const char* want,
                      std::string* error) {
  if (error)
    *error = f.path() + ": metadata \"" + std::string(key) + "\" " +
             (v ? "is " + v->describe() + ", expected " + want : std::string("is missing"));
  return false;
}
}  // namespace

bool GgufFile::get_string(std::string_view key, std::string* out, std::string* error) const {
  const GgufValue* v = find(key);
  if (!v || v->type != GgufType::kString) return missing_or_wrong(*this, key, v, "a string", error);
  *out = v->string;
  return true;
}

bool GgufFile::get_int(std::string_view key, std::int64_t* out, std::string* error) const {
  const GgufValue* v = find(key);
  if (!v || !is_integer(v->type) || v->type == GgufType::kBool)
    return missing_or_wrong(*this, key, v, "an integer", error);
  if (v->type == GgufType::kUint64 && v->integer < 0) return missing_or_wrong(*this, key, v, "an integer below 2^63", error);
  *out = v->integer;
  return true;
}

bool GgufFile::get_float(std::string_view key, double* out, std::string* error) const {
  const GgufValue* v = find(key);
  if (!v || (v->type != GgufType::kFloat32 && v->type != GgufType::kFloat64))
    return missing_or_wrong(*this, key, v, "a float", error);
  *out = v->real;
  return true;
}

bool GgufFile::get_bool(std::string_view key, bool* out, std::string* error) const {
  const GgufValue* v = find(key);
  if (!v || v->type != GgufType::kBool) return missing_or_wrong(*this, key, v, "a bool", error);
  *out = v->integer != 0;
  return true;
}

}  // namespace rg::kernels::formats
