// tests/unit/retrieval/encoder_test_util.h: helpers shared by the transformer
// encoder tests: temporary folders, the fixture folder, random model folders
// (config.json + model.safetensors + tokenizer.json written here), and a
// naive double-precision reference forward pass.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "kernels/encoder.h"
#include "kernels/formats/safetensors.h"

#ifndef RG_ENCODER_FIXTURE_DIR
#define RG_ENCODER_FIXTURE_DIR "tests/data/encoder/tiny"
#endif

namespace rg::test {

namespace fs = std::filesystem;

// The fixture made by tests/data/encoder/make_fixture.py; "" when absent.
inline std::string fixture_dir() {
  const fs::path p(RG_ENCODER_FIXTURE_DIR);
  if (fs::exists(p / "expected.json") && fs::exists(p / "model.safetensors")) return p.string();
  return "";
}

inline nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("rg_encoder_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Random weights of the given shape (std 1/sqrt(fan_in), LayerNorm gains
// around 1), like make_fixture.py.
inline kernels::EncoderWeights random_weights(const kernels::EncoderConfig& c, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  auto fill = [&](std::vector<float>& v, std::size_t n, float scale, float offset = 0.0f) {
    v.resize(n);
    for (float& x : v) x = offset + scale * nd(rng);
  };
  const std::size_t H = static_cast<std::size_t>(c.hidden), I = static_cast<std::size_t>(c.intermediate);
  kernels::EncoderWeights w;
  w.config = c;
  fill(w.word_emb, static_cast<std::size_t>(c.vocab_size) * H, 1.0f);
  fill(w.pos_emb, static_cast<std::size_t>(c.max_positions) * H, 1.0f);
  fill(w.type_emb, static_cast<std::size_t>(c.type_vocab_size) * H, 1.0f);
  fill(w.emb_ln_g, H, 0.1f, 1.0f);
  fill(w.emb_ln_b, H, 0.1f);
  const float sh = 1.0f / std::sqrt(static_cast<float>(H)), si = 1.0f / std::sqrt(static_cast<float>(I));
  w.layers.resize(static_cast<std::size_t>(c.layers));
  for (auto& L : w.layers) {
    fill(L.q_w, H * H, sh); fill(L.q_b, H, 0.1f);
    fill(L.k_w, H * H, sh); fill(L.k_b, H, 0.1f);
    fill(L.v_w, H * H, sh); fill(L.v_b, H, 0.1f);
    fill(L.o_w, H * H, sh); fill(L.o_b, H, 0.1f);
    fill(L.attn_ln_g, H, 0.1f, 1.0f); fill(L.attn_ln_b, H, 0.1f);
    fill(L.ff1_w, I * H, sh); fill(L.ff1_b, I, 0.1f);
    fill(L.ff2_w, H * I, si); fill(L.ff2_b, H, 0.1f);
    fill(L.ffn_ln_g, H, 0.1f, 1.0f); fill(L.ffn_ln_b, H, 0.1f);
  }
  return w;
}

// Naive forward pass in double over the padded batch (HF's way: every
// position computed, masked keys get a large negative score).
inline std::vector<double> reference_encode(const kernels::EncoderWeights& w,
                                            const kernels::EncoderBatch& b, kernels::Pooling pooling) {
  const auto& c = w.config;
  const int H = c.hidden, NH = c.heads, D = H / NH, I = c.intermediate, S = b.seq_len;
  std::vector<double> out(static_cast<std::size_t>(b.batch) * H);
  auto ln = [&](std::vector<double>& x, const std::vector<float>& g, const std::vector<float>& be) {
    double m = 0, v = 0;
    for (double a : x) m += a;
    m /= H;
    for (double a : x) v += (a - m) * (a - m);
    v /= H;
    for (int i = 0; i < H; ++i) x[i] = (x[i] - m) / std::sqrt(v + c.layer_norm_eps) * g[i] + be[i];
  };
  auto lin = [&](const std::vector<double>& x, const std::vector<float>& W, const std::vector<float>& bias,
                 int n_out) {
    const int n_in = static_cast<int>(x.size());
    std::vector<double> y(static_cast<std::size_t>(n_out));
    for (int o = 0; o < n_out; ++o) {
      double s = bias[o];
      for (int i = 0; i < n_in; ++i) s += static_cast<double>(W[static_cast<std::size_t>(o) * n_in + i]) * x[i];
      y[o] = s;
    }
    return y;
  };
  for (int bi = 0; bi < b.batch; ++bi) {
    std::vector<std::vector<double>> x(static_cast<std::size_t>(S), std::vector<double>(H));
    for (int s = 0; s < S; ++s) {
      const std::size_t idx = static_cast<std::size_t>(bi) * S + s;
      const int id = b.ids[idx], tt = b.type_ids.empty() ? 0 : b.type_ids[idx];
      for (int i = 0; i < H; ++i)
        x[s][i] = static_cast<double>(w.word_emb[static_cast<std::size_t>(id) * H + i]) +
                  w.pos_emb[static_cast<std::size_t>(s) * H + i] + w.type_emb[static_cast<std::size_t>(tt) * H + i];
      ln(x[s], w.emb_ln_g, w.emb_ln_b);
    }
    for (const auto& L : w.layers) {
      std::vector<std::vector<double>> q(S), k(S), v(S), ctx(S, std::vector<double>(H, 0.0));
      for (int s = 0; s < S; ++s) {
        q[s] = lin(x[s], L.q_w, L.q_b, H);
        k[s] = lin(x[s], L.k_w, L.k_b, H);
        v[s] = lin(x[s], L.v_w, L.v_b, H);
      }
      for (int h = 0; h < NH; ++h) {
        for (int i = 0; i < S; ++i) {
          std::vector<double> p(static_cast<std::size_t>(S));
          double mx = -1e300;
          for (int j = 0; j < S; ++j) {
            double d = 0;
            for (int e = 0; e < D; ++e) d += q[i][h * D + e] * k[j][h * D + e];
            d /= std::sqrt(static_cast<double>(D));
            if (b.mask[static_cast<std::size_t>(bi) * S + j] == 0) d += -3.4028234663852886e38;
            p[j] = d;
            mx = std::max(mx, d);
          }
          double sum = 0;
          for (double& a : p) sum += (a = std::exp(a - mx));
          for (int j = 0; j < S; ++j)
            for (int e = 0; e < D; ++e) ctx[i][h * D + e] += p[j] / sum * v[j][h * D + e];
        }
      }
      for (int s = 0; s < S; ++s) {
        std::vector<double> y = lin(ctx[s], L.o_w, L.o_b, H);
        for (int i = 0; i < H; ++i) y[i] += x[s][i];
        ln(y, L.attn_ln_g, L.attn_ln_b);
        std::vector<double> f = lin(y, L.ff1_w, L.ff1_b, I);
        for (double& a : f) {
          switch (c.activation) {
            case kernels::Activation::kGeluErf: a = 0.5 * a * (1 + std::erf(a / std::sqrt(2.0))); break;
            case kernels::Activation::kGeluTanh:
              a = 0.5 * a * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (a + 0.044715 * a * a * a)));
              break;
            case kernels::Activation::kRelu: a = a > 0 ? a : 0; break;
          }
        }
        std::vector<double> z = lin(f, L.ff2_w, L.ff2_b, H);
        for (int i = 0; i < H; ++i) z[i] += y[i];
        ln(z, L.ffn_ln_g, L.ffn_ln_b);
        x[s] = z;
      }
    }
    double* o = out.data() + static_cast<std::size_t>(bi) * H;
    if (pooling == kernels::Pooling::kCls) {
      for (int i = 0; i < H; ++i) o[i] = x[0][i];
    } else {
      int n = 0;
      for (int s = 0; s < S; ++s) {
        if (!b.mask[static_cast<std::size_t>(bi) * S + s]) continue;
        ++n;
        for (int i = 0; i < H; ++i) o[i] += x[s][i];
      }
      for (int i = 0; i < H; ++i) o[i] /= std::max(n, 1);
    }
    double norm = 0;
    for (int i = 0; i < H; ++i) norm += o[i] * o[i];
    norm = std::max(std::sqrt(norm), 1e-12);
    for (int i = 0; i < H; ++i) o[i] /= norm;
  }
  return out;
}

