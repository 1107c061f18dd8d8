// kernels/cuda/decoder_model.cu: the GPU decoder engine behind
// make_gpu_decoder (kernels/decoder.h).
//
// Model: every weight matrix in the engine's 16-bit type H (bf16 or fp16,
// DecoderPrecision; the classes below are templates on it) in one device allocation, in the layouts
// of decoder_kernels.cuh (q/k rows rotary-pair-adjacent, q|k|v one matrix,
// gate/up interleaved); norms, biases and the rotary frequencies in fp32.
// Upload copies each tensor's raw bytes (f32/f16/bf16/q8_0) to a staging
// buffer and converts and permutes them on the GPU.
//
// Session: a KV cache (H, [layer][k|v][kv_head][capacity][head_dim]), its
// own stream, cuBLAS handle and buffers, so sessions on different threads run
// independently. Per layer:
//   prefill (n tokens, in chunks of up to kPrefillChunk):
//     rms_norm_rows -> cuBLAS qkv -> rope_qkv_rows (+ cache append)
//     -> attention_prefill -> cuBLAS o-proj accumulating into the fp32
//     residual (beta = 1) -> rms_norm_rows -> cuBLAS gate|up -> silu_mul
//     -> cuBLAS down into the residual
//   decode (1 token): gemv_qkv (norm + rope + cache append fused)
//     -> attention_decode (split-K, merged in-kernel) -> gemv_residual (o)
//     -> gemv_gate_up (norm + SwiGLU fused) -> gemv_residual (down)
// then the final norm + output projection (gemv_logits) and the sampler. A
// decode step is captured once per session (greedy and sampling separately)
// into a CUDA graph whose first node copies the step's (token, position) from
// pinned memory and whose last copies the sampled token back: replaying it is
// one launch and one synchronisation per token.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/decoder_kernels.cuh"
#include "kernels/decoder.h"

namespace rg::kernels {
namespace {

using cuda::CudaError;

template <typename H>
constexpr cudaDataType kCudaType = CUDA_R_16BF;
template <>
constexpr cudaDataType kCudaType<__half> = CUDA_R_16F;
template <typename H>
constexpr DecoderPrecision kPrecision = DecoderPrecision::kBF16;
template <>
constexpr DecoderPrecision kPrecision<__half> = DecoderPrecision::kF16;

constexpr int kPrefillChunk = 2048;
constexpr int kDefaultGemvVariant = 0;

// Owns one cudaMalloc'd block.
class DeviceMemory {
 public:
  DeviceMemory() = default;
  explicit DeviceMemory(size_t bytes) : bytes_(bytes) {
    if (bytes > 0) RG_CUDA_CHECK(cudaMalloc(&ptr_, bytes));
  }
  ~DeviceMemory() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceMemory(DeviceMemory&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) { o.ptr_ = nullptr; }
  DeviceMemory& operator=(DeviceMemory&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(bytes_, o.bytes_);
    return *this;
  }
  template <typename T>
  T* as() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

class PinnedMemory {
 public:
  explicit PinnedMemory(size_t bytes) { RG_CUDA_CHECK(cudaMallocHost(&ptr_, bytes)); }
  ~PinnedMemory() {
    if (ptr_) cudaFreeHost(ptr_);
  }
  PinnedMemory(const PinnedMemory&) = delete;
  PinnedMemory& operator=(const PinnedMemory&) = delete;
  template <typename T>
  T* as() const { return static_cast<T*>(ptr_); }

 private:
  void* ptr_ = nullptr;
};

int dtype_code(DType t) {
  switch (t) {
    case DType::kF32: return 0;
    case DType::kF16: return 1;
    case DType::kBF16: return 2;
    case DType::kQ8_0: return 3;
  }
  return 0;
}

template <typename H>
struct GpuLayer {
  H* wqkv = nullptr;   // [q_rows + 2 kv_rows, hidden]
  H* wo = nullptr;     // [hidden, q_rows]
  H* wgu = nullptr;    // [2 I, hidden], gate/up interleaved
  H* wdown = nullptr;  // [hidden, I]
  float* bqkv = nullptr;  // [q_rows + 2 kv_rows] or null
  float* attn_norm = nullptr;
  float* ffn_norm = nullptr;
};

std::string device_name(int device) {
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) return "?";
  return prop.name;
}

// The engine's own limits, beyond validate()'s shape checks.
std::string check_supported(const DecoderConfig& c) {
  if (!cuda::attention_prefill_supports(c.head_dim) ||
      !cuda::attention_decode_supports(c.head_dim, c.heads / std::max(1, c.kv_heads))) {
    return "the GPU engine supports head_dim 64 or 128 and up to 8 query heads per kv head (got "
           "head_dim " + std::to_string(c.head_dim) + ", " + std::to_string(c.heads) + " heads, " +
           std::to_string(c.kv_heads) + " kv heads)";
  }
  if (c.hidden % 8 != 0 || c.intermediate % 8 != 0 || (c.heads * c.head_dim) % 8 != 0) {
    return "the GPU engine needs hidden, intermediate and heads*head_dim to be multiples of 8";
  }
  if (c.vocab_size % 2 != 0) {
    return "the GPU engine needs an even vocabulary size (got " + std::to_string(c.vocab_size) + ")";
  }
  return "";
}

template <typename H>
class GpuDecoderModel;

// Pinned host block / device step buffer: DecodeStepInput at 0, sampling
// parameters at kParamsOffset, the sampled token (host only) after them.
constexpr size_t kParamsOffset = 32;
constexpr size_t kHostStepBytes = kParamsOffset + 64;

template <typename H>
class GpuDecoderSession final : public DecoderSession {
 public:
  GpuDecoderSession(const GpuDecoderModel<H>& model, int capacity);
  ~GpuDecoderSession() override;

