// kernels/cuda/decoder_attention.cu: causal self-attention over the KV cache
// with grouped-query heads.
//
// Decode (one query token): split-K flash decoding. Block (kv head, split)
// takes one chunk of the cached keys for all `group` query heads that share
// the kv head (so each K/V row is read once for the group): every warp walks
// keys of the chunk, each lane holding head_dim/32 dimensions, with a running
// max / sum / weighted value per head (online softmax). The 4 warps merge in
// shared memory, the block writes (max, sum, acc[head_dim]) per head, and the
// last block of a kv head to finish (a ticket counter) merges all splits and
// writes the output: one launch, no second kernel for the combine.
//
// Prefill: FlashAttention-2 on the tensor cores (mma.sync m16n8k16, bf16 or
// fp16 in, fp32 accumulate), one block of 4 warps per (64 queries, head); K and V tiles
// of 64 cached positions go through shared memory (K and V read back with
// ldmatrix / ldmatrix.trans), key tiles past the block's last query are never loaded and
// only the diagonal tile is masked. Query tiles are issued longest-first.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>

#include "kernels/cuda/convert.cuh"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/mma.cuh"
#include "kernels/cuda/decoder_kernels.cuh"

namespace rg::kernels::cuda {
namespace {

// ---------------------------------------------------------------- decode
constexpr int kDecodeWarps = 16;
constexpr int kMaxGroup = 8;
constexpr int kMaxSplits = 64;

template <int kHeadDim, typename H>
struct LaneVec;  // head_dim / 32 16-bit values of one row per lane
template <typename H>
struct LaneVec<64, H> {
  static constexpr int kN = 2;
  __device__ static void load(const H* p, float (&out)[2]) {
    const float2 v = unpack2<H>(__ldcg(reinterpret_cast<const unsigned*>(p)));
    out[0] = v.x;
    out[1] = v.y;
  }
};
template <typename H>
struct LaneVec<128, H> {
  static constexpr int kN = 4;
  __device__ static void load(const H* p, float (&out)[4]) {
    const uint2 raw = __ldcg(reinterpret_cast<const uint2*>(p));
    const float2 a = unpack2<H>(raw.x);
    const float2 b = unpack2<H>(raw.y);
    out[0] = a.x;
    out[1] = a.y;
    out[2] = b.x;
    out[3] = b.y;
  }
};

__device__ __forceinline__ float warp_allsum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Keys one split covers at most before another split is used: each of the
// 16 warps then walks 8 keys, 4 at a time (two rounds of loads). Decode is
// latency-bound at short contexts: one split per kv head up to 128 keys, so
// no partial results and no second merge.
constexpr int kDefaultKeysPerSplit = 128;
constexpr int kKeyUnroll = 4;

template <int kHeadDim, typename H>
__global__ void __launch_bounds__(kDecodeWarps * 32)
    attention_decode_kernel(const float* q, const H* k_cache, const H* v_cache,
                            const DecodeStepInput* step, int group, int capacity,
                            int splits, int keys_per_split, int window, float scale,
                            float* __restrict__ partial, int* __restrict__ counters,
                            float* __restrict__ out) {
  using Vec = LaneVec<kHeadDim, H>;
  constexpr int kN = Vec::kN;
  constexpr int kRecord = kHeadDim + 2;  // max, sum, acc
  pdl_trigger();
  pdl_wait();
  const int kvh = blockIdx.x;
  const int split = blockIdx.y;
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  // q and the newest K/V row come from the previous kernel (PDL overlaps it
  // with this one's start): every such read goes through L2 (__ldcg).
  const int len = __ldcg(&step->position) + 1;
  // Keys first .. len-1: all of them, or the last `window` (sliding window).
  const int first = window > 0 ? max(0, len - window) : 0;
  const int count = len - first;
  // The grid is fixed (a captured graph replays it at every position); only
  // as many splits work as the context needs, the others leave at once.
  const int active = min(splits, (count + keys_per_split - 1) / keys_per_split);
  if (split >= active) return;
  const int chunk = (count + active - 1) / active;
  const int k0 = first + split * chunk;
  const int k1 = min(len, k0 + chunk);

  float qv[kMaxGroup][kN];
#pragma unroll
  for (int g = 0; g < kMaxGroup; ++g) {
#pragma unroll
    for (int e = 0; e < kN; ++e) {
      qv[g][e] = g < group ? __ldcg(q + (kvh * group + g) * kHeadDim + lane * kN + e) * scale : 0.f;
    }
  }
  float m[kMaxGroup], l[kMaxGroup], acc[kMaxGroup][kN];
#pragma unroll
  for (int g = 0; g < kMaxGroup; ++g) {
    m[g] = -INFINITY;
    l[g] = 0.f;
#pragma unroll
    for (int e = 0; e < kN; ++e) acc[g][e] = 0.f;
  }
  const size_t head_base = static_cast<size_t>(kvh) * capacity * kHeadDim + lane * kN;
  for (int t0 = k0 + warp; t0 < k1; t0 += kDecodeWarps * kKeyUnroll) {
    // kKeyUnroll rows of K and V requested before the first is used.
    float kv[kKeyUnroll][kN], vv[kKeyUnroll][kN];
#pragma unroll
    for (int u = 0; u < kKeyUnroll; ++u) {
      const int t = t0 + u * kDecodeWarps;
      if (t < k1) {
        Vec::load(k_cache + head_base + static_cast<size_t>(t) * kHeadDim, kv[u]);
        Vec::load(v_cache + head_base + static_cast<size_t>(t) * kHeadDim, vv[u]);
      }
    }
#pragma unroll
    for (int u = 0; u < kKeyUnroll; ++u) {
      if (t0 + u * kDecodeWarps >= k1) break;
#pragma unroll
      for (int g = 0; g < kMaxGroup; ++g) {
        if (g < group) {
          float sc = 0.f;
#pragma unroll
          for (int e = 0; e < kN; ++e) sc = fmaf(qv[g][e], kv[u][e], sc);
          sc = warp_allsum(sc);
          const float mn = fmaxf(m[g], sc);
          const float c = __expf(m[g] - mn);
          const float p = __expf(sc - mn);
          l[g] = l[g] * c + p;
#pragma unroll
          for (int e = 0; e < kN; ++e) acc[g][e] = fmaf(acc[g][e], c, p * vv[u][e]);
          m[g] = mn;
        }
      }
    }
  }

  // Merge the warps of the block, one query head at a time. With a single
  // active split (a context of up to keys_per_split) the block writes the
  // output itself; otherwise its partial record.
  __shared__ float sm_m[kDecodeWarps];
  __shared__ float sm_l[kDecodeWarps];
  __shared__ float sm_acc[kDecodeWarps][kHeadDim];
  float* rec_base = partial + (static_cast<size_t>(kvh) * splits + split) * group * kRecord;
#pragma unroll
  for (int g = 0; g < kMaxGroup; ++g) {
    if (g >= group) break;
    if (lane == 0) {
      sm_m[warp] = m[g];
      sm_l[warp] = l[g];
    }
#pragma unroll
    for (int e = 0; e < kN; ++e) sm_acc[warp][lane * kN + e] = acc[g][e];
    __syncthreads();
    if (threadIdx.x < kHeadDim) {
      const int d = threadIdx.x;
      float mx = -INFINITY;
#pragma unroll
      for (int w = 0; w < kDecodeWarps; ++w) mx = fmaxf(mx, sm_m[w]);
      float a = 0.f, sum = 0.f;
      if (mx != -INFINITY) {
#pragma unroll
        for (int w = 0; w < kDecodeWarps; ++w) {
          const float f = __expf(sm_m[w] - mx);
          a += sm_acc[w][d] * f;
          sum += sm_l[w] * f;
        }
      }
      if (active == 1) {
        out[(kvh * group + g) * kHeadDim + d] = a / sum;
      } else {
        float* rec = rec_base + g * kRecord;
        rec[2 + d] = a;
        if (d == 0) {
          rec[0] = mx;
          rec[1] = sum;
        }
      }
    }
    __syncthreads();
  }
  if (active == 1) return;

  // The last active block of this kv head merges every active split.
  __shared__ bool is_last;
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) is_last = atomicAdd(&counters[kvh], 1) == active - 1;
  __syncthreads();
  if (!is_last) return;
  __threadfence();
  // Weights of the splits first (all loads in parallel), then the sums.
  __shared__ float sm_w[kMaxSplits][kMaxGroup];
  __shared__ float sm_inv[kMaxGroup];
  const float* head_rec = partial + static_cast<size_t>(kvh) * splits * group * kRecord;
  for (int i = threadIdx.x; i < active * group; i += kDecodeWarps * 32) {
    sm_w[i / group][i % group] = __ldcg(head_rec + i * kRecord);  // max of (split, g)
  }
  __syncthreads();
  if (threadIdx.x < group) {
    const int g = threadIdx.x;
    float mx = -INFINITY;
    for (int sp = 0; sp < active; ++sp) mx = fmaxf(mx, sm_w[sp][g]);
    float total = 0.f;
#pragma unroll 8
    for (int sp = 0; sp < active; ++sp) {
      const float f = sm_w[sp][g] == -INFINITY ? 0.f : __expf(sm_w[sp][g] - mx);
      total += __ldcg(head_rec + (sp * group + g) * kRecord + 1) * f;
      sm_w[sp][g] = f;
    }
    sm_inv[g] = 1.f / total;
  }
  __syncthreads();
  for (int i = threadIdx.x; i < group * kHeadDim; i += kDecodeWarps * 32) {
    const int g = i / kHeadDim;
    const int d = i % kHeadDim;
    float a = 0.f;
#pragma unroll 8
    for (int sp = 0; sp < active; ++sp) {
      a += __ldcg(head_rec + (sp * group + g) * kRecord + 2 + d) * sm_w[sp][g];
    }
    out[(kvh * group + g) * kHeadDim + d] = a * sm_inv[g];
  }
  if (threadIdx.x == 0) counters[kvh] = 0;  // ready for the next step
}

// ---------------------------------------------------------------- prefill
constexpr int kWarps = 4;
constexpr int kRowsPerWarp = 16;
constexpr int kQueryTile = kWarps * kRowsPerWarp;  // 64
constexpr int kKeyTile = 64;

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&b)[4], const void* p) {
  const unsigned addr = static_cast<unsigned>(__cvta_generic_to_shared(p));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(b[0]), "=r"(b[1]), "=r"(b[2]), "=r"(b[3])
               : "r"(addr));
}

