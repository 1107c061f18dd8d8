// Device discovery through the CUDA runtime.
#include <cuda_runtime.h>

#include "kernels/ops.h"

extern "C" int rg_cuda_device_count() {
  int count = 0;
  // No driver or no visible GPU is not an error for the caller: report 0 and
  // clear the sticky error state so later CUDA calls start clean.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return count;
}

namespace rg::kernels {

bool built_with_cuda() { return true; }

}  // namespace rg::kernels
