// bench/decode_bench.cc -> `decode`: the GPU decoder engine on real model
// shapes with random weights drawn on the device (no download).
//
//   decode [--quick] [--only 1b|8b] [--steps N] [--prompt N] [--prefill N] [--dtype bf16|f16]
//
// For Llama-3.2-1B (untied, as the issue counts it) and Llama-3-8B shapes:
// batch 1, a 128-token prompt, 256 greedy decode steps (each step timed on the
// host clock from the call to the sampled token in host memory: launch,
// kernels, copy and synchronisation included), repeated 3 times; then the
// prefill of a 2048-token prompt.
//
// Floors, from the device-to-device copy bandwidth B measured in this run:
//   issue floor   = all weight bytes of the model / B (the issue's definition:
//                   16.06 GB for 8B, 3.0 GB for 1B untied)
//   strict floor  = bytes a decode step must read / B: every matrix except the
//                   embedding table (one row of it), norms, and the KV cache
//                   at the mean context of the run
// and the prefill rate against the bf16 cuBLAS 8192^3 GEMM rate measured in
// this run (FLOPs: 2 x matrix parameters x tokens for the layers, the output
// projection of the last token only, plus the causal attention products
// 4 x heads x head_dim x n(n+1)/2 per layer).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <cuda_profiler_api.h>

#include "bench/gpu_limits.h"
#include "kernels/decoder.h"
#include "kernels/ops.h"

namespace {

using Clock = std::chrono::steady_clock;
using rg::kernels::DecoderConfig;

struct Shape {
  const char* name;
  DecoderConfig config;
};

DecoderConfig llama(int hidden, int inter, int layers, int heads, int kv, int hd) {
  DecoderConfig c;
  c.architecture = "llama";
  c.vocab_size = 128256;
  c.hidden = hidden;
  c.intermediate = inter;
  c.layers = layers;
  c.heads = heads;
  c.kv_heads = kv;
  c.head_dim = hd;
  c.max_positions = 131072;
  c.rms_norm_eps = 1e-5f;
  c.rope_theta = 500000.f;
  c.rope_scaling.kind = rg::kernels::RopeScaling::Kind::kLlama3;
  c.rope_scaling.factor = 32.f;
  c.rope_scaling.low_freq_factor = 1.f;
  c.rope_scaling.high_freq_factor = 4.f;
  c.rope_scaling.original_max_positions = 8192;
  c.tied_embeddings = false;
  return c;
}

double matrix_params_per_layer(const DecoderConfig& c) {
  const double h = c.hidden, q = double(c.heads) * c.head_dim, kv = double(c.kv_heads) * c.head_dim;
  return h * (q + 2 * kv) + q * h + 3.0 * h * c.intermediate;
}

double all_weight_bytes(const DecoderConfig& c) {
  const double emb = double(c.vocab_size) * c.hidden;
  const double norms = double(c.hidden) * (2 * c.layers + 1);
  return 2.0 * (emb * (c.tied_embeddings ? 1 : 2) + matrix_params_per_layer(c) * c.layers) +
         4.0 * norms;
}

double decode_read_bytes(const DecoderConfig& c, double mean_context) {
  const double lm_head = double(c.vocab_size) * c.hidden;
  const double norms = double(c.hidden) * (2 * c.layers + 1);
  const double kv = 2.0 * c.layers * c.kv_heads * c.head_dim * mean_context;
  return 2.0 * (matrix_params_per_layer(c) * c.layers + lm_head + c.hidden + kv) + 4.0 * norms;
}

double prefill_flops(const DecoderConfig& c, int n) {
  const double attn = 4.0 * c.heads * c.head_dim * (double(n) * (n + 1) / 2) * c.layers;
  return 2.0 * matrix_params_per_layer(c) * c.layers * n + 2.0 * c.vocab_size * c.hidden + attn;
}

std::vector<int32_t> random_tokens(int n, int vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(0, vocab - 1);
  std::vector<int32_t> v(n);
  for (int32_t& x : v) x = d(rng);
  return v;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string only;
  int steps = 256, prompt = 128, prefill_n = 2048;
  bool profile_prefill = false;
  // --dtype f16: the fp16 engine (same bytes and tensor-core rate on Hopper,
  // so the same floors; the peak stays the bf16 GEMM's).
  rg::kernels::GpuDecoderOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--only" && i + 1 < argc) only = argv[++i];
    else if (a == "--steps" && i + 1 < argc) steps = std::atoi(argv[++i]);
    else if (a == "--prompt" && i + 1 < argc) prompt = std::atoi(argv[++i]);
    else if (a == "--prefill" && i + 1 < argc) prefill_n = std::atoi(argv[++i]);
    else if (a == "--profile-prefill") profile_prefill = true;
    else if (a == "--dtype" && i + 1 < argc && (std::strcmp(argv[i + 1], "bf16") == 0 ||
                                                 std::strcmp(argv[i + 1], "f16") == 0))
      options.precision = std::strcmp(argv[++i], "f16") == 0 ? rg::kernels::DecoderPrecision::kF16
                                                             : rg::kernels::DecoderPrecision::kBF16;
    else {
      std::fprintf(stderr, "usage: decode [--quick] [--only 1b|8b] [--steps N] [--prompt N] [--prefill N] "
                           "[--profile-prefill] [--dtype bf16|f16]\n");
      return 2;
    }
  }
  if (rg_cuda_device_count() == 0) {
    std::printf("decode: SKIPPED: no GPU (CUDA built: %d)\n", rg::kernels::built_with_cuda());
    return 0;
  }
  cudaDeviceProp prop{};
  RG_BENCH_CK(cudaGetDeviceProperties(&prop, 0));
  const double bw = rg::bench::copy_bandwidth_gbs();
  const double peak = rg::bench::gemm_peak_tflops(CUDA_R_16BF, CUDA_R_16BF);
  std::printf("GPU: %s, %d SMs; measured now: copy %.0f GB/s (read + write), bf16 GEMM 8192^3 %.0f TFLOP/s\n",
              prop.name, prop.multiProcessorCount, bw, peak);

