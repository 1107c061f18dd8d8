// kernels/cuda/decoder_elementwise.cu: the decoder's small kernels: token
// embedding gather, RMSNorm rows and rotary embedding + KV-cache append for
// prefill, SwiGLU, and the weight upload conversions (fp32 / fp16 / bf16 /
// Q8_0 -> the engine's 16-bit type, with the row permutations of
// decoder_kernels.cuh) and random initialisation for benchmarks.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#include "kernels/cuda/convert.cuh"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/decoder_kernels.cuh"

namespace rg::kernels::cuda {
namespace {

template <typename H>
__global__ void embed_kernel(const H* __restrict__ emb, int hidden,
                             const int32_t* __restrict__ tokens, float* __restrict__ x,
                             uint8_t* __restrict__ seen) {
  pdl_trigger();
  pdl_wait();
  const int t = blockIdx.x;
  if (threadIdx.x == 0) seen[tokens[t]] = 1;
  const size_t row = static_cast<size_t>(tokens[t]) * hidden;
  for (int i = threadIdx.x; i < hidden; i += blockDim.x) {
    x[static_cast<size_t>(t) * hidden + i] = to_float(emb[row + i]);
  }
}

// One block per row; width % 4 == 0 (hidden sizes are multiples of 8). 16-byte
// loads of x and w, 8-byte stores of the 16-bit output.
template <typename H>
__global__ void rms_norm_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                int width, float eps, H* __restrict__ out) {
  const float4* row = reinterpret_cast<const float4*>(x + static_cast<size_t>(blockIdx.x) * width);
  const float4* w4 = reinterpret_cast<const float4*>(w);
  const int n4 = width / 4;
  float ss = 0.f;
  for (int i = threadIdx.x; i < n4; i += blockDim.x) {
    const float4 v = row[i];
    ss += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
  }
  __shared__ float partial[32];
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, o);
  if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = ss;
  __syncthreads();
  float total = 0.f;
  for (int i = 0; i < static_cast<int>(blockDim.x >> 5); ++i) total += partial[i];
  const float scale = rsqrtf(total / static_cast<float>(width) + eps);
  H* o = out + static_cast<size_t>(blockIdx.x) * width;
  for (int i = threadIdx.x; i < n4; i += blockDim.x) {
    const float4 v = row[i];
    const float4 g = w4[i];
    store4(o + 4 * i, make_float4(v.x * scale * g.x, v.y * scale * g.y, v.z * scale * g.z,
                                  v.w * scale * g.w));
  }
}

template <typename In, typename H>
__global__ void rope_qkv_kernel(const In* __restrict__ qkv, const float* __restrict__ bias,
                                const float* __restrict__ inv_freq, int start, int q_rows,
                                int kv_rows, int head_dim, int capacity, H* __restrict__ q,
                                H* __restrict__ k_cache, H* __restrict__ v_cache) {
  const int t = blockIdx.x;
  const int pos = start + t;
  const int width = q_rows + 2 * kv_rows;
  const In* row = qkv + static_cast<size_t>(t) * width;
  for (int p = threadIdx.x; p < width / 2; p += blockDim.x) {
    const int r = 2 * p;
    float y0 = to_float(row[r]);
    float y1 = to_float(row[r + 1]);
    if (bias) {
      y0 += bias[r];
      y1 += bias[r + 1];
    }
    if (r < q_rows + kv_rows) {
      const bool is_q = r < q_rows;
      const int rr = is_q ? r : r - q_rows;
      const int d = rr % head_dim;
      float s, c;
      sincosf(static_cast<float>(pos) * inv_freq[d >> 1], &s, &c);
      const uint32_t v = pack2<H>(y0 * c - y1 * s, y1 * c + y0 * s);
      if (is_q) {
        *reinterpret_cast<uint32_t*>(q + static_cast<size_t>(t) * q_rows + r) = v;
      } else {
        const int head = rr / head_dim;
        *reinterpret_cast<uint32_t*>(
            k_cache + (static_cast<size_t>(head) * capacity + pos) * head_dim + d) = v;
      }
    } else {
      const int rr = r - q_rows - kv_rows;
      const int head = rr / head_dim;
      const int d = rr % head_dim;
      *reinterpret_cast<uint32_t*>(
          v_cache + (static_cast<size_t>(head) * capacity + pos) * head_dim + d) =
          pack2<H>(y0, y1);
    }
  }
}

template <typename H>
__global__ void silu_mul_kernel(const float2* __restrict__ gu, int64_t count,
                                H* __restrict__ act) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float2 v = gu[i];  // (gate, up)
    act[i] = from_float<H>(v.x / (1.f + __expf(-v.x)) * v.y);
  }
}

