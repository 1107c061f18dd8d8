// bench/embed_bench.cc -> `embed`: sentences per second of every embedder
// this build has.
//
//   embed [--quick]
//   embed --profile fp32|bf16 [BATCH SEQ_LEN]   two eager encodes, nothing else
//                                               (for ncu: scripts/gpu_encoder_check.sh --profile)
//
// CPU: the built-in word-vector embedder and the hashed n-gram fallback
// (retrieval/, when linked: RG_BENCH_HAVE_RETRIEVAL), and the transformer
// encoder (encode_cpu, when this build has it: RG_HAVE_ENCODE_CPU) with a
// random all-MiniLM-L6-v2-shaped model. GPU (RG_WITH_CUDA and a device): the
// same model through GpuEncoder, fp32 and bf16, batch 1 and 256, 16 and 128
// tokens a sentence. The GPU rows give the encoder's FLOP rate as a fraction
// of the fp32 / bf16 matrix rate measured in the same run: an 8192^3 cuBLAS
// GEMM of the encoder's own types (fp32: CUBLAS_COMPUTE_32F without TF32;
// bf16: bf16 inputs, fp32 output and accumulation) on random data.
//
// FLOPs per batch (T = batch * seq_len tokens): layers * (2 T (4 H^2 + 2 H I)
// + 4 batch seq_len^2 H): the six GEMMs and the two attention products.
// Embeddings, LayerNorm, softmax and pooling are not counted.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kernels/encoder.h"
#include "kernels/ops.h"
#include "tests/gpu/encoder_test_util.h"

#ifdef RG_BENCH_HAVE_RETRIEVAL
#include "retrieval/default_embedder.h"
#include "retrieval/ngram_embedder.h"
#endif

#ifdef RG_WITH_CUDA
#include "bench/gpu_limits.h"
#endif

namespace {

using Clock = std::chrono::steady_clock;
using rg::kernels::EncoderBatch;
using rg::kernels::EncoderConfig;
using rg::kernels::Pooling;

bool g_quick = false;

// Median seconds per call of fn(), after `warmup` calls, over at least
// min_reps calls and about min_seconds.
double median_seconds(const std::function<void()>& fn, int warmup, int min_reps,
                      double min_seconds) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> t;
  const auto start = Clock::now();
  while (static_cast<int>(t.size()) < min_reps ||
         std::chrono::duration<double>(Clock::now() - start).count() < min_seconds) {
    const auto a = Clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(Clock::now() - a).count());
    if (t.size() >= 10000) break;
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

EncoderConfig minilm_config() {
  EncoderConfig c;
  c.vocab_size = 30522;
  c.hidden = 384;
  c.layers = 6;
  c.heads = 12;
  c.intermediate = 1536;
  c.max_positions = 512;
  c.type_vocab_size = 2;
  return c;
}

double encoder_flops(const EncoderConfig& c, int batch, int seq_len) {
  const double t = double(batch) * seq_len, h = c.hidden, in = c.intermediate;
  return c.layers * (2 * t * (4 * h * h + 2 * h * in) + 4.0 * batch * seq_len * seq_len * h);
}

struct Row {
  std::string embedder, device, precision;
  int batch = 0, tokens = 0;
  double sentences_per_s = 0, ms_per_batch = 0, tflops = -1, fraction = -1;
};
std::vector<Row> g_rows;

std::vector<std::string> make_sentences(int count, int words, uint32_t seed) {
  static const char* kWords[] = {
      "the", "weather", "today", "is", "good", "how", "can", "i", "reset", "my", "password",
      "please", "tell", "me", "about", "your", "refund", "policy", "what", "are", "opening",
      "hours", "of", "store", "in", "paris", "bot", "user", "express", "greeting", "ask",
      "order", "status", "shipping", "delayed", "account", "locked", "thanks", "hello",
      "world", "would", "like", "to", "cancel", "subscription", "billing", "question"};
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, sizeof(kWords) / sizeof(kWords[0]) - 1);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string s;
    for (int w = 0; w < words; ++w) {
      if (w) s += ' ';
      s += kWords[pick(rng)];
    }
    out.push_back(s);
  }
  return out;
}

EncoderBatch full_batch(const EncoderConfig& c, int batch, int seq_len, uint32_t seed) {
  return rg::kernels::testing::random_batch(c, std::vector<int>(batch, seq_len), seed);
}

#ifdef RG_BENCH_HAVE_RETRIEVAL
void bench_retrieval() {
  std::string notice;
  auto builtin = rg::retrieval::make_builtin_embedder(&notice);
  std::printf("built-in embedder: %s\n", notice.c_str());
  rg::retrieval::HashedNgramEmbedder ngram;
  for (int words : {12, 100}) {
    const int tokens = words == 12 ? 16 : 128;
    const auto sentences = make_sentences(256, words, 7 + words);
    for (auto [name, e] : {std::pair<std::string, const rg::retrieval::Embedder*>{builtin->name(), builtin.get()},
                           {ngram.name(), &ngram}}) {
      const double s = median_seconds([&] { (void)e->embed(sentences); }, 1, 5, g_quick ? 0.2 : 1.0);
      g_rows.push_back({name, "cpu", "fp32", 256, tokens, 256 / s, s * 1e3});
    }
  }
}
#endif

