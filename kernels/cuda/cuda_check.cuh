// kernels/cuda/cuda_check.cuh: turning CUDA runtime and cuBLAS failures into
// exceptions that carry the failing call and the library's status string.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace rg::kernels::cuda {

struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void check_cuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw CudaError(std::string(what) + ": " + cudaGetErrorName(status) + " (" +
                    cudaGetErrorString(status) + ")");
  }
}

inline void check_cublas(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw CudaError(std::string(what) + ": " + cublasGetStatusName(status) + " (" +
                    cublasGetStatusString(status) + ")");
  }
}

}  // namespace rg::kernels::cuda

#define RG_CUDA_CHECK(expr) ::rg::kernels::cuda::check_cuda((expr), #expr)
#define RG_CUBLAS_CHECK(expr) ::rg::kernels::cuda::check_cublas((expr), #expr)
// After a kernel launch: launch-configuration errors surface here.
#define RG_CUDA_CHECK_LAUNCH(name) ::rg::kernels::cuda::check_cuda(cudaGetLastError(), name)
