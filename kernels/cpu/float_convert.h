// kernels/cpu/float_convert.h: not for use outside kernels/ (and its tests).
// fp16 / bf16 -> fp32 for reading weight views (decoder_common.cc's to_f32).
// Kept here, a few lines, so rg_kernels depends on no other layer's header.
#pragma once

#include <bit>
#include <cstdint>

namespace rg::kernels::internal {

// IEEE binary16 -> float, exact for every input (subnormals, inf, NaN).
inline float f16_to_f32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1Fu;
  std::uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0x1Fu) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  if (exponent != 0) return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  if (mantissa == 0) return std::bit_cast<float>(sign);
  // Subnormal half: value = mantissa * 2^-24, which a float holds exactly.
  const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
  return sign ? -magnitude : magnitude;
}

// bfloat16 is the top half of a float.
inline float bf16_to_f32(std::uint16_t b) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

}  // namespace rg::kernels::internal
