// kernels/cuda/encoder_forward.cu: GpuEncoder (kernels/encoder.h), the BERT
// encoder's forward pass on one GPU.
//
// Per layer (T = batch * seq_len tokens, H hidden, I intermediate):
//   qkv  = x Wqkv^T              cuBLAS, [T, 3H] (q, k, v weights concatenated at upload)
//   ctx  = attention(qkv + b)    attention.cu (bias, scores, mask, softmax, weighted sum)
//   proj = ctx Wo^T              cuBLAS
//   h1   = LN(proj + bo + x)     layer_norm.cu
//   ff   = h1 W1^T               cuBLAS, [T, I]
//   a    = act(ff + b1)          bias_activation.cu
//   proj = a W2^T                cuBLAS
//   x    = LN(proj + b2 + h1)    layer_norm.cu
// framed by embedding gather + sum + LN (layer_norm.cu) and pooling + L2
// normalisation (pool_normalize.cu).
//
// Precision: kFp32 keeps everything fp32 and the GEMMs run with
// CUBLAS_COMPUTE_32F under the default math mode, which never uses TF32 (only
// CUBLAS_TF32_TENSOR_OP_MATH or CUBLAS_COMPUTE_32F_FAST_TF32 would). kBf16
// stores the GEMM weights in bf16 and the GEMMs read and write bf16
// activations (fp32 accumulation), like PyTorch's bf16 autocast; embeddings,
// biases, LayerNorm, softmax, the residual stream and pooling stay fp32.
//
// From its second batch on, each (batch, seq_len, pooling) shape is captured
// once into a CUDA graph and replayed (one launch instead of ~50; up to 64
// graphs; RG_GPU_ENCODER_GRAPHS=0 turns that off).
// encode() is serialised by a mutex: one stream, one set of buffers.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/encoder_kernels.cuh"
#include "kernels/encoder.h"

