// kernels/cuda/bias_activation.cu: the feed-forward block's first epilogue,
// out = act(in + bias), act one of GELU (erf, BERT's "gelu"), GELU (tanh,
// "gelu_new" / "gelu_pytorch_tanh") or ReLU. Elementwise, memory bound: 16-byte
// loads when the width allows, a grid-stride loop over the whole matrix.
#include "kernels/cuda/convert.cuh"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/encoder_kernels.cuh"

#include <algorithm>

namespace rg::kernels::cuda {
namespace {

template <Activation kAct>
__device__ __forceinline__ float activate(float x) {
  if constexpr (kAct == Activation::kGeluErf) {
    return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
  } else if constexpr (kAct == Activation::kGeluTanh) {
    const float inner = 0.79788456080286536f * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.f + tanhf(inner));
  } else {
    return fmaxf(x, 0.f);
  }
}

// cols % 4 == 0: each thread handles 4 consecutive columns.
template <Activation kAct, typename GemmIn>
__global__ void bias_activation_vec4_kernel(const GemmIn* in,
                                            const float* __restrict__ bias, size_t total4,
                                            int cols4, GemmIn* out) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < total4;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const float4 x = load4(in + 4 * i);
    const float4 b = reinterpret_cast<const float4*>(bias)[i % cols4];
    store4(out + 4 * i, make_float4(activate<kAct>(x.x + b.x), activate<kAct>(x.y + b.y),
                                    activate<kAct>(x.z + b.z), activate<kAct>(x.w + b.w)));
  }
}

template <Activation kAct, typename GemmIn>
__global__ void bias_activation_kernel(const GemmIn* in,
                                       const float* __restrict__ bias, size_t total, int cols,
                                       GemmIn* out) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    out[i] = from_float<GemmIn>(activate<kAct>(to_float(in[i]) + bias[i % cols]));
  }
}

template <Activation kAct, typename GemmIn>
void launch_act(const GemmIn* in, const float* bias, int rows, int cols, GemmIn* out,
                cudaStream_t stream) {
  constexpr int kThreads = 256;
  const size_t total = static_cast<size_t>(rows) * cols;
  if (cols % 4 == 0) {
    const size_t total4 = total / 4;
    const int blocks = static_cast<int>(std::min<size_t>((total4 + kThreads - 1) / kThreads, 65536));
    bias_activation_vec4_kernel<kAct, GemmIn>
        <<<blocks, kThreads, 0, stream>>>(in, bias, total4, cols / 4, out);
  } else {
    const int blocks = static_cast<int>(std::min<size_t>((total + kThreads - 1) / kThreads, 65536));
    bias_activation_kernel<kAct, GemmIn><<<blocks, kThreads, 0, stream>>>(in, bias, total, cols, out);
  }
}

}  // namespace

template <typename GemmIn>
void launch_bias_activation(const GemmIn* in, const float* bias, int rows, int cols,
                            Activation activation, GemmIn* out, cudaStream_t stream) {
  if (rows == 0) return;
  switch (activation) {
    case Activation::kGeluErf:
      launch_act<Activation::kGeluErf>(in, bias, rows, cols, out, stream);
      break;
    case Activation::kGeluTanh:
      launch_act<Activation::kGeluTanh>(in, bias, rows, cols, out, stream);
      break;
    case Activation::kRelu:
      launch_act<Activation::kRelu>(in, bias, rows, cols, out, stream);
      break;
  }
  RG_CUDA_CHECK_LAUNCH("bias_activation_kernel");
}

template void launch_bias_activation<float>(const float*, const float*, int, int, Activation,
                                            float*, cudaStream_t);
template void launch_bias_activation<__nv_bfloat16>(const __nv_bfloat16*, const float*, int, int,
                                                    Activation, __nv_bfloat16*, cudaStream_t);

}  // namespace rg::kernels::cuda
