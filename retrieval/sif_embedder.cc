#include "retrieval/sif_embedder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace rg::retrieval {
namespace {

bool is_ascii_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// U+2019 RIGHT SINGLE QUOTATION MARK, the typographic apostrophe.
bool is_curly_apostrophe(std::string_view s, std::size_t i) {
  return i + 2 < s.size() && static_cast<unsigned char>(s[i]) == 0xE2 &&
         static_cast<unsigned char>(s[i + 1]) == 0x80 && static_cast<unsigned char>(s[i + 2]) == 0x99;
}

// Length of the apostrophe at i (1 or 3 bytes), 0 if none.
std::size_t apostrophe_at(std::string_view s, std::size_t i) {
  if (s[i] == '\'') return 1;
  return is_curly_apostrophe(s, i) ? 3 : 0;
}

bool is_word_byte_at(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  return is_ascii_alnum(c) || (c >= 0x80 && !is_curly_apostrophe(s, i));
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Deterministic unit vector of a word: components uniform in [-1, 1].
void hashed_unit_vector(std::string_view word, std::size_t dims, float* out) {
  std::uint64_t state = fnv1a(word);
  double norm2 = 0.0;
  for (std::size_t k = 0; k < dims; ++k) {
    const double u = static_cast<double>(splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
    out[k] = static_cast<float>(2.0 * u - 1.0);
    norm2 += static_cast<double>(out[k]) * out[k];
  }
  const float inv = norm2 > 0 ? static_cast<float>(1.0 / std::sqrt(norm2)) : 1.0f;
  for (std::size_t k = 0; k < dims; ++k) out[k] *= inv;
}

// The clitic tokens GloVe has but the wink vocabulary dropped.
std::string_view clitic_word(std::string_view token) {
  if (token == "n't") return "not";
  if (token == "'m") return "am";
  if (token == "'re") return "are";
  if (token == "'ve") return "have";
  if (token == "'ll") return "will";
  if (token == "'d") return "would";
  if (token == "'s") return "is";
  return {};
}

bool is_alpha_word(std::string_view w) {
  return std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

// Splits one raw token (lower-case, apostrophes normalised to '\'') GloVe-style.
void split_contractions(std::string tok, std::vector<std::string>& out) {
  if (tok.find('\'') == std::string::npos) {
    out.push_back(std::move(tok));
    return;
  }
  auto ends = [&](std::string_view suf) {
    return tok.size() > suf.size() && std::string_view(tok).substr(tok.size() - suf.size()) == suf;
  };
  std::string tail;
  if (ends("n't")) {
    tail = "n't";
  } else {
    for (std::string_view suf : {"'s", "'m", "'re", "'ve", "'ll", "'d"}) {
      if (ends(suf)) {
        tail = std::string(suf);
        break;
      }
    }
  }
  std::string head = tail.empty() ? tok : tok.substr(0, tok.size() - tail.size());
  // Remaining apostrophes split ("o'neill" -> "o" "neill").
  std::size_t start = 0;
  while (start <= head.size()) {
    std::size_t q = head.find('\'', start);
    if (q == std::string::npos) q = head.size();
    if (q > start) out.push_back(head.substr(start, q - start));
    start = q + 1;
  }
  if (!tail.empty()) out.push_back(std::move(tail));
}

}  // namespace

std::vector<std::string> SifEmbedder::tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  std::string raw;
  const std::size_t n = text.size();
  std::size_t i = 0;
  auto flush = [&] {
    while (!raw.empty() && (raw.back() == '\'' || raw.back() == '-')) raw.pop_back();
    if (!raw.empty()) split_contractions(std::move(raw), tokens);
    raw.clear();
  };
  while (i < n) {
    if (is_word_byte_at(text, i)) {
      const auto c = static_cast<unsigned char>(text[i]);
      raw.push_back(static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c));
      ++i;
      continue;
    }
    // An apostrophe or a hyphen joins when a word continues after it; an
    // apostrophe also starts a clitic word after a token ("'s").
    const std::size_t ap = apostrophe_at(text, i);
    const std::size_t len = ap ? ap : (text[i] == '-' ? 1 : 0);
    if (len && !raw.empty() && raw.back() != '\'' && raw.back() != '-' && i + len < n &&
        is_word_byte_at(text, i + len)) {
      raw.push_back(ap ? '\'' : '-');
      i += len;
      continue;
    }
    flush();
    i += len ? len : 1;
  }
  flush();
  return tokens;
}

SifEmbedder::SifEmbedder(std::shared_ptr<const WordVectors> vectors)
    : SifEmbedder(std::move(vectors), Options{}) {}

SifEmbedder::SifEmbedder(std::shared_ptr<const WordVectors> vectors, Options options)
    : vectors_(std::move(vectors)), options_(options) {
  const std::size_t n = vectors_->size();
  const std::size_t d = vectors_->dims();
  double harmonic = 0.0;
  for (std::size_t r = n; r >= 1; --r) harmonic += 1.0 / static_cast<double>(r);
  inv_harmonic_ = 1.0 / harmonic;
  oov_weight_ = weight_of_rank(static_cast<std::uint32_t>(n - 1));

  // Mean norm, weighted mean and weighted second moment of the most frequent
  // words. The per-word rank-1 updates go into a float block (vectorisable,
  // no reduction), folded into doubles every 256 words.
  const std::size_t m = std::min(options_.pc_words == 0 ? std::size_t{1} : options_.pc_words, n);
  const bool removal = options_.remove_common_component && options_.components > 0;
  std::vector<double> moment(d * d, 0.0), mean(d, 0.0);
  std::vector<float> block(d * d, 0.0f);
  std::vector<float> v(d);
  double norm_sum = 0.0, weight_sum = 0.0;
  for (std::size_t r = 0; r < m; ++r) {
    vectors_->vector(static_cast<std::uint32_t>(r), v.data());
    double n2 = 0.0;
    for (std::size_t k = 0; k < d; ++k) n2 += static_cast<double>(v[k]) * v[k];
    norm_sum += std::sqrt(n2);
    if (!removal && !options_.center) continue;
    double omega = 1.0;
    if (!options_.uniform_pc_weights) {
      const double p = inv_harmonic_ / static_cast<double>(r + 1);
      const double w = options_.a / (options_.a + p);
      omega = p * w * w * 1e6;  // 1e6: keep the float block well scaled
    }
    weight_sum += omega;
    for (std::size_t k = 0; k < d; ++k) mean[k] += omega * v[k];
    const float s = static_cast<float>(omega);
    for (std::size_t i = 0; i < d; ++i) {
      const float si = s * v[i];
      float* row = block.data() + i * d;
      for (std::size_t j = i; j < d; ++j) row[j] += si * v[j];
    }
    if ((r & 255) == 255 || r + 1 == m) {
      for (std::size_t k = 0; k < d * d; ++k) moment[k] += block[k];
      std::fill(block.begin(), block.end(), 0.0f);
    }
  }
  mean_norm_ = static_cast<float>(norm_sum / static_cast<double>(m));

  mean_.assign(d, 0.0f);
  if (weight_sum > 0.0) {
    for (std::size_t k = 0; k < d; ++k) mean[k] /= weight_sum;
  }
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < i; ++j) moment[i * d + j] = moment[j * d + i];
  if (options_.center && weight_sum > 0.0) {
    // Second moment of the centred vectors: sum w v v^T - W mean mean^T.
    for (std::size_t i = 0; i < d; ++i) {
      mean_[i] = static_cast<float>(mean[i]);
      for (std::size_t j = 0; j < d; ++j) moment[i * d + j] -= weight_sum * mean[i] * mean[j];
    }
  }

