// tests/unit/kernels/safetensors_test.cc: the safetensors reader/writer
// (kernels/formats/safetensors.h): round trips in F32/F16/BF16, the
// fp16/bf16 conversions, and every kind of malformed file.
#include "kernels/formats/safetensors.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "tests/unit/retrieval/encoder_test_util.h"

using namespace rg::kernels::formats;
using rg::test::TempDir;

namespace {

// A file from a raw header string and data bytes.
void write_raw(const std::string& path, const std::string& header, const std::string& data,
               std::uint64_t header_len_override = 0) {
  std::string bytes(8, '\0');
  const std::uint64_t n = header_len_override ? header_len_override : header.size();
  std::memcpy(bytes.data(), &n, 8);
  bytes += header;
  bytes += data;
  rg::test::write_text(path, bytes);
}

std::string open_error(const std::string& path) {
  std::string error;
  auto f = SafetensorsFile::open(path, &error);
  CHECK(f == nullptr);
  return error;
}

}  // namespace

TEST_CASE("safetensors: F32/F16/BF16 round trip with metadata") {
  TempDir dir;
  std::vector<float> a = {0.0f, 1.0f, -2.5f, 3.14159f, 65504.0f, 1e-5f};
  std::vector<float> b = {0.5f, -0.25f, 100.0f, -0.0009765625f};
  std::vector<SafeTensorToWrite> ts = {{"a.f32", {2, 3}, a, "F32"},
                                       {"b.f16", {4}, b, "F16"},
                                       {"c.bf16", {2, 2}, b, "BF16"},
                                       {"scalar", {}, {7.0f}, "F32"},
                                       {"empty", {0, 3}, {}, "F32"}};
  std::string error;
  REQUIRE(write_safetensors(dir.file("m.safetensors"), ts, {{"format", "pt"}, {"k", "v"}}, &error));
  auto f = SafetensorsFile::open(dir.file("m.safetensors"), &error);
  REQUIRE_MESSAGE(f, error);
  CHECK(f->metadata().at("format") == "pt");
  CHECK(f->metadata().at("k") == "v");
  REQUIRE(f->tensors().size() == 5);
  CHECK(f->tensors()[0].name == "a.f32");  // sorted
  const SafeTensorInfo* t = f->find("b.f16");
  REQUIRE(t);
  CHECK(t->dtype == "F16");
  CHECK(t->shape == std::vector<std::int64_t>{4});
  CHECK(t->end - t->begin == 8);
  CHECK(f->find("nope") == nullptr);

  std::vector<float> out;
  REQUIRE(f->read_f32("a.f32", &out, &error));
  CHECK(out == a);
  REQUIRE(f->read_f32("b.f16", &out, &error));
  CHECK(out == b);  // all exactly representable in fp16
  REQUIRE(f->read_f32("c.bf16", &out, &error));
  REQUIRE(out.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) CHECK(out[i] == doctest::Approx(b[i]).epsilon(1e-2));
  REQUIRE(f->read_f32("scalar", &out, &error));
  CHECK(out == std::vector<float>{7.0f});
  REQUIRE(f->read_f32("empty", &out, &error));
  CHECK(out.empty());
  CHECK_FALSE(f->read_f32("missing", &out, &error));
  CHECK(error.find("missing") != std::string::npos);
  CHECK(error.find("m.safetensors") != std::string::npos);
}

TEST_CASE("safetensors: half and bfloat16 conversions") {
  CHECK(half_to_float(0x3C00) == 1.0f);
  CHECK(half_to_float(0xC000) == -2.0f);
  CHECK(half_to_float(0x7BFF) == 65504.0f);
  CHECK(half_to_float(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(half_to_float(0x03FF) == std::ldexp(1023.0f, -24));
  CHECK(std::isinf(half_to_float(0x7C00)));
  CHECK(std::isnan(half_to_float(0x7E00)));
  CHECK(std::signbit(half_to_float(0x8000)));
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF)) continue;  // NaNs
    const float f = half_to_float(static_cast<std::uint16_t>(h));
    REQUIRE(float_to_half(f) == h);
  }
  CHECK(float_to_half(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);  // tie to even
  CHECK(float_to_half(1e6f) == 0x7C00);
  CHECK(float_to_half(std::ldexp(1.0f, -26)) == 0);
  CHECK(bf16_to_float(0x3F80) == 1.0f);
  CHECK(bf16_to_float(0xC0490000u >> 16) == doctest::Approx(-3.140625));
  CHECK(float_to_bf16(1.0f) == 0x3F80);
  CHECK(float_to_bf16(3.14159f) == 0x4049);
  CHECK(std::isnan(bf16_to_float(float_to_bf16(std::nanf("")))));
}