// The 16-bit case with 16-byte loads (4 gate/up pairs) and 8-byte stores;
// count % 4 == 0 (intermediate sizes are multiples of 8).
template <typename H>
__global__ void silu_mul_x8_kernel(const uint4* __restrict__ gu, int64_t count4,
                                   uint2* __restrict__ act) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count4;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const uint4 raw = gu[i];
    const unsigned words[4] = {raw.x, raw.y, raw.z, raw.w};
    float r[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const float2 v = unpack2<H>(words[k]);
      r[k] = v.x / (1.f + __expf(-v.x)) * v.y;
    }
    act[i] = make_uint2(pack2<H>(r[0], r[1]), pack2<H>(r[2], r[3]));
  }
}

__device__ __forceinline__ float load_any(const void* src, int dtype, int64_t row, int64_t col,
                                          int64_t cols) {
  const int64_t i = row * cols + col;
  switch (dtype) {
    case 0: return static_cast<const float*>(src)[i];
    case 1: return __half2float(static_cast<const __half*>(src)[i]);
    case 2: return __bfloat162float(static_cast<const __nv_bfloat16*>(src)[i]);
    default: {  // Q8_0: per row cols/32 blocks of (fp16 scale, 32 x int8)
      const unsigned char* block =
          static_cast<const unsigned char*>(src) + (row * (cols / 32) + col / 32) * 34;
      const __half d = *reinterpret_cast<const __half*>(block);
      const int8_t qv = static_cast<int8_t>(block[2 + col % 32]);
      return __half2float(d) * static_cast<float>(qv);
    }
  }
}

__device__ __forceinline__ int64_t source_row(int64_t r, RowMap map, int head_dim) {
  if (map == RowMap::kIdentity) return r;
  const int64_t head = r / head_dim;
  const int64_t d = r % head_dim;
  const int64_t half = head_dim / 2;
  return head * head_dim + ((d & 1) ? half + (d >> 1) : (d >> 1));
}

// Largest finite value of the destination type.
template <typename H>
constexpr float kMaxFinite = 3.3895314e38f;  // bf16
template <>
constexpr float kMaxFinite<__half> = 65504.f;

template <typename H>
__global__ void convert_rows_kernel(const void* __restrict__ src, int dtype, int64_t rows,
                                    int64_t cols, RowMap map, int head_dim,
                                    H* __restrict__ dst, int64_t dst_stride,
                                    unsigned long long* __restrict__ overflow) {
  const int64_t total = rows * cols;
  unsigned long long over = 0;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t r = i / cols;
    const int64_t c = i % cols;
    const float v = load_any(src, dtype, source_row(r, map, head_dim), c, cols);
    over += fabsf(v) > kMaxFinite<H> ? 1 : 0;
    dst[r * dst_stride + c] = from_float<H>(v);
  }
  if (overflow && over) atomicAdd(overflow, over);
}

__global__ void convert_f32_kernel(const void* __restrict__ src, int dtype, int64_t count,
                                   RowMap map, int head_dim, float* __restrict__ dst) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    dst[i] = load_any(src, dtype, 0, source_row(i, map, head_dim), count);
  }
}

__device__ __forceinline__ uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Box-Muller on two 24-bit uniforms from a counter hash.
__device__ __forceinline__ float normal_at(uint64_t seed, int64_t i) {
  const uint64_t z = mix64(seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(i + 1));
  const float u1 = (static_cast<float>(z >> 40) + 0.5f) * (1.f / 16777216.f);
  const float u2 = static_cast<float>((z >> 16) & 0xFFFFFF) * (1.f / 16777216.f);
  return sqrtf(-2.f * __logf(u1)) * __cosf(6.2831853f * u2);
}

template <typename H>
__global__ void fill_kernel(H* dst, int64_t count, float mean, float std, uint64_t seed) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    dst[i] = from_float<H>(mean + std * normal_at(seed, i));
  }
}

__global__ void fill_f32_kernel(float* dst, int64_t count, float mean, float std, uint64_t seed) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    dst[i] = mean + std * normal_at(seed, i);
  }
}

int grid_for(int64_t count, int threads) {
  const int64_t blocks = (count + threads - 1) / threads;
  return static_cast<int>(blocks < 65536 ? (blocks > 0 ? blocks : 1) : 65536);
}


}  // namespace

template <typename H>
void embed_tokens(const H* emb, int hidden, const int32_t* tokens, int n, float* x, uint8_t* seen,
                  const Launch& l) {
  launch_kernel(embed_kernel<H>, dim3(n), dim3(256), 0, l, "embed_kernel", emb, hidden, tokens, x,
                seen);
}

