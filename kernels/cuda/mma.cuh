// kernels/cuda/mma.cuh: tensor-core helpers shared by the flash-attention
// kernels (attention_mma.cu for the encoder, decoder_attention.cu for the
// decoder's prefill): mma.sync m16n8k16 bf16 or fp16 with fp32 accumulators,
// packing (convert.cuh's pack2), and the reductions over the 4 lanes of a quad that share a row of
// the accumulator fragment.
//
// Fragment layouts (PTX ISA, mma.m16n8k16, lane = 4 g + t):
//   A 16x16 row: a0 = A[g][2t..], a1 = A[g+8][2t..], a2 = A[g][2t+8..], a3 = A[g+8][2t+8..]
//   B 16x8 col:  b0 = B[2t..][g], b1 = B[2t+8..][g]
//   C 16x8:      c0,c1 = C[g][2t..], c2,c3 = C[g+8][2t..]
#pragma once

#include <cuda_bf16.h>

#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/cuda/convert.cuh"

namespace rg::kernels::cuda {

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  return pack2<__nv_bfloat16>(lo, hi);
}

// c += a b for 16-bit A (16x16) and B (16x8) fragments of element type H.
template <typename H>
__device__ __forceinline__ void mma16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                         uint32_t b1);
template <>
__device__ __forceinline__ void mma16816<__nv_bfloat16>(float (&c)[4], const uint32_t (&a)[4],
                                                        uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void mma16816<__half>(float (&c)[4], const uint32_t (&a)[4],
                                                 uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void mma_bf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                         uint32_t b1) {
  mma16816<__nv_bfloat16>(c, a, b0, b1);
}

__device__ __forceinline__ float quad_max(float v) {
  v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
  return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}

__device__ __forceinline__ float quad_sum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  return v + __shfl_xor_sync(0xffffffffu, v, 2);
}

// One FlashAttention-2 step for the two rows (g and g + 8) a lane holds of a
// 16-row tile: the running maxima m_a / m_b and sums l_a / l_b absorb this
// tile's scores s (masked entries -inf; a row with nothing yet keeps a finite
// base), o is rescaled, and s is replaced by the unnormalised probabilities,
// ready to be packed as the A fragment of P V. `exp` is e^x or 2^x, matching
// how the caller scaled the scores.
template <int kKeyTiles, int kDimTiles, class Exp>
__device__ __forceinline__ void online_softmax_step(float (&s)[kKeyTiles][4],
                                                    float (&o)[kDimTiles][4], float& m_a,
                                                    float& m_b, float& l_a, float& l_b, Exp exp) {
  float mx_a = m_a, mx_b = m_b;
#pragma unroll
  for (int j = 0; j < kKeyTiles; ++j) {
    mx_a = fmaxf(mx_a, fmaxf(s[j][0], s[j][1]));
    mx_b = fmaxf(mx_b, fmaxf(s[j][2], s[j][3]));
  }
  mx_a = quad_max(mx_a);
  mx_b = quad_max(mx_b);
  // exp(-inf - base) = 0 for masked keys; base stays finite.
  const float base_a = mx_a == -INFINITY ? 0.f : mx_a;
  const float base_b = mx_b == -INFINITY ? 0.f : mx_b;
  const float corr_a = exp(m_a - base_a);
  const float corr_b = exp(m_b - base_b);
  m_a = mx_a;
  m_b = mx_b;
  l_a *= corr_a;
  l_b *= corr_b;
#pragma unroll
  for (int i = 0; i < kDimTiles; ++i) {
    o[i][0] *= corr_a;
    o[i][1] *= corr_a;
    o[i][2] *= corr_b;
    o[i][3] *= corr_b;
  }
#pragma unroll
  for (int j = 0; j < kKeyTiles; ++j) {
    s[j][0] = exp(s[j][0] - base_a);
    s[j][1] = exp(s[j][1] - base_a);
    s[j][2] = exp(s[j][2] - base_b);
    s[j][3] = exp(s[j][3] - base_b);
    l_a += s[j][0] + s[j][1];
    l_b += s[j][2] + s[j][3];
  }
}

}  // namespace rg::kernels::cuda
