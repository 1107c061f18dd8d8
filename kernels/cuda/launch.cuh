// kernels/cuda/launch.cuh: kernel launches with Programmatic Dependent Launch
// (Hopper). A decode step is ~5 kernels per layer, each reading its weights
// once; between two of them the GPU would otherwise drain the first grid and
// only then start the next. With PDL the next grid is scheduled while the
// previous one finishes: its blocks issue their first weight loads (which do
// not depend on the previous kernel) and then wait (pdl_wait) until the
// previous grid has completed and its writes are visible.
#pragma once

#include <cuda_runtime.h>

#include <utility>

#include "kernels/cuda/cuda_check.cuh"

namespace rg::kernels::cuda {

struct Launch {
  cudaStream_t stream = nullptr;
  bool pdl = false;      // launch with programmatic stream serialization
  int gemv_variant = 0;  // decoder_gemv.cu's rows-per-warp / unroll choice
};

template <typename... KernelArgs, typename... Args>
void launch_kernel(void (*kernel)(KernelArgs...), dim3 grid, dim3 block, size_t smem,
                   const Launch& l, const char* name, Args&&... args) {
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = l.stream;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cfg.attrs = attr;
  cfg.numAttrs = l.pdl ? 1 : 0;
  check_cuda(cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...), name);
}

// Waits until the previous grid in the stream has completed (a no-op when
// this grid was not launched with PDL, and before Hopper).
__device__ __forceinline__ void pdl_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

// Lets the next grid in the stream be scheduled now.
__device__ __forceinline__ void pdl_trigger() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

}  // namespace rg::kernels::cuda
