// llm/local/model_config.h: kernels::DecoderConfig from a Hugging Face
// config.json or from GGUF metadata, for the Llama family: llama (Llama
// 2/3/3.1/3.2), mistral, qwen2.
//
// Every function throws std::runtime_error whose message names the source
// (file) and the field at fault: "m/config.json: model_type \"gemma\" is not
// supported (supported: llama, mistral, qwen2)". Fields the model classes of
// HF transformers default (num_key_value_heads = heads, head_dim = hidden /
// heads, rms_norm_eps, rope_theta, tie_word_embeddings) take those same
// defaults; the sizes themselves are required. Both config layouts are read:
// rope_theta + rope_scaling (transformers 4) and rope_parameters
// (transformers 5, rope_theta inside it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/decoder.h"

namespace rg::kernels::formats {
class GgufFile;
}

namespace rg::llm::local {

// The architectures this core runs, as a list for messages: "llama, mistral, qwen2".
const char* supported_architectures();

struct HfModelConfig {
  kernels::DecoderConfig decoder;  // rope_style kHalf (HF layout)
  std::string torch_dtype;         // "bfloat16", "float16", "float32" or ""
  std::int32_t bos_token_id = -1;
  std::vector<std::int32_t> eos_token_ids;  // config.json's eos_token_id (int or list)
};

// `json_text` is the content of config.json; `source` names it in errors.
HfModelConfig config_from_hf_json(std::string_view json_text, const std::string& source);
// Reads `path` (a config.json).
HfModelConfig config_from_hf_file(const std::string& path);

// From a GGUF file's metadata (and, for Llama 3.1 RoPE scaling, its
// rope_freqs.weight tensor). rope_style: kInterleaved for llama (llama.cpp
// permuted the q/k rows), kHalf for qwen2. qkv_bias and tied_embeddings
// follow the tensors present.
kernels::DecoderConfig config_from_gguf(const kernels::formats::GgufFile& file);

// The divisors llama.cpp stores as rope_freqs.weight for Llama 3 scaling
// (head_dim / 2 values: 1 for short wavelengths, factor for long ones,
// interpolated between); empty when the config has no llama3 scaling.
std::vector<float> llama3_rope_freq_factors(const kernels::DecoderConfig& config);

}  // namespace rg::llm::local
