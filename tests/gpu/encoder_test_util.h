// tests/gpu/encoder_test_util.h: shared by the GPU encoder's test, check
// program and benchmark: random encoder weights of a given shape, a plain
// double-precision reference forward pass, and cosine similarity.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/encoder.h"

namespace rg::kernels::testing {

// Weights drawn like tests/data/encoder/make_fixture.py: embeddings N(0, 1),
// Linear weights N(0, 1/fan_in), biases N(0, 0.1^2), LayerNorm gains 1 +
// N(0, 0.1^2) and shifts N(0, 0.1^2): attention far from uniform, every bias
// and gain visible in the output.
inline EncoderWeights random_weights(const EncoderConfig& c, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  auto fill = [&](size_t n, float scale, float offset = 0.f) {
    std::vector<float> v(n);
    for (float& x : v) x = offset + scale * normal(rng);
    return v;
  };
  const size_t h = c.hidden, in = c.intermediate;
  EncoderWeights w;
  w.config = c;
  w.word_emb = fill(c.vocab_size * h, 1.f);
  w.pos_emb = fill(c.max_positions * h, 1.f);
  w.type_emb = fill(c.type_vocab_size * h, 1.f);
  w.emb_ln_g = fill(h, 0.1f, 1.f);
  w.emb_ln_b = fill(h, 0.1f);
  const float sh = 1.f / std::sqrt(static_cast<float>(h));
  const float si = 1.f / std::sqrt(static_cast<float>(in));
  for (int l = 0; l < c.layers; ++l) {
    EncoderLayerWeights L;
    L.q_w = fill(h * h, sh);
    L.q_b = fill(h, 0.1f);
    L.k_w = fill(h * h, sh);
    L.k_b = fill(h, 0.1f);
    L.v_w = fill(h * h, sh);
    L.v_b = fill(h, 0.1f);
    L.o_w = fill(h * h, sh);
    L.o_b = fill(h, 0.1f);
    L.attn_ln_g = fill(h, 0.1f, 1.f);
    L.attn_ln_b = fill(h, 0.1f);
    L.ff1_w = fill(in * h, sh);
    L.ff1_b = fill(in, 0.1f);
    L.ff2_w = fill(h * in, si);
    L.ff2_b = fill(h, 0.1f);
    L.ffn_ln_g = fill(h, 0.1f, 1.f);
    L.ffn_ln_b = fill(h, 0.1f);
    w.layers.push_back(std::move(L));
  }
  return w;
}

// A padded batch: sentence i has lengths[i] real tokens ([CLS]=2 first,
// [SEP]=3 last when there is room), random ids and type ids elsewhere.
inline EncoderBatch random_batch(const EncoderConfig& c, const std::vector<int>& lengths,
                                 uint32_t seed, bool random_types = false) {
  std::mt19937 rng(seed);
  EncoderBatch b;
  b.batch = static_cast<int>(lengths.size());
  b.seq_len = lengths.empty() ? 0 : *std::max_element(lengths.begin(), lengths.end());
  const size_t n = static_cast<size_t>(b.batch) * b.seq_len;
  b.ids.assign(n, 0);
  b.type_ids.assign(n, 0);
  b.mask.assign(n, 0);
  std::uniform_int_distribution<int> id(5, c.vocab_size - 1);
  std::uniform_int_distribution<int> type(0, c.type_vocab_size - 1);
  for (int i = 0; i < b.batch; ++i) {
    for (int s = 0; s < lengths[i]; ++s) {
      const size_t k = static_cast<size_t>(i) * b.seq_len + s;
      b.ids[k] = s == 0 ? std::min(2, c.vocab_size - 1)
                 : s == lengths[i] - 1 ? std::min(3, c.vocab_size - 1)
                                       : id(rng);
      b.type_ids[k] = random_types ? type(rng) : 0;
      b.mask[k] = 1;
    }
  }
  return b;
}

// The forward pass in double precision with plain loops, straight from the
// HF BertModel definition (post-LayerNorm). Slow: small models only.
inline std::vector<float> encode_reference(const EncoderWeights& w, const EncoderBatch& b,
                                           Pooling pooling) {
  const EncoderConfig& c = w.config;
  const int H = c.hidden, I = c.intermediate, S = b.seq_len, nh = c.heads, dh = H / nh;
  auto linear = [](const std::vector<double>& x, int rows, int in, const std::vector<float>& W,
                   const std::vector<float>& bias, int out) {
    std::vector<double> y(static_cast<size_t>(rows) * out);
    for (int r = 0; r < rows; ++r)
      for (int o = 0; o < out; ++o) {
        double acc = bias[o];
        for (int k = 0; k < in; ++k) acc += x[static_cast<size_t>(r) * in + k] * W[static_cast<size_t>(o) * in + k];
        y[static_cast<size_t>(r) * out + o] = acc;
      }
    return y;
  };
  auto layer_norm = [&](std::vector<double>& x, int rows, const std::vector<float>& g,
                        const std::vector<float>& beta) {
    for (int r = 0; r < rows; ++r) {
      double* v = &x[static_cast<size_t>(r) * H];
      double mean = 0, var = 0;
      for (int k = 0; k < H; ++k) mean += v[k];
      mean /= H;
      for (int k = 0; k < H; ++k) var += (v[k] - mean) * (v[k] - mean);
      var /= H;
      const double inv = 1.0 / std::sqrt(var + c.layer_norm_eps);
      for (int k = 0; k < H; ++k) v[k] = (v[k] - mean) * inv * g[k] + beta[k];
    }
  };
  auto act = [&](double x) {
    switch (c.activation) {
      case Activation::kGeluErf: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
      case Activation::kGeluTanh:
        return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
      case Activation::kRelu: return x > 0 ? x : 0.0;
    }
    return x;
  };
  std::vector<float> out(static_cast<size_t>(b.batch) * H);
  for (int i = 0; i < b.batch; ++i) {
    const size_t base = static_cast<size_t>(i) * S;
    std::vector<double> x(static_cast<size_t>(S) * H);
    for (int s = 0; s < S; ++s) {
      const int id = b.ids[base + s];
      const int tt = b.type_ids.empty() ? 0 : b.type_ids[base + s];
      for (int k = 0; k < H; ++k)
        x[static_cast<size_t>(s) * H + k] = static_cast<double>(w.word_emb[static_cast<size_t>(id) * H + k]) +
                                            w.pos_emb[static_cast<size_t>(s) * H + k] +
                                            w.type_emb[static_cast<size_t>(tt) * H + k];
    }
    layer_norm(x, S, w.emb_ln_g, w.emb_ln_b);
    auto masked = [&](int s) { return !b.mask.empty() && b.mask[base + s] == 0; };
    for (const EncoderLayerWeights& L : w.layers) {
      auto q = linear(x, S, H, L.q_w, L.q_b, H);
      auto k = linear(x, S, H, L.k_w, L.k_b, H);
      auto v = linear(x, S, H, L.v_w, L.v_b, H);
      std::vector<double> ctx(static_cast<size_t>(S) * H, 0.0);
      std::vector<double> p(S);
      for (int h = 0; h < nh; ++h)
        for (int s = 0; s < S; ++s) {
          double mx = -1e300;
          for (int t = 0; t < S; ++t) {
            double dot = 0;
            for (int d = 0; d < dh; ++d)
              dot += q[static_cast<size_t>(s) * H + h * dh + d] * k[static_cast<size_t>(t) * H + h * dh + d];
            p[t] = masked(t) ? -1e300 : dot / std::sqrt(static_cast<double>(dh));
            mx = std::max(mx, p[t]);
          }
          double sum = 0;
          for (int t = 0; t < S; ++t) {
            p[t] = masked(t) ? 0.0 : std::exp(p[t] - mx);
            sum += p[t];
          }
          for (int t = 0; t < S; ++t)
            for (int d = 0; d < dh; ++d)
              ctx[static_cast<size_t>(s) * H + h * dh + d] += p[t] / sum * v[static_cast<size_t>(t) * H + h * dh + d];
        }
      auto a = linear(ctx, S, H, L.o_w, L.o_b, H);
      for (size_t j = 0; j < a.size(); ++j) a[j] += x[j];
      layer_norm(a, S, L.attn_ln_g, L.attn_ln_b);
      auto f = linear(a, S, H, L.ff1_w, L.ff1_b, I);
      for (double& e : f) e = act(e);
      auto y = linear(f, S, I, L.ff2_w, L.ff2_b, H);
      for (size_t j = 0; j < y.size(); ++j) y[j] += a[j];
      layer_norm(y, S, L.ffn_ln_g, L.ffn_ln_b);
      x = std::move(y);
    }
    std::vector<double> pooled(H, 0.0);
    if (pooling == Pooling::kCls) {
      for (int k = 0; k < H; ++k) pooled[k] = x[k];
    } else {
      double count = 0;
      for (int s = 0; s < S; ++s) {
        if (masked(s)) continue;
        count += 1;
        for (int k = 0; k < H; ++k) pooled[k] += x[static_cast<size_t>(s) * H + k];
      }
      for (double& e : pooled) e /= std::max(count, 1e-9);
    }
    double norm = 0;
    for (double e : pooled) norm += e * e;
    norm = std::max(std::sqrt(norm), 1e-12);
    for (int k = 0; k < H; ++k) out[static_cast<size_t>(i) * H + k] = static_cast<float>(pooled[k] / norm);
  }
  return out;
}

// Cosine similarity of row `row` of two [rows, dim] matrices.
inline double cosine(const float* a, const float* b, int dim) {
  double ab = 0, aa = 0, bb = 0;
  for (int k = 0; k < dim; ++k) {
    ab += static_cast<double>(a[k]) * b[k];
    aa += static_cast<double>(a[k]) * a[k];
    bb += static_cast<double>(b[k]) * b[k];
  }
  if (aa == 0 || bb == 0) return 0;
  return ab / std::sqrt(aa * bb);
}

// Smallest per-row cosine between two [rows, dim] matrices (NaN -> -2).
inline double min_cosine(const std::vector<float>& a, const std::vector<float>& b, int dim) {
  if (a.size() != b.size() || dim <= 0 || a.empty()) return -2;
  double worst = 1;
  for (size_t r = 0; r < a.size() / dim; ++r) {
    const double c = cosine(&a[r * dim], &b[r * dim], dim);
    worst = std::isnan(c) ? -2 : std::min(worst, c);
  }
  return worst;
}

}  // namespace rg::kernels::testing
