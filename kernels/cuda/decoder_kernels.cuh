// kernels/cuda/decoder_kernels.cuh: launchers of the decoder's kernels
// (decoder_gemv.cu, decoder_attention.cu, decoder_elementwise.cu,
// decoder_sampling.cu), called by decoder_model.cu.
//
// Every launcher that touches 16-bit data is a template on its element type
// H: __nv_bfloat16 or __half (DecoderPrecision of kernels/decoder.h), both
// instantiated in the .cu files (DECODER_FOR_EACH_HALF).
//
// Layouts shared by all of them:
//   weights   H, PyTorch's [out, in] row-major. The q/k rows of each head
//             are stored rotary-pair-adjacent ("interleaved": row 2i and 2i+1
//             are one rotary pair of frequency i), whatever the source's
//             RopeStyle; q, k, v of a layer are one [q_dim + 2 kv_dim, hidden]
//             matrix; gate and up are one [2I, hidden] matrix with gate row i
//             at 2i and up row i at 2i + 1.
//   residual  fp32 [tokens, hidden].
//   KV cache  H per layer [kv_heads][capacity][head_dim], k then v; k in
//             the interleaved layout (dot products do not care).
//   positions and tokens of a decode step are read from device memory, so a
//             captured CUDA graph replays any step.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/launch.cuh"

