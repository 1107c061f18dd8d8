// tests/gpu/decoder_test_util.h: random Llama-family decoder weights that own
// their storage, in any of the file dtypes (F32, F16, BF16, Q8_0), for tests
// that compare the GPU engine with the CPU reference on the same values.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "kernels/decoder.h"
#include "kernels/formats/half_float.h"
#include "kernels/formats/q8_0.h"

namespace rg::kernels::testing {

struct OwnedDecoder {
  DecoderWeights weights;
  std::vector<std::unique_ptr<std::vector<unsigned char>>> storage;
};

inline TensorView random_tensor(OwnedDecoder& o, DType dtype, std::vector<std::int64_t> shape,
                                std::mt19937& rng, float mean, float stddev) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  std::normal_distribution<float> dist(mean, stddev);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  auto bytes = std::make_unique<std::vector<unsigned char>>(dtype_bytes(dtype, v.size()));
  unsigned char* p = bytes->data();
  switch (dtype) {
    case DType::kF32:
      std::memcpy(p, v.data(), v.size() * 4);
      break;
    case DType::kF16:
      for (size_t i = 0; i < v.size(); ++i) {
        const std::uint16_t h = formats::float_to_half(v[i]);
        std::memcpy(p + 2 * i, &h, 2);
      }
      break;
    case DType::kBF16:
      for (size_t i = 0; i < v.size(); ++i) {
        const std::uint16_t h = formats::float_to_bf16(v[i]);
        std::memcpy(p + 2 * i, &h, 2);
      }
      break;
    case DType::kQ8_0:
      formats::quantize_q8_0(v.data(), v.size(), p);
      break;
  }
  TensorView t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data = p;
  o.storage.push_back(std::move(bytes));
  return t;
}

// Matrices in `dtype`, norms and biases F32. Weights std 0.08 so that the
// logits of a small model have real margins.
inline std::unique_ptr<OwnedDecoder> random_decoder(const DecoderConfig& c, DType dtype,
                                                    std::uint32_t seed) {
  auto o = std::make_unique<OwnedDecoder>();
  std::mt19937 rng(seed);
  DecoderWeights& w = o->weights;
  w.config = c;
  const std::int64_t h = c.hidden, in = c.intermediate, q = c.heads * c.head_dim,
                     kv = c.kv_heads * c.head_dim, v = c.vocab_size;
  const float s = 0.08f;
  w.tok_embeddings = random_tensor(*o, dtype, {v, h}, rng, 0.f, 0.5f);
  w.output_norm = random_tensor(*o, DType::kF32, {h}, rng, 1.f, 0.1f);
  if (!c.tied_embeddings) w.output = random_tensor(*o, dtype, {v, h}, rng, 0.f, s);
  w.layers.resize(c.layers);
  for (DecoderLayerWeights& l : w.layers) {
    l.attn_norm = random_tensor(*o, DType::kF32, {h}, rng, 1.f, 0.1f);
    l.wq = random_tensor(*o, dtype, {q, h}, rng, 0.f, s);
    l.wk = random_tensor(*o, dtype, {kv, h}, rng, 0.f, s);
    l.wv = random_tensor(*o, dtype, {kv, h}, rng, 0.f, s);
    if (c.qkv_bias) {
      l.bq = random_tensor(*o, DType::kF32, {q}, rng, 0.f, 0.1f);
      l.bk = random_tensor(*o, DType::kF32, {kv}, rng, 0.f, 0.1f);
      l.bv = random_tensor(*o, DType::kF32, {kv}, rng, 0.f, 0.1f);
    }
    l.wo = random_tensor(*o, dtype, {h, q}, rng, 0.f, s);
    l.ffn_norm = random_tensor(*o, DType::kF32, {h}, rng, 1.f, 0.1f);
    l.w_gate = random_tensor(*o, dtype, {in, h}, rng, 0.f, s);
    l.w_up = random_tensor(*o, dtype, {in, h}, rng, 0.f, s);
    l.w_down = random_tensor(*o, dtype, {h, in}, rng, 0.f, s);
  }
  return o;
}

}  // namespace rg::kernels::testing