  std::vector<Shape> shapes = {{"llama-3.2-1b", llama(2048, 8192, 16, 32, 8, 64)},
                               {"llama-3-8b", llama(4096, 14336, 32, 32, 8, 128)}};
  struct Row {
    std::string name;
    double ms_tok, ms_tok_mean, issue_floor, strict_floor, prefill_tps, prefill2k_ms, prefill2k_tflops;
  };
  std::vector<Row> rows;
  const int repeats = quick ? 1 : 3;
  for (const Shape& s : shapes) {
    if (!only.empty() && std::string(s.name).find(only) == std::string::npos) continue;
    std::string error;
    auto model = rg::kernels::make_gpu_decoder_random(s.config, 42, &error, options);
    if (!model) {
      std::fprintf(stderr, "%s: %s\n", s.name, error.c_str());
      return 1;
    }
    const rg::kernels::SamplingParams greedy;
    auto session = model->new_session(std::max(prompt + steps + 1, prefill_n + 1));
    if (profile_prefill) {
      // Only one prefill of prefill_n tokens inside cudaProfilerStart/Stop
      // (ncu --profile-from-start off), after two warm-up runs.
      const auto long_tokens = random_tokens(prefill_n, s.config.vocab_size, 8);
      for (int r = 0; r < 2; ++r) {
        session->reset();
        session->prefill(long_tokens, greedy);
      }
      session->reset();
      cudaProfilerStart();
      session->prefill(long_tokens, greedy);
      cudaProfilerStop();
      continue;
    }
    const auto tokens = random_tokens(prompt, s.config.vocab_size, 7);
    std::vector<double> step_ms, prefill_ms;
    for (int r = 0; r < repeats + 1; ++r) {  // the first run warms up (graph capture)
      session->reset();
      const auto t0 = Clock::now();
      int32_t tok = session->prefill(tokens, greedy);
      const double pm = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (r > 0) prefill_ms.push_back(pm);
      for (int i = 0; i < steps; ++i) {
        const auto a = Clock::now();
        tok = session->decode(tok, greedy);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - a).count();
        if (r > 0) step_ms.push_back(ms);
      }
    }
    const double mean_ms = std::accumulate(step_ms.begin(), step_ms.end(), 0.0) / step_ms.size();
    const double ms_tok = median(step_ms);
    const double mean_ctx = prompt + steps / 2.0;
    Row row;
    row.name = s.name;
    row.ms_tok = ms_tok;
    row.ms_tok_mean = mean_ms;
    row.issue_floor = all_weight_bytes(s.config) / (bw * 1e9) * 1e3;
    row.strict_floor = decode_read_bytes(s.config, mean_ctx) / (bw * 1e9) * 1e3;
    row.prefill_tps = prompt / (median(prefill_ms) * 1e-3);
    // Prefill of a long prompt (--prefill 0 skips it).
    row.prefill2k_ms = 0;
    row.prefill2k_tflops = 0;
    if (prefill_n > 0) {
    std::vector<double> long_ms;
    const auto long_tokens = random_tokens(prefill_n, s.config.vocab_size, 8);
    for (int r = 0; r < (quick ? 2 : 5) + 1; ++r) {
      session->reset();
      const auto t0 = Clock::now();
      session->prefill(long_tokens, greedy);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (r > 0) long_ms.push_back(ms);
    }
    row.prefill2k_ms = median(long_ms);
    row.prefill2k_tflops = prefill_flops(s.config, prefill_n) / (row.prefill2k_ms * 1e-3) / 1e12;
    }
    rows.push_back(row);
    std::printf("%s: weights %.2f GB (all), decode reads %.2f GB/token; %s\n", s.name,
                all_weight_bytes(s.config) / 1e9, decode_read_bytes(s.config, mean_ctx) / 1e9,
                model->describe().c_str());
  }

  std::printf("\n%-14s %9s %9s %8s %11s %9s %12s %9s %11s %9s %8s\n", "model", "ms/token", "mean ms",
              "tok/s", "issue floor", "of floor", "strict floor", "of strict", "prefill128",
              "prefill2k", "of peak");
  for (const Row& r : rows) {
    std::printf("%-14s %9.3f %9.3f %8.1f %8.3f ms %8.1f%% %9.3f ms %8.1f%% %7.0f t/s %6.1f ms %7.1f%%\n",
                r.name.c_str(), r.ms_tok, r.ms_tok_mean, 1e3 / r.ms_tok, r.issue_floor,
                100.0 * r.issue_floor / r.ms_tok, r.strict_floor, 100.0 * r.strict_floor / r.ms_tok,
                r.prefill_tps, r.prefill2k_ms, 100.0 * r.prefill2k_tflops / peak);
  }
  std::printf("(ms/token: median of %d steps x %d runs, host clock per step incl. sync; prefill2k: "
              "%d tokens, %% of the bf16 GEMM rate above)\n",
              steps, repeats, prefill_n);
  return 0;
}