namespace rg::kernels {
namespace {

using cuda::CudaError;

// Round-to-nearest-even fp32 -> bf16 bits (NaN stays NaN).
uint16_t to_bf16_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

void expect_size(const std::vector<float>& v, size_t n, const std::string& name) {
  if (v.size() != n) {
    throw std::invalid_argument("encoder weights: " + name + " has " + std::to_string(v.size()) +
                                " values, expected " + std::to_string(n));
  }
}

void validate(const EncoderWeights& w) {
  const EncoderConfig& c = w.config;
  if (c.vocab_size <= 0 || c.hidden <= 0 || c.layers <= 0 || c.heads <= 0 ||
      c.intermediate <= 0 || c.max_positions <= 0 || c.type_vocab_size <= 0) {
    throw std::invalid_argument("encoder config: every size must be positive");
  }
  if (c.hidden % c.heads != 0) {
    throw std::invalid_argument("encoder config: hidden " + std::to_string(c.hidden) +
                                " is not a multiple of heads " + std::to_string(c.heads));
  }
  const int head_dim = c.hidden / c.heads;
  if (!cuda::attention_supports_head_dim(head_dim)) {
    throw std::invalid_argument("head size " + std::to_string(head_dim) +
                                " is not supported (16, 32, 64, 128)");
  }
  if (c.hidden > cuda::kMaxLayerNormWidth) {
    throw std::invalid_argument("hidden " + std::to_string(c.hidden) + " > " +
                                std::to_string(cuda::kMaxLayerNormWidth));
  }
  if (static_cast<int>(w.layers.size()) != c.layers) {
    throw std::invalid_argument("encoder weights: " + std::to_string(w.layers.size()) +
                                " layers, config says " + std::to_string(c.layers));
  }
  const size_t h = c.hidden, in = c.intermediate;
  expect_size(w.word_emb, c.vocab_size * h, "word_emb");
  expect_size(w.pos_emb, c.max_positions * h, "pos_emb");
  expect_size(w.type_emb, c.type_vocab_size * h, "type_emb");
  expect_size(w.emb_ln_g, h, "emb_ln_g");
  expect_size(w.emb_ln_b, h, "emb_ln_b");
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const EncoderLayerWeights& l = w.layers[i];
    const std::string p = "layers[" + std::to_string(i) + "].";
    expect_size(l.q_w, h * h, p + "q_w");
    expect_size(l.k_w, h * h, p + "k_w");
    expect_size(l.v_w, h * h, p + "v_w");
    expect_size(l.o_w, h * h, p + "o_w");
    expect_size(l.q_b, h, p + "q_b");
    expect_size(l.k_b, h, p + "k_b");
    expect_size(l.v_b, h, p + "v_b");
    expect_size(l.o_b, h, p + "o_b");
    expect_size(l.attn_ln_g, h, p + "attn_ln_g");
    expect_size(l.attn_ln_b, h, p + "attn_ln_b");
    expect_size(l.ff1_w, in * h, p + "ff1_w");
    expect_size(l.ff1_b, in, p + "ff1_b");
    expect_size(l.ff2_w, h * in, p + "ff2_w");
    expect_size(l.ff2_b, h, p + "ff2_b");
    expect_size(l.ffn_ln_g, h, p + "ffn_ln_g");
    expect_size(l.ffn_ln_b, h, p + "ffn_ln_b");
  }
}

struct DeviceLayer {
  void* qkv_w = nullptr;  // [3H, H], GEMM type
  float* qkv_b = nullptr;
  void* o_w = nullptr;
  float* o_b = nullptr;
  float* ln1_g = nullptr;
  float* ln1_b = nullptr;
  void* ff1_w = nullptr;
  float* ff1_b = nullptr;
  void* ff2_w = nullptr;
  float* ff2_b = nullptr;
  float* ln2_g = nullptr;
  float* ln2_b = nullptr;
};

// Activation buffers for up to `tokens` tokens and `batch` sentences, carved
// out of one allocation.
struct Workspace {
  size_t tokens = 0;
  size_t batch = 0;
  void* arena = nullptr;
  int32_t* ints = nullptr;  // ids | type ids | mask, [3T]
  float* x = nullptr;       // residual stream, [T, H]
  void* x_lp = nullptr;     // its bf16 copy (bf16 mode)
  void* qkv = nullptr;      // [T, 3H], GEMM type (as every GEMM output)
  void* ctx = nullptr;      // attention output, [T, H]
  void* proj = nullptr;     // output of the H-wide projections, [T, H]
  float* h1 = nullptr;      // after the attention block, [T, H]
  void* h1_lp = nullptr;
  void* ff = nullptr;       // [T, I]; act(ff + b1) is written in place
  float* pooled = nullptr;  // [B, H]
  int32_t* host_ints = nullptr;   // pinned staging
  float* host_pooled = nullptr;
};

class GpuEncoderImpl final : public GpuEncoder {
 public:
  GpuEncoderImpl(const EncoderWeights& weights, GpuPrecision precision, int device)
      : config_(weights.config), precision_(precision), device_(device) {}

  // Separate from the constructor so that a failure half way is cleaned up
  // by the destructor.
  void init(const EncoderWeights& weights) {
    const char* graphs = std::getenv("RG_GPU_ENCODER_GRAPHS");
    use_graphs_ = graphs == nullptr || std::string(graphs) != "0";
    RG_CUDA_CHECK(cudaSetDevice(device_));
    RG_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    RG_CUBLAS_CHECK(cublasCreate(&cublas_));
    RG_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
    RG_CUBLAS_CHECK(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH));
    // An explicit workspace: cuBLAS then allocates nothing itself, which graph
    // capture needs. 32 MiB is what NVIDIA suggests for Hopper.
    cublas_workspace_bytes_ = size_t{32} << 20;
    cublas_workspace_ = device_alloc(cublas_workspace_bytes_);
    RG_CUBLAS_CHECK(cublasSetWorkspace(cublas_, cublas_workspace_, cublas_workspace_bytes_));
    upload(weights);
  }

  ~GpuEncoderImpl() override {
    cudaSetDevice(device_);
    clear_graphs();
    free_workspace();
    for (void* p : allocations_) cudaFree(p);
    if (cublas_ != nullptr) cublasDestroy(cublas_);
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }

