// llm/local/gguf_convert.h: an HF model folder -> one GGUF file that
// llama.cpp and load_model() read (`railguard convert`).
//
// Names and metadata follow llama.cpp's converter: architecture "llama" for
// Llama and Mistral, "qwen2" for Qwen2; q/k rows of llama-architecture models
// permuted so each rotary pair is adjacent (the interleaved layout the GGUF
// llama loader expects), qwen2 left as is; Llama 3.1 RoPE scaling as the
// tensor rope_freqs.weight; tokenizer.ggml.* from the tokenizer spec and
// tokenizer.chat_template from the folder's template. Matrices are stored
// in the chosen type, 1-D tensors (norms, biases) in F32; a Q8_0 matrix whose
// rows are not a multiple of 32 falls back to F16. Tensors are converted and
// written one at a time (see GgufWriter).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace rg::llm::local {

struct ConvertOptions {
  std::string type = "f16";  // f32 | f16 | bf16 | q8_0
};

struct ConvertResult {
  std::uint64_t bytes = 0;    // size of the written file
  std::size_t tensors = 0;
  std::string architecture;   // as written: "llama" or "qwen2"
};

// Throws std::runtime_error (the model's loading errors, a bad type, write
// failures) naming the file. `progress(done, total, tensor name)` is called
// after each tensor.
ConvertResult convert_to_gguf(const std::string& hf_dir, const std::string& out_path, const ConvertOptions& options,
                              const std::function<void(std::size_t, std::size_t, const std::string&)>& progress = {});

}  // namespace rg::llm::local
