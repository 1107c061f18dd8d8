// tests/gpu/encoder/encoder_gpu_check.cc: the GPU encoder (fp32, bf16) and the
// CPU encoder against Hugging Face reference embeddings.
//
//   encoder_gpu_check MODEL_DIR...
//
// Each MODEL_DIR holds config.json, model.safetensors and expected.json as
// written by tests/data/encoder/make_fixture.py (or
// tests/gpu/encoder/make_long_fixture.py): per sentence its token ids and
// the fp32 mean- and CLS-pooled normalised embeddings from HF BertModel. All
// sentences go through as one padded batch. Prints the smallest per-sentence
// cosine for every path; exits 1 when GPU fp32 or CPU is under 0.9999 or
// bf16 under 0.99. With retrieval/transformer built in
// (RG_HAVE_TRANSFORMER_EMBEDDER), folders that have a tokenizer.json and the
// sentences' text also go text -> vector through TransformerEmbedder (its
// WordPiece tokenizer, sorting and batching) on the GPU and on the CPU.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "kernels/encoder.h"
#ifdef RG_HAVE_TRANSFORMER_EMBEDDER
#include "retrieval/transformer/transformer_embedder.h"
#endif
#include "tests/gpu/encoder/hf_folder.h"
#include "tests/gpu/encoder_test_util.h"