  std::int32_t prefill(std::span<const std::int32_t> tokens, const SamplingParams& params,
                       std::vector<float>* logits, bool all_logits) override;
  std::int32_t decode(std::int32_t token, const SamplingParams& params,
                      std::vector<float>* logits) override;
  int position() const override { return position_; }
  int capacity() const override { return capacity_; }
  void reset() override;

 private:
  void set_params(const SamplingParams& params);
  void enqueue_decode_step(bool greedy);
  void enqueue_sample(bool greedy);
  void gemm(const H* a, const H* w, void* c, cudaDataType c_type, int tokens, int n_out, int k,
            float beta);
  H* k_cache(int layer) const;
  H* v_cache(int layer) const;

  const GpuDecoderModel<H>& model_;
  const DecoderConfig& cfg_;
  int capacity_;
  int position_ = 0;
  int splits_ = 1;
  int keys_per_split_ = 128;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  DeviceMemory cublas_workspace_;
  DeviceMemory kv_;
  // Decode buffers.
  DeviceMemory x_, q_, attn_, act_, logits_, partial_, counters_, argmax_, seen_, step_,
      token_out_, sampling_;
  cuda::SamplingDeviceParams* d_params() const {
    return reinterpret_cast<cuda::SamplingDeviceParams*>(step_.as<char>() + kParamsOffset);
  }
  cuda::SamplingWorkspace sampling_ws_{};
  // Prefill buffers (allocated on first use, for up to chunk_ tokens).
  int chunk_ = 0;
  DeviceMemory px_, pxn_, pqkv_, pq_, pctx_, pgu_, pact_, ptokens_, all_logits_;
  PinnedMemory host_;  // DecodeStepInput | SamplingDeviceParams | int32 token
  cuda::DecodeStepInput* h_step_;
  cuda::SamplingDeviceParams* h_params_;
  int32_t* h_token_;
  cudaGraphExec_t graphs_[2] = {nullptr, nullptr};  // [greedy]
  bool use_graphs_ = true;
  cuda::Launch decode_launch_;   // the decode step's kernels (PDL, GEMV variant)
  cuda::Launch plain_launch_;    // prefill: plain launches on the stream
  // Which prefill GEMM outputs are fp32 instead of H (one rounding fewer
  // before RoPE / SwiGLU, twice the traffic of that output):
  // RG_GPU_DECODER_PREFILL_F32 = 0 (none), qkv (default: small), all.
  bool qkv_f32_ = true;
  bool gu_f32_ = false;
};

template <typename H>
class GpuDecoderModel final : public DecoderModel {
 public:
  GpuDecoderModel(const DecoderConfig& config, int device) : config_(config), device_(device) {
    RG_CUDA_CHECK(cudaSetDevice(device));
    cudaDeviceProp prop{};
    RG_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    sm_count_ = prop.multiProcessorCount;
    name_ = prop.name;
    q_rows_ = config.heads * config.head_dim;
    kv_rows_ = config.kv_heads * config.head_dim;
    qkv_rows_ = q_rows_ + 2 * kv_rows_;
    allocate();
    cuda::gemv_prepare(std::max({config.hidden, config.intermediate, q_rows_}));
  }

  // Uploads and converts the host weights.
  void upload(const DecoderWeights& w) {
    cudaStream_t s = nullptr;
    RG_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    try {
      upload_on(w, s);
    } catch (...) {
      cudaStreamDestroy(s);
      throw;
    }
    RG_CUDA_CHECK(cudaStreamSynchronize(s));
    RG_CUDA_CHECK(cudaStreamDestroy(s));
  }

  void randomize(std::uint64_t seed) {
    cudaStream_t s = nullptr;
    RG_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    const DecoderConfig& c = config_;
    std::uint64_t k = seed * 1000003ull;
    cuda::fill_random(tok_emb_, int64_t{c.vocab_size} * c.hidden, 0.f, 0.02f, ++k, s);
    if (output_ != tok_emb_) {
      cuda::fill_random(output_, int64_t{c.vocab_size} * c.hidden, 0.f, 0.02f, ++k, s);
    }
    cuda::fill_random_f32(output_norm_, c.hidden, 1.f, 0.05f, ++k, s);
    for (GpuLayer<H>& l : layers_) {
      cuda::fill_random(l.wqkv, int64_t{qkv_rows_} * c.hidden, 0.f, 0.02f, ++k, s);
      cuda::fill_random(l.wo, int64_t{c.hidden} * q_rows_, 0.f, 0.02f, ++k, s);
      cuda::fill_random(l.wgu, int64_t{2} * c.intermediate * c.hidden, 0.f, 0.02f, ++k, s);
      cuda::fill_random(l.wdown, int64_t{c.hidden} * c.intermediate, 0.f, 0.02f, ++k, s);
      if (l.bqkv) cuda::fill_random_f32(l.bqkv, qkv_rows_, 0.f, 0.02f, ++k, s);
      cuda::fill_random_f32(l.attn_norm, c.hidden, 1.f, 0.05f, ++k, s);
      cuda::fill_random_f32(l.ffn_norm, c.hidden, 1.f, 0.05f, ++k, s);
    }
    upload_inv_freq(s);
    RG_CUDA_CHECK(cudaStreamSynchronize(s));
    RG_CUDA_CHECK(cudaStreamDestroy(s));
  }

