// kernels/cpu/gpu_encoder_unavailable.cc: GpuEncoder::create in a build
// without CUDA (listed in RG_KERNELS_CPU_ONLY_SOURCES); the CUDA build defines
// it in kernels/cuda/encoder_forward.cu.
#include "kernels/encoder.h"

namespace rg::kernels {

std::unique_ptr<GpuEncoder> GpuEncoder::create(const EncoderWeights& /*weights*/,
                                               GpuPrecision /*precision*/, std::string* error,
                                               int /*device*/) {
  if (error) *error = "this railguard was built without CUDA: no GPU encoder";
  return nullptr;
}

}  // namespace rg::kernels
