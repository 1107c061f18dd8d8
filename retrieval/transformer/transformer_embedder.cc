// retrieval/transformer/transformer_embedder.cc: see transformer_embedder.h.
#include "retrieval/transformer/transformer_embedder.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "retrieval/transformer/encoder_model.h"

namespace rg::retrieval {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Parses a JSON file; false + *error naming it.
bool read_json(const fs::path& path, json* out, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    if (error) *error = path.string() + ": cannot open";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  try {
    *out = json::parse(ss.str());
    return true;
  } catch (const json::parse_error& e) {
    if (error) *error = path.string() + ": invalid JSON: " + e.what();
    return false;
  }
}

std::string folder_name(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string name = p.filename().string();
  if (name.empty() || name == ".") name = fs::absolute(p).lexically_normal().filename().string();
  return name;
}

// sentence-transformers layout: the Transformer module's folder (usually the
// root) and the pooling mode. True when modules.json is absent (defaults).
bool read_modules(const fs::path& root, fs::path* model_dir, kernels::Pooling* pooling,
                  std::string* error) {
  *model_dir = root;
  *pooling = kernels::Pooling::kMean;
  const fs::path modules_path = root / "modules.json";
  if (!fs::exists(modules_path)) return true;
  json modules;
  if (!read_json(modules_path, &modules, error)) return false;
  if (!modules.is_array()) {
    if (error) *error = modules_path.string() + ": not a JSON list of modules";
    return false;
  }
  for (const auto& m : modules) {
    if (!m.is_object()) continue;
    const std::string type = m.value("type", "");
    const std::string path = m.value("path", "");
    if (type.size() >= 11 && type.compare(type.size() - 11, 11, "Transformer") == 0) {
      if (!path.empty()) *model_dir = root / path;
    } else if (type.size() >= 7 && type.compare(type.size() - 7, 7, "Pooling") == 0) {
      const fs::path cfg_path = root / path / "config.json";
      json cfg;
      if (!read_json(cfg_path, &cfg, error)) return false;
      const std::string mode = cfg.value("pooling_mode", "");
      if (mode == "cls" || cfg.value("pooling_mode_cls_token", false)) {
        *pooling = kernels::Pooling::kCls;
      } else if (mode == "mean" || cfg.value("pooling_mode_mean_tokens", false)) {
        *pooling = kernels::Pooling::kMean;
      } else {
        if (error)
          *error = cfg_path.string() +
                   ": pooling mode is neither CLS nor mean tokens (max, mean_sqrt_len, "
                   "weightedmean, lasttoken are not supported)";
        return false;
      }
    }
  }
  return true;
}

}  // namespace

TransformerEmbedder::~TransformerEmbedder() = default;

