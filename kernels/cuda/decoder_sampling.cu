// kernels/cuda/decoder_sampling.cu: picking the next token on the GPU, so a
// decode step ends with one 4-byte copy to the host.
//
// Greedy: every block reduces its slice of the logits to one 64-bit key
// (order-preserving float bits above, the inverted id below, so the larger
// key is the larger logit and, on ties, the lower id) and folds it into one
// word with atomicMax; the last block to finish turns the key into the token.
//
// Sampling (sample_cpu's rules, kernels/decoder.h): one pass applies the
// repetition penalty and the temperature and writes (logit, id) pairs; CUB's
// stable radix sort orders them descending (equal logits keep ascending ids);
// one block then applies top-k, softmax, top-p and the draw with block-wide
// prefix sums over the sorted list.
#include <cub/cub.cuh>
#include <cuda_runtime.h>

#include <cfloat>
#include <cstdint>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/decoder_kernels.cuh"
#include "kernels/cuda/launch.cuh"

namespace rg::kernels::cuda {
namespace {

__device__ __forceinline__ unsigned long long argmax_key(float v, int id) {
  unsigned u = __float_as_uint(v);
  u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  return (static_cast<unsigned long long>(u) << 32) | (0xFFFFFFFFu - static_cast<unsigned>(id));
}

// Every block folds its slice into one key; the last block to finish turns
// the best key into the token and resets the scratch for the next step.
__global__ void argmax_kernel(const float* logits, int vocab,
                              unsigned long long* __restrict__ best, int32_t* __restrict__ token_out) {
  pdl_trigger();
  pdl_wait();
  unsigned long long key = 0;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < vocab; i += gridDim.x * blockDim.x) {
    const unsigned long long k = argmax_key(__ldcg(logits + i), i);  // from the previous kernel
    key = k > key ? k : key;
  }
  using Reduce = cub::BlockReduce<unsigned long long, 512>;
  __shared__ typename Reduce::TempStorage temp;
  const unsigned long long block_best =
      Reduce(temp).Reduce(key, [](unsigned long long a, unsigned long long b) { return a > b ? a : b; });
  __shared__ bool last;
  if (threadIdx.x == 0) {
    atomicMax(best, block_best);
    __threadfence();
    int* done = reinterpret_cast<int*>(best + 1);
    last = atomicAdd(done, 1) == static_cast<int>(gridDim.x) - 1;
    if (last) {
      const unsigned long long b = atomicAdd(best, 0ull);  // the final maximum
      *token_out = static_cast<int32_t>(0xFFFFFFFFu - static_cast<unsigned>(b & 0xFFFFFFFFull));
      *best = 0;
      *done = 0;
    }
  }
}

__global__ void prepare_kernel(const float* __restrict__ logits, int vocab,
                               const uint8_t* __restrict__ seen,
                               const SamplingDeviceParams* __restrict__ params,
                               float* __restrict__ keys, int32_t* __restrict__ ids) {
  const float penalty = params->repetition_penalty;
  const float inv_t = 1.f / params->temperature;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < vocab; i += gridDim.x * blockDim.x) {
    float v = logits[i];
    if (penalty != 1.f && seen[i]) v = v > 0.f ? v / penalty : v * penalty;
    keys[i] = v * inv_t;
    ids[i] = i;
  }
}

constexpr int kSelectThreads = 1024;

