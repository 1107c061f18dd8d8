// bench/gpu_limits.h: the two physical ceilings a GPU bench reports against,
// measured in the same run on random data (never zeros): device-to-device
// copy bandwidth (bytes read + bytes written per second) and the bf16 matrix
// rate of an n^3 cuBLAS GEMM. Timed with CUDA events after warm-up; medians.
// Only for builds with CUDA (RG_WITH_CUDA).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace rg::bench {

#define RG_BENCH_CK(x)                                                              \
  do {                                                                              \
    auto rc_ = (x);                                                                 \
    if (rc_ != decltype(rc_)(0)) {                                                  \
      std::fprintf(stderr, "%s failed: %d\n", #x, static_cast<int>(rc_));           \
      std::exit(1);                                                                 \
    }                                                                               \
  } while (0)

// Median of `reps` event-timed runs of f (after `warmup` untimed ones), ms.
template <class F>
float median_ms(F&& f, int warmup, int reps) {
  cudaEvent_t e0, e1;
  RG_BENCH_CK(cudaEventCreate(&e0));
  RG_BENCH_CK(cudaEventCreate(&e1));
  for (int i = 0; i < warmup; ++i) f();
  std::vector<float> ms;
  for (int i = 0; i < reps; ++i) {
    RG_BENCH_CK(cudaEventRecord(e0));
    f();
    RG_BENCH_CK(cudaEventRecord(e1));
    RG_BENCH_CK(cudaEventSynchronize(e1));
    float m = 0;
    RG_BENCH_CK(cudaEventElapsedTime(&m, e0, e1));
    ms.push_back(m);
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

inline void fill_random_bytes(void* dst, size_t bytes) {
  std::vector<uint32_t> host((bytes + 3) / 4);
  uint32_t s = 0x9E3779B9u;
  for (uint32_t& x : host) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    // Finite, moderate values both as two bf16 halves (2^-3 .. 2^0) and as
    // one fp32 (exponent bits 0x7C: about 2^-3).
    x = (s & 0x807F807Fu) | 0x3E003E00u;
  }
  RG_BENCH_CK(cudaMemcpy(dst, host.data(), bytes, cudaMemcpyHostToDevice));
}

// GB/s of cudaMemcpy device-to-device over `bytes`, counting read + write.
inline double copy_bandwidth_gbs(size_t bytes = size_t(2) << 30) {
  void *a = nullptr, *b = nullptr;
  RG_BENCH_CK(cudaMalloc(&a, bytes));
  RG_BENCH_CK(cudaMalloc(&b, bytes));
  fill_random_bytes(a, bytes);
  const float ms = median_ms([&] { RG_BENCH_CK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice)); }, 3, 20);
  cudaFree(a);
  cudaFree(b);
  return 2.0 * bytes / (ms * 1e-3) / 1e9;
}

// TFLOP/s of an n^3 cuBLAS GEMM with inputs of type `ab` and output of type
// `c` (CUDA_R_16BF or CUDA_R_32F), fp32 accumulation (CUBLAS_COMPUTE_32F
// under the default math mode: real fp32 for fp32 inputs, never TF32).
inline double gemm_peak_tflops(cudaDataType ab, cudaDataType c_type, int n = 8192, int reps = 15) {
  const size_t count = size_t(n) * n;
  const size_t ab_size = ab == CUDA_R_16BF ? 2 : 4;
  const size_t c_size = c_type == CUDA_R_16BF ? 2 : 4;
  void *a = nullptr, *b = nullptr, *c = nullptr;
  RG_BENCH_CK(cudaMalloc(&a, count * ab_size));
  RG_BENCH_CK(cudaMalloc(&b, count * ab_size));
  RG_BENCH_CK(cudaMalloc(&c, count * c_size));
  fill_random_bytes(a, count * ab_size);
  fill_random_bytes(b, count * ab_size);
  cublasHandle_t handle;
  RG_BENCH_CK(cublasCreate(&handle));
  RG_BENCH_CK(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH));
  const float one = 1, zero = 0;
  const float ms = median_ms(
      [&] {
        RG_BENCH_CK(cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, n, n, &one, a, ab, n, b, ab,
                                 n, &zero, c, c_type, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
      },
      3, reps);
  cublasDestroy(handle);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
  return 2.0 * n * n * double(n) / (ms * 1e-3) / 1e12;
}

}  // namespace rg::bench
