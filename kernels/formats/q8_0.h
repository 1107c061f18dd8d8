// kernels/formats/q8_0.h: GGUF's Q8_0 block format. A row of n weights (n a
// multiple of 32) is n / 32 blocks of 34 bytes: an fp16 scale d, then 32
// int8 values q, with weight = q * d. Quantisation picks d = max|x| / 127
// and q = round(x / d), so each weight is off by at most d / 2.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/formats/half_float.h"

namespace rg::kernels::formats {

inline constexpr int kQ8_0Block = 32;
inline constexpr std::size_t kQ8_0BlockBytes = 34;

// `n` floats (a multiple of 32) -> n / 32 * 34 bytes at `out`.
inline void quantize_q8_0(const float* x, std::size_t n, unsigned char* out) {
  for (std::size_t b = 0; b < n / kQ8_0Block; ++b, x += kQ8_0Block, out += kQ8_0BlockBytes) {
    float amax = 0;
    for (int i = 0; i < kQ8_0Block; ++i) amax = std::fmax(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    const float inv = d != 0 ? 1.0f / d : 0.0f;
    const std::uint16_t dh = float_to_half(d);
    std::memcpy(out, &dh, 2);
    for (int i = 0; i < kQ8_0Block; ++i) {
      const long q = std::lround(x[i] * inv);
      out[2 + i] = static_cast<unsigned char>(static_cast<std::int8_t>(q < -127 ? -127 : q > 127 ? 127 : q));
    }
  }
}

// n / 32 * 34 bytes -> `n` floats.
inline void dequantize_q8_0(const unsigned char* in, std::size_t n, float* y) {
  for (std::size_t b = 0; b < n / kQ8_0Block; ++b, in += kQ8_0BlockBytes, y += kQ8_0Block) {
    std::uint16_t dh;
    std::memcpy(&dh, in, 2);
    const float d = half_to_float(dh);
    for (int i = 0; i < kQ8_0Block; ++i) y[i] = static_cast<float>(static_cast<std::int8_t>(in[2 + i])) * d;
  }
}

}  // namespace rg::kernels::formats
