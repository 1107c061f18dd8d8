// llm/local/gguf_tokenizer.h: TokenizerSpec <-> GGUF tokenizer metadata
// (llama.cpp's keys):
//   tokenizer.ggml.model        "gpt2" (byte-level BPE) | "llama" (SentencePiece BPE)
//   tokenizer.ggml.pre          "llama-bpe"/"llama3" | "qwen2" | "default"/"gpt-2"
//   tokenizer.ggml.tokens, .scores, .token_type, .merges
//   tokenizer.ggml.bos/eos/eot/eom/unknown/padding_token_id
//   tokenizer.ggml.add_bos_token, .add_eos_token, .add_space_prefix
// Keys llama.cpp treats as optional take llama.cpp's defaults: no .pre means
// "default" (GPT-2 splitting); add_bos_token defaults to true for
// SentencePiece and false for byte-level BPE; add_space_prefix to true for
// SentencePiece; ignore_merges is on for llama-bpe/llama3 (as llama.cpp
// does). add_space_prefix is llama.cpp's rule, SpaceMarking::kNormalizer; a
// spec from an HF Metaspace pre-tokenizer is written as that (see the .cc).
// Anything else unknown is an error naming the key and value.
#pragma once

#include <string>

#include "llm/local/tokenizer_spec.h"

namespace rg::kernels::formats {
class GgufFile;
class GgufWriter;
}  // namespace rg::kernels::formats

namespace rg::llm::local {

// Throws std::runtime_error naming the file and key.
TokenizerSpec tokenizer_spec_from_gguf(const kernels::formats::GgufFile& file);

// Sets the tokenizer.ggml.* keys of `spec` on `writer`. The spec's stop ids
// other than eos are written as eot (the first) and eom (the second).
void write_tokenizer_metadata(const TokenizerSpec& spec, kernels::formats::GgufWriter* writer);

}  // namespace rg::llm::local
