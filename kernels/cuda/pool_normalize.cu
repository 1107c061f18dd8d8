// kernels/cuda/pool_normalize.cu: sentence pooling and L2 normalisation in one
// kernel, one block per sentence. Mean pooling averages the rows whose mask is
// set (sentence-transformers: sum(x * mask) / max(sum(mask), 1e-9)); CLS
// pooling takes row 0. Then x / max(||x||, 1e-12) (torch's F.normalize).
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/encoder_kernels.cuh"

#include <string>

namespace rg::kernels::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxColsPerThread = 8;  // hidden <= 2048

__device__ __forceinline__ float block_sum(float v, float* scratch) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float total = 0.f;
#pragma unroll
  for (int w = 0; w < kThreads / 32; ++w) total += scratch[w];
  return total;
}

__global__ void __launch_bounds__(kThreads)
    pool_normalize_kernel(const float* __restrict__ x, const int32_t* __restrict__ mask,
                          int seq_len, int hidden, bool mean, float* __restrict__ out) {
  __shared__ float scratch[kThreads / 32];
  const int seq = blockIdx.x;
  const size_t base = static_cast<size_t>(seq) * seq_len;
  float pooled[kMaxColsPerThread];
  float sq = 0.f;
  if (mean) {
    float count = 0.f;
    for (int s = 0; s < seq_len; ++s) count += mask[base + s] != 0 ? 1.f : 0.f;
    const float inv = 1.f / fmaxf(count, 1e-9f);
#pragma unroll
    for (int i = 0; i < kMaxColsPerThread; ++i) {
      const int c = threadIdx.x + i * kThreads;
      float sum = 0.f;
      if (c < hidden) {
        for (int s = 0; s < seq_len; ++s) {
          if (mask[base + s] != 0) sum += x[(base + s) * hidden + c];
        }
      }
      pooled[i] = sum * inv;
      sq += pooled[i] * pooled[i];
    }
  } else {
#pragma unroll
    for (int i = 0; i < kMaxColsPerThread; ++i) {
      const int c = threadIdx.x + i * kThreads;
      pooled[i] = c < hidden ? x[base * hidden + c] : 0.f;
      sq += pooled[i] * pooled[i];
    }
  }
  const float inv_norm = 1.f / fmaxf(sqrtf(block_sum(sq, scratch)), 1e-12f);
#pragma unroll
  for (int i = 0; i < kMaxColsPerThread; ++i) {
    const int c = threadIdx.x + i * kThreads;
    if (c < hidden) out[static_cast<size_t>(seq) * hidden + c] = pooled[i] * inv_norm;
  }
}

}  // namespace

void launch_pool_normalize(const float* x, const int32_t* mask, int batch, int seq_len,
                           int hidden, Pooling pooling, float* out, cudaStream_t stream) {
  if (hidden > kThreads * kMaxColsPerThread) {
    throw CudaError("pool_normalize: hidden size " + std::to_string(hidden) + " > " +
                    std::to_string(kThreads * kMaxColsPerThread));
  }
  if (batch == 0) return;
  pool_normalize_kernel<<<batch, kThreads, 0, stream>>>(x, mask, seq_len, hidden,
                                                        pooling == Pooling::kMean, out);
  RG_CUDA_CHECK_LAUNCH("pool_normalize_kernel");
}

}  // namespace rg::kernels::cuda