#ifdef RG_HAVE_ENCODE_CPU
void bench_cpu_encoder(const rg::kernels::EncoderWeights& w) {
  for (auto [batch, seq] : {std::pair{1, 16}, {32, 16}, {1, 128}, {32, 128}}) {
    const auto b = full_batch(w.config, batch, seq, 100 + batch + seq);
    const double s = median_seconds([&] { (void)rg::kernels::encode_cpu(w, b, Pooling::kMean); },
                                    1, 3, g_quick ? 0.2 : 1.0);
    const double f = encoder_flops(w.config, batch, seq);
    g_rows.push_back({"minilm-l6 (random)", "cpu", "fp32", batch, seq, batch / s, s * 1e3,
                      f / s / 1e12, -1});
  }
}
#endif

#ifdef RG_WITH_CUDA
// TFLOP/s of an n^3 cuBLAS GEMM with the encoder's types (bench/gpu_limits.h).
double gemm_peak_tflops(bool bf16, int n) {
  return rg::bench::gemm_peak_tflops(bf16 ? CUDA_R_16BF : CUDA_R_32F, CUDA_R_32F, n,
                                     g_quick ? 5 : 15);
}

void bench_gpu_encoder(const rg::kernels::EncoderWeights& w) {
  if (rg_cuda_device_count() == 0) {
    std::printf("GPU: no device, GPU rows skipped\n");
    return;
  }
  cudaDeviceProp prop{};
  RG_BENCH_CK(cudaGetDeviceProperties(&prop, 0));
  const double peak32 = gemm_peak_tflops(false, 8192);
  const double peak16 = gemm_peak_tflops(true, 8192);
  std::printf("GPU: %s, %d SMs; 8192^3 GEMM peak measured now: fp32 %.1f TFLOP/s, bf16 %.1f TFLOP/s\n",
              prop.name, prop.multiProcessorCount, peak32, peak16);
  for (auto p : {rg::kernels::GpuPrecision::kFp32, rg::kernels::GpuPrecision::kBf16}) {
    const bool fp32 = p == rg::kernels::GpuPrecision::kFp32;
    std::string error;
    auto enc = rg::kernels::GpuEncoder::create(w, p, &error);
    if (!enc) {
      std::printf("GpuEncoder::create: %s\n", error.c_str());
      return;
    }
    for (auto [batch, seq] : {std::pair{1, 16}, {1, 128}, {256, 16}, {256, 128}}) {
      const auto b = full_batch(w.config, batch, seq, 200 + batch + seq);
      const double s = median_seconds([&] { (void)enc->encode(b, Pooling::kMean); }, 3, 20,
                                      g_quick ? 0.3 : 1.0);
      const double tf = encoder_flops(w.config, batch, seq) / s / 1e12;
      g_rows.push_back({"minilm-l6 (random)", "gpu", fp32 ? "fp32" : "bf16", batch, seq,
                        batch / s, s * 1e3, tf, tf / (fp32 ? peak32 : peak16)});
    }
  }
}
#endif

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) g_quick = true;
  }
#ifdef RG_WITH_CUDA
  if (argc >= 3 && std::strcmp(argv[1], "--profile") == 0) {
    setenv("RG_GPU_ENCODER_GRAPHS", "0", 1);
    const auto p = std::strcmp(argv[2], "bf16") == 0 ? rg::kernels::GpuPrecision::kBf16
                                                     : rg::kernels::GpuPrecision::kFp32;
    const int batch = argc >= 5 ? std::atoi(argv[3]) : 256;
    const int seq = argc >= 5 ? std::atoi(argv[4]) : 128;
    const auto w = rg::kernels::testing::random_weights(minilm_config(), 1);
    std::string error;
    auto enc = rg::kernels::GpuEncoder::create(w, p, &error);
    if (!enc) {
      std::fprintf(stderr, "GpuEncoder::create: %s\n", error.c_str());
      return 1;
    }
    const auto b = full_batch(w.config, batch, seq, 5);
    for (int i = 0; i < 2; ++i) (void)enc->encode(b, Pooling::kMean);
    std::printf("profiled %s batch %d seq_len %d\n", argv[2], batch, seq);
    return 0;
  }
#endif
#ifdef RG_BENCH_HAVE_RETRIEVAL
  bench_retrieval();
#endif
  const auto weights = rg::kernels::testing::random_weights(minilm_config(), 1);
#ifdef RG_HAVE_ENCODE_CPU
  bench_cpu_encoder(weights);
#else
  std::printf("encode_cpu is not in this build: CPU transformer rows skipped\n");
#endif
#ifdef RG_WITH_CUDA
  bench_gpu_encoder(weights);
#else
  std::printf("built without CUDA: GPU rows skipped\n");
#endif
  std::printf("\n%-22s %-15s %-5s %6s %7s %14s %12s %9s %10s\n", "embedder", "device", "prec",
              "batch", "tokens", "sentences/s", "ms/batch", "TFLOP/s", "% of peak");
  for (const Row& r : g_rows) {
    char tf[32] = "-", frac[32] = "-";
    if (r.tflops >= 0) std::snprintf(tf, sizeof tf, "%.2f", r.tflops);
    if (r.fraction >= 0) std::snprintf(frac, sizeof frac, "%.1f%%", 100 * r.fraction);
    std::printf("%-22s %-15s %-5s %6d %7d %14.0f %12.3f %9s %10s\n", r.embedder.c_str(),
                r.device.c_str(), r.precision.c_str(), r.batch, r.tokens, r.sentences_per_s,
                r.ms_per_batch, tf, frac);
  }
  return 0;
}