  std::vector<float> encode(const EncoderBatch& batch, Pooling pooling) override {
    const EncoderConfig& c = config_;
    if (batch.batch < 0 || batch.seq_len < 0) throw std::invalid_argument("encode: negative size");
    const size_t tokens = static_cast<size_t>(batch.batch) * batch.seq_len;
    if (batch.batch == 0) return {};
    if (batch.seq_len == 0) throw std::invalid_argument("encode: seq_len is 0");
    if (batch.seq_len > c.max_positions) {
      throw std::invalid_argument("encode: seq_len " + std::to_string(batch.seq_len) +
                                  " > max_positions " + std::to_string(c.max_positions));
    }
    if (batch.ids.size() != tokens) throw std::invalid_argument("encode: ids.size() != batch * seq_len");
    if (!batch.type_ids.empty() && batch.type_ids.size() != tokens) {
      throw std::invalid_argument("encode: type_ids.size() != batch * seq_len");
    }
    if (!batch.mask.empty() && batch.mask.size() != tokens) {
      throw std::invalid_argument("encode: mask.size() != batch * seq_len");
    }
    for (int32_t id : batch.ids) {
      if (id < 0 || id >= c.vocab_size) {
        throw std::invalid_argument("encode: token id " + std::to_string(id) + " outside [0, " +
                                    std::to_string(c.vocab_size) + ")");
      }
    }
    for (int32_t t : batch.type_ids) {
      if (t < 0 || t >= c.type_vocab_size) {
        throw std::invalid_argument("encode: token type id " + std::to_string(t) + " outside [0, " +
                                    std::to_string(c.type_vocab_size) + ")");
      }
    }

    std::lock_guard<std::mutex> lock(mutex_);
    RG_CUDA_CHECK(cudaSetDevice(device_));
    ensure_capacity(batch.batch, tokens);

    int32_t* h = ws_.host_ints;
    std::memcpy(h, batch.ids.data(), tokens * sizeof(int32_t));
    if (batch.type_ids.empty()) std::memset(h + tokens, 0, tokens * sizeof(int32_t));
    else std::memcpy(h + tokens, batch.type_ids.data(), tokens * sizeof(int32_t));
    if (batch.mask.empty()) std::fill(h + 2 * tokens, h + 3 * tokens, 1);
    else std::memcpy(h + 2 * tokens, batch.mask.data(), tokens * sizeof(int32_t));
    // The device copy always lives at ws_.ints: [ids | types | mask] for the
    // capacity, so a graph captured for this shape sees the same addresses.
    const size_t cap = ws_.tokens;
    RG_CUDA_CHECK(cudaMemcpyAsync(ws_.ints, h, tokens * sizeof(int32_t), cudaMemcpyHostToDevice, stream_));
    RG_CUDA_CHECK(cudaMemcpyAsync(ws_.ints + cap, h + tokens, tokens * sizeof(int32_t),
                                  cudaMemcpyHostToDevice, stream_));
    RG_CUDA_CHECK(cudaMemcpyAsync(ws_.ints + 2 * cap, h + 2 * tokens, tokens * sizeof(int32_t),
                                  cudaMemcpyHostToDevice, stream_));

    run_forward(batch.batch, batch.seq_len, pooling);

    const size_t out_count = static_cast<size_t>(batch.batch) * c.hidden;
    RG_CUDA_CHECK(cudaMemcpyAsync(ws_.host_pooled, ws_.pooled, out_count * sizeof(float),
                                  cudaMemcpyDeviceToHost, stream_));
    RG_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return std::vector<float>(ws_.host_pooled, ws_.host_pooled + out_count);
  }

 private:
  bool bf16() const { return precision_ == GpuPrecision::kBf16; }
  size_t gemm_elem_bytes() const { return bf16() ? 2 : 4; }

  void* device_alloc(size_t bytes) {
    void* p = nullptr;
    RG_CUDA_CHECK(cudaMalloc(&p, bytes));
    allocations_.push_back(p);
    return p;
  }

  float* upload_f32(const std::vector<float>& v) {
    auto* p = static_cast<float*>(device_alloc(v.size() * sizeof(float)));
    RG_CUDA_CHECK(cudaMemcpy(p, v.data(), v.size() * sizeof(float), cudaMemcpyHostToDevice));
    return p;
  }