namespace {

using namespace rg::kernels;
using rg::kernels::testing::min_cosine;

double max_abs(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
  return a.size() == b.size() ? m : INFINITY;
}

struct Row {
  std::string model, path;
  double cos_mean, cos_cls, err_mean;
  double threshold;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_DIR...\n", argv[0]);
    return 2;
  }
  std::vector<Row> rows;
  bool ok = true;
  for (int a = 1; a < argc; ++a) {
    const std::string dir = argv[a];
    std::string name = dir;
    while (!name.empty() && name.back() == '/') name.pop_back();
    name = name.substr(name.find_last_of('/') + 1);
    EncoderWeights w;
    nlohmann::json expected;
    try {
      w = testing::load_hf_bert(dir);
      expected = nlohmann::json::parse(testing::read_file(dir + "/expected.json"));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", dir.c_str(), e.what());
      return 2;
    }
    const auto& sentences = expected.at("embeddings").at("sentences");
    const int H = w.config.hidden;
    EncoderBatch b;
    b.batch = static_cast<int>(sentences.size());
    for (const auto& s : sentences) b.seq_len = std::max<int>(b.seq_len, s.at("ids").size());
    b.ids.assign(static_cast<size_t>(b.batch) * b.seq_len, 0);
    b.type_ids.assign(b.ids.size(), 0);
    b.mask.assign(b.ids.size(), 0);
    std::vector<float> ref_mean, ref_cls;
    int i = 0;
    for (const auto& s : sentences) {
      const auto& ids = s.at("ids");
      for (size_t k = 0; k < ids.size(); ++k) {
        b.ids[static_cast<size_t>(i) * b.seq_len + k] = ids[k];
        b.mask[static_cast<size_t>(i) * b.seq_len + k] = 1;
      }
      for (float v : s.at("mean")) ref_mean.push_back(v);
      for (float v : s.at("cls")) ref_cls.push_back(v);
      ++i;
    }
    std::printf("%s: hidden %d, layers %d, heads %d, intermediate %d; %d sentences padded to %d tokens\n",
                name.c_str(), H, w.config.layers, w.config.heads, w.config.intermediate, b.batch,
                b.seq_len);

    auto add = [&](const std::string& path, const std::vector<float>& mean,
                   const std::vector<float>& cls, double threshold) {
      Row r{name, path, min_cosine(mean, ref_mean, H), min_cosine(cls, ref_cls, H),
            max_abs(mean, ref_mean), threshold};
      if (!(r.cos_mean >= threshold && r.cos_cls >= threshold)) ok = false;
      rows.push_back(r);
    };
    for (GpuPrecision p : {GpuPrecision::kFp32, GpuPrecision::kBf16}) {
      const bool fp32 = p == GpuPrecision::kFp32;
      for (const char* graphs : {"1", "0"}) {
        if (!fp32 && graphs[0] == '0') continue;
        setenv("RG_GPU_ENCODER_GRAPHS", graphs, 1);
        std::string error;
        auto enc = GpuEncoder::create(w, p, &error);
        if (!enc) {
          std::fprintf(stderr, "GpuEncoder::create: %s\n", error.c_str());
          return 1;
        }
        try {
          const auto mean = enc->encode(b, Pooling::kMean);
          const auto cls = enc->encode(b, Pooling::kCls);
          // Second and third batch of the shape: graph capture, then replay.
          const auto captured = enc->encode(b, Pooling::kMean);
          const auto replayed = enc->encode(b, Pooling::kMean);
          std::printf("  %s graphs=%s: eager vs graph max |diff| %.3e, replay %s\n",
                      fp32 ? "fp32" : "bf16", graphs, max_abs(mean, captured),
                      replayed == captured ? "bitwise equal" : "DIFFERS");
          if (replayed != captured || min_cosine(mean, captured, H) < 0.999999) ok = false;
          add(std::string("gpu ") + (fp32 ? "fp32" : "bf16") + (graphs[0] == '0' ? " (no graph)" : ""),
              mean, cls, fp32 ? 0.9999 : 0.99);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "encode: %s\n", e.what());
          return 1;
        }
      }
    }
#ifdef RG_HAVE_TRANSFORMER_EMBEDDER
    {
      std::ifstream has_tokenizer(dir + "/tokenizer.json");
      const auto& emb = expected.at("embeddings");
      if (has_tokenizer && !sentences.empty() && sentences[0].contains("text")) {
        std::vector<std::string> texts;
        for (const auto& s : sentences) texts.push_back(s.at("text"));
        using rg::retrieval::TransformerEmbedder;
        for (int k = 0; k < 3; ++k) {
          TransformerEmbedder::Options o;
          o.device = k == 2 ? TransformerEmbedder::Device::kCpu : TransformerEmbedder::Device::kCuda;
          o.gpu_precision = k == 1 ? GpuPrecision::kBf16 : GpuPrecision::kFp32;
          o.max_seq_len = emb.value("max_length", 0);
          std::string error;
          auto e = TransformerEmbedder::load(dir, o, &error);
          if (!e) {
            std::printf("  TransformerEmbedder::load: %s\n", error.c_str());
            ok = false;
            continue;
          }
          std::vector<float> flat;
          for (const auto& v : e->embed(texts)) flat.insert(flat.end(), v.begin(), v.end());
          const char* names[] = {"text->vec gpu fp32", "text->vec gpu bf16", "text->vec cpu"};
          Row r{name, names[k], min_cosine(flat, ref_mean, H), NAN, max_abs(flat, ref_mean),
                k == 1 ? 0.99 : 0.9999};
          if (!(r.cos_mean >= r.threshold)) ok = false;
          rows.push_back(r);
        }
      }
    }
#endif
#ifdef RG_HAVE_ENCODE_CPU
    add("cpu encode_cpu", encode_cpu(w, b, Pooling::kMean), encode_cpu(w, b, Pooling::kCls), 0.9999);
#else
    std::printf("  (encode_cpu is not in this build: CPU path not checked)\n");
#endif
  }
  std::printf("\n%-14s %-20s %16s %16s %14s\n", "model", "path", "min cos (mean)", "min cos (CLS)",
              "max |err| mean");
  for (const Row& r : rows) {
    std::printf("%-14s %-20s %16.8f %16.8f %14.3e%s\n", r.model.c_str(), r.path.c_str(), r.cos_mean,
                r.cos_cls, r.err_mean,
                r.cos_mean >= r.threshold && (std::isnan(r.cos_cls) || r.cos_cls >= r.threshold)
                    ? ""
                    : "   FAIL");
  }
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
