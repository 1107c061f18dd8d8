// tests/gpu/encoder_forward_test.cc: GpuEncoder (kernels/cuda/encoder_forward.cu)
// against a double-precision reference forward pass on small random models,
// and against encode_cpu when this build has it (RG_HAVE_ENCODE_CPU).
// Without a GPU (or a CUDA build) every case prints "SKIPPED: no GPU" and
// passes.
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "kernels/encoder.h"
#include "kernels/ops.h"
#include "tests/gpu/encoder_test_util.h"

namespace {

using rg::kernels::Activation;
using rg::kernels::EncoderConfig;
using rg::kernels::GpuEncoder;
using rg::kernels::GpuPrecision;
using rg::kernels::Pooling;
namespace t = rg::kernels::testing;

bool have_gpu() {
  if (rg_cuda_device_count() > 0) return true;
  MESSAGE("SKIPPED: no GPU (CUDA built: " << rg::kernels::built_with_cuda() << ")");
  return false;
}

EncoderConfig small_config(int hidden, int heads, Activation act = Activation::kGeluErf) {
  EncoderConfig c;
  c.vocab_size = 500;
  c.hidden = hidden;
  c.layers = 2;
  c.heads = heads;
  c.intermediate = 2 * hidden;
  c.max_positions = 160;
  c.type_vocab_size = 2;
  c.activation = act;
  return c;
}

std::unique_ptr<GpuEncoder> make(const rg::kernels::EncoderWeights& w, GpuPrecision p) {
  std::string error;
  auto enc = GpuEncoder::create(w, p, &error);
  INFO("create: " << error);
  REQUIRE(enc != nullptr);
  return enc;
}

void check_against_reference(const EncoderConfig& c, const std::vector<int>& lengths,
                             Pooling pooling, bool random_types, uint32_t seed) {
  const auto w = t::random_weights(c, seed);
  const auto batch = t::random_batch(c, lengths, seed + 1, random_types);
  const auto ref = t::encode_reference(w, batch, pooling);
  auto fp32 = make(w, GpuPrecision::kFp32);
  auto bf16 = make(w, GpuPrecision::kBf16);
  const auto g32 = fp32->encode(batch, pooling);
  const auto g16 = bf16->encode(batch, pooling);
  const double cos32 = t::min_cosine(g32, ref, c.hidden);
  const double cos16 = t::min_cosine(g16, ref, c.hidden);
  MESSAGE("hidden " << c.hidden << " heads " << c.heads << " seq " << batch.seq_len
                    << ": min cosine fp32 " << cos32 << ", bf16 " << cos16);
  CHECK(cos32 >= 0.9999);
  CHECK(cos16 >= 0.99);
#ifdef RG_HAVE_ENCODE_CPU
  const auto cpu = rg::kernels::encode_cpu(w, batch, pooling);
  const double cos_cpu = t::min_cosine(g32, cpu, c.hidden);
  MESSAGE("GPU fp32 vs encode_cpu: min cosine " << cos_cpu);
  CHECK(cos_cpu >= 0.9999);
#endif
  // The second call of a shape is captured into a graph, the third replays
  // it: the same kernels (cuBLAS may pick another GEMM algorithm under
  // capture, so eager vs graph is compared by cosine).
  const auto captured = fp32->encode(batch, pooling);
  CHECK(t::min_cosine(captured, g32, c.hidden) >= 0.999999);
  CHECK(fp32->encode(batch, pooling) == captured);
}

}  // namespace

TEST_CASE("GpuEncoder matches the reference: mean pooling, head size 32, padding") {
  if (!have_gpu()) return;
  check_against_reference(small_config(128, 4), {7, 1, 33, 20, 2}, Pooling::kMean, false, 11);
}

TEST_CASE("GpuEncoder matches the reference: CLS pooling, head size 64, type ids, >64 tokens") {
  if (!have_gpu()) return;
  check_against_reference(small_config(128, 2), {150, 3, 65, 129}, Pooling::kCls, true, 21);
}

