// kernels/decoder.h: the forward pass of a Llama-family decoder-only language
// model (Llama 2/3/3.1/3.2, Mistral, Qwen2): pre-RMSNorm blocks, rotary
// position embeddings (with Llama-3 frequency scaling), grouped-query
// attention, SwiGLU feed-forward, optional q/k/v bias (Qwen2), tied or untied
// output embeddings.
//
// Two back ends behind one session interface:
//   cpu/decoder_forward.cc   fp32 reference (plain C++, threads): the
//                            semantic reference for tests in CI;
//   cuda/decoder_*.cu        bf16 weights, fp32 accumulation, cuBLAS GEMMs
//                            for prefill, own GEMV kernels for decode, flash
//                            attention, sampling on the GPU, CUDA graphs.
//
// Weights come in as views of host memory (usually a memory-mapped GGUF or
// safetensors file) in PyTorch's layout: a Linear's weight is [out, in],
// row-major. Whoever loads a model (llm/local/) keeps the mapping alive while
// a back end is created; the back ends copy (and convert) what they keep.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace rg::kernels {

// Element types a weight view can hold. kQ8_0 is GGUF's block format: blocks
// of 32 weights along the row, each an fp16 scale followed by 32 int8 values
// (34 bytes), so a row of n weights takes n / 32 * 34 bytes.
enum class DType { kF32, kF16, kBF16, kQ8_0 };
const char* dtype_name(DType t);
// Bytes taken by `count` elements (count a multiple of 32 for kQ8_0).
std::size_t dtype_bytes(DType t, std::size_t count);

struct TensorView {
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;  // PyTorch order: [out, in] for a Linear weight
  const void* data = nullptr;       // host memory, little-endian
  std::int64_t numel() const;
  bool empty() const { return data == nullptr; }
};

// Reads a view as fp32 (any dtype); throws std::invalid_argument when the
// view is empty.
std::vector<float> to_f32(const TensorView& t);

// How the two halves of a rotary pair are laid out in a head:
//   kHalf         (i, i + head_dim/2): HF transformers' rotate_half, GGUF qwen2
//   kInterleaved  (2i, 2i + 1): GGUF llama (llama.cpp permutes q/k rows so)
enum class RopeStyle { kHalf, kInterleaved };

struct RopeScaling {
  enum class Kind { kNone, kLinear, kLlama3 };
  Kind kind = Kind::kNone;
  float factor = 1.0f;
  float low_freq_factor = 1.0f;   // llama3
  float high_freq_factor = 4.0f;  // llama3
  int original_max_positions = 8192;  // llama3
};

struct DecoderConfig {
  std::string architecture;  // "llama", "mistral", "qwen2" (informational)
  int vocab_size = 0;
  int hidden = 0;
  int intermediate = 0;
  int layers = 0;
  int heads = 0;
  int kv_heads = 0;     // heads % kv_heads == 0
  int head_dim = 0;     // usually hidden / heads
  int max_positions = 0;
  float rms_norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  RopeScaling rope_scaling;
  // Per-frequency divisors of the inverse frequencies (head_dim / 2 of them),
  // applied instead of rope_scaling when not empty: llama.cpp stores Llama 3.1
  // scaling in GGUF this way (tensor rope_freqs.weight), not as parameters.
  std::vector<float> rope_freq_factors;
  RopeStyle rope_style = RopeStyle::kHalf;
  bool qkv_bias = false;
  bool tied_embeddings = false;
  // Sliding-window attention (Mistral v0.1: 4096): a query at position i
  // attends to keys j with i - window < j <= i. 0 = full causal attention.
  int sliding_window = 0;
};

// Inverse frequencies of the rotary embedding, head_dim / 2 of them, with the
// config's scaling applied: rope_freq_factors when set, else rope_scaling
// (shared by both back ends so they cannot disagree).
std::vector<float> rope_inverse_frequencies(const DecoderConfig& config);

// Checks the shapes and sizes of everything; returns "" or what is wrong,
// naming the tensor ("layers.3.wk: shape [512, 2048], expected [1024, 2048]").
struct DecoderWeights;
std::string validate(const DecoderWeights& weights);

struct DecoderLayerWeights {
  TensorView attn_norm;            // [hidden]
  TensorView wq, wk, wv;           // [heads*head_dim, hidden], [kv_heads*head_dim, hidden] x2
  TensorView bq, bk, bv;           // biases when config.qkv_bias
  TensorView wo;                   // [hidden, heads*head_dim]
  TensorView ffn_norm;             // [hidden]
  TensorView w_gate, w_up;         // [intermediate, hidden]
  TensorView w_down;               // [hidden, intermediate]
};

struct DecoderWeights {
  DecoderConfig config;
  TensorView tok_embeddings;  // [vocab, hidden]
  TensorView output_norm;     // [hidden]
  TensorView output;          // [vocab, hidden]; empty when tied (tok_embeddings is used)
  std::vector<DecoderLayerWeights> layers;
};

