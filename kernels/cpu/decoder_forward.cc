// kernels/cpu/decoder_forward.cc: make_cpu_decoder of kernels/decoder.h, the
// fp32 reference forward pass of a Llama-family decoder (what CI tests the
// model code with, and what the GPU engine is compared against).
//
// It follows HF transformers' LlamaModel in fp32 step by step (RMSNorm as
// x * rsqrt(mean(x^2) + eps) then times the weight; rotary embedding with
// cos/sin of the fp32 angle position * inv_freq; softmax in fp32), so its
// logits match HF's to ~1e-6. Weights are converted to fp32 once, at
// creation, and shared read-only by every session (a model is thread-safe;
// a session, which owns its KV cache, is not).
//
// Speed: GEMMs over the tokens of a prefill go to OpenBLAS (cblas_sgemm, or
// cblas_sgemv for a single token; OpenBLAS's own threads) when the build has
// it (RG_WITH_CBLAS), else to a blocked loop split across std::threads by
// output rows. Attention runs over (token, head) pairs on std::threads.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kernels/decoder.h"

#ifdef RG_WITH_CBLAS
#include <cblas.h>
#endif

namespace rg::kernels {

namespace {

// Runs fn(i) for i in [0, n) on up to `threads` threads (the caller's among
// them). Threads are started per call: the calls are coarse (a GEMM, one
// layer's attention), and a pool would be state to keep alive per model.
template <typename Fn>
void parallel_for(int threads, std::size_t n, Fn fn) {
  const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, threads)), n);
  if (workers <= 1) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  const auto run = [&] {
    for (std::size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(run);
  run();
  for (auto& t : pool) t.join();
}

#ifndef RG_WITH_CBLAS
// C[i0 .. i0+R, j_begin .. j_end] of matmul_nt, 4 columns at a time. Each
// dot product keeps 4 partial sums (k mod 4) that are added at the end: the
// compiler may not reorder a float reduction itself, and one running sum per
// output would leave the SIMD units idle.
template <int R>
void matmul_tile(int i0, int j_begin, int j_end, int N, int K, const float* A, const float* W, float* C) {
  constexpr int kLanes = 4;
  const int k_main = K - K % kLanes;
  const float* a[R];
  for (int r = 0; r < R; ++r) a[r] = A + static_cast<std::size_t>(i0 + r) * K;
  for (int j0 = j_begin; j0 < j_end; j0 += 4) {
    const int nj = std::min(4, j_end - j0);
    const float* w[4];
    // A short last tile repeats its last column; the extra results are dropped.
    for (int c = 0; c < 4; ++c) w[c] = W + static_cast<std::size_t>(j0 + std::min(c, nj - 1)) * K;
    float acc[R][4][kLanes] = {};
    for (int k = 0; k < k_main; k += kLanes)
      for (int r = 0; r < R; ++r)
        for (int c = 0; c < 4; ++c)
          for (int l = 0; l < kLanes; ++l) acc[r][c][l] += a[r][k + l] * w[c][k + l];
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < nj; ++c) {
        float sum = (acc[r][c][0] + acc[r][c][1]) + (acc[r][c][2] + acc[r][c][3]);
        for (int k = k_main; k < K; ++k) sum += a[r][k] * w[c][k];
        C[static_cast<std::size_t>(i0 + r) * N + j0 + c] = sum;
      }
  }
}
#endif

// C[M, N] = A[M, K] * W[N, K]^T: activations times a weight in PyTorch's
// Linear layout (both operands read along contiguous rows of length K).
void matmul_nt(int threads, int M, int N, int K, const float* A, const float* W, float* C) {
#ifdef RG_WITH_CBLAS
  (void)threads;
  if (M == 1) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, 1.0f, W, K, A, 1, 0.0f, C, 1);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, W, K, 0.0f, C, N);
  }
#else
  // Blocks of 64 output columns (weight rows) per task, so a single token
  // (decode) still spreads over every thread; inside, tiles of R x 4 dot
  // products (R = 4 token rows, fewer at the edge) in registers.
  constexpr int kColumns = 64;
  const std::size_t tasks = static_cast<std::size_t>((N + kColumns - 1) / kColumns);
  const double flops = 2.0 * M * N * K;
  parallel_for(flops < 1e6 ? 1 : threads, tasks, [&](std::size_t task) {
    const int j_begin = static_cast<int>(task) * kColumns;
    const int j_end = std::min(N, j_begin + kColumns);
    for (int i0 = 0; i0 < M; i0 += 4) {
      switch (std::min(4, M - i0)) {
        case 1: matmul_tile<1>(i0, j_begin, j_end, N, K, A, W, C); break;
        case 2: matmul_tile<2>(i0, j_begin, j_end, N, K, A, W, C); break;
        case 3: matmul_tile<3>(i0, j_begin, j_end, N, K, A, W, C); break;
        default: matmul_tile<4>(i0, j_begin, j_end, N, K, A, W, C); break;
      }
    }
  });
