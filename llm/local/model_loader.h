// llm/local/model_loader.h: a Llama-family model from disk, as views the
// decoder back ends take (kernels::DecoderWeights), its tokenizer and its
// chat template.
//
//   auto m = load_model("/models/Llama-3.2-1B-Instruct");      // HF folder
//   auto m = load_model("/models/llama-3.2-1b-q8_0.gguf");     // GGUF file
//   auto decoder = kernels::make_cpu_decoder(m->weights);      // m must outlive this call
//   auto tok = Tokenizer::create(m->tokenizer);
//   std::string prompt = m->chat_template.render(messages, true);
//
// An HF folder holds config.json, model.safetensors (or
// model.safetensors.index.json + shards), tokenizer.json, and optionally
// tokenizer_config.json / chat_template.jinja (chat template) and
// generation_config.json (extra end-of-turn ids). Files are memory-mapped and
// the weights are views into the maps (no copy); LoadedModel owns the maps.
//
// Tensor names: HF `model.layers.N.self_attn.q_proj.weight`, ...; GGUF
// llama.cpp's `blk.N.attn_q.weight`, ... (model_loader.cc lists both).
// RoPE layout: GGUF llama files hold q/k rows permuted by llama.cpp's
// converter (rotary pairs adjacent): rope_style kInterleaved; GGUF qwen2 and
// every HF folder: kHalf.
//
// Every problem throws ModelLoadError with the file and the field or tensor:
// unsupported architecture or tensor type, missing tensor or file, shapes that
// disagree with the config (kernels::validate), malformed files.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "kernels/decoder.h"
#include "llm/local/chat_template.h"
#include "llm/local/tokenizer_spec.h"

namespace rg::kernels::formats {
class GgufFile;
class SafetensorsSet;
}  // namespace rg::kernels::formats

namespace rg::llm::local {

class ModelLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LoadOptions {
  // A chat template name (ChatTemplate::by_name) used instead of the
  // model's; "" = the model's own.
  std::string chat_template;
};

struct LoadedModel {
  std::string path;    // what was loaded
  std::string format;  // "gguf" or "hf"
  kernels::DecoderWeights weights;  // views into the maps below
  TokenizerSpec tokenizer;
  // The model's template, recognised; when the model has none or it is not
  // recognised, !chat_template.ok() and chat_template.error() says why.
  ChatTemplate chat_template;
  std::uint64_t file_bytes = 0;    // bytes of the weight files
  std::uint64_t tensor_bytes = 0;  // bytes of the tensors the weights view
  std::uint64_t parameters = 0;    // elements of those tensors

  LoadedModel();
  ~LoadedModel();
  LoadedModel(const LoadedModel&) = delete;
  LoadedModel& operator=(const LoadedModel&) = delete;

  // The mappings the views point into (one of them is set).
  std::unique_ptr<kernels::formats::GgufFile> gguf;
  std::unique_ptr<kernels::formats::SafetensorsSet> safetensors;
};

// A `.gguf` file or an HF folder. Throws ModelLoadError.
std::unique_ptr<LoadedModel> load_model(const std::string& path, const LoadOptions& options = {});

}  // namespace rg::llm::local