// Sampling of the next token. temperature <= 0 is greedy (argmax; ties go to
// the lowest id). Otherwise, in this order: repetition penalty over every
// token the session has seen (prompt and generated: a positive logit is
// divided by the penalty, a negative one multiplied), temperature, top-k
// (0 = off), top-p (1 = off; the smallest set of most likely tokens whose
// probability reaches p, at least one), then one draw from the renormalised
// distribution with a uniform number made from (seed, position) alone, so a
// run is reproducible and independent of batching.
struct SamplingParams {
  float temperature = 0.0f;
  int top_k = 0;
  float top_p = 1.0f;
  float repetition_penalty = 1.0f;
  std::uint64_t seed = 0;
};

// The uniform number in [0, 1) used for the draw at `position` (both back
// ends use this one function: a counter-based hash, no state).
float sampling_uniform(std::uint64_t seed, std::int64_t position);

// Picks a token from one row of logits by the rules above on the CPU (the
// reference the GPU sampler is tested against). `history` is every token the
// session has seen; `position` is the position the sampled token will take.
std::int32_t sample_cpu(std::span<const float> logits, const SamplingParams& params,
                        std::span<const std::int32_t> history, std::int64_t position);

// One sequence and its KV cache on one back end. Not thread-safe: one session
// per conversation; sessions of one model share its weights.
class DecoderSession {
 public:
  virtual ~DecoderSession() = default;
  // Appends `tokens` to the sequence (the prompt, or a continuation of it) and
  // returns the next token sampled from the logits after the last of them.
  // When `logits` is not null it receives those logits (vocab floats), or,
  // with all_logits, the logits after every one of the tokens
  // (tokens.size() x vocab). Throws std::invalid_argument for ids out of
  // range or a sequence longer than the session's capacity.
  virtual std::int32_t prefill(std::span<const std::int32_t> tokens, const SamplingParams& params,
                               std::vector<float>* logits = nullptr, bool all_logits = false) = 0;
  // Appends one token (usually the last sampled one) and samples the next.
  virtual std::int32_t decode(std::int32_t token, const SamplingParams& params,
                              std::vector<float>* logits = nullptr) = 0;
  // Tokens in the sequence so far.
  virtual int position() const = 0;
  // Most tokens the session can hold.
  virtual int capacity() const = 0;
  // Forgets the sequence (the KV cache is reused).
  virtual void reset() = 0;
};

// A model resident on one back end; makes sessions.
class DecoderModel {
 public:
  virtual ~DecoderModel() = default;
  virtual const DecoderConfig& config() const = 0;
  // "cpu" or "cuda:0 (NVIDIA H100 80GB HBM3, bf16)" (or ", f16").
  virtual std::string describe() const = 0;
  // A session whose KV cache holds up to max_tokens (<= config.max_positions
  // when that is set). Sessions use the model's weights: destroy them before
  // the model. new_session may be called from several threads at once.
  virtual std::unique_ptr<DecoderSession> new_session(int max_tokens) = 0;
};

// fp32 reference on the CPU (weights converted to fp32 once). threads <= 0:
// std::thread::hardware_concurrency(). Throws std::invalid_argument when
// validate() finds a problem.
std::unique_ptr<DecoderModel> make_cpu_decoder(const DecoderWeights& weights, int threads = 0);

// The 16-bit type of the GPU engine's weights, KV cache and the activations
// that feed its tensor-core products; the residual stream, norms, softmax
// statistics and all accumulation are fp32 either way, and so is the speed.
//   kBF16: fp32's range, 8 significant bits.
//   kF16:  11 significant bits, so 8x finer rounding (logits of a 16-layer
//          model land ~5x closer to an fp32 forward), but a range of +-65504:
//          weights beyond it refuse to load, activations beyond it saturate.
enum class DecoderPrecision { kBF16, kF16 };
const char* to_string(DecoderPrecision p);  // "bf16" | "f16"
// kF16 when the model's matrices are stored as fp16, else kBF16: the type the
// model was published in, and never a narrower range than it.
DecoderPrecision default_decoder_precision(const DecoderWeights& weights);

struct GpuDecoderOptions {
  int device = 0;
  DecoderPrecision precision = DecoderPrecision::kBF16;
};

// The GPU engine. nullptr + *error when the build has no CUDA, there is no
// device, the weights do not fit (or, with kF16, exceed fp16's range), or
// validate() fails.
std::unique_ptr<DecoderModel> make_gpu_decoder(const DecoderWeights& weights, std::string* error,
                                               const GpuDecoderOptions& options = {});
// Same engine with random weights drawn on the device (normal, std 0.02;
// norms around 1), for benchmarks of real shapes without a file.
std::unique_ptr<DecoderModel> make_gpu_decoder_random(const DecoderConfig& config,
                                                      std::uint64_t seed, std::string* error,
                                                      const GpuDecoderOptions& options = {});

}  // namespace rg::kernels