  const DecoderConfig& config() const override { return config_; }
  std::string describe() const override {
    return "cuda:" + std::to_string(device_) + " (" + name_ + ", " + to_string(kPrecision<H>) + ")";
  }
  std::unique_ptr<DecoderSession> new_session(int max_tokens) override {
    if (max_tokens <= 0) throw std::invalid_argument("session capacity must be positive");
    if (config_.max_positions > 0 && max_tokens > config_.max_positions) {
      throw std::invalid_argument("session capacity " + std::to_string(max_tokens) +
                                  " exceeds the model's max_positions " +
                                  std::to_string(config_.max_positions));
    }
    RG_CUDA_CHECK(cudaSetDevice(device_));
    return std::make_unique<GpuDecoderSession<H>>(*this, max_tokens);
  }

  int device() const { return device_; }
  int sm_count() const { return sm_count_; }
  int q_rows() const { return q_rows_; }
  int kv_rows() const { return kv_rows_; }
  int qkv_rows() const { return qkv_rows_; }
  const std::vector<GpuLayer<H>>& layers() const { return layers_; }
  const H* tok_emb() const { return tok_emb_; }
  const H* output() const { return output_; }
  const float* output_norm() const { return output_norm_; }
  const float* inv_freq() const { return inv_freq_; }

 private:
  void allocate() {
    const DecoderConfig& c = config_;
    const size_t h = c.hidden, in = c.intermediate, v = c.vocab_size;
    const size_t per_layer = qkv_rows_ * h + h * q_rows_ + 2 * in * h + h * in;
    const size_t matrices = v * h * (c.tied_embeddings ? 1 : 2) + per_layer * c.layers;
    weights_ = DeviceMemory(matrices * sizeof(H));
    const size_t small_per_layer = 2 * h + (c.qkv_bias ? qkv_rows_ : 0);
    small_ = DeviceMemory((small_per_layer * c.layers + h + c.head_dim / 2) * sizeof(float));
    H* p = weights_.as<H>();
    float* f = small_.as<float>();
    tok_emb_ = p;
    p += v * h;
    output_ = c.tied_embeddings ? tok_emb_ : p;
    if (!c.tied_embeddings) p += v * h;
    output_norm_ = f;
    f += h;
    inv_freq_ = f;
    f += c.head_dim / 2;
    layers_.resize(c.layers);
    for (GpuLayer<H>& l : layers_) {
      l.wqkv = p;
      p += qkv_rows_ * h;
      l.wo = p;
      p += h * q_rows_;
      l.wgu = p;
      p += 2 * in * h;
      l.wdown = p;
      p += h * in;
      l.attn_norm = f;
      f += h;
      l.ffn_norm = f;
      f += h;
      if (c.qkv_bias) {
        l.bqkv = f;
        f += qkv_rows_;
      }
    }
  }

  void upload_inv_freq(cudaStream_t s) {
    const std::vector<float> inv = rope_inverse_frequencies(config_);
    RG_CUDA_CHECK(cudaMemcpyAsync(inv_freq_, inv.data(), inv.size() * sizeof(float),
                                  cudaMemcpyHostToDevice, s));
  }

  // Raw bytes of `t` to the staging buffer (grown as needed); returns it.
  const void* stage(const TensorView& t, cudaStream_t s) {
    const size_t bytes = dtype_bytes(t.dtype, static_cast<size_t>(t.numel()));
    if (bytes > staging_.bytes()) {
      RG_CUDA_CHECK(cudaStreamSynchronize(s));
      staging_ = DeviceMemory(bytes);
    }
    // Pageable (memory-mapped) source: the copy is synchronous with respect
    // to the host, so the staging buffer is free again once the conversion
    // kernel queued after it has run; the next stage() waits for that below.
    RG_CUDA_CHECK(cudaStreamSynchronize(s));
    RG_CUDA_CHECK(cudaMemcpyAsync(staging_.as<void>(), t.data, bytes, cudaMemcpyHostToDevice, s));
    return staging_.as<void>();
  }

