// kernels/cuda/attention.cu: fused multi-head self-attention for the encoder:
// q/k/v bias add, scores, additive padding mask, softmax and the weighted sum
// of values in one kernel, reading the fused QKV projection straight from the
// GEMM's output.
//
// One block per (query tile of kQueryTile rows, head, sequence); one thread
// per query row, holding q and its output accumulator in registers. Keys and
// values stream through shared memory kKeyTile rows at a time, and the
// softmax is computed online (running max and sum, flash-attention style), so
// any seq_len works with fixed shared memory. Every thread of a block reads
// the same key row at once: shared-memory broadcasts, no bank conflicts.
// Key tiles whose keys are all padding are skipped.
//
// fp32 on the CUDA cores throughout (in bf16 mode q, k, v arrive as bf16 from
// the GEMM and the output is rounded to bf16 for the next GEMM). Attention is ~5% of the encoder's FLOPs
// at seq_len 128 for a MiniLM-sized model.
#include "kernels/cuda/convert.cuh"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/encoder_kernels.cuh"

#include <cfloat>
#include <cstdlib>
#include <string>
#include <type_traits>

namespace rg::kernels::cuda {
namespace {

constexpr int kQueryTile = 64;  // threads per block, one query row each
// Keys per shared-memory tile: 64, or 32 for head size 128 (static shared
// memory stays under 48 KB: 2 * tile * head_dim * 4 bytes).
template <int kHeadDim>
__host__ __device__ constexpr int key_tile() { return kHeadDim <= 64 ? 64 : 32; }
constexpr int kKeyChunk = 8;    // keys scored before one online-softmax update

template <int kHeadDim, typename GemmIn>
__global__ void __launch_bounds__(kQueryTile)
    attention_kernel(const GemmIn* __restrict__ qkv, const float* __restrict__ qkv_bias,
                     const int32_t* __restrict__ mask, int seq_len, int heads, float scale,
                     GemmIn* __restrict__ ctx) {
  static_assert(kHeadDim % 4 == 0, "head_dim must be a multiple of 4");
  constexpr int kVec = kHeadDim / 4;
  constexpr int kKeyTile = key_tile<kHeadDim>();
  __shared__ float4 k_tile[kKeyTile][kVec];
  __shared__ float4 v_tile[kKeyTile][kVec];
  __shared__ int key_ok[kKeyTile];

  const int head = blockIdx.y;
  const int seq = blockIdx.z;
  const int hidden = heads * kHeadDim;
  const size_t ld = 3 * static_cast<size_t>(hidden);
  const size_t seq_base = static_cast<size_t>(seq) * seq_len;
  const int tid = threadIdx.x;
  const int query = blockIdx.x * kQueryTile + tid;
  const bool has_query = query < seq_len;

  // q (scaled) and the output accumulator, in registers.
  float q[kHeadDim];
  float acc[kHeadDim];
  {
    const GemmIn* qrow = qkv + (seq_base + (has_query ? query : 0)) * ld + head * kHeadDim;
    const float* qb = qkv_bias + head * kHeadDim;
#pragma unroll
    for (int d = 0; d < kHeadDim; ++d) {
      q[d] = has_query ? (to_float(qrow[d]) + qb[d]) * scale : 0.f;
      acc[d] = 0.f;
    }
  }
  float running_max = -FLT_MAX;
  float running_sum = 0.f;

  const float4* k_bias = reinterpret_cast<const float4*>(qkv_bias + hidden + head * kHeadDim);
  const float4* v_bias = reinterpret_cast<const float4*>(qkv_bias + 2 * hidden + head * kHeadDim);

  for (int key0 = 0; key0 < seq_len; key0 += kKeyTile) {
    // Which keys of this tile are real tokens; skip the tile if none is.
    int ok = 0;
    if (tid < kKeyTile) {
      const int key = key0 + tid;
      ok = key < seq_len && mask[seq_base + key] != 0;
      key_ok[tid] = ok;
    }
    if (!__syncthreads_or(ok)) continue;
    // Load the tile's keys and values (+ bias), 16 bytes at a time.
    for (int i = tid; i < kKeyTile * kVec; i += kQueryTile) {
      const int j = i / kVec;
      const int c = i % kVec;
      const int key = key0 + j;
      float4 kv = make_float4(0.f, 0.f, 0.f, 0.f);
      float4 vv = kv;
      if (key < seq_len) {
        const GemmIn* row = qkv + (seq_base + key) * ld + head * kHeadDim;
        const float4 kr = load4(row + hidden + 4 * c);
        const float4 vr = load4(row + 2 * hidden + 4 * c);
        const float4 kb = k_bias[c];
        const float4 vb = v_bias[c];
        kv = make_float4(kr.x + kb.x, kr.y + kb.y, kr.z + kb.z, kr.w + kb.w);
        vv = make_float4(vr.x + vb.x, vr.y + vb.y, vr.z + vb.z, vr.w + vb.w);
      }
      k_tile[j][c] = kv;
      v_tile[j][c] = vv;
    }
    __syncthreads();

    const int keys_here = min(kKeyTile, seq_len - key0);
    for (int j0 = 0; j0 < keys_here; j0 += kKeyChunk) {
      float s[kKeyChunk];
      float chunk_max = -FLT_MAX;
#pragma unroll
      for (int u = 0; u < kKeyChunk; ++u) {
        const int j = j0 + u;
        float dot = 0.f;
        if (j < keys_here && key_ok[j]) {
#pragma unroll
          for (int c = 0; c < kVec; ++c) {
            const float4 k4 = k_tile[j][c];
            dot = fmaf(q[4 * c], k4.x, dot);
            dot = fmaf(q[4 * c + 1], k4.y, dot);
            dot = fmaf(q[4 * c + 2], k4.z, dot);
            dot = fmaf(q[4 * c + 3], k4.w, dot);
          }
          s[u] = dot;
          chunk_max = fmaxf(chunk_max, dot);
        } else {
          s[u] = -FLT_MAX;  // masked or past the end: weight exactly 0 below
        }
      }
      if (chunk_max == -FLT_MAX) continue;  // the whole chunk is padding
      const float new_max = fmaxf(running_max, chunk_max);
      const float correction = expf(running_max - new_max);
      running_sum *= correction;
#pragma unroll
      for (int d = 0; d < kHeadDim; ++d) acc[d] *= correction;
#pragma unroll
      for (int u = 0; u < kKeyChunk; ++u) {
        const float p = s[u] == -FLT_MAX ? 0.f : expf(s[u] - new_max);
        running_sum += p;
        const int j = min(j0 + u, kKeyTile - 1);
#pragma unroll
        for (int c = 0; c < kVec; ++c) {
          const float4 v4 = v_tile[j][c];
          acc[4 * c] = fmaf(p, v4.x, acc[4 * c]);
          acc[4 * c + 1] = fmaf(p, v4.y, acc[4 * c + 1]);
          acc[4 * c + 2] = fmaf(p, v4.z, acc[4 * c + 2]);
          acc[4 * c + 3] = fmaf(p, v4.w, acc[4 * c + 3]);
        }
      }
      running_max = new_max;
    }
    __syncthreads();  // before the next tile overwrites k_tile / v_tile
  }

  if (!has_query) return;
  // A sequence with no real token at all gets zeros (HF would average the
  // values uniformly); tokenizers always emit [CLS] and [SEP].
  const float inv = running_sum > 0.f ? 1.f / running_sum : 0.f;
  GemmIn* out = ctx + (seq_base + query) * hidden + head * kHeadDim;
#pragma unroll
  for (int d = 0; d < kHeadDim; ++d) out[d] = from_float<GemmIn>(acc[d] * inv);
}

template <int kHeadDim, typename GemmIn>
void launch_for(const GemmIn* qkv, const float* qkv_bias, const int32_t* mask, int batch,
                int seq_len, int heads, GemmIn* ctx, cudaStream_t stream) {
  const dim3 grid((seq_len + kQueryTile - 1) / kQueryTile, heads, batch);
  const float scale = 1.f / sqrtf(static_cast<float>(kHeadDim));
  attention_kernel<kHeadDim, GemmIn>
      <<<grid, kQueryTile, 0, stream>>>(qkv, qkv_bias, mask, seq_len, heads, scale, ctx);
}

}  // namespace

bool attention_supports_head_dim(int head_dim) {
  return head_dim == 16 || head_dim == 32 || head_dim == 64 || head_dim == 128;
}

// bf16 goes to the tensor-core kernel (attention_mma.cu) where it has the head
// size, unless RG_GPU_ENCODER_MMA_ATTENTION=0.
bool use_mma_attention() {
  static const bool use = [] {
    const char* v = std::getenv("RG_GPU_ENCODER_MMA_ATTENTION");
    return v == nullptr || std::string(v) != "0";
  }();
  return use;
}

template <typename GemmIn>
void launch_attention(const GemmIn* qkv, const float* qkv_bias, const int32_t* mask, int batch,
                      int seq_len, int heads, int head_dim, GemmIn* ctx, cudaStream_t stream) {
  if constexpr (std::is_same_v<GemmIn, __nv_bfloat16>) {
    if (use_mma_attention() &&
        launch_attention_mma(qkv, qkv_bias, mask, batch, seq_len, heads, head_dim, ctx, stream)) {
      return;
    }
  }
  switch (head_dim) {
    case 16: launch_for<16>(qkv, qkv_bias, mask, batch, seq_len, heads, ctx, stream); break;
    case 32: launch_for<32>(qkv, qkv_bias, mask, batch, seq_len, heads, ctx, stream); break;
    case 64: launch_for<64>(qkv, qkv_bias, mask, batch, seq_len, heads, ctx, stream); break;
    case 128: launch_for<128>(qkv, qkv_bias, mask, batch, seq_len, heads, ctx, stream); break;
    default: throw CudaError("attention: head size " + std::to_string(head_dim) +
                             " is not compiled (16, 32, 64, 128)");
  }
  RG_CUDA_CHECK_LAUNCH("attention_kernel");
}

template void launch_attention<float>(const float*, const float*, const int32_t*, int, int, int,
                                      int, float*, cudaStream_t);
template void launch_attention<__nv_bfloat16>(const __nv_bfloat16*, const float*, const int32_t*, int,
                                              int, int, int, __nv_bfloat16*, cudaStream_t);

}  // namespace rg::kernels::cuda
