// kernels/cpu/decoder_common.cc: the back-end-independent helpers of
// kernels/decoder.h: element types, reading weight views as fp32, the rotary
// inverse frequencies, and validate(). Sampling is in decoder_sampling.cc.
#include <cmath>
#include <cstring>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/decoder.h"
#include "kernels/formats/half_float.h"
#include "kernels/formats/q8_0.h"

namespace rg::kernels {

namespace {

constexpr std::size_t kQ8Block = formats::kQ8_0Block;           // weights per Q8_0 block
constexpr std::size_t kQ8BlockBytes = formats::kQ8_0BlockBytes;  // fp16 scale + 32 int8

std::uint16_t load_u16(const unsigned char* p) {
  std::uint16_t v;
  std::memcpy(&v, p, sizeof v);  // views may be unaligned (GGUF offsets); host is little-endian
  return v;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Appends one problem per call to a "; "-separated list, so validate() names
// everything that is off at once rather than one thing per attempt.
class Problems {
 public:
  void add(const std::string& what) { text_ += (text_.empty() ? "" : "; ") + what; }
  const std::string& text() const { return text_; }

  // A tensor that must be there with exactly this shape.
  void tensor(const std::string& name, const TensorView& t, std::vector<std::int64_t> expected) {
    if (t.empty()) {
      add(name + ": missing");
      return;
    }
    if (t.shape != expected) {
      add(name + ": shape " + shape_text(t.shape) + ", expected " + shape_text(expected));
      return;
    }
    if (t.dtype == DType::kQ8_0 && expected.back() % static_cast<std::int64_t>(kQ8Block) != 0)
      add(name + ": Q8_0 rows of " + std::to_string(expected.back()) +
          " weights, not a multiple of 32");
  }
  // A tensor that must be there iff `wanted` (why: the config field that says so).
  void optional(const std::string& name, const TensorView& t, bool wanted, const char* why,
                std::vector<std::int64_t> expected) {
    if (wanted) {
      tensor(name, t, std::move(expected));
    } else if (!t.empty()) {
      add(name + ": present, but " + why);
    }
  }

 private:
  std::string text_;
};

}  // namespace

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kQ8_0: return "Q8_0";
  }
  return "?";
}

std::size_t dtype_bytes(DType t, std::size_t count) {
  switch (t) {
    case DType::kF32: return count * 4;
    case DType::kF16:
    case DType::kBF16: return count * 2;
    case DType::kQ8_0:
      if (count % kQ8Block != 0)
        throw std::invalid_argument("dtype_bytes: Q8_0 count " + std::to_string(count) +
                                    " is not a multiple of 32");
      return count / kQ8Block * kQ8BlockBytes;
  }
  throw std::invalid_argument("dtype_bytes: unknown dtype");
}

std::int64_t TensorView::numel() const {
  std::int64_t n = 1;
  for (const std::int64_t d : shape) n *= d;
  return n;
}

std::vector<float> to_f32(const TensorView& t) {
  if (t.empty()) throw std::invalid_argument("to_f32: empty view");
  for (const std::int64_t d : t.shape)
    if (d < 0) throw std::invalid_argument("to_f32: negative dimension in shape " + shape_text(t.shape));
  const std::size_t n = static_cast<std::size_t>(t.numel());
  std::vector<float> out(n);
  const auto* bytes = static_cast<const unsigned char*>(t.data);
  switch (t.dtype) {
    case DType::kF32:
      std::memcpy(out.data(), bytes, n * sizeof(float));
      break;
    case DType::kF16:
      for (std::size_t i = 0; i < n; ++i) out[i] = formats::half_to_float(load_u16(bytes + 2 * i));
      break;
    case DType::kBF16:
      for (std::size_t i = 0; i < n; ++i) out[i] = formats::bf16_to_float(load_u16(bytes + 2 * i));
      break;
    case DType::kQ8_0: {
      // Rows are whole blocks, so the blocks of all rows follow one another.
      if (t.shape.empty() || t.shape.back() % static_cast<std::int64_t>(kQ8Block) != 0)
        throw std::invalid_argument("to_f32: Q8_0 tensor of shape " + shape_text(t.shape) +
                                    ": rows must be a multiple of 32");
      formats::dequantize_q8_0(bytes, n, out.data());
      break;
    }
  }
  return out;
}

