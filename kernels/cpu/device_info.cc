// Device discovery for builds without CUDA: there is never a device.
#include "kernels/ops.h"

extern "C" int rg_cuda_device_count() { return 0; }

namespace rg::kernels {

bool built_with_cuda() { return false; }

}  // namespace rg::kernels