__global__ void __launch_bounds__(kSelectThreads)
    select_kernel(const float* __restrict__ keys, const int32_t* __restrict__ ids, int vocab,
                  const SamplingDeviceParams* __restrict__ params,
                  const DecodeStepInput* __restrict__ step, int position_offset,
                  int32_t* __restrict__ token_out) {
  using Scan = cub::BlockScan<float, kSelectThreads>;
  using Reduce = cub::BlockReduce<float, kSelectThreads>;
  __shared__ typename Scan::TempStorage scan_temp;
  __shared__ typename Reduce::TempStorage reduce_temp;
  __shared__ float s_total;
  __shared__ int s_found;
  __shared__ float s_carry;

  const int k = params->top_k > 0 && params->top_k < vocab ? params->top_k : vocab;
  const float mx = keys[0];
  // Sum of exp over the top-k candidates.
  float part = 0.f;
  for (int i = threadIdx.x; i < k; i += kSelectThreads) part += __expf(keys[i] - mx);
  const float total = Reduce(reduce_temp).Sum(part);
  if (threadIdx.x == 0) s_total = total;
  __syncthreads();

  // Finds the first index whose inclusive prefix sum of exp reaches
  // `threshold` (strictly exceeds it when `strict`); count if none.
  auto find = [&](float threshold, bool strict, int count, float* prefix_at) -> int {
    if (threadIdx.x == 0) {
      s_found = count;
      s_carry = 0.f;
    }
    __syncthreads();
    for (int base = 0; base < count; base += kSelectThreads) {
      const int i = base + threadIdx.x;
      const float p = i < count ? __expf(keys[i] - mx) : 0.f;
      float incl;
      Scan(scan_temp).InclusiveSum(p, incl);
      const float carry = s_carry;
      incl += carry;
      const bool hit = i < count && (strict ? incl > threshold : incl >= threshold);
      // The lowest hitting index wins.
      if (hit) atomicMin(&s_found, i);
      __syncthreads();
      if (s_found < count) {
        if (i == s_found && prefix_at) *prefix_at = incl;
        __syncthreads();
        return s_found;
      }
      if (threadIdx.x == kSelectThreads - 1) s_carry = incl;
      __syncthreads();
    }
    return count;
  };

  __shared__ float s_kept_sum;
  int kept = k;
  if (threadIdx.x == 0) s_kept_sum = s_total;
  __syncthreads();
  if (params->top_p < 1.f) {
    const int cut = find(params->top_p * s_total, false, k, &s_kept_sum);
    kept = cut < k ? cut + 1 : k;
    __syncthreads();
  }
  // The draw: u in [0, 1) from (seed, position), scaled to the kept mass.
  uint64_t z = params->seed +
               0x9E3779B97F4A7C15ull * static_cast<uint64_t>(step->position + position_offset + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  const float u = static_cast<float>(z >> 40) * (1.f / 16777216.f);
  const int pick = find(u * s_kept_sum, true, kept, nullptr);
  if (threadIdx.x == 0) *token_out = ids[pick < kept ? pick : kept - 1];
}

}  // namespace

void argmax_token(const float* logits, int vocab, unsigned long long* scratch, int32_t* token_out,
                  const Launch& l) {
  const int blocks = std::min(132, (vocab + 511) / 512);
  launch_kernel(argmax_kernel, dim3(blocks), dim3(512), 0, l, "argmax_kernel", logits, vocab,
                scratch, token_out);
}

size_t sampling_workspace_bytes(int vocab) {
  size_t temp = 0;
  cub::DeviceRadixSort::SortPairsDescending(nullptr, temp, static_cast<const float*>(nullptr),
                                            static_cast<float*>(nullptr),
                                            static_cast<const int32_t*>(nullptr),
                                            static_cast<int32_t*>(nullptr), vocab);
  const size_t v = (static_cast<size_t>(vocab) * 4 + 255) / 256 * 256;
  return 4 * v + temp + 256;
}

SamplingWorkspace sampling_workspace(void* base, int vocab) {
  const size_t v = (static_cast<size_t>(vocab) * 4 + 255) / 256 * 256;
  char* p = static_cast<char*>(base);
  SamplingWorkspace ws{};
  ws.keys_in = reinterpret_cast<float*>(p);
  ws.keys_out = reinterpret_cast<float*>(p + v);
  ws.ids_in = reinterpret_cast<int32_t*>(p + 2 * v);
  ws.ids_out = reinterpret_cast<int32_t*>(p + 3 * v);
  ws.sort_temp = p + 4 * v;
  ws.sort_temp_bytes = sampling_workspace_bytes(vocab) - 4 * v - 256;
  return ws;
}

void sample_token(const float* logits, int vocab, const uint8_t* seen,
                  const SamplingDeviceParams* params, const DecodeStepInput* step,
                  int position_offset, SamplingWorkspace ws, int32_t* token_out,
                  cudaStream_t stream) {
  prepare_kernel<<<std::min(264, (vocab + 255) / 256), 256, 0, stream>>>(logits, vocab, seen,
                                                                         params, ws.keys_in, ws.ids_in);
  RG_CUDA_CHECK_LAUNCH("prepare_kernel");
  size_t temp = ws.sort_temp_bytes;
  RG_CUDA_CHECK(cub::DeviceRadixSort::SortPairsDescending(ws.sort_temp, temp, ws.keys_in,
                                                          ws.keys_out, ws.ids_in, ws.ids_out,
                                                          vocab, 0, 32, stream));
  select_kernel<<<1, kSelectThreads, 0, stream>>>(ws.keys_out, ws.ids_out, vocab, params, step,
                                                  position_offset, token_out);
  RG_CUDA_CHECK_LAUNCH("select_kernel");
}

}  // namespace rg::kernels::cuda
