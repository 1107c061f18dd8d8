// tests/unit/kernels/gguf_test.cc: the GGUF reader and writer
// (kernels/formats/gguf.h, gguf_writer.h): metadata of every type, tensors in
// F32/F16/BF16/Q8_0 with their shapes, streaming writes, and malformed files
// (bad magic/version, truncation, offsets outside the file or misaligned,
// unsupported tensor types) whose errors name the file and the key/tensor.
#include "kernels/formats/gguf.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "kernels/formats/gguf_writer.h"
#include "kernels/formats/q8_0.h"
#include "tests/unit/retrieval/encoder_test_util.h"

using namespace rg::kernels::formats;
using rg::kernels::DType;
using rg::kernels::TensorView;
using rg::test::TempDir;

namespace {

std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// A producer that writes `values` converted to `type`, row by row.
GgufWriter::Producer producer(std::vector<float> values, std::uint32_t type) {
  return [values = std::move(values), type](unsigned char* out, std::size_t bytes) {
    if (type == kGgmlF32) {
      REQUIRE(bytes == values.size() * 4);
      std::memcpy(out, values.data(), bytes);
    } else if (type == kGgmlF16 || type == kGgmlBF16) {
      REQUIRE(bytes == values.size() * 2);
      for (std::size_t i = 0; i < values.size(); ++i) {
        const std::uint16_t h = type == kGgmlF16 ? float_to_half(values[i]) : float_to_bf16(values[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
    } else {
      REQUIRE(bytes == values.size() / 32 * 34);
      quantize_q8_0(values.data(), values.size(), out);
    }
  };
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string open_error(const std::string& path) {
  std::string error;
  auto f = GgufFile::open(path, &error);
  CHECK(f == nullptr);
  return error;
}

// A small valid file: one string key, one F32 tensor "t" of shape [2, 32].
std::string small_file(const TempDir& dir, const std::string& name = "small.gguf") {
  GgufWriter w(dir.file(name));
  w.set("general.architecture", GgufValue::str("llama"));
  std::string error;
  REQUIRE(w.add_tensor("t", {2, 32}, kGgmlF32, producer(random_values(64, 1), kGgmlF32), &error));
  REQUIRE(w.write(&error));
  return dir.file(name);
}

}  // namespace

TEST_CASE("gguf: metadata of every type round-trips in file order") {
  TempDir dir;
  GgufWriter w(dir.file("meta.gguf"));
  w.set("a.u32", GgufValue::u32(4000000000u));
  w.set("a.i32", GgufValue::i32(-7));
  w.set("a.u64", GgufValue::u64(1ull << 40));
  w.set("a.f32", GgufValue::f32(0.25f));
  w.set("a.bool", GgufValue::boolean(true));
  w.set("a.str", GgufValue::str("héllo\n"));
  w.set("a.strs", GgufValue::string_array({"Ġa", "", "<|eot_id|>"}));
  w.set("a.f32s", GgufValue::f32_array({1.5f, -2.0f}));
  w.set("a.i32s", GgufValue::i32_array({1, 3, 6}));
  GgufValue nested;
  nested.type = GgufType::kArray;
  nested.array_type = GgufType::kArray;
  nested.items = {GgufValue::i32_array({1, 2}), GgufValue::string_array({"x"})};
  w.set("a.nested", nested);
  w.set("a.u32", GgufValue::u32(5));  // replaces, keeps the first position
  std::string error;
  REQUIRE(w.write(&error));

  auto f = GgufFile::open(dir.file("meta.gguf"), &error);
  REQUIRE_MESSAGE(f, error);
  CHECK(f->version() == 3);
  CHECK(f->tensors().empty());
  REQUIRE(f->metadata().size() == 10);
  CHECK(f->metadata()[0].first == "a.u32");
  std::int64_t i = 0;
  CHECK(f->get_int("a.u32", &i, &error));
  CHECK(i == 5);
  CHECK(f->get_int("a.i32", &i, &error));
  CHECK(i == -7);
  CHECK(f->get_int("a.u64", &i, &error));
  CHECK(i == (1ll << 40));
  double d = 0;
  CHECK(f->get_float("a.f32", &d, &error));
  CHECK(d == 0.25);
  bool b = false;
  CHECK(f->get_bool("a.bool", &b, &error));
  CHECK(b);
  std::string s;
  CHECK(f->get_string("a.str", &s, &error));
  CHECK(s == "héllo\n");
  CHECK(f->find("a.strs")->strings == std::vector<std::string>{"Ġa", "", "<|eot_id|>"});
  CHECK(f->find("a.f32s")->reals == std::vector<double>{1.5, -2.0});
  CHECK(f->find("a.i32s")->integers == std::vector<std::int64_t>{1, 3, 6});
  const GgufValue* n = f->find("a.nested");
  REQUIRE(n->items.size() == 2);
  CHECK(n->items[0].integers == std::vector<std::int64_t>{1, 2});
  CHECK(n->items[1].strings == std::vector<std::string>{"x"});

  // Wrong type or missing: the message names the file and the key.
  CHECK_FALSE(f->get_string("a.u32", &s, &error));
  CHECK(error.find("meta.gguf") != std::string::npos);
  CHECK(error.find("\"a.u32\" is uint32 5, expected a string") != std::string::npos);
  CHECK_FALSE(f->get_int("nope", &i, &error));
  CHECK(error.find("\"nope\" is missing") != std::string::npos);
}

TEST_CASE("gguf: tensors in F32/F16/BF16/Q8_0 round-trip with PyTorch shapes") {
  TempDir dir;
  const auto a = random_values(3 * 64, 2), b = random_values(64, 3), c = random_values(5 * 64, 4),
             q = random_values(4 * 64, 5);
  GgufWriter w(dir.file("t.gguf"));
  w.set("general.architecture", GgufValue::str("llama"));
  std::string error;
  REQUIRE(w.add_tensor("a.f32", {3, 64}, kGgmlF32, producer(a, kGgmlF32), &error));
  REQUIRE(w.add_tensor("b.f16", {64}, kGgmlF16, producer(b, kGgmlF16), &error));
  REQUIRE(w.add_tensor("c.bf16", {5, 64}, kGgmlBF16, producer(c, kGgmlBF16), &error));
  REQUIRE(w.add_tensor("q.q8", {4, 64}, kGgmlQ8_0, producer(q, kGgmlQ8_0), &error));
  CHECK_FALSE(w.add_tensor("q.q8", {4, 64}, kGgmlQ8_0, producer(q, kGgmlQ8_0), &error));
  CHECK(error.find("declared twice") != std::string::npos);
  CHECK_FALSE(w.add_tensor("bad", {4, 33}, kGgmlQ8_0, producer(q, kGgmlQ8_0), &error));
  CHECK(error.find("row length of 33") != std::string::npos);
  const std::uint64_t planned = w.planned_size();
  std::vector<std::string> seen;
  REQUIRE(w.write(&error, [&](std::size_t, std::size_t, const std::string& name) { seen.push_back(name); }));
  CHECK(seen == std::vector<std::string>{"a.f32", "b.f16", "c.bf16", "q.q8"});
  CHECK(std::filesystem::file_size(dir.file("t.gguf")) == planned);
  CHECK_FALSE(std::filesystem::exists(dir.file("t.gguf.tmp")));

  auto f = GgufFile::open(dir.file("t.gguf"), &error);
  REQUIRE_MESSAGE(f, error);
  const GgufTensorInfo* ti = f->find_tensor("c.bf16");
  REQUIRE(ti);
  CHECK(ti->ne == std::vector<std::int64_t>{64, 5});  // innermost first on disk
  CHECK(ti->torch_shape() == std::vector<std::int64_t>{5, 64});
  for (const auto& t : f->tensors()) CHECK(t.offset % 32 == 0);

  TensorView v;
  REQUIRE(f->view("a.f32", &v, &error));
  CHECK(v.dtype == DType::kF32);
  CHECK(v.shape == std::vector<std::int64_t>{3, 64});
  CHECK(std::memcmp(v.data, a.data(), a.size() * 4) == 0);
  REQUIRE(f->view("b.f16", &v, &error));
  CHECK(v.dtype == DType::kF16);
  for (std::size_t i = 0; i < b.size(); ++i) {
    std::uint16_t h;
    std::memcpy(&h, static_cast<const unsigned char*>(v.data) + 2 * i, 2);
    CHECK(half_to_float(h) == half_to_float(float_to_half(b[i])));
  }
  REQUIRE(f->view("c.bf16", &v, &error));
  CHECK(v.dtype == DType::kBF16);
  REQUIRE(f->view("q.q8", &v, &error));
  CHECK(v.dtype == DType::kQ8_0);
  std::vector<float> back(q.size());
  dequantize_q8_0(static_cast<const unsigned char*>(v.data), q.size(), back.data());
  for (std::size_t blk = 0; blk < q.size() / 32; ++blk) {
    float amax = 0;
    for (int k = 0; k < 32; ++k) amax = std::max(amax, std::fabs(q[blk * 32 + k]));
    for (int k = 0; k < 32; ++k)  // half a step, plus the fp16 rounding of the scale
      CHECK(std::fabs(back[blk * 32 + k] - q[blk * 32 + k]) <= amax / 127 * 0.5f + amax * 1e-3f);
  }
  CHECK_FALSE(f->view("absent", &v, &error));
  CHECK(error.find("no tensor \"absent\"") != std::string::npos);
}

TEST_CASE("gguf: unsupported tensor types open but refuse a view, naming tensor and type") {
  TempDir dir;
  GgufWriter w(dir.file("q4.gguf"));
  std::string error;
  REQUIRE(w.add_tensor("blk.0.attn_q.weight", {2, 256}, 12 /* Q4_K */,
                       [](unsigned char* out, std::size_t n) { std::memset(out, 0, n); }, &error));
  REQUIRE(w.write(&error));
  auto f = GgufFile::open(dir.file("q4.gguf"), &error);
  REQUIRE_MESSAGE(f, error);
  CHECK(f->find_tensor("blk.0.attn_q.weight")->bytes == 2 * 144);
  TensorView v;
  CHECK_FALSE(f->view("blk.0.attn_q.weight", &v, &error));
  CHECK(error.find("q4.gguf") != std::string::npos);
  CHECK(error.find("\"blk.0.attn_q.weight\" has type Q4_K (ggml type id 12)") != std::string::npos);
  CHECK(ggml_type_name(99) == "type 99");
}

TEST_CASE("gguf: malformed files give errors naming the file and what is wrong") {
  TempDir dir;
  const std::string good = read_all(small_file(dir));
  const std::string p = dir.file("bad.gguf");

  write_all(p, "GGUF");
  CHECK(open_error(p).find("truncated file") != std::string::npos);

  std::string bytes = good;
  bytes[0] = 'X';
  write_all(p, bytes);
  std::string e = open_error(p);
  CHECK(e.find("bad.gguf") != std::string::npos);
  CHECK(e.find("bad magic") != std::string::npos);

  bytes = good;
  bytes[4] = 1;  // version 1 (u32 counts) is not read
  write_all(p, bytes);
  CHECK(open_error(p).find("version 1 is not supported") != std::string::npos);

  // Cut inside the tensor data: the tensor's range is past the end.
  write_all(p, good.substr(0, good.size() - 8));
  e = open_error(p);
  CHECK(e.find("tensor \"t\"") != std::string::npos);
  CHECK(e.find("past the end") != std::string::npos);

  // Cut inside the metadata: says what it was reading.
  write_all(p, good.substr(0, 60));
  e = open_error(p);
  CHECK(e.find("truncated file") != std::string::npos);
  CHECK(e.find("general.architecture") != std::string::npos);

  // The tensor's offset field is the last 8 bytes of the infos: make it
  // point far outside, then misalign it.
  const std::size_t name_at = good.find(std::string("\x01\0\0\0\0\0\0\0t", 9));
  REQUIRE(name_at != std::string::npos);
  const std::size_t offset_at = name_at + 9 + 4 + 2 * 8 + 4;
  bytes = good;
  const std::uint64_t far = 1ull << 32;
  std::memcpy(&bytes[offset_at], &far, 8);
  write_all(p, bytes);
  e = open_error(p);
  CHECK(e.find("tensor \"t\": data [4294967296") != std::string::npos);
  const std::uint64_t odd = 4;
  std::memcpy(&bytes[offset_at], &odd, 8);
  write_all(p, bytes);
  CHECK(open_error(p).find("offset 4 is not a multiple of the alignment 32") != std::string::npos);

  // A metadata value type that does not exist.
  bytes = good;
  const std::size_t key_end = good.find("general.architecture") + std::strlen("general.architecture");
  const std::uint32_t bogus = 77;
  std::memcpy(&bytes[key_end], &bogus, 4);
  write_all(p, bytes);
  CHECK(open_error(p).find("metadata \"general.architecture\": unknown value type 77") != std::string::npos);

  // An array length larger than the file.
  GgufWriter w(dir.file("arr.gguf"));
  w.set("k", GgufValue::string_array({"a", "b"}));
  std::string error;
  REQUIRE(w.write(&error));
  bytes = read_all(dir.file("arr.gguf"));
  const std::size_t count_at = bytes.find('k') + 1 + 4 + 4;
  const std::uint64_t huge = 1ull << 40;
  std::memcpy(&bytes[count_at], &huge, 8);
  write_all(p, bytes);
  CHECK(open_error(p).find("metadata \"k\": array of 1099511627776 string does not fit") != std::string::npos);

  CHECK(open_error(dir.file("absent.gguf")).find("cannot open") != std::string::npos);
}
