// kernels/ops.h: the one header through which the rest of railguard reaches
// compute kernels (llm/local/, retrieval/). Every op is declared here once;
// kernels/cpu/<op>.cc is its plain-loop reference and kernels/cuda/<op>.cu its
// GPU version, picked at build time (RG_ENABLE_CUDA).
//
// So far the only entry point is device discovery; ops arrive with the local
// model and retrieval issues.
#pragma once

// Number of CUDA devices this process can use. 0 when railguard was built
// without CUDA, when no driver is loaded, or when no GPU is visible; never
// fails.
extern "C" int rg_cuda_device_count();

namespace rg::kernels {

// True when this binary was compiled with the CUDA kernels.
bool built_with_cuda();

}  // namespace rg::kernels
