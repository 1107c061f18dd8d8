// retrieval/transformer/encoder_model.h: a BERT-family encoder's weights from
// a HuggingFace model folder (config.json + model.safetensors) into
// rg::kernels::EncoderWeights, the struct both forward passes read.
//
// config.json: model_type "bert" (or absent); hidden_size,
// num_hidden_layers, num_attention_heads, intermediate_size,
// max_position_embeddings, type_vocab_size, vocab_size, layer_norm_eps,
// hidden_act ("gelu" = erf, "gelu_new" / "gelu_pytorch_tanh" / "gelu_fast" =
// tanh, "relu").
// Tensor names, with or without a prefix ending in "." ("bert.", "model.",
// ...; found from embeddings.word_embeddings.weight):
//   embeddings.{word,position,token_type}_embeddings.weight,
//   embeddings.LayerNorm.{weight,bias} (or the old {gamma,beta}),
//   encoder.layer.{i}.attention.self.{query,key,value}.{weight,bias},
//   encoder.layer.{i}.attention.output.dense.{weight,bias},
//   encoder.layer.{i}.attention.output.LayerNorm.*,
//   encoder.layer.{i}.intermediate.dense.*, encoder.layer.{i}.output.dense.*,
//   encoder.layer.{i}.output.LayerNorm.*
// Other tensors (pooler, position_ids, heads) are ignored. Tensors may be
// F32, F16 or BF16 (converted to fp32). Every shape is checked against
// config.json; errors name the file and the tensor.
#pragma once

#include <string>

#include "kernels/encoder.h"

namespace rg::retrieval {

// Parses config.json into *out (weights not touched).
bool load_encoder_config(const std::string& config_json_path, kernels::EncoderConfig* out,
                         std::string* error);

// config.json + model.safetensors of `model_dir` into *out.
bool load_encoder_weights(const std::string& model_dir, kernels::EncoderWeights* out,
                          std::string* error);

}  // namespace rg::retrieval