__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&b)[4], const void* p) {
  const unsigned addr = static_cast<unsigned>(__cvta_generic_to_shared(p));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(b[0]), "=r"(b[1]), "=r"(b[2]), "=r"(b[3])
               : "r"(addr));
}

// 2^x on the special function unit (ex2.approx: 2^-inf = 0).
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// 16-byte global -> shared copy that bypasses registers; zero-fills when !ok.
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool ok) {
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  const int bytes = ok ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(bytes));
}

template <int kHeadDim, typename H>
__global__ void __launch_bounds__(kWarps * 32)
    attention_prefill_kernel(const H* __restrict__ q, const H* __restrict__ k_cache,
                             const H* __restrict__ v_cache, int n, int start, int heads,
                             int group, int capacity, int window, float scale,
                             H* __restrict__ ctx) {
  constexpr int kStride = kHeadDim + 8;  // elements per smem row: 16-byte rows, no bank conflicts
  constexpr int kDimChunks = kHeadDim / 16;
  constexpr int kDimTiles = kHeadDim / 8;
  constexpr int kKeyTiles = kKeyTile / 8;
  constexpr int kVecPerRow = kHeadDim / 8;
  constexpr int kTileElems = kKeyTile * kStride;
  // Two stages of K and V tiles: the next tile's copy (cp.async) runs while
  // the current one is multiplied.
  extern __shared__ __align__(16) unsigned char smem_raw[];
  H* smem = reinterpret_cast<H*>(smem_raw);

  const int qtile = gridDim.x - 1 - blockIdx.x;  // longest rows first
  const int head = blockIdx.y;
  const int kvh = head / group;
  const int tid = threadIdx.x;
  const int warp = tid >> 5;
  const int lane = tid & 31;
  const int g = lane >> 2;
  const int t = lane & 3;
  const int row_a = qtile * kQueryTile + warp * kRowsPerWarp + g;  // query index in this call
  const int row_b = row_a + 8;
  const int pos_a = start + min(row_a, n - 1);  // absolute positions (rows past n clamp)
  const int pos_b = start + min(row_b, n - 1);
  const int q_dim = heads * kHeadDim;

  uint32_t qf[kDimChunks][4];
  {
    auto qval = [&](int row, int d) -> float {
      if (row >= n) return 0.f;
      // Unscaled: the scale is applied to the fp32 scores, so q is not
      // rounded to 16 bits a second time. Everything packed in this kernel
      // is within H's range already (q read from H, P in [0, 1], the
      // context a convex combination of V rows): no saturation needed.
      return to_float(q[static_cast<size_t>(row) * q_dim + head * kHeadDim + d]);
    };
#pragma unroll
    for (int kc = 0; kc < kDimChunks; ++kc) {
      const int d = kc * 16 + 2 * t;
      qf[kc][0] = pack2_in_range<H>(qval(row_a, d), qval(row_a, d + 1));
      qf[kc][1] = pack2_in_range<H>(qval(row_b, d), qval(row_b, d + 1));
      qf[kc][2] = pack2_in_range<H>(qval(row_a, d + 8), qval(row_a, d + 9));
      qf[kc][3] = pack2_in_range<H>(qval(row_b, d + 8), qval(row_b, d + 9));
    }
  }
  float o[kDimTiles][4];
#pragma unroll
  for (int i = 0; i < kDimTiles; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  float m_a = -INFINITY, m_b = -INFINITY, l_a = 0.f, l_b = 0.f;

  const int last_pos = start + min(n, (qtile + 1) * kQueryTile) - 1;  // block's last query
  const int first_pos = start + qtile * kQueryTile;
  // Sliding window: keys below first_pos - window + 1 are seen by no query
  // of the block (tiles before it are skipped), keys below last_pos - window
  // + 1 by some (those tiles are masked).
  const int key_begin = window > 0 ? max(0, first_pos - window + 1) / kKeyTile * kKeyTile : 0;
  const int unmasked_from = window > 0 ? last_pos - window + 1 : 0;
  const H* kh = k_cache + static_cast<size_t>(kvh) * capacity * kHeadDim;
  const H* vh = v_cache + static_cast<size_t>(kvh) * capacity * kHeadDim;

  // Queues the copy of the key tile starting at key0 into stage `st`; rows
  // past last_pos are zero-filled (src-size 0).
  auto load_tile = [&](int key0, int st) {
    H* k_dst = smem + st * 2 * kTileElems;
    H* v_dst = k_dst + kTileElems;
    for (int i = tid; i < kKeyTile * kVecPerRow; i += kWarps * 32) {
      const int j = i / kVecPerRow;
      const int c = (i % kVecPerRow) * 8;
      const bool ok = key0 + j <= last_pos;
      const size_t off = static_cast<size_t>(ok ? key0 + j : 0) * kHeadDim + c;
      cp_async16(&k_dst[j * kStride + c], kh + off, ok);
      cp_async16(&v_dst[j * kStride + c], vh + off, ok);
    }
    asm volatile("cp.async.commit_group;\n" ::);
  };
  load_tile(key_begin, 0);
  int stage = 0;
  for (int key0 = key_begin; key0 <= last_pos; key0 += kKeyTile, stage ^= 1) {
    if (key0 + kKeyTile <= last_pos) {
      load_tile(key0 + kKeyTile, stage ^ 1);
      asm volatile("cp.async.wait_group 1;\n" ::);
    } else {
      asm volatile("cp.async.wait_group 0;\n" ::);
    }
    __syncthreads();
    const H* k_s = smem + stage * 2 * kTileElems;
    const H* v_s = k_s + kTileElems;

    float s[kKeyTiles][4];
#pragma unroll
    for (int j = 0; j < kKeyTiles; ++j) {
      s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.f;
      // Two 16-dim chunks of 8 keys' K rows per ldmatrix.x4 (lane l gives
      // the address of key 8j + l%8, dims 8 * (l/8) of the pair of chunks).
      const H* krow = &k_s[(8 * j + (lane & 7)) * kStride + 8 * (lane >> 3)];
#pragma unroll
      for (int kc = 0; kc < kDimChunks; kc += 2) {
        uint32_t b[4];
        ldmatrix_x4(b, krow + kc * 16);
        mma16816<H>(s[j], qf[kc], b[0], b[1]);
        mma16816<H>(s[j], qf[kc + 1], b[2], b[3]);
      }
    }
#pragma unroll
    for (int j = 0; j < kKeyTiles; ++j) {
#pragma unroll
      for (int e = 0; e < 4; ++e) s[j][e] *= scale;
    }
    // Causal mask, only where this tile reaches past the block's first query;
    // the window's lower edge, only where the tile starts below it.
    if (key0 + kKeyTile - 1 > first_pos) {
#pragma unroll
      for (int j = 0; j < kKeyTiles; ++j) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const int key = key0 + 8 * j + 2 * t + e;
          if (key > pos_a) s[j][e] = -INFINITY;
          if (key > pos_b) s[j][2 + e] = -INFINITY;
        }
      }
    }
    if (key0 < unmasked_from) {
#pragma unroll
      for (int j = 0; j < kKeyTiles; ++j) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const int key = key0 + 8 * j + 2 * t + e;
          if (key <= pos_a - window) s[j][e] = -INFINITY;
          if (key <= pos_b - window) s[j][2 + e] = -INFINITY;
        }
      }
    }
    online_softmax_step(s, o, m_a, m_b, l_a, l_b, [](float x) { return fast_exp2(x); });
