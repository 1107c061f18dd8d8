// kernels/cpu/gpu_decoder_unavailable.cc: the GPU decoder's entry points in a
// build without CUDA (listed in RG_KERNELS_CPU_ONLY_SOURCES); the CUDA build
// defines them in kernels/cuda/. Callers fall back to make_cpu_decoder.
#include "kernels/decoder.h"

namespace rg::kernels {

namespace {
constexpr const char* kNoCuda = "railguard was built without CUDA";
}  // namespace

std::unique_ptr<DecoderModel> make_gpu_decoder(const DecoderWeights& /*weights*/, std::string* error,
                                               const GpuDecoderOptions& /*options*/) {
  if (error) *error = kNoCuda;
  return nullptr;
}

std::unique_ptr<DecoderModel> make_gpu_decoder_random(const DecoderConfig& /*config*/,
                                                      std::uint64_t /*seed*/, std::string* error,
                                                      const GpuDecoderOptions& /*options*/) {
  if (error) *error = kNoCuda;
  return nullptr;
}

}  // namespace rg::kernels