  if (removal) {
    const std::size_t k_max = std::min(options_.components, d);
    common_.assign(k_max * d, 0.0f);
    std::vector<double> x(d), y(d);
    for (std::size_t c = 0; c < k_max; ++c) {
      // Power iteration from a fixed start, converging to the top eigenvector
      // (the matrix is positive semi-definite); then deflation.
      std::fill(x.begin(), x.end(), 1.0 / std::sqrt(static_cast<double>(d)));
      x[c % d] += 0.5;  // not orthogonal to the next direction by accident
      double lambda = 0.0;
      for (int it = 0; it < 2000; ++it) {
        double norm2 = 0.0;
        for (std::size_t i = 0; i < d; ++i) {
          double s = 0.0;
          for (std::size_t j = 0; j < d; ++j) s += moment[i * d + j] * x[j];
          y[i] = s;
          norm2 += s * s;
        }
        if (norm2 <= 0.0) break;
        lambda = std::sqrt(norm2);
        double change = 0.0;
        for (std::size_t i = 0; i < d; ++i) {
          y[i] /= lambda;
          change = std::max(change, std::fabs(y[i] - x[i]));
        }
        x.swap(y);
        if (change < 1e-10) break;
      }
      // Fixed sign: the largest component positive.
      std::size_t big = 0;
      for (std::size_t i = 1; i < d; ++i)
        if (std::fabs(x[i]) > std::fabs(x[big])) big = i;
      const double sign = x[big] < 0 ? -1.0 : 1.0;
      for (std::size_t i = 0; i < d; ++i) common_[c * d + i] = static_cast<float>(sign * x[i]);
      for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = 0; j < d; ++j) moment[i * d + j] -= lambda * x[i] * x[j];
    }
  }
}

std::vector<float> SifEmbedder::common_component() const {
  const std::size_t d = vectors_->dims();
  if (common_.size() < d) return std::vector<float>(d, 0.0f);
  return std::vector<float>(common_.begin(), common_.begin() + static_cast<std::ptrdiff_t>(d));
}

std::string SifEmbedder::name() const { return "wink-sif-" + std::to_string(vectors_->dims()) + "d"; }

float SifEmbedder::weight_of_rank(std::uint32_t rank) const {
  const double p = inv_harmonic_ / (static_cast<double>(rank) + 1.0);
  return static_cast<float>(options_.a / (options_.a + p));
}