// Writes weights as a HF model folder: config.json + model.safetensors (with
// `prefix` before every tensor name, stored as `dtype`).
inline bool write_model_folder(const std::string& dir, const kernels::EncoderWeights& w,
                               const std::string& prefix = "", const std::string& dtype = "F32",
                               std::string* error = nullptr) {
  const auto& c = w.config;
  nlohmann::json cfg = {{"model_type", "bert"},
                        {"hidden_size", c.hidden},
                        {"num_hidden_layers", c.layers},
                        {"num_attention_heads", c.heads},
                        {"intermediate_size", c.intermediate},
                        {"max_position_embeddings", c.max_positions},
                        {"type_vocab_size", c.type_vocab_size},
                        {"vocab_size", c.vocab_size},
                        {"layer_norm_eps", c.layer_norm_eps},
                        {"hidden_act", c.activation == kernels::Activation::kGeluErf    ? "gelu"
                                       : c.activation == kernels::Activation::kGeluTanh ? "gelu_new"
                                                                                        : "relu"}};
  write_text(dir + "/config.json", cfg.dump(2));
  const std::int64_t H = c.hidden, I = c.intermediate;
  std::vector<kernels::formats::SafeTensorToWrite> t;
  auto add = [&](const std::string& name, std::vector<std::int64_t> shape, const std::vector<float>& v) {
    t.push_back({prefix + name, std::move(shape), v, dtype});
  };
  add("embeddings.word_embeddings.weight", {c.vocab_size, H}, w.word_emb);
  add("embeddings.position_embeddings.weight", {c.max_positions, H}, w.pos_emb);
  add("embeddings.token_type_embeddings.weight", {c.type_vocab_size, H}, w.type_emb);
  add("embeddings.LayerNorm.weight", {H}, w.emb_ln_g);
  add("embeddings.LayerNorm.bias", {H}, w.emb_ln_b);
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    const auto& L = w.layers[l];
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    add(p + "attention.self.query.weight", {H, H}, L.q_w);
    add(p + "attention.self.query.bias", {H}, L.q_b);
    add(p + "attention.self.key.weight", {H, H}, L.k_w);
    add(p + "attention.self.key.bias", {H}, L.k_b);
    add(p + "attention.self.value.weight", {H, H}, L.v_w);
    add(p + "attention.self.value.bias", {H}, L.v_b);
    add(p + "attention.output.dense.weight", {H, H}, L.o_w);
    add(p + "attention.output.dense.bias", {H}, L.o_b);
    add(p + "attention.output.LayerNorm.weight", {H}, L.attn_ln_g);
    add(p + "attention.output.LayerNorm.bias", {H}, L.attn_ln_b);
    add(p + "intermediate.dense.weight", {I, H}, L.ff1_w);
    add(p + "intermediate.dense.bias", {I}, L.ff1_b);
    add(p + "output.dense.weight", {H, I}, L.ff2_w);
    add(p + "output.dense.bias", {H}, L.ff2_b);
    add(p + "output.LayerNorm.weight", {H}, L.ffn_ln_g);
    add(p + "output.LayerNorm.bias", {H}, L.ffn_ln_b);
  }
  return kernels::formats::write_safetensors(dir + "/model.safetensors", t, {{"format", "pt"}}, error);
}