// Mirrors transformers' rope initialisation step by step in float32, the
// dtype torch computes it in, so both back ends see HF's exact frequencies:
//   default: inv = 1.0 / (base ** (arange(0, d, 2).float() / d))
//   linear:  inv / factor
//   llama3:  _compute_llama3_parameters (torch evaluates `scalar / tensor` as
//            reciprocal(tensor) * scalar, hence the reciprocals below).
std::vector<float> rope_inverse_frequencies(const DecoderConfig& config) {
  const int d = config.head_dim;
  if (d <= 0 || d % 2 != 0)
    throw std::invalid_argument("rope_inverse_frequencies: head_dim " + std::to_string(d) +
                                " must be positive and even");
  std::vector<float> inv(static_cast<std::size_t>(d / 2));
  for (int i = 0; i < d / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(d);
    inv[static_cast<std::size_t>(i)] = 1.0f / std::pow(config.rope_theta, exponent);
  }
  if (!config.rope_freq_factors.empty()) {
    // GGUF's rope_freqs.weight (llama.cpp divides each frequency by its factor)
    // stands in for rope_scaling.
    if (config.rope_freq_factors.size() != inv.size())
      throw std::invalid_argument("rope_inverse_frequencies: " + std::to_string(config.rope_freq_factors.size()) +
                                  " rope_freq_factors, expected head_dim / 2 = " + std::to_string(inv.size()));
    for (std::size_t i = 0; i < inv.size(); ++i) inv[i] = inv[i] / config.rope_freq_factors[i];
    return inv;
  }
  const RopeScaling& s = config.rope_scaling;
  switch (s.kind) {
    case RopeScaling::Kind::kNone:
      break;
    case RopeScaling::Kind::kLinear:
      for (float& f : inv) f /= s.factor;
      break;
    case RopeScaling::Kind::kLlama3: {
      const float original = static_cast<float>(s.original_max_positions);
      const float low_freq_wavelen = original / s.low_freq_factor;
      const float high_freq_wavelen = original / s.high_freq_factor;
      const float two_pi = static_cast<float>(2.0 * std::numbers::pi);
      for (float& f : inv) {
        const float wavelen = (1.0f / f) * two_pi;
        if (wavelen > low_freq_wavelen) {
          f = f / s.factor;  // long wavelengths: fully interpolated
        } else if (wavelen < high_freq_wavelen) {
          // short wavelengths: unchanged
        } else {
          const float smooth = ((1.0f / wavelen) * original - s.low_freq_factor) /
                               (s.high_freq_factor - s.low_freq_factor);
          f = (1.0f - smooth) * f / s.factor + smooth * f;
        }
      }
      break;
    }
  }
  return inv;
}

