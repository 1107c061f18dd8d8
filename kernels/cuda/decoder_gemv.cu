// kernels/cuda/decoder_gemv.cu: the decode step's matrix-vector products
// (batch 1), where the time is reading the weights once: the floor is
// weight bytes / HBM bandwidth, and everything else is kept off that path.
//
// One kernel shape for all of them: a block of 8 warps, each warp owns 2
// consecutive rows; every lane streams 16-byte chunks (8 bf16 or fp16) of both rows,
// 4 chunks per row in flight before the first FMA, and takes the matching x
// from shared memory. x is staged once per block as fp32; with kRmsNorm the
// block multiplies it by the norm weight while staging and applies the
// 1/rms factor to the dot products (so RMSNorm costs no launch and no pass).
// The epilogue gets both rows of a warp, which is what lets it fuse the
// rotary embedding (rows 2i, 2i+1 are a rotary pair), SwiGLU (rows 2i, 2i+1
// are gate_i, up_i) and residual adds.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/cuda/convert.cuh"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/decoder_kernels.cuh"
#include "kernels/cuda/launch.cuh"

namespace rg::kernels::cuda {
namespace {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;

__device__ __forceinline__ uint4 load_stream(const uint4* p) {
  uint4 v;
  // Weights are read once per token and never reused: keep them out of L1.
  asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

template <typename H>
__device__ __forceinline__ float dot8(const uint4& w, const float4& a, const float4& b) {
  const float2 w0 = unpack2<H>(w.x);
  const float2 w1 = unpack2<H>(w.y);
  const float2 w2 = unpack2<H>(w.z);
  const float2 w3 = unpack2<H>(w.w);
  float s = w0.x * a.x;
  s = fmaf(w0.y, a.y, s);
  s = fmaf(w1.x, a.z, s);
  s = fmaf(w1.y, a.w, s);
  s = fmaf(w2.x, b.x, s);
  s = fmaf(w2.y, b.y, s);
  s = fmaf(w3.x, b.z, s);
  s = fmaf(w3.y, b.w, s);
  return s;
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

template <typename H>
struct QkvEpi {
  GemvQkvEpilogue<H> e;
  __device__ void operator()(int r, float y0, float y1) const {
    if (e.bias) {
      y0 += e.bias[r];
      y1 += e.bias[r + 1];
    }
    const int pos = __ldcg(&e.step->position);
    if (r < e.q_rows + e.kv_rows) {
      const bool is_q = r < e.q_rows;
      const int rr = is_q ? r : r - e.q_rows;
      const int d = rr % e.head_dim;  // even: the pair (d, d + 1)
      float s, c;
      sincosf(static_cast<float>(pos) * e.inv_freq[d >> 1], &s, &c);
      const float a = y0 * c - y1 * s;
      const float b = y1 * c + y0 * s;
      if (is_q) {
        e.q_out[r] = a;
        e.q_out[r + 1] = b;
      } else {
        const int head = rr / e.head_dim;
        H* dst = e.k_cache + (static_cast<size_t>(head) * e.capacity + pos) * e.head_dim + d;
        *reinterpret_cast<uint32_t*>(dst) = pack2<H>(a, b);
      }
    } else {
      const int rr = r - e.q_rows - e.kv_rows;
      const int head = rr / e.head_dim;
      const int d = rr % e.head_dim;
      H* dst = e.v_cache + (static_cast<size_t>(head) * e.capacity + pos) * e.head_dim + d;
      *reinterpret_cast<uint32_t*>(dst) = pack2<H>(y0, y1);
    }
  }
};

struct ResidualEpi {
  float* residual;
  __device__ void operator()(int r, float y0, float y1) const {
    residual[r] = __ldcg(residual + r) + y0;
    residual[r + 1] = __ldcg(residual + r + 1) + y1;
  }
};

struct GateUpEpi {
  float* act;
  __device__ void operator()(int r, float g, float u) const {
    act[r >> 1] = g / (1.f + __expf(-g)) * u;
  }
};

struct StoreEpi {
  float* out;
  __device__ void operator()(int r, float y0, float y1) const {
    out[r] = y0;
    out[r + 1] = y1;
  }
};

// One warp computes kRows consecutive rows (kRows even: the epilogues take
// row pairs); kUnroll 16-byte chunks per row are loaded before their FMAs, and
// the next chunks are loaded while the current ones are multiplied (two
// register buffers). The first chunks are loaded before pdl_wait: weights
// never depend on the previous kernel. rows must be even (checked at model
// creation), cols a multiple of 8.
template <typename H, int kRows, int kUnroll, bool kNorm, class Epi>
__global__ void __launch_bounds__(kThreads)
    gemv_kernel(const H* __restrict__ w, int rows, int cols,
                const float* x, const float* __restrict__ norm_w, float eps, Epi epi) {
  extern __shared__ float4 xs4[];
  float* xs = reinterpret_cast<float*>(xs4);
  const int tid = threadIdx.x;
  const int warp = tid >> 5;
  const int lane = tid & 31;
  const int row0 = (blockIdx.x * kWarps + warp) * kRows;
  const int nvec = cols >> 3;
  const uint4* wr[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    // Rows past the end (only in the last warp) re-read row0: never stored.
    const int row = row0 + r < rows ? row0 + r : (row0 < rows ? row0 : 0);
    wr[r] = reinterpret_cast<const uint4*>(w + static_cast<size_t>(row) * cols);
  }
  uint4 cur[kUnroll][kRows];
  auto load_chunk = [&](uint4 (&dst)[kUnroll][kRows], int v0) {
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int v = v0 + u * 32;
      if (v < nvec) {
#pragma unroll
        for (int r = 0; r < kRows; ++r) dst[u][r] = load_stream(wr[r] + v);
      }
    }
  };
  load_chunk(cur, lane);
  pdl_trigger();
  pdl_wait();

  // Stage x (times the norm weight), summing squares for the RMS factor.
  float ss = 0.f;
  for (int i = tid * 4; i < cols; i += kThreads * 4) {
    // x comes from the previous kernel, which PDL lets overlap this one's
    // start: read it through L2 (ld.global.cg), never the non-coherent path.
    float4 v = __ldcg(reinterpret_cast<const float4*>(x + i));
    if (kNorm) {
      ss += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
      const float4 g = *reinterpret_cast<const float4*>(norm_w + i);
      v.x *= g.x;
      v.y *= g.y;
      v.z *= g.z;
      v.w *= g.w;
    }
    *reinterpret_cast<float4*>(xs + i) = v;
  }
  float scale = 1.f;
  if (kNorm) {
    __shared__ float partial[kWarps];
    ss = warp_sum(ss);
    if (lane == 0) partial[warp] = ss;
    __syncthreads();
    float total = 0.f;
#pragma unroll
    for (int i = 0; i < kWarps; ++i) total += partial[i];
    scale = rsqrtf(total / static_cast<float>(cols) + eps);
  } else {
    __syncthreads();
  }
  if (row0 >= rows) return;

  float acc[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) acc[r] = 0.f;
  for (int v0 = lane; v0 < nvec; v0 += 32 * kUnroll) {
    uint4 next[kUnroll][kRows];
    const bool more = v0 + 32 * kUnroll < nvec;
    if (more) load_chunk(next, v0 + 32 * kUnroll);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int v = v0 + u * 32;
      if (v < nvec) {
        const float4 xa = xs4[2 * v];
        const float4 xb = xs4[2 * v + 1];
#pragma unroll
        for (int r = 0; r < kRows; ++r) acc[r] += dot8<H>(cur[u][r], xa, xb);
      }
    }
    if (more) {
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
#pragma unroll
        for (int r = 0; r < kRows; ++r) cur[u][r] = next[u][r];
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRows; ++r) acc[r] = warp_sum(acc[r]);
  if (lane == 0) {
#pragma unroll
    for (int r = 0; r < kRows; r += 2) {
      if (row0 + r < rows) epi(row0 + r, acc[r] * scale, acc[r + 1] * scale);
    }
  }
}

template <int kRows, int kUnroll, bool kNorm, typename H, class Epi>
void launch_variant(const H* w, int rows, int cols, const float* x,
                    const float* norm_w, float eps, Epi epi, const Launch& l, const char* name) {
  const size_t smem = static_cast<size_t>(cols) * sizeof(float);
  constexpr int kRowsPerBlock = kWarps * kRows;
  const int blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  launch_kernel(gemv_kernel<H, kRows, kUnroll, kNorm, Epi>, dim3(blocks), dim3(kThreads), smem, l,
                name, w, rows, cols, x, norm_w, eps, epi);
}

// Variants (Launch::gemv_variant): 0 = 2 rows x 4 chunks, 1 = 2 x 8,
// 2 = 4 x 4, 3 = 2 x 2 (rows per warp x 16-byte chunks per row per buffer).
template <bool kNorm, typename H, class Epi>
void launch(const H* w, int rows, int cols, const float* x, const float* norm_w,
            float eps, Epi epi, const Launch& l, const char* name) {
  switch (l.gemv_variant) {
    case 1: launch_variant<2, 8, kNorm>(w, rows, cols, x, norm_w, eps, epi, l, name); break;
    case 2: launch_variant<4, 4, kNorm>(w, rows, cols, x, norm_w, eps, epi, l, name); break;
    case 3: launch_variant<2, 2, kNorm>(w, rows, cols, x, norm_w, eps, epi, l, name); break;
    default: launch_variant<2, 4, kNorm>(w, rows, cols, x, norm_w, eps, epi, l, name); break;
  }
}

template <typename H, bool kNorm, class Epi>
void allow_smem(int bytes) {
  auto set = [bytes](auto kernel) {
    RG_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
  };
  set(gemv_kernel<H, 2, 4, kNorm, Epi>);
  set(gemv_kernel<H, 2, 8, kNorm, Epi>);
  set(gemv_kernel<H, 4, 4, kNorm, Epi>);
  set(gemv_kernel<H, 2, 2, kNorm, Epi>);
}

}  // namespace

void gemv_prepare(int max_cols) {
  const int bytes = max_cols * static_cast<int>(sizeof(float));
  if (bytes <= 48 * 1024) return;
  auto allow_all = [bytes](auto h) {
    using H = decltype(h);
    allow_smem<H, true, QkvEpi<H>>(bytes);
    allow_smem<H, false, ResidualEpi>(bytes);
    allow_smem<H, true, GateUpEpi>(bytes);
    allow_smem<H, true, StoreEpi>(bytes);
  };
  allow_all(__nv_bfloat16{});
  allow_all(__half{});
}

template <typename H>
void gemv_qkv(const H* w, int rows, int cols, const float* x, const float* norm_w, float eps,
              const GemvQkvEpilogue<H>& epi, const Launch& l) {
  launch<true>(w, rows, cols, x, norm_w, eps, QkvEpi<H>{epi}, l, "gemv_qkv");
}

template <typename H>
void gemv_residual(const H* w, int rows, int cols, const float* x, float* residual,
                   const Launch& l) {
  launch<false>(w, rows, cols, x, nullptr, 0.f, ResidualEpi{residual}, l, "gemv_residual");
}

template <typename H>
void gemv_gate_up(const H* w, int rows, int cols, const float* x,
                  const float* norm_w, float eps, float* act, const Launch& l) {
  launch<true>(w, rows, cols, x, norm_w, eps, GateUpEpi{act}, l, "gemv_gate_up");
}

template <typename H>
void gemv_logits(const H* w, int rows, int cols, const float* x, const float* norm_w,
                 float eps, float* out, const Launch& l) {
  launch<true>(w, rows, cols, x, norm_w, eps, StoreEpi{out}, l, "gemv_logits");
}

#define INSTANTIATE(H)                                                                        \
  template void gemv_qkv<H>(const H*, int, int, const float*, const float*, float,              \
                            const GemvQkvEpilogue<H>&, const Launch&);                          \
  template void gemv_residual<H>(const H*, int, int, const float*, float*, const Launch&);       \
  template void gemv_gate_up<H>(const H*, int, int, const float*, const float*, float, float*,  \
                                const Launch&);                                                 \
  template void gemv_logits<H>(const H*, int, int, const float*, const float*, float, float*,   \
                               const Launch&);
DECODER_FOR_EACH_HALF(INSTANTIATE)
#undef INSTANTIATE

}  // namespace rg::kernels::cuda