void SifEmbedder::add_hashed(std::string_view word, float weight, float* acc) const {
  const std::size_t d = vectors_->dims();
  float buf[4096];
  hashed_unit_vector(word, d, buf);
  const float s = weight * mean_norm_;
  for (std::size_t k = 0; k < d; ++k) acc[k] += s * buf[k];
}

void SifEmbedder::add_rank(std::uint32_t rank, float weight, float* acc) const {
  if (!options_.unit_words) {
    vectors_->add_vector(rank, weight, acc);
    return;
  }
  const std::size_t d = vectors_->dims();
  float buf[4096];
  vectors_->vector(rank, buf);
  double n2 = 0.0;
  for (std::size_t k = 0; k < d; ++k) n2 += static_cast<double>(buf[k]) * buf[k];
  const float s = n2 > 0 ? weight * mean_norm_ / static_cast<float>(std::sqrt(n2)) : 0.0f;
  for (std::size_t k = 0; k < d; ++k) acc[k] += s * buf[k];
}

float SifEmbedder::add_word(std::string_view word, float* acc) const {
  if (auto rank = vectors_->find(word)) {
    const float w = weight_of_rank(*rank);
    add_rank(*rank, w, acc);
    return w;
  }
  // Single ASCII letters: function words the vocabulary dropped.
  if (word.size() == 1 && static_cast<unsigned char>(word[0]) < 0x80) return 0.0f;
  if (options_.spell_correct && word.size() >= 4 && is_alpha_word(word)) {
    std::uint32_t best = UINT32_MAX;
    std::string c(word);
    auto consider = [&] {
      if (auto r = vectors_->find(c)) best = std::min(best, *r);
    };
    const std::size_t len = word.size();
    for (std::size_t i = 0; i < len; ++i) {  // deletions
      c.erase(i, 1);
      consider();
      c.insert(i, 1, word[i]);
    }
    for (std::size_t i = 0; i + 1 < len; ++i) {  // transpositions
      std::swap(c[i], c[i + 1]);
      consider();
      std::swap(c[i], c[i + 1]);
    }
    for (std::size_t i = 0; i < len; ++i) {  // substitutions
      for (char x = 'a'; x <= 'z'; ++x) {
        if (x == word[i]) continue;
        c[i] = x;
        consider();
      }
      c[i] = word[i];
    }
    for (std::size_t i = 0; i <= len; ++i) {  // insertions
      for (char x = 'a'; x <= 'z'; ++x) {
        c.insert(i, 1, x);
        consider();
        c.erase(i, 1);
      }
    }
    if (best != UINT32_MAX) {
      const float w = weight_of_rank(best);
      add_rank(best, w, acc);
      return w;
    }
  }
  if (options_.hashed_oov) {
    add_hashed(word, oov_weight_, acc);
    return oov_weight_;
  }
  return 0.0f;
}

float SifEmbedder::add_token(std::string_view token, float* acc) const {
  if (std::string_view mapped = clitic_word(token); !mapped.empty()) return add_word(mapped, acc);
  if (token.find('-') != std::string_view::npos && !vectors_->contains(token)) {
    float total = 0.0f;
    std::size_t start = 0;
    while (start <= token.size()) {
      std::size_t q = token.find('-', start);
      if (q == std::string_view::npos) q = token.size();
      if (q > start) total += add_word(token.substr(start, q - start), acc);
      start = q + 1;
    }
    return total;
  }
  return add_word(token, acc);
}

void SifEmbedder::embed_into(std::string_view text, float* out) const {
  const std::size_t d = vectors_->dims();
  std::fill(out, out + d, 0.0f);
  float total = 0.0f;
  for (const std::string& tok : tokenize(text)) total += add_token(tok, out);

  double norm2 = 0.0;
  if (total > 0.0f) {
    if (options_.center) {
      for (std::size_t k = 0; k < d; ++k) out[k] -= total * mean_[k];
    }
    for (std::size_t c = 0; c + 1 <= common_.size() / d; ++c) {
      const float* u = common_.data() + c * d;
      double dot = 0.0;
      for (std::size_t k = 0; k < d; ++k) dot += static_cast<double>(out[k]) * u[k];
      for (std::size_t k = 0; k < d; ++k) out[k] -= static_cast<float>(dot) * u[k];
    }
    for (std::size_t k = 0; k < d; ++k) norm2 += static_cast<double>(out[k]) * out[k];
  }
  if (norm2 > 1e-20) {
    const float inv = static_cast<float>(1.0 / std::sqrt(norm2));
    for (std::size_t k = 0; k < d; ++k) out[k] *= inv;
  } else {
    // No words (or nothing left): one fixed unit vector.
    hashed_unit_vector("", d, out);
  }
}

std::vector<std::vector<float>> SifEmbedder::embed(const std::vector<std::string>& texts) const {
  std::vector<std::vector<float>> result(texts.size(), std::vector<float>(dimension()));
  for (std::size_t i = 0; i < texts.size(); ++i) embed_into(texts[i], result[i].data());
  return result;
}

}  // namespace rg::retrieval