namespace rg::kernels::cuda {

// Instantiates X(H) for both 16-bit element types (in the .cu files).
#define DECODER_FOR_EACH_HALF(X) X(__nv_bfloat16) X(__half)

// Per-step inputs of a decode step, copied from pinned memory as the first
// node of the step's graph.
struct DecodeStepInput {
  int32_t token;     // input token
  int32_t position;  // its position (= tokens already in the cache)
};

// ---------------------------------------------------------------- GEMV (batch 1)
// y = W x for a 16-bit W [rows, cols] (cols % 8 == 0) and an fp32 x, with the
// input optionally RMS-normalised first and one of several epilogues.
enum class GemvInput { kPlain, kRmsNorm };

template <typename H>
struct GemvQkvEpilogue {
  const float* bias;          // [rows] or nullptr
  const float* inv_freq;      // [head_dim / 2]
  const DecodeStepInput* step;
  int q_rows, kv_rows, head_dim, capacity;
  float* q_out;               // [q_rows] fp32, rotated
  H* k_cache;                 // layer's [kv_heads][capacity][head_dim]
  H* v_cache;
};

// Raises the kernels' dynamic shared-memory limit to hold x of max_cols
// floats; once per device before the first launch (and before any capture).
void gemv_prepare(int max_cols);
// x_out = rms(x) * norm_w (when kRmsNorm) then:
template <typename H>
void gemv_qkv(const H* w, int rows, int cols, const float* x, const float* norm_w, float eps,
              const GemvQkvEpilogue<H>& epi, const Launch& l);
// residual[r] += (W x)[r]
template <typename H>
void gemv_residual(const H* w, int rows, int cols, const float* x, float* residual,
                   const Launch& l);
// act[i] = silu(g_i) * u_i with (g_i, u_i) = rows (2i, 2i+1) of W rms(x)
template <typename H>
void gemv_gate_up(const H* w, int rows, int cols, const float* x,
                  const float* norm_w, float eps, float* act, const Launch& l);
// out[r] = (W rms(x))[r]
template <typename H>
void gemv_logits(const H* w, int rows, int cols, const float* x, const float* norm_w,
                 float eps, float* out, const Launch& l);

// ---------------------------------------------------------------- elementwise
// x[t] = float(emb[tokens[t]]) for t < n (tokens on the device), and
// seen[tokens[t]] = 1 (the repetition-penalty set).
template <typename H>
void embed_tokens(const H* emb, int hidden, const int32_t* tokens, int n, float* x,
                  uint8_t* seen, const Launch& l);
// out[t] = H(rms(x[t]) * w) for n rows of width `width`.
template <typename H>
void rms_norm_rows(const float* x, const float* w, int n, int width, float eps, H* out,
                   cudaStream_t stream);
// Prefill: qkv [n, q_rows + 2 kv_rows] (In = H, or float: the fp32 GEMM
// output of RG_GPU_DECODER_PREFILL_F32) + bias -> q [n, q_rows] rotated, k
// and v of positions start .. start+n-1 into the cache.
template <typename In, typename H>
void rope_qkv_rows(const In* qkv, const float* bias, const float* inv_freq, int n, int start,
                   int q_rows, int kv_rows, int head_dim, int capacity, H* q, H* k_cache,
                   H* v_cache, cudaStream_t stream);
// act[t][i] = silu(gu[t][2i]) * gu[t][2i+1] (In = H or float)
template <typename In, typename H>
void silu_mul_rows(const In* gu, int n, int intermediate, H* act, cudaStream_t stream);

// Weight upload: dst row r (of `rows`, width cols, H, row stride dst_ld)
// = src row row_map(r) converted from `src_dtype` (0 f32, 1 f16, 2 bf16,
// 3 q8_0). row_map: kIdentity, kRopeInterleave (within heads of head_dim:
// dst 2i <- src i, dst 2i+1 <- src i + head_dim/2), kPairInterleave (dst 2i
// <- src i of the first matrix, handled by calling twice with a stride 2).
// Values whose magnitude exceeds H's largest finite value are stored
// saturated and counted in *overflow (device memory; may be null).
enum class RowMap { kIdentity, kRopeInterleave };
template <typename H>
void convert_rows(const void* src, int src_dtype, int64_t rows, int64_t cols, RowMap map,
                  int head_dim, H* dst, int64_t dst_row_stride, unsigned long long* overflow,
                  cudaStream_t stream);
void convert_to_f32(const void* src, int src_dtype, int64_t count, RowMap map, int head_dim,
                    float* dst, cudaStream_t stream);
// Fills H (or fp32) memory with mean + std * N(0, 1) from a counter hash.
template <typename H>
void fill_random(H* dst, int64_t count, float mean, float std, uint64_t seed,
                      cudaStream_t stream);
void fill_random_f32(float* dst, int64_t count, float mean, float std, uint64_t seed,
                     cudaStream_t stream);

// ---------------------------------------------------------------- attention
// Decode: one query token at step->position for every head, keys/values
// 0..position from the cache (the new one already written), split over
// min(splits, ceil(context / keys_per_split)) chunks per kv head and merged
// by the last block of each kv head (no merge with one chunk).
// partial: [kv_heads * splits * group * (head_dim + 2)] floats, counters:
// [kv_heads] ints that start at 0 and are left at 0.
bool attention_decode_supports(int head_dim, int group);
// window > 0: only the last `window` keys (sliding-window attention).
template <typename H>
void attention_decode(const float* q, const H* k_cache, const H* v_cache,
                      const DecodeStepInput* step, int heads, int kv_heads, int head_dim,
                      int capacity, int window, int splits, int keys_per_split, float* partial,
                      int* counters, float* out, const Launch& l);
// Keys a split covers before the next one is used (at most 64 splits).
int attention_decode_default_keys_per_split();
// Prefill: queries at positions start .. start+n-1 (q [n, heads*head_dim],
// rotated), causal over the cache (window > 0: keys j > position - window
// only); ctx [n, heads*head_dim].
bool attention_prefill_supports(int head_dim);
template <typename H>
void attention_prefill(const H* q, const H* k_cache, const H* v_cache, int n, int start,
                       int heads, int kv_heads, int head_dim, int capacity, int window, H* ctx,
                       cudaStream_t stream);

// ---------------------------------------------------------------- sampling
struct SamplingDeviceParams {
  float temperature;
  int top_k;
  float top_p;
  float repetition_penalty;
  unsigned long long seed;
};
// Greedy: *token_out = argmax(logits) (lowest id on ties). `scratch` holds
// one unsigned long long and one int, zero at the start and left at zero.
void argmax_token(const float* logits, int vocab, unsigned long long* scratch, int32_t* token_out,
                  const Launch& l);
// Full sampling (sample_cpu's rules). Work buffers from sampling_workspace().
struct SamplingWorkspace {
  float* keys_in;  float* keys_out;
  int32_t* ids_in; int32_t* ids_out;
  void* sort_temp; size_t sort_temp_bytes;
};
size_t sampling_workspace_bytes(int vocab);
SamplingWorkspace sampling_workspace(void* base, int vocab);
void sample_token(const float* logits, int vocab, const uint8_t* seen,
                  const SamplingDeviceParams* params, const DecodeStepInput* step,
                  int position_offset, SamplingWorkspace ws, int32_t* token_out,
                  cudaStream_t stream);

}  // namespace rg::kernels::cuda