  // A GEMM weight (one or several [rows, cols] blocks stacked by rows), in the
  // GEMM input type.
  void* upload_gemm(std::initializer_list<const std::vector<float>*> parts) {
    size_t n = 0;
    for (const auto* p : parts) n += p->size();
    void* d = device_alloc(n * gemm_elem_bytes());
    if (bf16()) {
      std::vector<uint16_t> host;
      host.reserve(n);
      for (const auto* p : parts)
        for (float f : *p) host.push_back(to_bf16_bits(f));
      RG_CUDA_CHECK(cudaMemcpy(d, host.data(), n * 2, cudaMemcpyHostToDevice));
    } else {
      size_t off = 0;
      for (const auto* p : parts) {
        RG_CUDA_CHECK(cudaMemcpy(static_cast<float*>(d) + off, p->data(), p->size() * 4,
                                 cudaMemcpyHostToDevice));
        off += p->size();
      }
    }
    return d;
  }

  void upload(const EncoderWeights& w) {
    word_emb_ = upload_f32(w.word_emb);
    pos_emb_ = upload_f32(w.pos_emb);
    type_emb_ = upload_f32(w.type_emb);
    emb_ln_g_ = upload_f32(w.emb_ln_g);
    emb_ln_b_ = upload_f32(w.emb_ln_b);
    for (const EncoderLayerWeights& l : w.layers) {
      DeviceLayer d;
      d.qkv_w = upload_gemm({&l.q_w, &l.k_w, &l.v_w});
      std::vector<float> qkv_b;
      qkv_b.reserve(3 * l.q_b.size());
      qkv_b.insert(qkv_b.end(), l.q_b.begin(), l.q_b.end());
      qkv_b.insert(qkv_b.end(), l.k_b.begin(), l.k_b.end());
      qkv_b.insert(qkv_b.end(), l.v_b.begin(), l.v_b.end());
      d.qkv_b = upload_f32(qkv_b);
      d.o_w = upload_gemm({&l.o_w});
      d.o_b = upload_f32(l.o_b);
      d.ln1_g = upload_f32(l.attn_ln_g);
      d.ln1_b = upload_f32(l.attn_ln_b);
      d.ff1_w = upload_gemm({&l.ff1_w});
      d.ff1_b = upload_f32(l.ff1_b);
      d.ff2_w = upload_gemm({&l.ff2_w});
      d.ff2_b = upload_f32(l.ff2_b);
      d.ln2_g = upload_f32(l.ffn_ln_g);
      d.ln2_b = upload_f32(l.ffn_ln_b);
      layers_.push_back(d);
    }
  }

  void free_workspace() {
    if (ws_.arena != nullptr) cudaFree(ws_.arena);
    if (ws_.host_ints != nullptr) cudaFreeHost(ws_.host_ints);
    if (ws_.host_pooled != nullptr) cudaFreeHost(ws_.host_pooled);
    ws_ = Workspace{};
  }