#endif
}

// out = RMSNorm(x) * weight per row, as HF's LlamaRMSNorm in fp32 (the mean
// of squares is summed in double: closer to torch's pairwise fp32 sum than a
// running fp32 sum would be).
void rms_norm(int rows, int H, const float* x, const std::vector<float>& weight, float eps, float* out) {
  for (int t = 0; t < rows; ++t) {
    const float* xr = x + static_cast<std::size_t>(t) * H;
    float* o = out + static_cast<std::size_t>(t) * H;
    double sum_sq = 0.0;
    for (int i = 0; i < H; ++i) sum_sq += static_cast<double>(xr[i]) * xr[i];
    const float mean_sq = static_cast<float>(sum_sq / H);
    const float inv_rms = 1.0f / std::sqrt(mean_sq + eps);
    for (int i = 0; i < H; ++i) o[i] = weight[static_cast<std::size_t>(i)] * (xr[i] * inv_rms);
  }
}

struct CpuLayer {
  std::vector<float> attn_norm, wq, wk, wv, bq, bk, bv, wo, ffn_norm, w_gate, w_up, w_down;
};

// Everything a session reads: immutable after make_cpu_decoder, shared.
struct CpuWeights {
  DecoderConfig config;
  int threads = 1;
  std::vector<float> embed, output_norm, output;  // output empty when tied
  std::vector<CpuLayer> layers;
  std::vector<float> inv_freq;  // rope_inverse_frequencies(config)
  const float* logit_matrix() const { return output.empty() ? embed.data() : output.data(); }
};

// Rotates heads x head_dim values of each of `rows` vectors in place; row t
// sits at position first_position + t.
void apply_rope(const CpuWeights& w, int rows, int heads, int first_position, float* x) {
  const int D = w.config.head_dim, half = D / 2;
  const bool interleaved = w.config.rope_style == RopeStyle::kInterleaved;
  std::vector<float> cos_v(static_cast<std::size_t>(half)), sin_v(static_cast<std::size_t>(half));
  for (int t = 0; t < rows; ++t) {
    const float position = static_cast<float>(first_position + t);
    for (int i = 0; i < half; ++i) {
      const float angle = position * w.inv_freq[static_cast<std::size_t>(i)];
      cos_v[static_cast<std::size_t>(i)] = std::cos(angle);
      sin_v[static_cast<std::size_t>(i)] = std::sin(angle);
    }
    for (int h = 0; h < heads; ++h) {
      float* v = x + (static_cast<std::size_t>(t) * heads + h) * D;
      for (int i = 0; i < half; ++i) {
        // The pair (a, b) is (i, i + D/2) for HF's rotate_half, (2i, 2i+1)
        // for GGUF llama: a' = a cos - b sin, b' = b cos + a sin.
        const int ia = interleaved ? 2 * i : i;
        const int ib = interleaved ? 2 * i + 1 : i + half;
        const float a = v[ia], b = v[ib];
        const float c = cos_v[static_cast<std::size_t>(i)], s = sin_v[static_cast<std::size_t>(i)];
        v[ia] = a * c + (-b) * s;
        v[ib] = b * c + a * s;
      }
    }
  }
}

void add_bias(int rows, int n, const std::vector<float>& bias, float* y) {
  if (bias.empty()) return;
  for (int t = 0; t < rows; ++t)
    for (int i = 0; i < n; ++i) y[static_cast<std::size_t>(t) * n + i] += bias[static_cast<std::size_t>(i)];
}

class CpuSession final : public DecoderSession {
 public:
  CpuSession(std::shared_ptr<const CpuWeights> weights, int capacity)
      : w_(std::move(weights)), capacity_(capacity) {
    const DecoderConfig& c = w_->config;
    const std::size_t cache = static_cast<std::size_t>(c.layers) * c.kv_heads * capacity_ * c.head_dim;
    k_cache_.assign(cache, 0.0f);
    v_cache_.assign(cache, 0.0f);
  }

  std::int32_t prefill(std::span<const std::int32_t> tokens, const SamplingParams& params,
                       std::vector<float>* logits, bool all_logits) override {
    check(tokens);
    const int V = w_->config.vocab_size;
    std::vector<float> rows;
    forward(tokens, all_logits && logits != nullptr, rows);
    history_.insert(history_.end(), tokens.begin(), tokens.end());
    const std::span<const float> last(rows.data() + rows.size() - static_cast<std::size_t>(V),
                                      static_cast<std::size_t>(V));
    const std::int32_t next = sample_cpu(last, params, history_, position());
    if (logits) *logits = std::move(rows);
    return next;
  }