#pragma unroll
    for (int kc = 0; kc < kKeyTile / 16; ++kc) {
      const uint32_t a[4] = {pack2_in_range<H>(s[2 * kc][0], s[2 * kc][1]),
                             pack2_in_range<H>(s[2 * kc][2], s[2 * kc][3]),
                             pack2_in_range<H>(s[2 * kc + 1][0], s[2 * kc + 1][1]),
                             pack2_in_range<H>(s[2 * kc + 1][2], s[2 * kc + 1][3])};
      // Two 8-dim tiles of V per ldmatrix.x4.trans: lane l addresses key
      // 16 kc + l%16, dims 8 (i + l/16).
      const H* vrow = &v_s[(16 * kc + (lane & 15)) * kStride + 8 * (lane >> 4)];
#pragma unroll
      for (int i = 0; i < kDimTiles; i += 2) {
        uint32_t b[4];
        ldmatrix_x4_trans(b, vrow + 8 * i);
        mma16816<H>(o[i], a, b[0], b[1]);
        mma16816<H>(o[i + 1], a, b[2], b[3]);
      }
    }
    __syncthreads();
  }

  l_a = quad_sum(l_a);
  l_b = quad_sum(l_b);
  const float inv_a = l_a > 0.f ? 1.f / l_a : 0.f;
  const float inv_b = l_b > 0.f ? 1.f / l_b : 0.f;
  const int col = head * kHeadDim + 2 * t;