template <typename H>
void rms_norm_rows(const float* x, const float* w, int n, int width, float eps, H* out,
                   cudaStream_t stream) {
  rms_norm_kernel<H><<<n, 256, 0, stream>>>(x, w, width, eps, out);
  RG_CUDA_CHECK_LAUNCH("rms_norm_kernel");
}

template <typename In, typename H>
void rope_qkv_rows(const In* qkv, const float* bias, const float* inv_freq, int n, int start,
                   int q_rows, int kv_rows, int head_dim, int capacity, H* q, H* k_cache,
                   H* v_cache, cudaStream_t stream) {
  rope_qkv_kernel<In, H><<<n, 256, 0, stream>>>(qkv, bias, inv_freq, start, q_rows, kv_rows,
                                                head_dim, capacity, q, k_cache, v_cache);
  RG_CUDA_CHECK_LAUNCH("rope_qkv_kernel");
}

template <typename In, typename H>
void silu_mul_rows(const In* gu, int n, int intermediate, H* act, cudaStream_t stream) {
  const int64_t count = static_cast<int64_t>(n) * intermediate;
  if constexpr (std::is_same_v<In, float>) {
    silu_mul_kernel<H><<<grid_for(count, 256), 256, 0, stream>>>(
        reinterpret_cast<const float2*>(gu), count, act);
  } else {
    static_assert(std::is_same_v<In, H>, "16-bit gate/up in the engine's own type");
    silu_mul_x8_kernel<H><<<grid_for(count / 4, 256), 256, 0, stream>>>(
        reinterpret_cast<const uint4*>(gu), count / 4, reinterpret_cast<uint2*>(act));
  }
  RG_CUDA_CHECK_LAUNCH("silu_mul_kernel");
}

template <typename H>
void convert_rows(const void* src, int src_dtype, int64_t rows, int64_t cols, RowMap map,
                  int head_dim, H* dst, int64_t dst_row_stride, unsigned long long* overflow,
                  cudaStream_t stream) {
  convert_rows_kernel<H><<<grid_for(rows * cols, 256), 256, 0, stream>>>(
      src, src_dtype, rows, cols, map, head_dim, dst, dst_row_stride, overflow);
  RG_CUDA_CHECK_LAUNCH("convert_rows_kernel");
}

void convert_to_f32(const void* src, int src_dtype, int64_t count, RowMap map, int head_dim,
                    float* dst, cudaStream_t stream) {
  convert_f32_kernel<<<grid_for(count, 256), 256, 0, stream>>>(src, src_dtype, count, map,
                                                               head_dim, dst);
  RG_CUDA_CHECK_LAUNCH("convert_f32_kernel");
}

template <typename H>
void fill_random(H* dst, int64_t count, float mean, float std, uint64_t seed,
                 cudaStream_t stream) {
  fill_kernel<H><<<grid_for(count, 256), 256, 0, stream>>>(dst, count, mean, std, seed);
  RG_CUDA_CHECK_LAUNCH("fill_kernel");
}

void fill_random_f32(float* dst, int64_t count, float mean, float std, uint64_t seed,
                     cudaStream_t stream) {
  fill_f32_kernel<<<grid_for(count, 256), 256, 0, stream>>>(dst, count, mean, std, seed);
  RG_CUDA_CHECK_LAUNCH("fill_f32_kernel");
}

#define INSTANTIATE(H)                                                                           \
  template void embed_tokens<H>(const H*, int, const int32_t*, int, float*, uint8_t*,            \
                                const Launch&);                                                  \
  template void rms_norm_rows<H>(const float*, const float*, int, int, float, H*, cudaStream_t); \
  template void rope_qkv_rows<H, H>(const H*, const float*, const float*, int, int, int, int,    \
                                    int, int, H*, H*, H*, cudaStream_t);                         \
  template void rope_qkv_rows<float, H>(const float*, const float*, const float*, int, int, int, \
                                        int, int, int, H*, H*, H*, cudaStream_t);                \
  template void silu_mul_rows<H, H>(const H*, int, int, H*, cudaStream_t);                       \
  template void silu_mul_rows<float, H>(const float*, int, int, H*, cudaStream_t);               \
  template void convert_rows<H>(const void*, int, int64_t, int64_t, RowMap, int, H*, int64_t,    \
                                unsigned long long*, cudaStream_t);                              \
  template void fill_random<H>(H*, int64_t, float, float, uint64_t, cudaStream_t);
DECODER_FOR_EACH_HALF(INSTANTIATE)
#undef INSTANTIATE

}  // namespace rg::kernels::cuda