  std::int32_t decode(std::int32_t token, const SamplingParams& params, std::vector<float>* logits) override {
    return prefill(std::span<const std::int32_t>(&token, 1), params, logits, false);
  }

  int position() const override { return static_cast<int>(history_.size()); }
  int capacity() const override { return capacity_; }
  void reset() override { history_.clear(); }

 private:
  // Throws before anything changes, so a rejected call leaves the session as it was.
  void check(std::span<const std::int32_t> tokens) const {
    if (tokens.empty()) throw std::invalid_argument("cpu decoder: no tokens to process");
    const int V = w_->config.vocab_size;
    for (std::size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i] < 0 || tokens[i] >= V)
        throw std::invalid_argument("cpu decoder: token id " + std::to_string(tokens[i]) + " (at " +
                                    std::to_string(i) + ") out of range [0, " + std::to_string(V) + ")");
    if (static_cast<std::size_t>(position()) + tokens.size() > static_cast<std::size_t>(capacity_))
      throw std::invalid_argument("cpu decoder: " + std::to_string(position()) + " tokens + " +
                                  std::to_string(tokens.size()) + " new exceed the session's capacity of " +
                                  std::to_string(capacity_));
  }

  float* cache_row(std::vector<float>& cache, int layer, int kv_head, int pos) {
    const DecoderConfig& c = w_->config;
    return cache.data() +
           ((static_cast<std::size_t>(layer) * c.kv_heads + kv_head) * capacity_ + pos) * c.head_dim;
  }

  // Runs the tokens through the model at positions position() onward,
  // filling the KV cache; `out` gets the logits of every token (all) or of
  // the last one.
  void forward(std::span<const std::int32_t> tokens, bool all, std::vector<float>& out) {
    const CpuWeights& w = *w_;
    const DecoderConfig& c = w.config;
    const int T = static_cast<int>(tokens.size());
    const int H = c.hidden, D = c.head_dim, NQ = c.heads, NKV = c.kv_heads, I = c.intermediate;
    const int Q = NQ * D, KV = NKV * D, group = NQ / NKV;
    const int p0 = position();
    const auto sz = [](int a, int b) { return static_cast<std::size_t>(a) * static_cast<std::size_t>(b); };

    std::vector<float> x(sz(T, H)), h(sz(T, H)), q(sz(T, Q)), k(sz(T, KV)), v(sz(T, KV));
    std::vector<float> attn(sz(T, Q)), gate(sz(T, I)), up(sz(T, I));
    for (int t = 0; t < T; ++t)
      std::copy_n(w.embed.data() + sz(tokens[static_cast<std::size_t>(t)], H), H, x.data() + sz(t, H));
    const float scale = 1.0f / std::sqrt(static_cast<float>(D));

    for (int l = 0; l < c.layers; ++l) {
      const CpuLayer& L = w.layers[static_cast<std::size_t>(l)];
      rms_norm(T, H, x.data(), L.attn_norm, c.rms_norm_eps, h.data());
      matmul_nt(w.threads, T, Q, H, h.data(), L.wq.data(), q.data());
      matmul_nt(w.threads, T, KV, H, h.data(), L.wk.data(), k.data());
      matmul_nt(w.threads, T, KV, H, h.data(), L.wv.data(), v.data());
      add_bias(T, Q, L.bq, q.data());
      add_bias(T, KV, L.bk, k.data());
      add_bias(T, KV, L.bv, v.data());
      apply_rope(w, T, NQ, p0, q.data());
      apply_rope(w, T, NKV, p0, k.data());
      for (int t = 0; t < T; ++t)
        for (int g = 0; g < NKV; ++g) {
          std::copy_n(k.data() + sz(t, KV) + sz(g, D), D, cache_row(k_cache_, l, g, p0 + t));
          std::copy_n(v.data() + sz(t, KV) + sz(g, D), D, cache_row(v_cache_, l, g, p0 + t));
        }

      // Causal attention: token t sees positions first .. p0 + t (first = 0,
      // or the start of the sliding window). Query head n reads kv head
      // n / group (GQA).
      const std::size_t pairs = sz(T, NQ);
      const double work = static_cast<double>(pairs) * (p0 + T) * D;
      parallel_for(work < 2e5 ? 1 : w.threads, pairs, [&](std::size_t pair) {
        const int t = static_cast<int>(pair / static_cast<std::size_t>(NQ));
        const int n = static_cast<int>(pair % static_cast<std::size_t>(NQ));
        const int g = n / group, pos = p0 + t;
        const int first = c.sliding_window > 0 ? std::max(0, pos - c.sliding_window + 1) : 0;
        const int keys = pos + 1 - first;
        const float* qv = q.data() + sz(t, Q) + sz(n, D);
        std::vector<float> p(static_cast<std::size_t>(keys));
        float max_score = -INFINITY;
        for (int j = 0; j < keys; ++j) {
          const float* kv = cache_row(k_cache_, l, g, first + j);
          float dot = 0.0f;
          for (int d = 0; d < D; ++d) dot += qv[d] * kv[d];
          p[static_cast<std::size_t>(j)] = dot * scale;
          max_score = std::max(max_score, p[static_cast<std::size_t>(j)]);
        }
        float sum = 0.0f;
        for (float& s : p) {
          s = std::exp(s - max_score);
          sum += s;
        }
        float* o = attn.data() + sz(t, Q) + sz(n, D);
        std::fill_n(o, D, 0.0f);
        for (int j = 0; j < keys; ++j) {
          const float pj = p[static_cast<std::size_t>(j)] / sum;
          const float* vv = cache_row(v_cache_, l, g, first + j);
          for (int d = 0; d < D; ++d) o[d] += pj * vv[d];
        }
      });

      matmul_nt(w.threads, T, H, Q, attn.data(), L.wo.data(), h.data());
      for (std::size_t i = 0; i < x.size(); ++i) x[i] += h[i];

      rms_norm(T, H, x.data(), L.ffn_norm, c.rms_norm_eps, h.data());
      matmul_nt(w.threads, T, I, H, h.data(), L.w_gate.data(), gate.data());
      matmul_nt(w.threads, T, I, H, h.data(), L.w_up.data(), up.data());
      for (std::size_t i = 0; i < gate.size(); ++i) {
        const float g = gate[i];
        gate[i] = g / (1.0f + std::exp(-g)) * up[i];  // SiLU(gate) * up
      }
      matmul_nt(w.threads, T, H, I, gate.data(), L.w_down.data(), h.data());
      for (std::size_t i = 0; i < x.size(); ++i) x[i] += h[i];
    }

    const int rows = all ? T : 1;
    const float* last = x.data() + sz(T - rows, H);
    rms_norm(rows, H, last, w.output_norm, c.rms_norm_eps, h.data());
    out.assign(sz(rows, c.vocab_size), 0.0f);
    matmul_nt(w.threads, rows, c.vocab_size, H, h.data(), w.logit_matrix(), out.data());
  }

  std::shared_ptr<const CpuWeights> w_;
  int capacity_;
  std::vector<float> k_cache_, v_cache_;  // [layers][kv_heads][capacity][head_dim]
  std::vector<std::int32_t> history_;     // every token so far (for the repetition penalty)
};