#pragma unroll
  for (int i = 0; i < kDimTiles; ++i) {
    if (row_a < n) {
      *reinterpret_cast<uint32_t*>(&ctx[static_cast<size_t>(row_a) * q_dim + col + 8 * i]) =
          pack2_in_range<H>(o[i][0] * inv_a, o[i][1] * inv_a);
    }
    if (row_b < n) {
      *reinterpret_cast<uint32_t*>(&ctx[static_cast<size_t>(row_b) * q_dim + col + 8 * i]) =
          pack2_in_range<H>(o[i][2] * inv_b, o[i][3] * inv_b);
    }
  }
}

}  // namespace

int attention_decode_default_keys_per_split() { return kDefaultKeysPerSplit; }

bool attention_decode_supports(int head_dim, int group) {
  return (head_dim == 64 || head_dim == 128) && group >= 1 && group <= kMaxGroup;
}

template <typename H>
void attention_decode(const float* q, const H* k_cache, const H* v_cache,
                      const DecodeStepInput* step, int heads, int kv_heads, int head_dim,
                      int capacity, int window, int splits, int keys_per_split, float* partial,
                      int* counters, float* out, const Launch& l) {
  const int group = heads / kv_heads;
  const dim3 grid(kv_heads, splits);
  const float scale = 1.f / sqrtf(static_cast<float>(head_dim));
  auto kernel = head_dim == 64 ? attention_decode_kernel<64, H> : attention_decode_kernel<128, H>;
  launch_kernel(kernel, grid, dim3(kDecodeWarps * 32), 0, l, "attention_decode_kernel", q, k_cache,
                v_cache, step, group, capacity, splits, keys_per_split, window, scale, partial,
                counters, out);
}

