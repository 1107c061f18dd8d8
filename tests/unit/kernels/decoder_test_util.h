// tests/unit/kernels/decoder_test_util.h: tiny random Llama-family models held
// in memory (any weight dtype), and a deliberately naive float64 forward pass
// to check the decoder back ends against (kernels/decoder.h). Shared by the
// CPU test and, later, the GPU test: same models, same oracle.
//
// The oracle shares no code with the back ends: its own fp16/bf16/Q8_0
// decoding, its own rotary frequencies (in double), and a full recomputation
// of every layer for the whole sequence with straight loops.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "kernels/decoder.h"

namespace rg::kernels::testing {

// ---------------------------------------------------------------- encodings
inline std::uint16_t to_bf16_bits(float f) {  // round to nearest even (no NaNs here)
  std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  x += 0x7FFFu + ((x >> 16) & 1u);
  return static_cast<std::uint16_t>(x >> 16);
}
inline double from_bf16_bits(std::uint16_t b) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}
// fp16 by arithmetic rather than bit tricks (normal range only, which random
// weights stay in): round the value to 11 significant bits.
inline std::uint16_t to_f16_bits(float f) {
  const std::uint16_t sign = f < 0 ? 0x8000u : 0u;
  double a = std::fabs(static_cast<double>(f));
  if (a < 6.103515625e-05) return sign;  // below the normal range: flush (not hit by the tests)
  int e = 0;
  const double m = std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  double q = std::nearbyint(m * 2048.0);  // 11 significant bits, ties to even
  if (q == 2048.0) {
    q = 1024.0;
    ++e;
  }
  const int biased = e - 1 + 15;
  return static_cast<std::uint16_t>(sign | (biased << 10) | (static_cast<int>(q) - 1024));
}
inline double from_f16_bits(std::uint16_t h) {
  const int e = (h >> 10) & 0x1F, m = h & 0x3FF;
  const double v = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
  return (h & 0x8000u) ? -v : v;
}

// ---------------------------------------------------------------- models
// A tensor in some dtype plus what the oracle believes its values are.
struct OwnedTensor {
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  std::vector<unsigned char> bytes;
  std::vector<double> values;  // decoded by the test, for the oracle
  TensorView view() const { return bytes.empty() ? TensorView{} : TensorView{dtype, shape, bytes.data()}; }
};

inline OwnedTensor encode_tensor(const std::vector<float>& v, std::vector<std::int64_t> shape, DType dtype) {
  OwnedTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  const std::size_t n = v.size();
  t.values.resize(n);
  switch (dtype) {
    case DType::kF32:
      t.bytes.resize(n * 4);
      std::memcpy(t.bytes.data(), v.data(), n * 4);
      for (std::size_t i = 0; i < n; ++i) t.values[i] = v[i];
      break;
    case DType::kF16:
    case DType::kBF16:
      t.bytes.resize(n * 2);
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint16_t b = dtype == DType::kF16 ? to_f16_bits(v[i]) : to_bf16_bits(v[i]);
        std::memcpy(t.bytes.data() + 2 * i, &b, 2);
        t.values[i] = dtype == DType::kF16 ? from_f16_bits(b) : from_bf16_bits(b);
      }
      break;
    case DType::kQ8_0:  // llama.cpp's quantize_row_q8_0: d = max|x| / 127, q = round(x / d)
      t.bytes.resize(n / 32 * 34);
      for (std::size_t b = 0; b < n / 32; ++b) {
        float amax = 0.0f;
        for (std::size_t i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(v[b * 32 + i]));
        const std::uint16_t d_bits = to_f16_bits(amax / 127.0f);
        const double d = from_f16_bits(d_bits);
        unsigned char* block = t.bytes.data() + b * 34;
        std::memcpy(block, &d_bits, 2);
        for (std::size_t i = 0; i < 32; ++i) {
          const int q = d == 0.0 ? 0 : std::clamp(static_cast<int>(std::lround(v[b * 32 + i] / d)), -127, 127);
          block[2 + i] = static_cast<unsigned char>(static_cast<std::int8_t>(q));
          t.values[b * 32 + i] = d * q;
        }
      }
      break;
  }
  return t;
}