class CpuModel final : public DecoderModel {
 public:
  explicit CpuModel(std::shared_ptr<const CpuWeights> weights) : w_(std::move(weights)) {}
  const DecoderConfig& config() const override { return w_->config; }
  std::string describe() const override { return "cpu"; }
  std::unique_ptr<DecoderSession> new_session(int max_tokens) override {
    const int limit = w_->config.max_positions;
    if (max_tokens <= 0 || (limit > 0 && max_tokens > limit))
      throw std::invalid_argument("cpu decoder: session of " + std::to_string(max_tokens) +
                                  " tokens; must be in [1, " +
                                  (limit > 0 ? std::to_string(limit) : std::string("inf")) +
                                  "] (config.max_positions)");
    return std::make_unique<CpuSession>(w_, max_tokens);
  }

 private:
  std::shared_ptr<const CpuWeights> w_;
};

std::vector<float> optional_f32(const TensorView& t) { return t.empty() ? std::vector<float>{} : to_f32(t); }

}  // namespace

std::unique_ptr<DecoderModel> make_cpu_decoder(const DecoderWeights& weights, int threads) {
  if (const std::string problem = validate(weights); !problem.empty())
    throw std::invalid_argument("make_cpu_decoder: " + problem);
  auto w = std::make_shared<CpuWeights>();
  w->config = weights.config;
  w->threads = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  w->embed = to_f32(weights.tok_embeddings);
  w->output_norm = to_f32(weights.output_norm);
  w->output = optional_f32(weights.output);
  for (const DecoderLayerWeights& L : weights.layers) {
    CpuLayer& out = w->layers.emplace_back();
    out.attn_norm = to_f32(L.attn_norm);
    out.wq = to_f32(L.wq);
    out.wk = to_f32(L.wk);
    out.wv = to_f32(L.wv);
    out.bq = optional_f32(L.bq);
    out.bk = optional_f32(L.bk);
    out.bv = optional_f32(L.bv);
    out.wo = to_f32(L.wo);
    out.ffn_norm = to_f32(L.ffn_norm);
    out.w_gate = to_f32(L.w_gate);
    out.w_up = to_f32(L.w_up);
    out.w_down = to_f32(L.w_down);
  }
  w->inv_freq = rope_inverse_frequencies(w->config);
  return std::make_unique<CpuModel>(std::move(w));
}

}  // namespace rg::kernels
