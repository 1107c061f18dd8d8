// kernels/cuda/layer_norm.cu: the encoder's two LayerNorm kernels, each fused
// with what comes before it: the embedding gather + sum, and the bias +
// residual add after a projection. One warp per row; the row stays in
// registers between the two passes (mean, then centred variance).
#include "kernels/cuda/convert.cuh"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/encoder_kernels.cuh"

#include <string>
#include <type_traits>

namespace rg::kernels::cuda {
namespace {

constexpr int kRowsPerBlock = 4;  // warps per block

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// Normalises one row whose pre-norm values come from load(c). Lane l owns
// columns l, l + 32, ...: coalesced across the warp.
template <int kPerLane, typename GemmIn, typename Load>
__device__ __forceinline__ void layer_norm_row(Load load, const float* __restrict__ gamma,
                                               const float* __restrict__ beta, float eps,
                                               int hidden, float* __restrict__ out,
                                               GemmIn* __restrict__ out_lp) {
  const int lane = threadIdx.x & 31;
  float v[kPerLane];
  float sum = 0.f;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int c = lane + 32 * i;
    v[i] = c < hidden ? load(c) : 0.f;
    sum += v[i];
  }
  const float mean = warp_sum(sum) / hidden;
  float sq = 0.f;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int c = lane + 32 * i;
    const float d = c < hidden ? v[i] - mean : 0.f;
    sq += d * d;
  }
  const float rstd = rsqrtf(warp_sum(sq) / hidden + eps);
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int c = lane + 32 * i;
    if (c < hidden) {
      const float y = (v[i] - mean) * rstd * gamma[c] + beta[c];
      out[c] = y;
      if (out_lp != nullptr) out_lp[c] = from_float<GemmIn>(y);
    }
  }
}

template <int kPerLane, typename GemmIn>
__global__ void __launch_bounds__(32 * kRowsPerBlock)
    embedding_layer_norm_kernel(const int32_t* __restrict__ ids,
                                const int32_t* __restrict__ type_ids, int tokens, int seq_len,
                                const float* __restrict__ word_emb,
                                const float* __restrict__ pos_emb,
                                const float* __restrict__ type_emb,
                                const float* __restrict__ gamma, const float* __restrict__ beta,
                                float eps, int hidden, float* __restrict__ out,
                                GemmIn* __restrict__ out_lp) {
  const int row = blockIdx.x * kRowsPerBlock + (threadIdx.x >> 5);
  if (row >= tokens) return;
  const float* w = word_emb + static_cast<size_t>(ids[row]) * hidden;
  const float* p = pos_emb + static_cast<size_t>(row % seq_len) * hidden;
  const float* t = type_emb + static_cast<size_t>(type_ids[row]) * hidden;
  const size_t base = static_cast<size_t>(row) * hidden;
  layer_norm_row<kPerLane>([&](int c) { return w[c] + t[c] + p[c]; }, gamma, beta, eps, hidden,
                           out + base, out_lp != nullptr ? out_lp + base : nullptr);
}

template <int kPerLane, typename GemmIn>
__global__ void __launch_bounds__(32 * kRowsPerBlock)
    bias_residual_layer_norm_kernel(const GemmIn* __restrict__ x, const float* __restrict__ bias,
                                    const float* __restrict__ residual,
                                    const float* __restrict__ gamma,
                                    const float* __restrict__ beta, float eps, int tokens,
                                    int hidden, float* __restrict__ out,
                                    GemmIn* __restrict__ out_lp) {
  const int row = blockIdx.x * kRowsPerBlock + (threadIdx.x >> 5);
  if (row >= tokens) return;
  const size_t base = static_cast<size_t>(row) * hidden;
  const GemmIn* xr = x + base;
  const float* rr = residual + base;
  layer_norm_row<kPerLane>([&](int c) { return to_float(xr[c]) + bias[c] + rr[c]; }, gamma, beta, eps,
                           hidden, out + base, out_lp != nullptr ? out_lp + base : nullptr);
}

// Calls f(std::integral_constant<int, kPerLane>) for the smallest compiled
// per-lane count that covers `hidden`.
template <typename F>
void dispatch_per_lane(int hidden, F f) {
  if (hidden <= 128) f(std::integral_constant<int, 4>{});
  else if (hidden <= 256) f(std::integral_constant<int, 8>{});
  else if (hidden <= 384) f(std::integral_constant<int, 12>{});
  else if (hidden <= 512) f(std::integral_constant<int, 16>{});
  else if (hidden <= 768) f(std::integral_constant<int, 24>{});
  else if (hidden <= kMaxLayerNormWidth) f(std::integral_constant<int, 32>{});
  else throw CudaError("layer norm: hidden size " + std::to_string(hidden) + " > " +
                       std::to_string(kMaxLayerNormWidth));
}

}  // namespace

template <typename GemmIn>
void launch_embedding_layer_norm(const int32_t* ids, const int32_t* type_ids, int tokens,
                                 int seq_len, const float* word_emb, const float* pos_emb,
                                 const float* type_emb, const float* gamma, const float* beta,
                                 float eps, int hidden, float* out, GemmIn* out_lp,
                                 cudaStream_t stream) {
  const int blocks = (tokens + kRowsPerBlock - 1) / kRowsPerBlock;
  dispatch_per_lane(hidden, [&](auto per_lane) {
    embedding_layer_norm_kernel<decltype(per_lane)::value, GemmIn>
        <<<blocks, 32 * kRowsPerBlock, 0, stream>>>(ids, type_ids, tokens, seq_len, word_emb,
                                                    pos_emb, type_emb, gamma, beta, eps, hidden,
                                                    out, out_lp);
  });
  RG_CUDA_CHECK_LAUNCH("embedding_layer_norm_kernel");
}

template <typename GemmIn>
void launch_bias_residual_layer_norm(const GemmIn* x, const float* bias, const float* residual,
                                     const float* gamma, const float* beta, float eps, int tokens,
                                     int hidden, float* out, GemmIn* out_lp, cudaStream_t stream) {
  const int blocks = (tokens + kRowsPerBlock - 1) / kRowsPerBlock;
  dispatch_per_lane(hidden, [&](auto per_lane) {
    bias_residual_layer_norm_kernel<decltype(per_lane)::value, GemmIn>
        <<<blocks, 32 * kRowsPerBlock, 0, stream>>>(x, bias, residual, gamma, beta, eps, tokens,
                                                    hidden, out, out_lp);
  });
  RG_CUDA_CHECK_LAUNCH("bias_residual_layer_norm_kernel");
}

#define RG_INSTANTIATE(T)                                                                     \
  template void launch_embedding_layer_norm<T>(const int32_t*, const int32_t*, int, int,      \
                                               const float*, const float*, const float*,      \
                                               const float*, const float*, float, int, float*, \
                                               T*, cudaStream_t);                             \
  template void launch_bias_residual_layer_norm<T>(const T*, const float*, const float*,      \
                                                   const float*, const float*, float, int, int, \
                                                   float*, T*, cudaStream_t);
RG_INSTANTIATE(float)
RG_INSTANTIATE(__nv_bfloat16)
#undef RG_INSTANTIATE

}  // namespace rg::kernels::cuda
