// retrieval/transformer/transformer_embedder.h: TransformerEmbedder, the
// Embedder of a BERT-family sentence encoder (all-MiniLM-L6-v2, bge-small,
// e5-small) loaded from a HuggingFace / sentence-transformers model folder:
//
//   config.json, model.safetensors, tokenizer.json   (required)
//   modules.json + <pooling module>/config.json      (optional: sentence-transformers
//       pooling; pooling_mode_cls_token -> CLS, pooling_mode_mean_tokens -> mean;
//       without them: mean)
//   sentence_bert_config.json                        (optional: max_seq_length)
//
// Vectors are pooled (mean over real tokens or the first token) and
// L2-normalised. Texts are sorted by token count and batched (max_batch per
// batch, each batch padded only to its longest text), then returned in input
// order. Runs on the CPU (kernels::encode_cpu) or on a GPU
// (kernels::GpuEncoder); embed() is thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "kernels/encoder.h"
#include "retrieval/embedder.h"
#include "retrieval/transformer/wordpiece_tokenizer.h"

namespace rg::retrieval {

class TransformerEmbedder final : public Embedder {
 public:
  enum class Device { kCpu, kCuda, kAuto };

  struct Options {
    // kCuda: fail when no GPU encoder can be made; kAuto: GPU when there is
    // one, else the CPU (with a notice on stderr and in notice()).
    Device device = Device::kAuto;
    // Texts per forward pass; 0 = 32 on the CPU, 256 on a GPU.
    int max_batch = 0;
    // Tokens per text including [CLS]/[SEP]; 0 = sentence_bert_config.json's
    // max_seq_length, else tokenizer.json's truncation, else
    // min(512, max_position_embeddings). Never more than max_position_embeddings.
    int max_seq_len = 0;
    kernels::GpuPrecision gpu_precision = kernels::GpuPrecision::kFp32;
    int gpu_device = 0;
    // Print the CPU-fallback notice on stderr.
    bool print_notices = true;
  };

  // nullptr + *error (naming the file at fault) when the folder cannot be
  // loaded or (device kCuda) no GPU encoder can be made.
  static std::unique_ptr<TransformerEmbedder> load(const std::string& dir, const Options& options,
                                                   std::string* error);
  static std::unique_ptr<TransformerEmbedder> load(const std::string& dir, std::string* error) {
    return load(dir, Options{}, error);
  }
  ~TransformerEmbedder() override;

  // "transformer:" + the model folder's name.
  std::string name() const override { return name_; }
  std::size_t dimension() const override;
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override;

  bool on_gpu() const { return gpu_ != nullptr; }
  kernels::Pooling pooling() const { return pooling_; }
  int max_seq_len() const { return max_seq_len_; }
  int max_batch() const { return max_batch_; }
  const WordPieceTokenizer& tokenizer() const { return *tokenizer_; }
  const kernels::EncoderConfig& config() const { return config_; }
  // Why a kAuto load runs on the CPU ("" when it does not, or was asked to).
  const std::string& notice() const { return notice_; }

 private:
  TransformerEmbedder() = default;
  std::string name_;
  std::unique_ptr<WordPieceTokenizer> tokenizer_;
  kernels::EncoderConfig config_;
  kernels::EncoderWeights weights_;  // empty when on a GPU
  std::unique_ptr<kernels::GpuEncoder> gpu_;
  kernels::Pooling pooling_ = kernels::Pooling::kMean;
  int max_seq_len_ = 512;
  int max_batch_ = 32;
  std::string notice_;
};

}  // namespace rg::retrieval