bool attention_prefill_supports(int head_dim) { return head_dim == 64 || head_dim == 128; }

template <typename H>
void attention_prefill(const H* q, const H* k_cache, const H* v_cache, int n, int start,
                       int heads, int kv_heads, int head_dim, int capacity, int window, H* ctx,
                       cudaStream_t stream) {
  const dim3 grid((n + kQueryTile - 1) / kQueryTile, heads);
  // Scores in base 2: q is scaled by log2(e) / sqrt(head_dim) and the
  // softmax uses exp2 (one multiply fewer per score; same probabilities).
  const float scale = 1.4426950408889634f / sqrtf(static_cast<float>(head_dim));
  const int group = heads / kv_heads;
  // Two stages x (K + V) x 64 rows x (head_dim + 8) 16-bit values.
  const size_t smem = size_t{2} * 2 * kKeyTile * (head_dim + 8) * sizeof(H);
  auto kernel = head_dim == 64 ? attention_prefill_kernel<64, H> : attention_prefill_kernel<128, H>;
  RG_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                     static_cast<int>(smem)));
  kernel<<<grid, kWarps * 32, smem, stream>>>(q, k_cache, v_cache, n, start, heads, group,
                                             capacity, window, scale, ctx);
  RG_CUDA_CHECK_LAUNCH("attention_prefill_kernel");
}

#define INSTANTIATE(H)                                                                         \
  template void attention_decode<H>(const float*, const H*, const H*, const DecodeStepInput*, int, \
                                    int, int, int, int, int, int, float*, int*, float*,            \
                                    const Launch&);                                                \
  template void attention_prefill<H>(const H*, const H*, const H*, int, int, int, int, int, int, \
                                     int, H*, cudaStream_t);
DECODER_FOR_EACH_HALF(INSTANTIATE)
#undef INSTANTIATE

}  // namespace rg::kernels::cuda