  // Grows the buffers (to the next power of two of tokens) when a batch does
  // not fit. Graphs captured for the old buffers are dropped.
  void ensure_capacity(size_t batch, size_t tokens) {
    if (tokens <= ws_.tokens && batch <= ws_.batch) return;
    size_t cap_tokens = 256, cap_batch = 16;
    while (cap_tokens < tokens) cap_tokens *= 2;
    while (cap_batch < batch) cap_batch *= 2;
    cap_tokens = std::max(cap_tokens, ws_.tokens);
    cap_batch = std::max(cap_batch, ws_.batch);
    RG_CUDA_CHECK(cudaStreamSynchronize(stream_));
    clear_graphs();
    free_workspace();

    const size_t h = config_.hidden, in = config_.intermediate, t = cap_tokens;
    const size_t g = gemm_elem_bytes();
    size_t offset = 0;
    std::vector<std::pair<void**, size_t>> plan;
    auto carve = [&](void** slot, size_t bytes) {
      plan.emplace_back(slot, offset);
      offset += (bytes + 255) / 256 * 256;
    };
    carve(reinterpret_cast<void**>(&ws_.ints), 3 * t * sizeof(int32_t));
    carve(reinterpret_cast<void**>(&ws_.x), t * h * 4);
    if (bf16()) carve(&ws_.x_lp, t * h * 2);
    carve(&ws_.qkv, t * 3 * h * g);
    carve(&ws_.ctx, t * h * g);
    carve(&ws_.proj, t * h * g);
    carve(reinterpret_cast<void**>(&ws_.h1), t * h * 4);
    if (bf16()) carve(&ws_.h1_lp, t * h * 2);
    carve(&ws_.ff, t * in * g);
    carve(reinterpret_cast<void**>(&ws_.pooled), cap_batch * h * 4);
    RG_CUDA_CHECK(cudaMalloc(&ws_.arena, offset));
    for (auto& [slot, off] : plan) *slot = static_cast<char*>(ws_.arena) + off;
    RG_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&ws_.host_ints), 3 * t * sizeof(int32_t)));
    RG_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&ws_.host_pooled), cap_batch * h * 4));
    ws_.tokens = cap_tokens;
    ws_.batch = cap_batch;
  }

  void clear_graphs() {
    for (auto& [key, exec] : graphs_) cudaGraphExecDestroy(exec);
    graphs_.clear();
  }

  // A shape's first batch runs eagerly (which also loads every kernel and
  // cuBLAS's own); from its second batch on it is captured once into a graph
  // and replayed. One-off shapes (padded lengths vary) never cost a capture.
  void run_forward(int batch, int seq_len, Pooling pooling) {
    const auto key = std::make_tuple(batch, seq_len, static_cast<int>(pooling));
    auto it = graphs_.find(key);
    if (it == graphs_.end()) {
      if (!use_graphs_ || seen_[key]++ == 0) {
        if (seen_.size() > kMaxSeenShapes) seen_.clear();
        enqueue_forward(batch, seq_len, pooling);
        return;
      }
      if (graphs_.size() >= kMaxGraphs) clear_graphs();
      RG_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
      try {
        enqueue_forward(batch, seq_len, pooling);
      } catch (...) {
        cudaGraph_t broken = nullptr;
        cudaStreamEndCapture(stream_, &broken);
        if (broken != nullptr) cudaGraphDestroy(broken);
        (void)cudaGetLastError();
        throw;
      }
      cudaGraph_t graph = nullptr;
      RG_CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
      cudaGraphExec_t exec = nullptr;
      const cudaError_t inst = cudaGraphInstantiate(&exec, graph, 0);
      cudaGraphDestroy(graph);
      RG_CUDA_CHECK(inst);
      it = graphs_.emplace(key, exec).first;
    }
    RG_CUDA_CHECK(cudaGraphLaunch(it->second, stream_));
  }

  // y[T, out] = x[T, in] W^T with W [out, in] row-major (PyTorch's Linear).
  // In cuBLAS's column-major terms: y^T = op(W) x^T with op = transpose.
  // Inputs and output in the GEMM type, fp32 accumulation.
  void gemm(const void* w, const void* x, void* y, int tokens, int out, int in) {
    const float one = 1.f, zero = 0.f;
    const cudaDataType t = bf16() ? CUDA_R_16BF : CUDA_R_32F;
    RG_CUBLAS_CHECK(cublasGemmEx(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, out, tokens, in, &one, w, t, in,
                                 x, t, in, &zero, y, t, out, CUBLAS_COMPUTE_32F,
                                 CUBLAS_GEMM_DEFAULT));
  }

  void enqueue_forward(int batch, int seq_len, Pooling pooling) {
    if (bf16()) enqueue_forward_t<__nv_bfloat16>(batch, seq_len, pooling);
    else enqueue_forward_t<float>(batch, seq_len, pooling);
  }

  template <typename GemmIn>
  void enqueue_forward_t(int batch, int seq_len, Pooling pooling) {
    const EncoderConfig& c = config_;
    const int tokens = batch * seq_len;
    const int h = c.hidden;
    const int head_dim = c.hidden / c.heads;
    const size_t cap = ws_.tokens;
    const int32_t* ids = ws_.ints;
    const int32_t* type_ids = ws_.ints + cap;
    const int32_t* mask = ws_.ints + 2 * cap;
    // fp32 mode: the GEMMs read the fp32 buffers themselves; the kernels
    // write no second copy (null).
    GemmIn* x_lp = static_cast<GemmIn*>(ws_.x_lp);
    GemmIn* h1_lp = static_cast<GemmIn*>(ws_.h1_lp);
    const void* x_in = bf16() ? ws_.x_lp : static_cast<void*>(ws_.x);
    const void* h1_in = bf16() ? ws_.h1_lp : static_cast<void*>(ws_.h1);
    GemmIn* qkv = static_cast<GemmIn*>(ws_.qkv);
    GemmIn* ctx = static_cast<GemmIn*>(ws_.ctx);
    GemmIn* proj = static_cast<GemmIn*>(ws_.proj);
    GemmIn* ff = static_cast<GemmIn*>(ws_.ff);

    cuda::launch_embedding_layer_norm<GemmIn>(ids, type_ids, tokens, seq_len, word_emb_, pos_emb_,
                                              type_emb_, emb_ln_g_, emb_ln_b_, c.layer_norm_eps, h,
                                              ws_.x, x_lp, stream_);
    for (const DeviceLayer& l : layers_) {
      gemm(l.qkv_w, x_in, qkv, tokens, 3 * h, h);
      cuda::launch_attention<GemmIn>(qkv, l.qkv_b, mask, batch, seq_len, c.heads, head_dim, ctx,
                                     stream_);
      gemm(l.o_w, ctx, proj, tokens, h, h);
      cuda::launch_bias_residual_layer_norm<GemmIn>(proj, l.o_b, ws_.x, l.ln1_g, l.ln1_b,
                                                    c.layer_norm_eps, tokens, h, ws_.h1, h1_lp,
                                                    stream_);
      gemm(l.ff1_w, h1_in, ff, tokens, c.intermediate, h);
      cuda::launch_bias_activation<GemmIn>(ff, l.ff1_b, tokens, c.intermediate, c.activation, ff,
                                           stream_);
      gemm(l.ff2_w, ff, proj, tokens, h, c.intermediate);
      cuda::launch_bias_residual_layer_norm<GemmIn>(proj, l.ff2_b, ws_.h1, l.ln2_g, l.ln2_b,
                                                    c.layer_norm_eps, tokens, h, ws_.x, x_lp,
                                                    stream_);
    }
    cuda::launch_pool_normalize(ws_.x, mask, batch, seq_len, h, pooling, ws_.pooled, stream_);
  }

  static constexpr size_t kMaxGraphs = 64;
  static constexpr size_t kMaxSeenShapes = 4096;

  EncoderConfig config_;
  GpuPrecision precision_;
  int device_;
  bool use_graphs_ = true;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  void* cublas_workspace_ = nullptr;
  size_t cublas_workspace_bytes_ = 0;
  std::vector<void*> allocations_;
  float* word_emb_ = nullptr;
  float* pos_emb_ = nullptr;
  float* type_emb_ = nullptr;
  float* emb_ln_g_ = nullptr;
  float* emb_ln_b_ = nullptr;
  std::vector<DeviceLayer> layers_;
  Workspace ws_;
  std::map<std::tuple<int, int, int>, cudaGraphExec_t> graphs_;
  std::map<std::tuple<int, int, int>, int> seen_;  // batches run per shape
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<GpuEncoder> GpuEncoder::create(const EncoderWeights& weights,
                                               GpuPrecision precision, std::string* error,
                                               int device) {
  auto fail = [&](const std::string& message) -> std::unique_ptr<GpuEncoder> {
    if (error != nullptr) *error = message;
    return nullptr;
  };
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    return fail(std::string("GPU encoder: no CUDA device (") + cudaGetErrorString(status) + ")");
  }
  if (device < 0 || device >= count) {
    return fail("GPU encoder: device " + std::to_string(device) + " does not exist (" +
                std::to_string(count) + " visible)");
  }
  try {
    validate(weights);
    auto encoder = std::make_unique<GpuEncoderImpl>(weights, precision, device);
    encoder->init(weights);
    return encoder;
  } catch (const std::exception& e) {
    return fail(std::string("GPU encoder: ") + e.what());
  }
}

}  // namespace rg::kernels