// A BERT tokenizer.json over `vocab` (index = id), uncased, with [CLS] $A [SEP].
inline std::string bert_tokenizer_json(const std::vector<std::string>& vocab, bool lowercase = true,
                                       int max_chars = 100) {
  nlohmann::json v = nlohmann::json::object();
  for (std::size_t i = 0; i < vocab.size(); ++i) v[vocab[i]] = i;
  auto id = [&](const std::string& t) {
    for (std::size_t i = 0; i < vocab.size(); ++i)
      if (vocab[i] == t) return static_cast<int>(i);
    return -1;
  };
  nlohmann::json added = nlohmann::json::array();
  for (const char* s : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"})
    if (id(s) >= 0)
      added.push_back({{"id", id(s)}, {"content", s}, {"single_word", false}, {"lstrip", false},
                       {"rstrip", false}, {"normalized", false}, {"special", true}});
  nlohmann::json j = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer",
       {{"type", "BertNormalizer"}, {"clean_text", true}, {"handle_chinese_chars", true},
        {"strip_accents", nullptr}, {"lowercase", lowercase}}},
      {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}},
                    {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                    {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 0}}}}}},
        {"pair", nlohmann::json::array()},
        {"special_tokens",
         {{"[CLS]", {{"id", "[CLS]"}, {"ids", {id("[CLS]")}}, {"tokens", {"[CLS]"}}}},
          {"[SEP]", {{"id", "[SEP]"}, {"ids", {id("[SEP]")}}, {"tokens", {"[SEP]"}}}}}}}},
      {"decoder", nullptr},
      {"model",
       {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"continuing_subword_prefix", "##"},
        {"max_input_chars_per_word", max_chars}, {"vocab", v}}}};
  return j.dump(1);
}

inline double cosine(const float* a, const double* b, int n) {
  double ab = 0, aa = 0, bb = 0;
  for (int i = 0; i < n; ++i) {
    ab += a[i] * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += b[i] * b[i];
  }
  return ab / std::sqrt(aa * bb + 1e-300);
}

}  // namespace rg::test