std::string validate(const DecoderWeights& weights) {
  const DecoderConfig& c = weights.config;
  Problems p;
  const auto positive = [&](const char* name, long long v) {
    if (v <= 0) p.add(std::string("config.") + name + " = " + std::to_string(v) + ", must be positive");
  };
  positive("vocab_size", c.vocab_size);
  positive("hidden", c.hidden);
  positive("intermediate", c.intermediate);
  positive("layers", c.layers);
  positive("heads", c.heads);
  positive("kv_heads", c.kv_heads);
  positive("head_dim", c.head_dim);
  if (c.max_positions < 0) p.add("config.max_positions = " + std::to_string(c.max_positions) + ", must be >= 0");
  if (c.sliding_window < 0)
    p.add("config.sliding_window = " + std::to_string(c.sliding_window) + ", must be >= 0 (0 = off)");
  if (!p.text().empty()) return p.text();  // shapes below would be meaningless
  if (c.heads % c.kv_heads != 0)
    p.add("config.heads = " + std::to_string(c.heads) + " is not a multiple of config.kv_heads = " +
          std::to_string(c.kv_heads));
  if (c.head_dim % 2 != 0) p.add("config.head_dim = " + std::to_string(c.head_dim) + " must be even (rotary pairs)");
  if (!(c.rms_norm_eps > 0.0f)) p.add("config.rms_norm_eps must be positive");
  if (!(c.rope_theta > 0.0f)) p.add("config.rope_theta must be positive");
  const RopeScaling& s = c.rope_scaling;
  if (s.kind != RopeScaling::Kind::kNone && !(s.factor > 0.0f)) p.add("config.rope_scaling.factor must be positive");
  if (s.kind == RopeScaling::Kind::kLlama3 &&
      !(s.high_freq_factor > s.low_freq_factor && s.low_freq_factor > 0.0f && s.original_max_positions > 0))
    p.add("config.rope_scaling (llama3): needs 0 < low_freq_factor < high_freq_factor and original_max_positions > 0");

  if (!c.rope_freq_factors.empty()) {
    if (c.rope_freq_factors.size() != static_cast<std::size_t>(c.head_dim / 2))
      p.add("config.rope_freq_factors: " + std::to_string(c.rope_freq_factors.size()) +
            " of them, expected head_dim / 2 = " + std::to_string(c.head_dim / 2));
    for (const float f : c.rope_freq_factors)
      if (!(f > 0.0f)) {
        p.add("config.rope_freq_factors: " + std::to_string(f) + " is not positive");
        break;
      }
  }

  const std::int64_t V = c.vocab_size, H = c.hidden, I = c.intermediate;
  const std::int64_t Q = static_cast<std::int64_t>(c.heads) * c.head_dim;
  const std::int64_t KV = static_cast<std::int64_t>(c.kv_heads) * c.head_dim;
  p.tensor("tok_embeddings", weights.tok_embeddings, {V, H});
  p.tensor("output_norm", weights.output_norm, {H});
  if (c.tied_embeddings) {
    if (!weights.output.empty()) p.add("output: present, but config.tied_embeddings is true");
  } else {
    p.tensor("output", weights.output, {V, H});
  }
  if (weights.layers.size() != static_cast<std::size_t>(c.layers))
    p.add("layers: " + std::to_string(weights.layers.size()) + " given, config.layers = " +
          std::to_string(c.layers));
  for (std::size_t l = 0; l < weights.layers.size(); ++l) {
    const DecoderLayerWeights& L = weights.layers[l];
    const std::string n = "layers." + std::to_string(l) + ".";
    const char* no_bias = "config.qkv_bias is false";
    p.tensor(n + "attn_norm", L.attn_norm, {H});
    p.tensor(n + "wq", L.wq, {Q, H});
    p.tensor(n + "wk", L.wk, {KV, H});
    p.tensor(n + "wv", L.wv, {KV, H});
    p.optional(n + "bq", L.bq, c.qkv_bias, no_bias, {Q});
    p.optional(n + "bk", L.bk, c.qkv_bias, no_bias, {KV});
    p.optional(n + "bv", L.bv, c.qkv_bias, no_bias, {KV});
    p.tensor(n + "wo", L.wo, {H, Q});
    p.tensor(n + "ffn_norm", L.ffn_norm, {H});
    p.tensor(n + "w_gate", L.w_gate, {I, H});
    p.tensor(n + "w_up", L.w_up, {I, H});
    p.tensor(n + "w_down", L.w_down, {H, I});
  }
  return p.text();
}

const char* to_string(DecoderPrecision p) { return p == DecoderPrecision::kF16 ? "f16" : "bf16"; }

DecoderPrecision default_decoder_precision(const DecoderWeights& weights) {
  // The first layer's query matrix stands for the model's matrices (the
  // embeddings of an F16 GGUF are sometimes kept in another type).
  const TensorView& t = weights.layers.empty() ? weights.tok_embeddings : weights.layers[0].wq;
  return t.dtype == DType::kF16 ? DecoderPrecision::kF16 : DecoderPrecision::kBF16;
}

}  // namespace rg::kernels