struct TestLayer {
  OwnedTensor attn_norm, wq, wk, wv, bq, bk, bv, wo, ffn_norm, w_gate, w_up, w_down;
};

struct TestModel {
  DecoderConfig config;
  OwnedTensor embed, output_norm, output;
  std::vector<TestLayer> layers;

  DecoderWeights weights() const {
    DecoderWeights w;
    w.config = config;
    w.tok_embeddings = embed.view();
    w.output_norm = output_norm.view();
    w.output = output.view();
    for (const TestLayer& L : layers)
      w.layers.push_back({L.attn_norm.view(), L.wq.view(), L.wk.view(), L.wv.view(), L.bq.view(),
                          L.bk.view(), L.bv.view(), L.wo.view(), L.ffn_norm.view(), L.w_gate.view(),
                          L.w_up.view(), L.w_down.view()});
    return w;
  }
};

// hidden 64, heads 4, kv_heads 2, head_dim 16, 2 layers, intermediate 96,
// vocab 97: the test's default shape.
inline DecoderConfig tiny_config() {
  DecoderConfig c;
  c.architecture = "llama";
  c.vocab_size = 97;
  c.hidden = 64;
  c.intermediate = 96;
  c.layers = 2;
  c.heads = 4;
  c.kv_heads = 2;
  c.head_dim = 16;
  c.max_positions = 64;
  c.rms_norm_eps = 1e-5f;
  c.rope_theta = 10000.0f;
  return c;
}

// Weights with std 1/sqrt(fan_in) (not HF's 0.02) so attention is far from
// uniform and every part of the pass shows in the logits; norm gains 1 +- 0.2.
// Matrices are stored as `matrix_dtype`; norms and biases stay F32.
inline TestModel random_model(const DecoderConfig& c, std::uint64_t seed, DType matrix_dtype = DType::kF32) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  const auto draw = [&](std::int64_t n, float scale, float offset = 0.0f) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (float& x : v) x = offset + scale * unit(rng);
    return v;
  };
  const auto matrix = [&](std::int64_t rows, std::int64_t cols, DType dtype) {
    return encode_tensor(draw(rows * cols, std::sqrt(3.0f / static_cast<float>(cols))), {rows, cols}, dtype);
  };
  const auto vec = [&](std::int64_t n, float scale, float offset) {
    return encode_tensor(draw(n, scale, offset), {n}, DType::kF32);
  };
  const std::int64_t V = c.vocab_size, H = c.hidden, I = c.intermediate;
  const std::int64_t Q = static_cast<std::int64_t>(c.heads) * c.head_dim;
  const std::int64_t KV = static_cast<std::int64_t>(c.kv_heads) * c.head_dim;
  TestModel m;
  m.config = c;
  m.embed = encode_tensor(draw(V * H, std::sqrt(3.0f)), {V, H}, matrix_dtype);
  for (int l = 0; l < c.layers; ++l) {
    TestLayer L;
    L.attn_norm = vec(H, 0.2f, 1.0f);
    L.wq = matrix(Q, H, matrix_dtype);
    L.wk = matrix(KV, H, matrix_dtype);
    L.wv = matrix(KV, H, matrix_dtype);
    if (c.qkv_bias) {
      L.bq = vec(Q, 0.5f, 0.0f);
      L.bk = vec(KV, 0.5f, 0.0f);
      L.bv = vec(KV, 0.5f, 0.0f);
    }
    L.wo = matrix(H, Q, matrix_dtype);
    L.ffn_norm = vec(H, 0.2f, 1.0f);
    L.w_gate = matrix(I, H, matrix_dtype);
    L.w_up = matrix(I, H, matrix_dtype);
    L.w_down = matrix(H, I, matrix_dtype);
    m.layers.push_back(std::move(L));
  }
  m.output_norm = vec(H, 0.2f, 1.0f);
  if (!c.tied_embeddings) m.output = matrix(V, H, matrix_dtype);
  return m;
}

