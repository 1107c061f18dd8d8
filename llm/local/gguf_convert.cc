// llm/local/gguf_convert.cc: see gguf_convert.h.
#include "llm/local/gguf_convert.h"

#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "kernels/formats/gguf_writer.h"
#include "kernels/formats/half_float.h"
#include "kernels/formats/q8_0.h"
#include "llm/local/gguf_tokenizer.h"
#include "llm/local/model_config.h"
#include "llm/local/model_loader.h"

namespace rg::llm::local {

namespace {

namespace fmt = kernels::formats;
using kernels::DType;
using kernels::TensorView;
using fmt::GgufValue;

// One row of a source view (F32/F16/BF16: what HF folders hold) as floats.
void read_row(const TensorView& v, std::int64_t row, std::int64_t cols, float* out) {
  const std::size_t start = static_cast<std::size_t>(row * cols);
  const auto* p = static_cast<const unsigned char*>(v.data);
  switch (v.dtype) {
    case DType::kF32:
      std::memcpy(out, p + start * 4, static_cast<std::size_t>(cols) * 4);
      return;
    case DType::kF16:
    case DType::kBF16:
      for (std::int64_t i = 0; i < cols; ++i) {
        std::uint16_t h;
        std::memcpy(&h, p + (start + static_cast<std::size_t>(i)) * 2, 2);
        out[i] = v.dtype == DType::kF16 ? fmt::half_to_float(h) : fmt::bf16_to_float(h);
      }
      return;
    case DType::kQ8_0:
      break;
  }
  throw std::runtime_error("cannot convert from Q8_0 source");
}

// llama.cpp's q/k permutation for llama-architecture GGUFs: within each
// head, HF's row j * (d/2) + i (half j of rotary pair i) moves to row 2i + j.
// Returns the source row of output row r.
std::int64_t permuted_source_row(std::int64_t r, int head_dim) {
  const std::int64_t head = r / head_dim, k = r % head_dim;
  const std::int64_t i = k / 2, j = k % 2;
  return head * head_dim + j * (head_dim / 2) + i;
}

std::uint32_t ggml_type_for(const std::string& type) {
  if (type == "f32") return fmt::kGgmlF32;
  if (type == "f16") return fmt::kGgmlF16;
  if (type == "bf16") return fmt::kGgmlBF16;
  if (type == "q8_0") return fmt::kGgmlQ8_0;
  throw std::runtime_error("unknown output type \"" + type + "\" (known: f32, f16, bf16, q8_0)");
}

// llama.cpp's general.file_type values (LLAMA_FTYPE_*).
std::uint32_t file_type_for(std::uint32_t ggml) {
  switch (ggml) {
    case fmt::kGgmlF32: return 0;
    case fmt::kGgmlF16: return 1;
    case fmt::kGgmlQ8_0: return 7;
    default: return 32;  // BF16
  }
}

// Declares one tensor: `rows_of` maps output rows to source rows (identity
// unless permuted). Rows are converted one at a time into the output type.
void add(fmt::GgufWriter* w, const std::string& name, const TensorView& v, std::uint32_t wanted,
         int permute_head_dim = 0) {
  const bool matrix = v.shape.size() == 2;
  const std::int64_t cols = v.shape.back();
  const std::int64_t rows = matrix ? v.shape[0] : 1;
  std::uint32_t type = matrix ? wanted : fmt::kGgmlF32;
  if (type == fmt::kGgmlQ8_0 && cols % fmt::kQ8_0Block != 0) type = fmt::kGgmlF16;
  const TensorView src = v;  // the views point into the loaded model's mapping
  auto produce = [src, rows, cols, type, permute_head_dim](unsigned char* out, std::size_t bytes) {
    const std::size_t row_bytes = bytes / static_cast<std::size_t>(rows);
    std::vector<float> row(static_cast<std::size_t>(cols));
    for (std::int64_t r = 0; r < rows; ++r) {
      read_row(src, permute_head_dim ? permuted_source_row(r, permute_head_dim) : r, cols, row.data());
      unsigned char* dst = out + static_cast<std::size_t>(r) * row_bytes;
      switch (type) {
        case fmt::kGgmlF32:
          std::memcpy(dst, row.data(), row_bytes);
          break;
        case fmt::kGgmlF16:
        case fmt::kGgmlBF16:
          for (std::int64_t i = 0; i < cols; ++i) {
            const std::uint16_t h = type == fmt::kGgmlF16 ? fmt::float_to_half(row[static_cast<std::size_t>(i)])
                                                          : fmt::float_to_bf16(row[static_cast<std::size_t>(i)]);
            std::memcpy(dst + 2 * i, &h, 2);
          }
          break;
        default:
          fmt::quantize_q8_0(row.data(), static_cast<std::size_t>(cols), dst);
      }
    }
  };
  std::string error;
  if (!w->add_tensor(name, v.shape, type, produce, &error)) throw std::runtime_error(error);
}

}  // namespace

ConvertResult convert_to_gguf(const std::string& hf_dir, const std::string& out_path, const ConvertOptions& options,
                              const std::function<void(std::size_t, std::size_t, const std::string&)>& progress) {
  const std::uint32_t wanted = ggml_type_for(options.type);
  if (!std::filesystem::is_directory(hf_dir))
    throw std::runtime_error(hf_dir + ": not a folder (convert reads an HF model folder)");
  const std::unique_ptr<LoadedModel> m = load_model(hf_dir);
  const kernels::DecoderWeights& w = m->weights;
  const kernels::DecoderConfig& c = w.config;
  ConvertResult result;
  const std::string arch = c.architecture == "qwen2" ? "qwen2" : "llama";
  result.architecture = arch;

  fmt::GgufWriter g(out_path);
  g.set("general.architecture", GgufValue::str(arch));
  g.set("general.name", GgufValue::str(std::filesystem::path(hf_dir).filename().string()));
  g.set("general.file_type", GgufValue::u32(file_type_for(wanted)));
  if (wanted == fmt::kGgmlQ8_0) g.set("general.quantization_version", GgufValue::u32(2));
  const auto u32 = [&](const std::string& key, int v) { g.set(arch + "." + key, GgufValue::u32(static_cast<std::uint32_t>(v))); };
  u32("vocab_size", c.vocab_size);
  u32("context_length", c.max_positions > 0 ? c.max_positions : 4096);
  u32("embedding_length", c.hidden);
  u32("block_count", c.layers);
  u32("feed_forward_length", c.intermediate);
  u32("rope.dimension_count", c.head_dim);
  u32("attention.head_count", c.heads);
  u32("attention.head_count_kv", c.kv_heads);
  if (c.head_dim != c.hidden / c.heads) {
    u32("attention.key_length", c.head_dim);
    u32("attention.value_length", c.head_dim);
  }
  g.set(arch + ".attention.layer_norm_rms_epsilon", GgufValue::f32(c.rms_norm_eps));
  g.set(arch + ".rope.freq_base", GgufValue::f32(c.rope_theta));
  if (c.sliding_window > 0) u32("attention.sliding_window", c.sliding_window);
  if (c.rope_scaling.kind == kernels::RopeScaling::Kind::kLinear) {
    g.set(arch + ".rope.scaling.type", GgufValue::str("linear"));
    g.set(arch + ".rope.scaling.factor", GgufValue::f32(c.rope_scaling.factor));
  }
  write_tokenizer_metadata(m->tokenizer, &g);
  if (!m->chat_template.jinja().empty()) g.set("tokenizer.chat_template", GgufValue::str(m->chat_template.jinja()));

  // Llama 3 scaling as llama.cpp stores it: per-frequency divisors.
  std::vector<float> freq_factors = llama3_rope_freq_factors(c);
  if (!freq_factors.empty()) {
    TensorView f;
    f.dtype = DType::kF32;
    f.shape = {static_cast<std::int64_t>(freq_factors.size())};
    f.data = freq_factors.data();
    add(&g, "rope_freqs.weight", f, fmt::kGgmlF32);
  }
  add(&g, "token_embd.weight", w.tok_embeddings, wanted);
  add(&g, "output_norm.weight", w.output_norm, wanted);
  if (!c.tied_embeddings) add(&g, "output.weight", w.output, wanted);
  const int permute = arch == "llama" ? c.head_dim : 0;
  for (int i = 0; i < c.layers; ++i) {
    const auto& l = w.layers[static_cast<std::size_t>(i)];
    const std::string p = "blk." + std::to_string(i) + ".";
    add(&g, p + "attn_norm.weight", l.attn_norm, wanted);
    add(&g, p + "attn_q.weight", l.wq, wanted, permute);
    add(&g, p + "attn_k.weight", l.wk, wanted, permute);
    add(&g, p + "attn_v.weight", l.wv, wanted);
    if (c.qkv_bias) {
      add(&g, p + "attn_q.bias", l.bq, wanted);  // qwen2 only: never permuted
      add(&g, p + "attn_k.bias", l.bk, wanted);
      add(&g, p + "attn_v.bias", l.bv, wanted);
    }
    add(&g, p + "attn_output.weight", l.wo, wanted);
    add(&g, p + "ffn_norm.weight", l.ffn_norm, wanted);
    add(&g, p + "ffn_gate.weight", l.w_gate, wanted);
    add(&g, p + "ffn_up.weight", l.w_up, wanted);
    add(&g, p + "ffn_down.weight", l.w_down, wanted);
  }
  std::string error;
  if (!g.write(&error, progress)) throw std::runtime_error(error);
  result.bytes = std::filesystem::file_size(out_path);
  result.tensors = 3 + static_cast<std::size_t>(c.layers) * (c.qkv_bias ? 12 : 9) - (c.tied_embeddings ? 1 : 0) +
                   (freq_factors.empty() ? 0 : 1);
  return result;
}

}  // namespace rg::llm::local
