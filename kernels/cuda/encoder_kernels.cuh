// kernels/cuda/encoder_kernels.cuh: the fused kernels of the GPU encoder
// (kernels/cuda/encoder_forward.cu strings them together with cuBLAS GEMMs).
//
// Activations are row-major [tokens, width] with tokens = batch * seq_len.
// The GEMMs read and write the element type `GemmIn` (float, or
// __nv_bfloat16 in bf16 mode; accumulation is fp32 either way); the kernel
// that consumes a GEMM's output adds its bias and computes in fp32. The
// LayerNorm kernels keep the residual stream in fp32 and also write its
// GemmIn copy for the next GEMM. Each launcher checks the launch and throws
// CudaError.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/encoder.h"

namespace rg::kernels::cuda {

// Largest hidden size the LayerNorm kernels take (one warp per row, 32 values
// per lane).
constexpr int kMaxLayerNormWidth = 1024;
// Head sizes the attention kernel is compiled for.
bool attention_supports_head_dim(int head_dim);

// layer_norm.cu: out = LN(word[id] + pos[s] + type[tt]) for every token;
// out_lp (may be null) gets the same values in the GEMM input type.
template <typename GemmIn>
void launch_embedding_layer_norm(const int32_t* ids, const int32_t* type_ids, int tokens,
                                 int seq_len, const float* word_emb, const float* pos_emb,
                                 const float* type_emb, const float* gamma, const float* beta,
                                 float eps, int hidden, float* out, GemmIn* out_lp,
                                 cudaStream_t stream);

// layer_norm.cu: out = LN(x + bias + residual) row by row.
template <typename GemmIn>
void launch_bias_residual_layer_norm(const GemmIn* x, const float* bias, const float* residual,
                                     const float* gamma, const float* beta, float eps, int tokens,
                                     int hidden, float* out, GemmIn* out_lp, cudaStream_t stream);

// attention.cu: qkv is the fused projection [tokens, 3*hidden] (q | k | v,
// without bias); qkv_bias [3*hidden]. ctx[t, h*dh + d] = softmax(q k^T /
// sqrt(dh) + padding mask) v for every (batch, head). Keys with mask 0 get
// weight 0 (HF adds finfo.min to their scores).
template <typename GemmIn>
void launch_attention(const GemmIn* qkv, const float* qkv_bias, const int32_t* mask, int batch,
                      int seq_len, int heads, int head_dim, GemmIn* ctx, cudaStream_t stream);

// attention_mma.cu: the same on the tensor cores for bf16 (head sizes 32 and
// 64); returns false, launching nothing, for other head sizes.
bool launch_attention_mma(const __nv_bfloat16* qkv, const float* qkv_bias, const int32_t* mask,
                          int batch, int seq_len, int heads, int head_dim, __nv_bfloat16* ctx,
                          cudaStream_t stream);

// bias_activation.cu: out = act(in + bias), in [rows, cols]; out may be in.
template <typename GemmIn>
void launch_bias_activation(const GemmIn* in, const float* bias, int rows, int cols,
                            Activation activation, GemmIn* out, cudaStream_t stream);

// pool_normalize.cu: out[b] = normalise(mean over mask of x[b, s] | x[b, 0]).
void launch_pool_normalize(const float* x, const int32_t* mask, int batch, int seq_len,
                           int hidden, Pooling pooling, float* out, cudaStream_t stream);

}  // namespace rg::kernels::cuda