// ---------------------------------------------------------------- oracle
// HF's rotary frequencies, in double.
inline std::vector<double> reference_inv_freq(const DecoderConfig& c) {
  std::vector<double> inv;
  const RopeScaling& s = c.rope_scaling;
  for (int i = 0; i < c.head_dim / 2; ++i) {
    double f = 1.0 / std::pow(static_cast<double>(c.rope_theta), 2.0 * i / c.head_dim);
    if (!c.rope_freq_factors.empty()) {  // GGUF rope_freqs: instead of rope_scaling
      inv.push_back(f / c.rope_freq_factors[static_cast<std::size_t>(i)]);
      continue;
    }
    if (s.kind == RopeScaling::Kind::kLinear) f /= s.factor;
    if (s.kind == RopeScaling::Kind::kLlama3) {
      const double wavelen = 2.0 * std::numbers::pi / f;
      const double low_wavelen = s.original_max_positions / static_cast<double>(s.low_freq_factor);
      const double high_wavelen = s.original_max_positions / static_cast<double>(s.high_freq_factor);
      if (wavelen > low_wavelen) {
        f /= s.factor;
      } else if (wavelen >= high_wavelen) {
        const double smooth = (s.original_max_positions / wavelen - s.low_freq_factor) /
                              (static_cast<double>(s.high_freq_factor) - s.low_freq_factor);
        f = (1.0 - smooth) * f / s.factor + smooth * f;
      }
    }
    inv.push_back(f);
  }
  return inv;
}