TEST_CASE("safetensors: malformed files give errors naming file and tensor") {
  TempDir dir;
  const std::string p = dir.file("bad.safetensors");

  rg::test::write_text(p, "abc");
  CHECK(open_error(p).find("truncated") != std::string::npos);

  write_raw(p, "{}", "", 1000);
  CHECK(open_error(p).find("truncated") != std::string::npos);

  write_raw(p, "{}", "", 1ull << 40);
  CHECK(open_error(p).find("implausible") != std::string::npos);

  write_raw(p, "{not json", "");
  CHECK(open_error(p).find("not valid JSON") != std::string::npos);

  write_raw(p, "[1,2]", "");
  CHECK(open_error(p).find("not a JSON object") != std::string::npos);

  write_raw(p, R"({"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0'));
  std::string e = open_error(p);
  CHECK(e.find("unknown dtype \"F33\"") != std::string::npos);
  CHECK(e.find("tensor \"w\"") != std::string::npos);
  CHECK(e.find("bad.safetensors") != std::string::npos);

  write_raw(p, R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", std::string(4, '\0'));
  e = open_error(p);
  CHECK(e.find("past the data") != std::string::npos);
  CHECK(e.find("\"w\"") != std::string::npos);

  write_raw(p, R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0'));
  CHECK(open_error(p).find("needs 12 bytes") != std::string::npos);

  write_raw(p, R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", std::string(4, '\0'));
  CHECK(open_error(p).find("non-negative") != std::string::npos);

  write_raw(p, R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", std::string(4, '\0'));
  CHECK(open_error(p).find("reversed") != std::string::npos);

  write_raw(p, R"({"w":{"dtype":"F32","shape":[1]}})", std::string(4, '\0'));
  CHECK(open_error(p).find("data_offsets") != std::string::npos);

  write_raw(p, R"({"w":{"shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0'));
  CHECK(open_error(p).find("no dtype") != std::string::npos);

  write_raw(p,
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
            std::string(8, '\0'));
  CHECK(open_error(p).find("overlap") != std::string::npos);

  write_raw(p, R"({"__metadata__":{"k":1}})", "");
  CHECK(open_error(p).find("__metadata__") != std::string::npos);

  CHECK(open_error(dir.file("absent.safetensors")).find("cannot open") != std::string::npos);

  // An integer tensor opens but is not readable as floats.
  write_raw(p, R"({"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", std::string(8, '\0'));
  std::string error;
  auto f = SafetensorsFile::open(p, &error);
  REQUIRE_MESSAGE(f, error);
  std::vector<float> out;
  CHECK_FALSE(f->read_f32("ids", &out, &error));
  CHECK(error.find("I64") != std::string::npos);
}

TEST_CASE("safetensors: the HF fixture model opens") {
  const std::string dir = rg::test::fixture_dir();
  if (dir.empty()) {
    MESSAGE("SKIPPED: tests/data/encoder/tiny/ is not there (run tests/data/encoder/make_fixture.py)");
    return;
  }
  std::string error;
  auto f = SafetensorsFile::open(dir + "/model.safetensors", &error);
  REQUIRE_MESSAGE(f, error);
  const SafeTensorInfo* t = f->find("embeddings.word_embeddings.weight");
  REQUIRE(t);
  CHECK(t->dtype == "F32");
  CHECK(t->shape.size() == 2);
  CHECK(t->shape[1] == 32);
}