TEST_CASE("GpuEncoder matches the reference: gelu_new (tanh) and relu, head size 16") {
  if (!have_gpu()) return;
  check_against_reference(small_config(64, 4, Activation::kGeluTanh), {12, 40}, Pooling::kMean,
                          false, 31);
  check_against_reference(small_config(64, 4, Activation::kRelu), {12, 40}, Pooling::kMean, false,
                          41);
}

TEST_CASE("GpuEncoder: a sentence's vector does not depend on its batch or on the buffers") {
  if (!have_gpu()) return;
  const auto c = small_config(96, 3);  // head size 32, hidden not a multiple of 128
  const auto w = t::random_weights(c, 51);
  auto enc = make(w, GpuPrecision::kFp32);
  const auto big = t::random_batch(c, {5, 17, 90, 33, 1, 64, 8, 3}, 52);
  const auto all = enc->encode(big, Pooling::kMean);
  for (int i = 0; i < big.batch; ++i) {
    rg::kernels::EncoderBatch one;
    one.batch = 1;
    int len = 0;
    for (int s = 0; s < big.seq_len; ++s) len += big.mask[static_cast<size_t>(i) * big.seq_len + s];
    one.seq_len = len;
    const size_t off = static_cast<size_t>(i) * big.seq_len;
    one.ids.assign(big.ids.begin() + off, big.ids.begin() + off + len);
    one.type_ids.assign(big.type_ids.begin() + off, big.type_ids.begin() + off + len);
    one.mask.assign(len, 1);
    const auto v = enc->encode(one, Pooling::kMean);
    const double cos = t::cosine(v.data(), &all[static_cast<size_t>(i) * c.hidden], c.hidden);
    CHECK(cos >= 0.99999);
  }
}

TEST_CASE("GpuEncoder: concurrent encode calls are serialised and give the same result") {
  if (!have_gpu()) return;
  const auto c = small_config(64, 2);
  const auto w = t::random_weights(c, 61);
  auto enc = make(w, GpuPrecision::kBf16);
  const auto b1 = t::random_batch(c, {9, 30, 4}, 62);
  const auto b2 = t::random_batch(c, {100, 2}, 63);
  std::vector<float> r1, r2;
  for (int i = 0; i < 3; ++i) {  // eager, capture, replay: keep the replay's
    r1 = enc->encode(b1, Pooling::kMean);
    r2 = enc->encode(b2, Pooling::kCls);
  }
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      bool good = true;
      for (int k = 0; k < 20; ++k) {
        good = good && (i % 2 == 0 ? enc->encode(b1, Pooling::kMean) == r1
                                   : enc->encode(b2, Pooling::kCls) == r2);
      }
      ok[i] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < 8; ++i) CHECK(ok[i] == 1);
}

TEST_CASE("GpuEncoder: bad input is refused with a message") {
  if (!have_gpu()) return;
  auto c = small_config(64, 4);
  const auto w = t::random_weights(c, 71);
  auto enc = make(w, GpuPrecision::kFp32);
  auto b = t::random_batch(c, {4}, 72);
  b.ids[1] = c.vocab_size;
  CHECK_THROWS_WITH_AS(enc->encode(b, Pooling::kMean), doctest::Contains("token id"),
                       std::invalid_argument);
  b = t::random_batch(c, {c.max_positions + 1}, 73);
  CHECK_THROWS_AS(enc->encode(b, Pooling::kMean), std::invalid_argument);
  rg::kernels::EncoderBatch empty;
  CHECK(enc->encode(empty, Pooling::kMean).empty());

  auto bad = w;
  bad.layers[1].ff1_b.pop_back();
  std::string error;
  CHECK(GpuEncoder::create(bad, GpuPrecision::kFp32, &error) == nullptr);
  CHECK(error.find("layers[1].ff1_b") != std::string::npos);
  auto odd = small_config(60, 3);  // head size 20: not compiled
  CHECK(GpuEncoder::create(t::random_weights(odd, 74), GpuPrecision::kFp32, &error) == nullptr);
  CHECK(error.find("head size 20") != std::string::npos);
  CHECK(GpuEncoder::create(w, GpuPrecision::kFp32, &error, 99) == nullptr);
  CHECK(error.find("device 99") != std::string::npos);
}
