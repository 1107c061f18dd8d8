// kernels/cuda/convert.cuh: float <-> GEMM element type (float, bf16 or
// fp16) in device code, one value, a packed pair (32 bits) or four at a time
// (16 bytes of fp32, 8 of bf16/fp16).
//
// fp16 conversions saturate at +-65504 instead of overflowing to infinity
// (NaN stays NaN): an activation past fp16's range costs precision, not the
// whole sequence.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

namespace rg::kernels::cuda {

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }

// The largest finite fp16 for |v| beyond it; NaN passes (the comparison is false).
__device__ __forceinline__ float saturate_f16(float v) {
  return fabsf(v) > 65504.f ? copysignf(65504.f, v) : v;
}

template <typename T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) { return v; }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}
template <>
__device__ __forceinline__ __half from_float<__half>(float v) {
  return __float2half_rn(saturate_f16(v));
}

// Two 16-bit values packed in 32 bits (lo in the low half), as mma.sync
// fragments and 4-byte stores take them.
template <typename H>
__device__ __forceinline__ uint32_t pack2(float lo, float hi);
template <>
__device__ __forceinline__ uint32_t pack2<__nv_bfloat16>(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}
template <>
__device__ __forceinline__ uint32_t pack2<__half>(float lo, float hi) {
  __half2 v = __floats2half2_rn(saturate_f16(lo), saturate_f16(hi));
  return *reinterpret_cast<uint32_t*>(&v);
}

// pack2 for values known to lie within H's range (probabilities, convex
// combinations of 16-bit values, values read from 16-bit memory): no
// saturation test on the hot path.
template <typename H>
__device__ __forceinline__ uint32_t pack2_in_range(float lo, float hi) {
  if constexpr (std::is_same_v<H, __half>) {
    __half2 v = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&v);
  } else {
    return pack2<H>(lo, hi);
  }
}

template <typename H>
__device__ __forceinline__ float2 unpack2(uint32_t v);
template <>
__device__ __forceinline__ float2 unpack2<__nv_bfloat16>(uint32_t v) {
  return __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&v));
}
template <>
__device__ __forceinline__ float2 unpack2<__half>(uint32_t v) {
  return __half22float2(*reinterpret_cast<const __half2*>(&v));
}

// p must be aligned to 4 elements.
__device__ __forceinline__ float4 load4(const float* p) { return *reinterpret_cast<const float4*>(p); }
template <typename H>
__device__ __forceinline__ float4 load4(const H* p) {
  const uint2 raw = *reinterpret_cast<const uint2*>(p);
  const float2 lo = unpack2<H>(raw.x);
  const float2 hi = unpack2<H>(raw.y);
  return make_float4(lo.x, lo.y, hi.x, hi.y);
}

__device__ __forceinline__ void store4(float* p, float4 v) { *reinterpret_cast<float4*>(p) = v; }
template <typename H>
__device__ __forceinline__ void store4(H* p, float4 v) {
  *reinterpret_cast<uint2*>(p) = make_uint2(pack2<H>(v.x, v.y), pack2<H>(v.z, v.w));
}

}  // namespace rg::kernels::cuda