std::unique_ptr<TransformerEmbedder> TransformerEmbedder::load(const std::string& dir,
                                                               const Options& options,
                                                               std::string* error) {
  std::unique_ptr<TransformerEmbedder> e(new TransformerEmbedder());
  const fs::path root(dir);
  if (!fs::is_directory(root)) {
    if (error) *error = dir + ": not a model folder";
    return nullptr;
  }
  e->name_ = "transformer:" + folder_name(dir);
  fs::path model_dir;
  if (!read_modules(root, &model_dir, &e->pooling_, error)) return nullptr;

  fs::path tok_path = model_dir / "tokenizer.json";
  if (!fs::exists(tok_path) && fs::exists(root / "tokenizer.json")) tok_path = root / "tokenizer.json";
  e->tokenizer_ = WordPieceTokenizer::from_file(tok_path.string(), error);
  if (!e->tokenizer_) return nullptr;

  kernels::EncoderWeights weights;
  if (!load_encoder_weights(model_dir.string(), &weights, error)) return nullptr;
  e->config_ = weights.config;
  if (e->tokenizer_->vocab_size() > static_cast<std::size_t>(e->config_.vocab_size)) {
    if (error)
      *error = tok_path.string() + ": the tokenizer has " + std::to_string(e->tokenizer_->vocab_size()) +
               " ids but config.json's vocab_size is " + std::to_string(e->config_.vocab_size);
    return nullptr;
  }

  // Sequence length: option, sentence_bert_config.json, tokenizer.json, model.
  int len = options.max_seq_len;
  if (len <= 0) {
    for (const fs::path& p : {root / "sentence_bert_config.json", model_dir / "sentence_bert_config.json"}) {
      if (!fs::exists(p)) continue;
      json sb;
      if (!read_json(p, &sb, error)) return nullptr;
      if (sb.contains("max_seq_length") && sb["max_seq_length"].is_number_integer())
        len = sb["max_seq_length"].get<int>();
      break;
    }
  }
  if (len <= 0) len = e->tokenizer_->max_length();
  if (len <= 0) len = 512;
  len = std::min(len, e->config_.max_positions);
  const int specials = e->tokenizer_->num_special_tokens();
  if (len <= specials) {
    if (error) *error = dir + ": max_seq_len " + std::to_string(len) + " leaves no room for text";
    return nullptr;
  }
  e->max_seq_len_ = len;
  e->tokenizer_->set_max_length(len);

  if (options.device != Device::kCpu) {
    std::string gpu_error;
    e->gpu_ = kernels::GpuEncoder::create(weights, options.gpu_precision, &gpu_error,
                                          options.gpu_device);
    if (!e->gpu_) {
      if (options.device == Device::kCuda) {
        if (error) *error = dir + ": no GPU encoder: " + gpu_error;
        return nullptr;
      }
      e->notice_ = "transformer encoder " + e->name_ + ": no GPU (" + gpu_error + "), running on the CPU";
      if (options.print_notices) std::cerr << e->notice_ << "\n";
    }
  }
  if (e->gpu_) {
    e->max_batch_ = options.max_batch > 0 ? options.max_batch : 256;
  } else {
    e->max_batch_ = options.max_batch > 0 ? options.max_batch : 32;
    e->weights_ = std::move(weights);
  }
  return e;
}

std::size_t TransformerEmbedder::dimension() const {
  return static_cast<std::size_t>(config_.hidden);
}

std::vector<std::vector<float>> TransformerEmbedder::embed(const std::vector<std::string>& texts) const {
  const std::size_t n = texts.size();
  std::vector<std::vector<float>> out(n);
  if (n == 0) return out;
  std::vector<TokenEncoding> enc(n);
  for (std::size_t i = 0; i < n; ++i) enc[i] = tokenizer_->encode(texts[i]);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return enc[a].ids.size() < enc[b].ids.size(); });
  const std::size_t H = dimension();
  const std::size_t step = static_cast<std::size_t>(max_batch_);
  for (std::size_t begin = 0; begin < n; begin += step) {
    const std::size_t end = std::min(n, begin + step);
    kernels::EncoderBatch batch;
    batch.batch = static_cast<int>(end - begin);
    std::size_t seq = 1;
    for (std::size_t i = begin; i < end; ++i) seq = std::max(seq, enc[order[i]].ids.size());
    batch.seq_len = static_cast<int>(seq);
    const std::size_t cells = (end - begin) * seq;
    batch.ids.assign(cells, tokenizer_->pad_id());
    batch.type_ids.assign(cells, 0);
    batch.mask.assign(cells, 0);
    for (std::size_t i = begin; i < end; ++i) {
      const TokenEncoding& t = enc[order[i]];
      const std::size_t row = (i - begin) * seq;
      for (std::size_t j = 0; j < t.ids.size(); ++j) {
        batch.ids[row + j] = t.ids[j];
        batch.type_ids[row + j] = t.type_ids[j];
        batch.mask[row + j] = 1;
      }
    }
    const std::vector<float> vecs =
        gpu_ ? gpu_->encode(batch, pooling_) : kernels::encode_cpu(weights_, batch, pooling_);
    for (std::size_t i = begin; i < end; ++i) {
      const float* v = vecs.data() + (i - begin) * H;
      out[order[i]].assign(v, v + H);
    }
  }
  return out;
}

}  // namespace rg::retrieval