  // `what` names the tensor in errors ("layer 3 w_down").
  void matrix(const TensorView& t, H* dst, int64_t dst_stride, cuda::RowMap map,
              const std::string& what, cudaStream_t s) {
    const void* src = stage(t, s);
    unsigned long long* overflow = overflow_.as<unsigned long long>();
    RG_CUDA_CHECK(cudaMemsetAsync(overflow, 0, sizeof(unsigned long long), s));
    cuda::convert_rows(src, dtype_code(t.dtype), t.shape[0], t.shape[1], map, config_.head_dim,
                       dst, dst_stride, overflow, s);
    unsigned long long over = 0;
    RG_CUDA_CHECK(cudaMemcpyAsync(&over, overflow, sizeof(over), cudaMemcpyDeviceToHost, s));
    RG_CUDA_CHECK(cudaStreamSynchronize(s));
    if (over > 0) {
      throw std::runtime_error(what + ": " + std::to_string(over) + " value(s) beyond the " +
                               to_string(kPrecision<H>) + " range" +
                               (kPrecision<H> == DecoderPrecision::kF16
                                    ? " (|v| > 65504); load it as bf16 (dtype: bfloat16)"
                                    : ""));
    }
  }

  void vector(const TensorView& t, float* dst, cuda::RowMap map, cudaStream_t s) {
    const void* src = stage(t, s);
    cuda::convert_to_f32(src, dtype_code(t.dtype), t.numel(), map, config_.head_dim, dst, s);
  }

  void upload_on(const DecoderWeights& w, cudaStream_t s) {
    const DecoderConfig& c = config_;
    // Rotary pairs adjacent: HF's half-split heads are permuted, GGUF llama's
    // are already interleaved.
    const cuda::RowMap rope_map =
        c.rope_style == RopeStyle::kHalf ? cuda::RowMap::kRopeInterleave : cuda::RowMap::kIdentity;
    const int64_t h = c.hidden, in = c.intermediate;
    overflow_ = DeviceMemory(sizeof(unsigned long long));
    matrix(w.tok_embeddings, tok_emb_, h, cuda::RowMap::kIdentity, "token embeddings", s);
    if (!c.tied_embeddings) matrix(w.output, output_, h, cuda::RowMap::kIdentity, "output", s);
    vector(w.output_norm, output_norm_, cuda::RowMap::kIdentity, s);
    for (size_t i = 0; i < layers_.size(); ++i) {
      const DecoderLayerWeights& src = w.layers[i];
      GpuLayer<H>& l = layers_[i];
      const std::string layer = "layer " + std::to_string(i) + " ";
      matrix(src.wq, l.wqkv, h, rope_map, layer + "wq", s);
      matrix(src.wk, l.wqkv + q_rows_ * h, h, rope_map, layer + "wk", s);
      matrix(src.wv, l.wqkv + (q_rows_ + kv_rows_) * h, h, cuda::RowMap::kIdentity, layer + "wv", s);
      matrix(src.wo, l.wo, q_rows_, cuda::RowMap::kIdentity, layer + "wo", s);
      // gate row i -> 2i, up row i -> 2i + 1: a row stride of two rows.
      matrix(src.w_gate, l.wgu, 2 * h, cuda::RowMap::kIdentity, layer + "w_gate", s);
      matrix(src.w_up, l.wgu + h, 2 * h, cuda::RowMap::kIdentity, layer + "w_up", s);
      matrix(src.w_down, l.wdown, in, cuda::RowMap::kIdentity, layer + "w_down", s);
      vector(src.attn_norm, l.attn_norm, cuda::RowMap::kIdentity, s);
      vector(src.ffn_norm, l.ffn_norm, cuda::RowMap::kIdentity, s);
      if (c.qkv_bias) {
        vector(src.bq, l.bqkv, rope_map, s);
        vector(src.bk, l.bqkv + q_rows_, rope_map, s);
        vector(src.bv, l.bqkv + q_rows_ + kv_rows_, cuda::RowMap::kIdentity, s);
      }
    }
    upload_inv_freq(s);
    RG_CUDA_CHECK(cudaStreamSynchronize(s));
    staging_ = DeviceMemory();
    overflow_ = DeviceMemory();
  }

