// kernels/cuda/attention_mma.cu: the bf16 encoder's attention on the tensor
// cores (mma.sync m16n8k16, bf16 inputs, fp32 accumulation), FlashAttention-2
// style: one block of 4 warps per (64 queries, head, sequence), each warp 16
// query rows. Per tile of 64 keys: S = Q K^T on the tensor cores, padding
// mask, online softmax on the fp32 accumulators (rows shared by the 4 lanes
// of a quad), P rounded to bf16 and O += P V on the tensor cores. K sits in
// shared memory row-major and V transposed, both padded so that the fragment
// loads hit 32 different banks. Head sizes 32 and 64; others (and the fp32
// path) use attention.cu's CUDA-core kernel.
//
// Fragment layouts (PTX ISA, mma.m16n8k16, lane = 4 g + t):
//   A 16x16 row: a0 = A[g][2t..], a1 = A[g+8][2t..], a2 = A[g][2t+8..], a3 = A[g+8][2t+8..]
//   B 16x8 col:  b0 = B[2t..][g], b1 = B[2t+8..][g]
//   C 16x8:      c0,c1 = C[g][2t..], c2,c3 = C[g+8][2t..]
// The C fragments of two adjacent key n-tiles are exactly the A fragment of
// P for one 16-key k-chunk, so P never leaves registers.
#include <cuda_bf16.h>

#include <cmath>
#include <cstdint>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/mma.cuh"
#include "kernels/cuda/encoder_kernels.cuh"

namespace rg::kernels::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kRowsPerWarp = 16;
constexpr int kQueryTile = kWarps * kRowsPerWarp;  // 64
constexpr int kKeyTile = 64;

template <int kHeadDim>
__global__ void __launch_bounds__(kWarps * 32)
    attention_mma_kernel(const __nv_bfloat16* __restrict__ qkv,
                         const float* __restrict__ qkv_bias, const int32_t* __restrict__ mask,
                         int seq_len, int heads, float scale, __nv_bfloat16* __restrict__ ctx) {
  static_assert(kHeadDim % 16 == 0, "head size must be a multiple of 16");
  constexpr int kKStride = kHeadDim + 8;  // bf16 per row of k_s (bank-conflict-free)
  constexpr int kVStride = kKeyTile + 8;  // bf16 per row of v_t
  constexpr int kDimChunks = kHeadDim / 16;
  constexpr int kDimTiles = kHeadDim / 8;
  constexpr int kKeyTiles = kKeyTile / 8;
  __shared__ __align__(16) __nv_bfloat16 k_s[kKeyTile * kKStride];
  __shared__ __align__(16) __nv_bfloat16 v_t[kHeadDim * kVStride];
  __shared__ int key_ok[kKeyTile];

  const int head = blockIdx.y;
  const int seq = blockIdx.z;
  const int hidden = heads * kHeadDim;
  const size_t ld = 3 * static_cast<size_t>(hidden);
  const size_t seq_base = static_cast<size_t>(seq) * seq_len;
  const int tid = threadIdx.x;
  const int warp = tid >> 5;
  const int lane = tid & 31;
  const int g = lane >> 2;
  const int t = lane & 3;
  const int row_a = blockIdx.x * kQueryTile + warp * kRowsPerWarp + g;
  const int row_b = row_a + 8;

  // This warp's 16 query rows (bias added, scaled) as A fragments.
  uint32_t qf[kDimChunks][4];
  {
    const float* qb = qkv_bias + head * kHeadDim;
    auto q = [&](int row, int d) -> float {
      if (row >= seq_len) return 0.f;
      return (__bfloat162float(qkv[(seq_base + row) * ld + head * kHeadDim + d]) + qb[d]) * scale;
    };
#pragma unroll
    for (int kc = 0; kc < kDimChunks; ++kc) {
      const int d = kc * 16 + 2 * t;
      qf[kc][0] = pack_bf16(q(row_a, d), q(row_a, d + 1));
      qf[kc][1] = pack_bf16(q(row_b, d), q(row_b, d + 1));
      qf[kc][2] = pack_bf16(q(row_a, d + 8), q(row_a, d + 9));
      qf[kc][3] = pack_bf16(q(row_b, d + 8), q(row_b, d + 9));
    }
  }
  float o[kDimTiles][4];
#pragma unroll
  for (int n = 0; n < kDimTiles; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
  float m_a = -INFINITY, m_b = -INFINITY;  // running row maxima
  float l_a = 0.f, l_b = 0.f;              // this lane's part of the row sums

  const float* k_bias = qkv_bias + hidden + head * kHeadDim;
  const float* v_bias = qkv_bias + 2 * hidden + head * kHeadDim;

  for (int key0 = 0; key0 < seq_len; key0 += kKeyTile) {
    int ok = 0;
    if (tid < kKeyTile) {
      const int key = key0 + tid;
      ok = key < seq_len && mask[seq_base + key] != 0;
      key_ok[tid] = ok;
    }
    if (!__syncthreads_or(ok)) continue;  // all padding: nothing to add
    // K row-major and V transposed into shared memory, bias added, two
    // dimensions (4 bytes) per step.
    for (int i = tid; i < kKeyTile * (kHeadDim / 2); i += kWarps * 32) {
      const int j = i / (kHeadDim / 2);
      const int d = (i % (kHeadDim / 2)) * 2;
      const int key = key0 + j;
      float k0 = 0.f, k1 = 0.f, v0 = 0.f, v1 = 0.f;
      if (key < seq_len) {
        const __nv_bfloat16* row = qkv + (seq_base + key) * ld + head * kHeadDim + d;
        const float2 kk = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(row + hidden));
        const float2 vv =
            __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(row + 2 * hidden));
        k0 = kk.x + k_bias[d];
        k1 = kk.y + k_bias[d + 1];
        v0 = vv.x + v_bias[d];
        v1 = vv.y + v_bias[d + 1];
      }
      *reinterpret_cast<uint32_t*>(&k_s[j * kKStride + d]) = pack_bf16(k0, k1);
      v_t[d * kVStride + j] = __float2bfloat16_rn(v0);
      v_t[(d + 1) * kVStride + j] = __float2bfloat16_rn(v1);
    }
    __syncthreads();

    // S = Q K^T for this warp's 16 rows and the tile's 64 keys.
    float s[kKeyTiles][4];
#pragma unroll
    for (int j = 0; j < kKeyTiles; ++j) {
      s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.f;
      const __nv_bfloat16* krow = &k_s[(8 * j + g) * kKStride + 2 * t];
#pragma unroll
      for (int kc = 0; kc < kDimChunks; ++kc) {
        const uint32_t b0 = *reinterpret_cast<const uint32_t*>(krow + kc * 16);
        const uint32_t b1 = *reinterpret_cast<const uint32_t*>(krow + kc * 16 + 8);
        mma_bf16(s[j], qf[kc], b0, b1);
      }
    }
    // Padding mask, then the online softmax update of rows a (g) and b (g+8).
#pragma unroll
    for (int j = 0; j < kKeyTiles; ++j) {
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        if (!key_ok[8 * j + 2 * t + e]) {
          s[j][e] = -INFINITY;
          s[j][2 + e] = -INFINITY;
        }
      }
    }
    online_softmax_step(s, o, m_a, m_b, l_a, l_b, [](float x) { return expf(x); });
    // O += P V, P straight from the S accumulators.
