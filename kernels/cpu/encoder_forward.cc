// kernels/cpu/encoder_forward.cc: rg::kernels::encode_cpu, the CPU forward
// pass of a BERT-family encoder (post-LayerNorm), see kernels/encoder.h.
//
// Padding costs nothing: a padded position never influences a real one (its
// key is masked out of every softmax, HF's additive dtype-min mask gives it a
// probability of exactly 0 in fp32), so only the real tokens of the batch
// (mask == 1) are run, packed into one [tokens, hidden] matrix; each keeps
// its position id (its index in the padded row). GEMMs go to OpenBLAS
// (cblas_sgemm, its own threads) when built with it (RG_WITH_CBLAS), else to
// a blocked GEMM here; attention runs over (sequence, head) pairs on
// std::threads.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kernels/encoder.h"

#ifdef RG_WITH_CBLAS
#include <cblas.h>
#endif

namespace rg::kernels {

namespace {

int worker_count(std::size_t work) {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(std::min<std::size_t>(hw, std::max<std::size_t>(1, work)));
}

// Runs fn(i) for i in [0, n) on up to hardware_concurrency threads.
template <typename Fn>
void parallel_for(std::size_t n, Fn fn) {
  const int workers = worker_count(n);
  if (workers <= 1 || n < 2) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  auto run = [&] {
    for (std::size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(workers - 1));
  for (int t = 1; t < workers; ++t) threads.emplace_back(run);
  run();
  for (auto& t : threads) t.join();
}

// C[M,N] = A[M,K] * B[N,K]^T (B in PyTorch Linear layout), row-major.
void gemm_nt(int M, int N, int K, const float* A, const float* B, float* C) {
#ifdef RG_WITH_CBLAS
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, B, K, 0.0f, C, N);
#else
  // Rows of A and B are both contiguous: 4x4 register blocks of dot products,
  // row blocks spread over threads.
  const std::size_t row_blocks = static_cast<std::size_t>((M + 3) / 4);
  parallel_for(row_blocks, [&](std::size_t rb) {
    const int i0 = static_cast<int>(rb) * 4;
    const int ni = std::min(4, M - i0);
    for (int j0 = 0; j0 < N; j0 += 4) {
      const int nj = std::min(4, N - j0);
      float acc[4][4] = {};
      const float* a[4];
      const float* b[4];
      for (int r = 0; r < 4; ++r) a[r] = A + static_cast<std::size_t>(i0 + std::min(r, ni - 1)) * K;
      for (int c = 0; c < 4; ++c) b[c] = B + static_cast<std::size_t>(j0 + std::min(c, nj - 1)) * K;
      for (int k = 0; k < K; ++k) {
        for (int r = 0; r < 4; ++r) {
          const float av = a[r][k];
          for (int c = 0; c < 4; ++c) acc[r][c] += av * b[c][k];
        }
      }
      for (int r = 0; r < ni; ++r)
        for (int c = 0; c < nj; ++c) C[static_cast<std::size_t>(i0 + r) * N + j0 + c] = acc[r][c];
    }
  });
#endif
}

// Y[T,N] = X[T,K] W^T + b.
void linear(int T, int N, int K, const float* X, const std::vector<float>& W,
            const std::vector<float>& b, float* Y) {
  gemm_nt(T, N, K, X, W.data(), Y);
  for (int t = 0; t < T; ++t) {
    float* y = Y + static_cast<std::size_t>(t) * N;
    for (int n = 0; n < N; ++n) y[n] += b[static_cast<std::size_t>(n)];
  }
}

// In place: x = LayerNorm(x + residual) per row (residual may be null).
void add_layer_norm(int T, int H, float* x, const float* residual, const std::vector<float>& g,
                    const std::vector<float>& b, float eps) {
  for (int t = 0; t < T; ++t) {
    float* row = x + static_cast<std::size_t>(t) * H;
    if (residual) {
      const float* r = residual + static_cast<std::size_t>(t) * H;
      for (int i = 0; i < H; ++i) row[i] += r[i];
    }
    double mean = 0.0;
    for (int i = 0; i < H; ++i) mean += row[i];
    mean /= H;
    double var = 0.0;
    for (int i = 0; i < H; ++i) {
      const double d = row[i] - mean;
      var += d * d;
    }
    var /= H;
    const float inv = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
    const float m = static_cast<float>(mean);
    for (int i = 0; i < H; ++i)
      row[i] = (row[i] - m) * inv * g[static_cast<std::size_t>(i)] + b[static_cast<std::size_t>(i)];
  }
}

void activate(std::vector<float>& v, Activation act) {
  switch (act) {
    case Activation::kGeluErf:
      for (float& x : v) x = 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
      break;
    case Activation::kGeluTanh:
      for (float& x : v)
        x = 0.5f * x * (1.0f + std::tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
      break;
    case Activation::kRelu:
      for (float& x : v) x = x > 0.0f ? x : 0.0f;
      break;
  }
}

void check_size(const std::vector<float>& v, std::size_t n, const std::string& what) {
  if (v.size() != n)
    throw std::invalid_argument("encode_cpu: " + what + " has " + std::to_string(v.size()) +
                                " floats, expected " + std::to_string(n));
}

void validate(const EncoderWeights& w, const EncoderBatch& batch) {
  const auto& c = w.config;
  if (c.hidden <= 0 || c.heads <= 0 || c.hidden % c.heads != 0 || c.intermediate <= 0 ||
      c.vocab_size <= 0 || c.max_positions <= 0 || c.type_vocab_size <= 0)
    throw std::invalid_argument("encode_cpu: invalid EncoderConfig");
  const std::size_t H = static_cast<std::size_t>(c.hidden), I = static_cast<std::size_t>(c.intermediate);
  check_size(w.word_emb, static_cast<std::size_t>(c.vocab_size) * H, "word_emb");
  check_size(w.pos_emb, static_cast<std::size_t>(c.max_positions) * H, "pos_emb");
  check_size(w.type_emb, static_cast<std::size_t>(c.type_vocab_size) * H, "type_emb");
  check_size(w.emb_ln_g, H, "emb_ln_g");
  check_size(w.emb_ln_b, H, "emb_ln_b");
  if (w.layers.size() != static_cast<std::size_t>(c.layers))
    throw std::invalid_argument("encode_cpu: " + std::to_string(w.layers.size()) +
                                " layers of weights, config says " + std::to_string(c.layers));
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    const auto& L = w.layers[l];
    const std::string p = "layer " + std::to_string(l) + " ";
    for (const auto* m : {&L.q_w, &L.k_w, &L.v_w, &L.o_w}) check_size(*m, H * H, p + "attention weight");
    for (const auto* v : {&L.q_b, &L.k_b, &L.v_b, &L.o_b, &L.attn_ln_g, &L.attn_ln_b, &L.ff2_b,
                          &L.ffn_ln_g, &L.ffn_ln_b})
      check_size(*v, H, p + "bias/LayerNorm vector");
    check_size(L.ff1_w, I * H, p + "ff1_w");
    check_size(L.ff1_b, I, p + "ff1_b");
    check_size(L.ff2_w, H * I, p + "ff2_w");
  }
  const std::size_t n = static_cast<std::size_t>(batch.batch) * static_cast<std::size_t>(batch.seq_len);
  if (batch.batch < 0 || batch.seq_len < 0 || batch.ids.size() != n || batch.mask.size() != n ||
      (!batch.type_ids.empty() && batch.type_ids.size() != n))
    throw std::invalid_argument("encode_cpu: batch arrays do not match batch x seq_len");
  if (batch.seq_len > c.max_positions)
    throw std::invalid_argument("encode_cpu: seq_len " + std::to_string(batch.seq_len) +
                                " exceeds max_positions " + std::to_string(c.max_positions));
  for (std::size_t i = 0; i < n; ++i) {
    if (batch.ids[i] < 0 || batch.ids[i] >= c.vocab_size)
      throw std::invalid_argument("encode_cpu: token id " + std::to_string(batch.ids[i]) +
                                  " out of range [0, " + std::to_string(c.vocab_size) + ")");
    if (!batch.type_ids.empty() && (batch.type_ids[i] < 0 || batch.type_ids[i] >= c.type_vocab_size))
      throw std::invalid_argument("encode_cpu: token type id out of range");
  }
}

}  // namespace

std::vector<float> encode_cpu(const EncoderWeights& weights, const EncoderBatch& batch,
                              Pooling pooling) {
  validate(weights, batch);
  const auto& cfg = weights.config;
  const int H = cfg.hidden, NH = cfg.heads, D = H / NH, I = cfg.intermediate;
  const int B = batch.batch, S = batch.seq_len;
  std::vector<float> result(static_cast<std::size_t>(B) * H, 0.0f);

  // Pack the real tokens: seq_start[b] .. seq_start[b+1] are batch row b's.
  std::vector<int> seq_start(static_cast<std::size_t>(B) + 1, 0);
  std::vector<int> tok_pos, tok_src;
  for (int b = 0; b < B; ++b) {
    for (int s = 0; s < S; ++s) {
      const std::size_t i = static_cast<std::size_t>(b) * S + s;
      if (batch.mask[i] != 0) {
        tok_pos.push_back(s);
        tok_src.push_back(static_cast<int>(i));
      }
    }
    seq_start[static_cast<std::size_t>(b) + 1] = static_cast<int>(tok_pos.size());
  }
  const int T = static_cast<int>(tok_pos.size());
  if (T == 0) return result;
  const std::size_t TH = static_cast<std::size_t>(T) * H;

  // Embeddings + LayerNorm.
  std::vector<float> x(TH);
  for (int t = 0; t < T; ++t) {
    const std::size_t src = static_cast<std::size_t>(tok_src[static_cast<std::size_t>(t)]);
    const float* we = weights.word_emb.data() + static_cast<std::size_t>(batch.ids[src]) * H;
    const float* pe = weights.pos_emb.data() + static_cast<std::size_t>(tok_pos[static_cast<std::size_t>(t)]) * H;
    const int type = batch.type_ids.empty() ? 0 : batch.type_ids[src];
    const float* te = weights.type_emb.data() + static_cast<std::size_t>(type) * H;
    float* row = x.data() + static_cast<std::size_t>(t) * H;
    for (int i = 0; i < H; ++i) row[i] = we[i] + pe[i] + te[i];
  }
  add_layer_norm(T, H, x.data(), nullptr, weights.emb_ln_g, weights.emb_ln_b, cfg.layer_norm_eps);

  std::vector<float> q(TH), k(TH), v(TH), ctx(TH), y(TH);
  std::vector<float> ff(static_cast<std::size_t>(T) * I);
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));

  for (const auto& L : weights.layers) {
    linear(T, H, H, x.data(), L.q_w, L.q_b, q.data());
    linear(T, H, H, x.data(), L.k_w, L.k_b, k.data());
    linear(T, H, H, x.data(), L.v_w, L.v_b, v.data());

    // Attention per (sequence, head) over that sequence's real tokens.
    const std::size_t pairs = static_cast<std::size_t>(B) * NH;
    parallel_for(pairs, [&](std::size_t pi) {
      const int b = static_cast<int>(pi) / NH, h = static_cast<int>(pi) % NH;
      const int t0 = seq_start[static_cast<std::size_t>(b)];
      const int n = seq_start[static_cast<std::size_t>(b) + 1] - t0;
      if (n == 0) return;
      std::vector<float> p(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) {
        const float* qi = q.data() + static_cast<std::size_t>(t0 + i) * H + h * D;
        float mx = -INFINITY;
        for (int j = 0; j < n; ++j) {
          const float* kj = k.data() + static_cast<std::size_t>(t0 + j) * H + h * D;
          float dot = 0.0f;
          for (int d = 0; d < D; ++d) dot += qi[d] * kj[d];
          dot *= scale;
          p[static_cast<std::size_t>(j)] = dot;
          mx = std::max(mx, dot);
        }
        float sum = 0.0f;
        for (int j = 0; j < n; ++j) {
          const float e = std::exp(p[static_cast<std::size_t>(j)] - mx);
          p[static_cast<std::size_t>(j)] = e;
          sum += e;
        }
        const float inv = 1.0f / sum;
        float* out = ctx.data() + static_cast<std::size_t>(t0 + i) * H + h * D;
        for (int d = 0; d < D; ++d) out[d] = 0.0f;
        for (int j = 0; j < n; ++j) {
          const float pj = p[static_cast<std::size_t>(j)] * inv;
          const float* vj = v.data() + static_cast<std::size_t>(t0 + j) * H + h * D;
          for (int d = 0; d < D; ++d) out[d] += pj * vj[d];
        }
      }
    });

    linear(T, H, H, ctx.data(), L.o_w, L.o_b, y.data());
    add_layer_norm(T, H, y.data(), x.data(), L.attn_ln_g, L.attn_ln_b, cfg.layer_norm_eps);
    linear(T, I, H, y.data(), L.ff1_w, L.ff1_b, ff.data());
    activate(ff, cfg.activation);
    linear(T, H, I, ff.data(), L.ff2_w, L.ff2_b, x.data());
    add_layer_norm(T, H, x.data(), y.data(), L.ffn_ln_g, L.ffn_ln_b, cfg.layer_norm_eps);
  }

  // Pool and L2-normalise (torch.nn.functional.normalize: x / max(|x|, 1e-12)).
  for (int b = 0; b < B; ++b) {
    const int t0 = seq_start[static_cast<std::size_t>(b)];
    const int n = seq_start[static_cast<std::size_t>(b) + 1] - t0;
    float* out = result.data() + static_cast<std::size_t>(b) * H;
    if (n == 0) continue;
    if (pooling == Pooling::kCls) {
      const float* row = x.data() + static_cast<std::size_t>(t0) * H;
      std::copy(row, row + H, out);
    } else {
      std::vector<double> acc(static_cast<std::size_t>(H), 0.0);
      for (int t = t0; t < t0 + n; ++t) {
        const float* row = x.data() + static_cast<std::size_t>(t) * H;
        for (int i = 0; i < H; ++i) acc[static_cast<std::size_t>(i)] += row[i];
      }
      for (int i = 0; i < H; ++i) out[i] = static_cast<float>(acc[static_cast<std::size_t>(i)] / n);
    }
    double norm = 0.0;
    for (int i = 0; i < H; ++i) norm += static_cast<double>(out[i]) * out[i];
    const double inv = 1.0 / std::max(std::sqrt(norm), 1e-12);
    for (int i = 0; i < H; ++i) out[i] = static_cast<float>(out[i] * inv);
  }
  return result;
}

}  // namespace rg::kernels