// logits[t] after tokens[0..t], every position, float64 throughout.
inline std::vector<std::vector<double>> reference_logits(const TestModel& m, const std::vector<int>& tokens) {
  const DecoderConfig& c = m.config;
  const int T = static_cast<int>(tokens.size()), H = c.hidden, D = c.head_dim;
  const int NQ = c.heads, NKV = c.kv_heads, I = c.intermediate;
  using Mat = std::vector<std::vector<double>>;
  const auto linear = [](const Mat& x, const OwnedTensor& w, const OwnedTensor* b) {
    const std::size_t out = static_cast<std::size_t>(w.shape[0]), in = static_cast<std::size_t>(w.shape[1]);
    Mat y(x.size(), std::vector<double>(out, 0.0));
    for (std::size_t t = 0; t < x.size(); ++t)
      for (std::size_t o = 0; o < out; ++o) {
        double acc = (b && !b->values.empty()) ? b->values[o] : 0.0;
        for (std::size_t i = 0; i < in; ++i) acc += x[t][i] * w.values[o * in + i];
        y[t][o] = acc;
      }
    return y;
  };
  const auto rms_norm = [&](const Mat& x, const OwnedTensor& g) {
    Mat y = x;
    for (auto& row : y) {
      double ss = 0.0;
      for (double v : row) ss += v * v;
      const double r = 1.0 / std::sqrt(ss / H + c.rms_norm_eps);
      for (int i = 0; i < H; ++i) row[static_cast<std::size_t>(i)] *= r * g.values[static_cast<std::size_t>(i)];
    }
    return y;
  };
  const std::vector<double> inv = reference_inv_freq(c);
  const auto rope = [&](Mat& x, int heads) {
    for (int t = 0; t < T; ++t)
      for (int h = 0; h < heads; ++h)
        for (int i = 0; i < D / 2; ++i) {
          const int a = c.rope_style == RopeStyle::kInterleaved ? h * D + 2 * i : h * D + i;
          const int b = c.rope_style == RopeStyle::kInterleaved ? a + 1 : a + D / 2;
          const double angle = t * inv[static_cast<std::size_t>(i)];
          auto& row = x[static_cast<std::size_t>(t)];
          const double xa = row[static_cast<std::size_t>(a)], xb = row[static_cast<std::size_t>(b)];
          row[static_cast<std::size_t>(a)] = xa * std::cos(angle) - xb * std::sin(angle);
          row[static_cast<std::size_t>(b)] = xb * std::cos(angle) + xa * std::sin(angle);
        }
  };

  Mat x;
  for (int tok : tokens)
    x.emplace_back(m.embed.values.begin() + static_cast<std::ptrdiff_t>(tok) * H,
                   m.embed.values.begin() + static_cast<std::ptrdiff_t>(tok + 1) * H);
  for (const TestLayer& L : m.layers) {
    const Mat h = rms_norm(x, L.attn_norm);
    Mat q = linear(h, L.wq, &L.bq), k = linear(h, L.wk, &L.bk), v = linear(h, L.wv, &L.bv);
    rope(q, NQ);
    rope(k, NKV);
    Mat attn(static_cast<std::size_t>(T), std::vector<double>(static_cast<std::size_t>(NQ * D), 0.0));
    for (int t = 0; t < T; ++t)  // query t attends to keys lo..t (lo = 0 without a window)
      for (int n = 0; n < NQ; ++n) {
        const int g = n / (NQ / NKV);
        const int lo = c.sliding_window > 0 ? std::max(0, t - c.sliding_window + 1) : 0;
        std::vector<double> s(static_cast<std::size_t>(t + 1), -INFINITY);
        for (int j = lo; j <= t; ++j) {
          double dot = 0.0;
          for (int d = 0; d < D; ++d)
            dot += q[static_cast<std::size_t>(t)][static_cast<std::size_t>(n * D + d)] *
                   k[static_cast<std::size_t>(j)][static_cast<std::size_t>(g * D + d)];
          s[static_cast<std::size_t>(j)] = dot / std::sqrt(static_cast<double>(D));
        }
        const double mx = *std::max_element(s.begin(), s.end());
        double sum = 0.0;
        for (double& e : s) sum += (e = std::exp(e - mx));
        for (int j = lo; j <= t; ++j)
          for (int d = 0; d < D; ++d)
            attn[static_cast<std::size_t>(t)][static_cast<std::size_t>(n * D + d)] +=
                s[static_cast<std::size_t>(j)] / sum * v[static_cast<std::size_t>(j)][static_cast<std::size_t>(g * D + d)];
      }
    const Mat o = linear(attn, L.wo, nullptr);
    for (int t = 0; t < T; ++t)
      for (int i = 0; i < H; ++i) x[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)] += o[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)];
    const Mat h2 = rms_norm(x, L.ffn_norm);
    Mat gate = linear(h2, L.w_gate, nullptr);
    const Mat up = linear(h2, L.w_up, nullptr);
    for (int t = 0; t < T; ++t)
      for (int i = 0; i < I; ++i) {
        double& g = gate[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)];
        g = g / (1.0 + std::exp(-g)) * up[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)];
      }
    const Mat down = linear(gate, L.w_down, nullptr);
    for (int t = 0; t < T; ++t)
      for (int i = 0; i < H; ++i) x[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)] += down[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)];
  }
  const Mat h = rms_norm(x, m.output_norm);
  const Mat logits = linear(h, c.tied_embeddings ? m.embed : m.output, nullptr);
  return logits;
}

// max |got - want| / max |want| over a row: relative to the row's scale, so
// logits near zero do not blow the measure up.
inline double relative_error(const float* got, const std::vector<double>& want) {
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(got[i]) - want[i]));
    scale = std::max(scale, std::fabs(want[i]));
  }
  return diff / std::max(scale, 1e-30);
}

}  // namespace rg::kernels::testing