#pragma unroll
    for (int kc = 0; kc < kKeyTile / 16; ++kc) {
      const uint32_t a[4] = {pack_bf16(s[2 * kc][0], s[2 * kc][1]),
                             pack_bf16(s[2 * kc][2], s[2 * kc][3]),
                             pack_bf16(s[2 * kc + 1][0], s[2 * kc + 1][1]),
                             pack_bf16(s[2 * kc + 1][2], s[2 * kc + 1][3])};
#pragma unroll
      for (int n = 0; n < kDimTiles; ++n) {
        const __nv_bfloat16* vrow = &v_t[(8 * n + g) * kVStride + 16 * kc + 2 * t];
        const uint32_t b0 = *reinterpret_cast<const uint32_t*>(vrow);
        const uint32_t b1 = *reinterpret_cast<const uint32_t*>(vrow + 8);
        mma_bf16(o[n], a, b0, b1);
      }
    }
    __syncthreads();  // before the next tile overwrites k_s / v_t
  }

  l_a = quad_sum(l_a);
  l_b = quad_sum(l_b);
  const float inv_a = l_a > 0.f ? 1.f / l_a : 0.f;
  const float inv_b = l_b > 0.f ? 1.f / l_b : 0.f;
  const int col = head * kHeadDim + 2 * t;
#pragma unroll
  for (int n = 0; n < kDimTiles; ++n) {
    if (row_a < seq_len) {
      *reinterpret_cast<__nv_bfloat162*>(&ctx[(seq_base + row_a) * hidden + col + 8 * n]) =
          __floats2bfloat162_rn(o[n][0] * inv_a, o[n][1] * inv_a);
    }
    if (row_b < seq_len) {
      *reinterpret_cast<__nv_bfloat162*>(&ctx[(seq_base + row_b) * hidden + col + 8 * n]) =
          __floats2bfloat162_rn(o[n][2] * inv_b, o[n][3] * inv_b);
    }
  }
}

template <int kHeadDim>
void launch_for(const __nv_bfloat16* qkv, const float* qkv_bias, const int32_t* mask, int batch,
                int seq_len, int heads, __nv_bfloat16* ctx, cudaStream_t stream) {
  const dim3 grid((seq_len + kQueryTile - 1) / kQueryTile, heads, batch);
  const float scale = 1.f / sqrtf(static_cast<float>(kHeadDim));
  attention_mma_kernel<kHeadDim>
      <<<grid, kWarps * 32, 0, stream>>>(qkv, qkv_bias, mask, seq_len, heads, scale, ctx);
}

}  // namespace

bool launch_attention_mma(const __nv_bfloat16* qkv, const float* qkv_bias, const int32_t* mask,
                          int batch, int seq_len, int heads, int head_dim, __nv_bfloat16* ctx,
                          cudaStream_t stream) {
  switch (head_dim) {
    case 32: launch_for<32>(qkv, qkv_bias, mask, batch, seq_len, heads, ctx, stream); break;
    case 64: launch_for<64>(qkv, qkv_bias, mask, batch, seq_len, heads, ctx, stream); break;
    default: return false;
  }
  RG_CUDA_CHECK_LAUNCH("attention_mma_kernel");
  return true;
}

}  // namespace rg::kernels::cuda
