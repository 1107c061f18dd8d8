// kernels/encoder.h: the forward pass of a BERT-family sentence encoder
// (all-MiniLM-L6-v2, bge-small, e5-small: post-LayerNorm transformer
// encoder), on the CPU (kernels/cpu/encoder_forward.cc, BLAS + threads) and
// on the GPU (kernels/cuda/encoder_forward.cu, cuBLAS + fused kernels).
//
// The weights are plain fp32 host arrays in PyTorch's layout (a Linear's
// weight is [out_features, in_features], row-major), so whoever loads a model
// (retrieval/transformer/) fills this struct once and both back ends read it.
// Token ids come in already padded to one length per batch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rg::kernels {

enum class Activation { kGeluErf, kGeluTanh, kRelu };
enum class Pooling { kMean, kCls };

struct EncoderConfig {
  int vocab_size = 0;
  int hidden = 0;            // d_model
  int layers = 0;
  int heads = 0;             // hidden % heads == 0
  int intermediate = 0;      // feed-forward width
  int max_positions = 512;
  int type_vocab_size = 2;
  float layer_norm_eps = 1e-12f;
  Activation activation = Activation::kGeluErf;
};

struct EncoderLayerWeights {
  // Self-attention: q, k, v, output projection ([hidden, hidden] each).
  std::vector<float> q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b;
  std::vector<float> attn_ln_g, attn_ln_b;  // LayerNorm after attention + residual
  std::vector<float> ff1_w, ff1_b;          // [intermediate, hidden]
  std::vector<float> ff2_w, ff2_b;          // [hidden, intermediate]
  std::vector<float> ffn_ln_g, ffn_ln_b;    // LayerNorm after feed-forward + residual
};

struct EncoderWeights {
  EncoderConfig config;
  std::vector<float> word_emb;   // [vocab_size, hidden]
  std::vector<float> pos_emb;    // [max_positions, hidden]
  std::vector<float> type_emb;   // [type_vocab_size, hidden]
  std::vector<float> emb_ln_g, emb_ln_b;
  std::vector<EncoderLayerWeights> layers;
};

// One padded batch: batch x seq_len ids, token type ids and attention mask
// (1 = real token, 0 = padding). Positions are 0..seq_len-1.
struct EncoderBatch {
  int batch = 0;
  int seq_len = 0;
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  std::vector<int32_t> mask;
};

// Pooled (mean over real tokens, or the first token) and L2-normalised
// sentence vectors: batch x hidden floats, row-major.
std::vector<float> encode_cpu(const EncoderWeights& weights, const EncoderBatch& batch,
                              Pooling pooling);

enum class GpuPrecision { kFp32, kBf16 };

// The weights resident on one GPU. create() returns nullptr and sets *error
// when there is no CUDA build or device. encode() is thread-safe (calls are
// serialised on the encoder's stream).
class GpuEncoder {
 public:
  virtual ~GpuEncoder() = default;
  static std::unique_ptr<GpuEncoder> create(const EncoderWeights& weights, GpuPrecision precision,
                                            std::string* error, int device = 0);
  virtual std::vector<float> encode(const EncoderBatch& batch, Pooling pooling) = 0;
};

}  // namespace rg::kernels