  DecoderConfig config_;
  int device_;
  int sm_count_ = 0;
  std::string name_;
  int q_rows_ = 0, kv_rows_ = 0, qkv_rows_ = 0;
  DeviceMemory weights_, small_, staging_, overflow_;
  H* tok_emb_ = nullptr;
  H* output_ = nullptr;
  float* output_norm_ = nullptr;
  float* inv_freq_ = nullptr;
  std::vector<GpuLayer<H>> layers_;
};

// ---------------------------------------------------------------- session

template <typename H>
GpuDecoderSession<H>::GpuDecoderSession(const GpuDecoderModel<H>& model, int capacity)
    : model_(model),
      cfg_(model.config()),
      capacity_(capacity),
      host_(kHostStepBytes + 64) {
  static_assert(sizeof(cuda::DecodeStepInput) <= kParamsOffset, "step input fits");
  static_assert(kParamsOffset + sizeof(cuda::SamplingDeviceParams) <= kHostStepBytes, "params fit");
  h_step_ = host_.as<cuda::DecodeStepInput>();
  h_params_ = reinterpret_cast<cuda::SamplingDeviceParams*>(host_.as<char>() + kParamsOffset);
  h_token_ = reinterpret_cast<int32_t*>(host_.as<char>() + kHostStepBytes);
  // Tuning switches (docs/gpu-notes.md): RG_GPU_DECODER_GRAPHS=0 runs decode
  // steps eagerly, RG_GPU_DECODER_PDL=0 turns programmatic dependent launch
  // off, RG_GPU_DECODER_GEMV=0..3 picks the GEMV shape.
  const char* env = std::getenv("RG_GPU_DECODER_GRAPHS");
  use_graphs_ = !(env && std::string(env) == "0");
  const char* pdl = std::getenv("RG_GPU_DECODER_PDL");
  const char* f32 = std::getenv("RG_GPU_DECODER_PREFILL_F32");
  if (f32) {
    const std::string v = f32;
    qkv_f32_ = v == "qkv" || v == "all" || v == "1";
    gu_f32_ = v == "all" || v == "1";
  }
  const char* variant = std::getenv("RG_GPU_DECODER_GEMV");

  RG_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  decode_launch_.stream = stream_;
  decode_launch_.pdl = !(pdl && std::string(pdl) == "0");
  decode_launch_.gemv_variant = variant ? std::atoi(variant) : kDefaultGemvVariant;
  plain_launch_.stream = stream_;
  RG_CUBLAS_CHECK(cublasCreate(&cublas_));
  RG_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
  cublas_workspace_ = DeviceMemory(32u << 20);
  RG_CUBLAS_CHECK(cublasSetWorkspace(cublas_, cublas_workspace_.as<void>(), cublas_workspace_.bytes()));

  const size_t kv_per_layer = size_t{2} * cfg_.kv_heads * capacity * cfg_.head_dim;
  kv_ = DeviceMemory(kv_per_layer * cfg_.layers * sizeof(H));
  const int group = cfg_.heads / cfg_.kv_heads;
  // The grid of the decode attention: one split per keys_per_split_ keys of
  // capacity, at most 64 per kv head; at each step only
  // ceil(context / keys_per_split_) of them work (decoder_attention.cu), so
  // short contexts merge few partial results. RG_GPU_DECODER_SPLIT_KEYS
  // overrides the default (measurements).
  const char* split_keys = std::getenv("RG_GPU_DECODER_SPLIT_KEYS");
  keys_per_split_ = split_keys ? std::max(16, std::atoi(split_keys))
                               : cuda::attention_decode_default_keys_per_split();
  splits_ = std::clamp((capacity + keys_per_split_ - 1) / keys_per_split_, 1, 64);
  x_ = DeviceMemory(cfg_.hidden * sizeof(float));
  q_ = DeviceMemory(model.q_rows() * sizeof(float));
  attn_ = DeviceMemory(model.q_rows() * sizeof(float));
  act_ = DeviceMemory(cfg_.intermediate * sizeof(float));
  logits_ = DeviceMemory(size_t(cfg_.vocab_size) * sizeof(float));
  partial_ = DeviceMemory(size_t(cfg_.kv_heads) * splits_ * group * (cfg_.head_dim + 2) * sizeof(float));
  counters_ = DeviceMemory(cfg_.kv_heads * sizeof(int));
  argmax_ = DeviceMemory(2 * sizeof(unsigned long long));
  seen_ = DeviceMemory(cfg_.vocab_size);
  // Step input and sampling parameters share one buffer laid out like the
  // pinned host block, so one copy moves both.
  step_ = DeviceMemory(kHostStepBytes);
  token_out_ = DeviceMemory(sizeof(int32_t));
  sampling_ = DeviceMemory(cuda::sampling_workspace_bytes(cfg_.vocab_size));
  sampling_ws_ = cuda::sampling_workspace(sampling_.as<void>(), cfg_.vocab_size);
  RG_CUDA_CHECK(cudaMemsetAsync(counters_.as<void>(), 0, counters_.bytes(), stream_));
  RG_CUDA_CHECK(cudaMemsetAsync(argmax_.as<void>(), 0, argmax_.bytes(), stream_));
  RG_CUDA_CHECK(cudaMemsetAsync(seen_.as<void>(), 0, seen_.bytes(), stream_));
  RG_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

template <typename H>
GpuDecoderSession<H>::~GpuDecoderSession() {
  for (cudaGraphExec_t& g : graphs_) {
    if (g) cudaGraphExecDestroy(g);
  }
  if (stream_) cudaStreamSynchronize(stream_);
  if (cublas_) cublasDestroy(cublas_);
  if (stream_) cudaStreamDestroy(stream_);
}

template <typename H>
H* GpuDecoderSession<H>::k_cache(int layer) const {
  const size_t per = static_cast<size_t>(cfg_.kv_heads) * capacity_ * cfg_.head_dim;
  return kv_.as<H>() + 2 * per * layer;
}
template <typename H>
H* GpuDecoderSession<H>::v_cache(int layer) const {
  const size_t per = static_cast<size_t>(cfg_.kv_heads) * capacity_ * cfg_.head_dim;
  return kv_.as<H>() + 2 * per * layer + per;
}

template <typename H>
void GpuDecoderSession<H>::reset() {
  position_ = 0;
  RG_CUDA_CHECK(cudaMemsetAsync(seen_.as<void>(), 0, seen_.bytes(), stream_));
  RG_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

template <typename H>
void GpuDecoderSession<H>::set_params(const SamplingParams& p) {
  if (p.temperature > 0.f && !(p.top_p > 0.f)) {
    throw std::invalid_argument("top_p must be in (0, 1] (got " + std::to_string(p.top_p) + ")");
  }
  if (!(p.repetition_penalty > 0.f)) {
    throw std::invalid_argument("repetition_penalty must be positive");
  }
  h_params_->temperature = p.temperature;
  h_params_->top_k = p.top_k;
  h_params_->top_p = p.top_p;
  h_params_->repetition_penalty = p.repetition_penalty;
  h_params_->seed = p.seed;
}

// C[tokens, n_out] = A[tokens, k] W[n_out, k]^T (+ beta C), row-major.
template <typename H>
void GpuDecoderSession<H>::gemm(const H* a, const H* w, void* c, cudaDataType c_type, int tokens,
                                int n_out, int k, float beta) {
  const float alpha = 1.f;
  RG_CUBLAS_CHECK(cublasGemmEx(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, n_out, tokens, k, &alpha, w,
                               kCudaType<H>, k, a, kCudaType<H>, k, &beta, c, c_type, n_out,
                               CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

// Samples from logits_ the token at step_->position + 1 into h_token_.
template <typename H>
void GpuDecoderSession<H>::enqueue_sample(bool greedy) {
  if (greedy) {
    cuda::argmax_token(logits_.as<float>(), cfg_.vocab_size, argmax_.as<unsigned long long>(),
                       token_out_.as<int32_t>(), decode_launch_);
  } else {
    cuda::sample_token(logits_.as<float>(), cfg_.vocab_size, seen_.as<uint8_t>(),
                       d_params(), step_.as<cuda::DecodeStepInput>(),
                       1, sampling_ws_, token_out_.as<int32_t>(), stream_);
  }
  RG_CUDA_CHECK(cudaMemcpyAsync(h_token_, token_out_.as<void>(), sizeof(int32_t),
                                cudaMemcpyDeviceToHost, stream_));
}

template <typename H>
void GpuDecoderSession<H>::enqueue_decode_step(bool greedy) {
  auto* step = step_.as<cuda::DecodeStepInput>();
  RG_CUDA_CHECK(cudaMemcpyAsync(step, h_step_, kHostStepBytes, cudaMemcpyHostToDevice, stream_));
  const cuda::Launch& l = decode_launch_;
  const int32_t* token = &step->token;
  float* x = x_.as<float>();
  // The first kernel follows a copy, not a kernel: no PDL for it.
  cuda::embed_tokens(model_.tok_emb(), cfg_.hidden, token, 1, x, seen_.as<uint8_t>(),
                     plain_launch_);
  for (int i = 0; i < cfg_.layers; ++i) {
    const GpuLayer<H>& w = model_.layers()[i];
    cuda::GemvQkvEpilogue<H> epi{w.bqkv, model_.inv_freq(), step, model_.q_rows(), model_.kv_rows(),
                              cfg_.head_dim, capacity_, q_.as<float>(), k_cache(i), v_cache(i)};
    cuda::gemv_qkv(w.wqkv, model_.qkv_rows(), cfg_.hidden, x, w.attn_norm, cfg_.rms_norm_eps, epi,
                   l);
    cuda::attention_decode(q_.as<float>(), k_cache(i), v_cache(i), step, cfg_.heads,
                           cfg_.kv_heads, cfg_.head_dim, capacity_, cfg_.sliding_window, splits_,
                           keys_per_split_,
                           partial_.as<float>(),
                           counters_.as<int>(), attn_.as<float>(), l);
    cuda::gemv_residual(w.wo, cfg_.hidden, model_.q_rows(), attn_.as<float>(), x, l);
    cuda::gemv_gate_up(w.wgu, 2 * cfg_.intermediate, cfg_.hidden, x, w.ffn_norm,
                       cfg_.rms_norm_eps, act_.as<float>(), l);
    cuda::gemv_residual(w.wdown, cfg_.hidden, cfg_.intermediate, act_.as<float>(), x, l);
  }
  cuda::gemv_logits(model_.output(), cfg_.vocab_size, cfg_.hidden, x, model_.output_norm(),
                    cfg_.rms_norm_eps, logits_.as<float>(), l);
  enqueue_sample(greedy);
}

template <typename H>
std::int32_t GpuDecoderSession<H>::decode(std::int32_t token, const SamplingParams& params,
                                       std::vector<float>* logits) {
  if (token < 0 || token >= cfg_.vocab_size) {
    throw std::invalid_argument("token id " + std::to_string(token) + " outside the vocabulary (" +
                                std::to_string(cfg_.vocab_size) + ")");
  }
  if (position_ >= capacity_) {
    throw std::invalid_argument("session is full: " + std::to_string(capacity_) + " tokens");
  }
  RG_CUDA_CHECK(cudaSetDevice(model_.device()));
  set_params(params);
  h_step_->token = token;
  h_step_->position = position_;
  const bool greedy = params.temperature <= 0.f;
  cudaGraphExec_t& graph = graphs_[greedy ? 1 : 0];
  if (use_graphs_ && !graph) {
    cudaGraph_t g = nullptr;
    RG_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
    try {
      enqueue_decode_step(greedy);
    } catch (...) {
      cudaStreamEndCapture(stream_, &g);
      if (g) cudaGraphDestroy(g);
      throw;
    }
    RG_CUDA_CHECK(cudaStreamEndCapture(stream_, &g));
    const cudaError_t st = cudaGraphInstantiate(&graph, g, 0);
    cudaGraphDestroy(g);
    RG_CUDA_CHECK(st);
  }
  if (use_graphs_) {
    RG_CUDA_CHECK(cudaGraphLaunch(graph, stream_));
  } else {
    enqueue_decode_step(greedy);
  }
  if (logits) {
    logits->resize(cfg_.vocab_size);
    RG_CUDA_CHECK(cudaMemcpyAsync(logits->data(), logits_.as<void>(),
                                  size_t(cfg_.vocab_size) * sizeof(float), cudaMemcpyDeviceToHost,
                                  stream_));
  }
  RG_CUDA_CHECK(cudaStreamSynchronize(stream_));
  ++position_;
  return *h_token_;
}

template <typename H>
std::int32_t GpuDecoderSession<H>::prefill(std::span<const std::int32_t> tokens,
                                        const SamplingParams& params, std::vector<float>* logits,
                                        bool all_logits) {
  const int n = static_cast<int>(tokens.size());
  if (n == 0) throw std::invalid_argument("prefill needs at least one token");
  if (position_ + n > capacity_) {
    throw std::invalid_argument("prefill of " + std::to_string(n) + " tokens at position " +
                                std::to_string(position_) + " exceeds the session's capacity " +
                                std::to_string(capacity_));
  }
  for (int i = 0; i < n; ++i) {
    if (tokens[i] < 0 || tokens[i] >= cfg_.vocab_size) {
      throw std::invalid_argument("token id " + std::to_string(tokens[i]) + " at index " +
                                  std::to_string(i) + " outside the vocabulary (" +
                                  std::to_string(cfg_.vocab_size) + ")");
    }
  }
  RG_CUDA_CHECK(cudaSetDevice(model_.device()));
  set_params(params);
  const int h = cfg_.hidden, in = cfg_.intermediate, qr = model_.q_rows();
  const int want = std::min(std::max(n, 1), kPrefillChunk);
  if (want > chunk_) {
    chunk_ = std::max(want, std::min(kPrefillChunk, 2 * chunk_));
    const size_t c = chunk_;
    px_ = DeviceMemory(c * h * sizeof(float));
    pxn_ = DeviceMemory(c * std::max(h, qr) * sizeof(H));
    pqkv_ = DeviceMemory(c * model_.qkv_rows() * (qkv_f32_ ? sizeof(float) : sizeof(H)));
    pq_ = DeviceMemory(c * qr * sizeof(H));
    pctx_ = DeviceMemory(c * qr * sizeof(H));
    pgu_ = DeviceMemory(c * 2 * in * (gu_f32_ ? sizeof(float) : sizeof(H)));
    pact_ = DeviceMemory(c * in * sizeof(H));
    ptokens_ = DeviceMemory(c * sizeof(int32_t));
  }
  if (all_logits && logits) logits->resize(size_t(n) * cfg_.vocab_size);
  float* x = px_.as<float>();
  for (int done = 0; done < n; done += chunk_) {
    const int c = std::min(chunk_, n - done);
    const int start = position_ + done;
    RG_CUDA_CHECK(cudaMemcpyAsync(ptokens_.as<void>(), tokens.data() + done, c * sizeof(int32_t),
                                  cudaMemcpyHostToDevice, stream_));
    cuda::embed_tokens(model_.tok_emb(), h, ptokens_.as<int32_t>(), c, x, seen_.as<uint8_t>(),
                       plain_launch_);
    for (int i = 0; i < cfg_.layers; ++i) {
      const GpuLayer<H>& l = model_.layers()[i];
      cuda::rms_norm_rows(x, l.attn_norm, c, h, cfg_.rms_norm_eps, pxn_.as<H>(), stream_);
      gemm(pxn_.as<H>(), l.wqkv, pqkv_.as<void>(), qkv_f32_ ? CUDA_R_32F : kCudaType<H>, c,
           model_.qkv_rows(), h, 0.f);
      if (qkv_f32_) {
        cuda::rope_qkv_rows(pqkv_.as<float>(), l.bqkv, model_.inv_freq(), c, start, qr,
                            model_.kv_rows(), cfg_.head_dim, capacity_, pq_.as<H>(), k_cache(i),
                            v_cache(i), stream_);
      } else {
        cuda::rope_qkv_rows(pqkv_.as<H>(), l.bqkv, model_.inv_freq(), c, start, qr,
                            model_.kv_rows(), cfg_.head_dim, capacity_, pq_.as<H>(), k_cache(i),
                            v_cache(i), stream_);
      }
      cuda::attention_prefill(pq_.as<H>(), k_cache(i), v_cache(i), c, start, cfg_.heads,
                              cfg_.kv_heads, cfg_.head_dim, capacity_, cfg_.sliding_window,
                              pctx_.as<H>(), stream_);
      gemm(pctx_.as<H>(), l.wo, x, CUDA_R_32F, c, h, qr, 1.f);
      cuda::rms_norm_rows(x, l.ffn_norm, c, h, cfg_.rms_norm_eps, pxn_.as<H>(), stream_);
      gemm(pxn_.as<H>(), l.wgu, pgu_.as<void>(), gu_f32_ ? CUDA_R_32F : kCudaType<H>, c, 2 * in,
           h, 0.f);
      if (gu_f32_) {
        cuda::silu_mul_rows(pgu_.as<float>(), c, in, pact_.as<H>(), stream_);
      } else {
        cuda::silu_mul_rows(pgu_.as<H>(), c, in, pact_.as<H>(), stream_);
      }
      gemm(pact_.as<H>(), l.wdown, x, CUDA_R_32F, c, h, in, 1.f);
    }
    if (all_logits && logits) {
      if (all_logits_.bytes() < size_t(chunk_) * cfg_.vocab_size * sizeof(float)) {
        all_logits_ = DeviceMemory(size_t(chunk_) * cfg_.vocab_size * sizeof(float));
      }
      cuda::rms_norm_rows(x, model_.output_norm(), c, h, cfg_.rms_norm_eps, pxn_.as<H>(),
                          stream_);
      gemm(pxn_.as<H>(), model_.output(), all_logits_.as<void>(), CUDA_R_32F, c,
           cfg_.vocab_size, h, 0.f);
      RG_CUDA_CHECK(cudaMemcpyAsync(logits->data() + size_t(done) * cfg_.vocab_size,
                                    all_logits_.as<void>(),
                                    size_t(c) * cfg_.vocab_size * sizeof(float),
                                    cudaMemcpyDeviceToHost, stream_));
    }
    if (done + c == n) {
      // The last token's logits (fp32 norm, as in decode) and the sample.
      cuda::gemv_logits(model_.output(), cfg_.vocab_size, h, x + size_t(c - 1) * h,
                        model_.output_norm(), cfg_.rms_norm_eps, logits_.as<float>(), plain_launch_);
    }
  }
  h_step_->token = tokens[n - 1];
  h_step_->position = position_ + n - 1;
  RG_CUDA_CHECK(cudaMemcpyAsync(step_.as<void>(), h_step_, kHostStepBytes,
                                cudaMemcpyHostToDevice, stream_));
  enqueue_sample(params.temperature <= 0.f);
  if (logits && !all_logits) {
    logits->resize(cfg_.vocab_size);
    RG_CUDA_CHECK(cudaMemcpyAsync(logits->data(), logits_.as<void>(),
                                  size_t(cfg_.vocab_size) * sizeof(float), cudaMemcpyDeviceToHost,
                                  stream_));
  }
  RG_CUDA_CHECK(cudaStreamSynchronize(stream_));
  position_ += n;
  return *h_token_;
}

// The model for `options` (precision picks the class), or nullptr + *error.
// Throws on CUDA errors.
template <class Init>
std::unique_ptr<DecoderModel> make_model(const DecoderConfig& config,
                                         const GpuDecoderOptions& options, std::string* error,
                                         Init init) {
  const int device = options.device;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    if (error) *error = "no CUDA device is visible";
    return nullptr;
  }
  if (device < 0 || device >= count) {
    if (error) *error = "CUDA device " + std::to_string(device) + " does not exist (" +
                        std::to_string(count) + " visible)";
    return nullptr;
  }
  if (std::string why = check_supported(config); !why.empty()) {
    if (error) *error = why;
    return nullptr;
  }
  if (options.precision == DecoderPrecision::kF16) {
    auto model = std::make_unique<GpuDecoderModel<__half>>(config, device);
    init(*model);
    return model;
  }
  auto model = std::make_unique<GpuDecoderModel<__nv_bfloat16>>(config, device);
  init(*model);
  return model;
}

}  // namespace

std::unique_ptr<DecoderModel> make_gpu_decoder(const DecoderWeights& weights, std::string* error,
                                               const GpuDecoderOptions& options) {
  if (std::string why = validate(weights); !why.empty()) {
    if (error) *error = why;
    return nullptr;
  }
  try {
    return make_model(weights.config, options, error, [&](auto& m) { m.upload(weights); });
  } catch (const std::exception& e) {
    if (error) *error = std::string("GPU decoder (") + device_name(options.device) + "): " + e.what();
    return nullptr;
  }
}

std::unique_ptr<DecoderModel> make_gpu_decoder_random(const DecoderConfig& config,
                                                      std::uint64_t seed, std::string* error,
                                                      const GpuDecoderOptions& options) {
  try {
    return make_model(config, options, error, [&](auto& m) { m.randomize(seed); });
  } catch (const std::exception& e) {
    if (error) *error = std::string("GPU decoder (") + device_name(options.device) + "): " + e.what();
    return nullptr;
  }
}

}  // namespace rg::kernels
