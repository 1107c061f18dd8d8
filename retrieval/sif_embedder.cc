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

// Conversational function words (step 2b): pronouns, determiners,
// auxiliaries and modals, wh-words, prepositions and conjunctions, and the
// request verbs of chat ("tell", "please", "let"). Their GloVe frequencies
// come from news text, where "me", "your", "tell" and "please" are far rarer
// than in dialogue, so SIF would weigh them like content words.
constexpr std::string_view kFunctionWords[] = {
    // pronouns and determiners
    "i", "me", "my", "mine", "myself", "you", "your", "yours", "yourself", "we", "us", "our", "ours", "he",
    "him", "his", "she", "her", "it", "its", "they", "them", "their", "this", "that", "these", "those", "the",
    "an", "some", "any", "there", "here", "one",
    // auxiliaries and modals ("ca", "wo": GloVe's heads of "can't", "won't")
    "am", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "doing", "have", "has",
    "had", "having", "can", "ca", "could", "will", "wo", "would", "shall", "should", "may", "might", "must",
    // wh-words
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how",
    // prepositions, conjunctions, particles
    "of", "to", "in", "on", "at", "by", "for", "with", "about", "from", "into", "as", "and", "or", "but",
    "if", "so", "than", "then", "just", "also", "too", "very", "really",
    // request verbs and politeness
    "tell", "please", "let"};

// Negation cues (step 2c); "n't" arrives as "not".
bool is_negation_cue(std::string_view w) { return w == "not" || w == "no" || w == "never"; }

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

// The top eigenvector of a symmetric positive semi-definite d x d matrix by
// power iteration from a fixed start; sign fixed (largest component > 0).
std::vector<float> top_eigenvector(const std::vector<double>& moment, std::size_t d) {
  std::vector<double> x(d, 1.0 / std::sqrt(static_cast<double>(d))), y(d);
  x[0] += 0.5;
  for (int it = 0; it < 2000; ++it) {
    double norm2 = 0.0;
    for (std::size_t i = 0; i < d; ++i) {
      double s = 0.0;
      for (std::size_t j = 0; j < d; ++j) s += moment[i * d + j] * x[j];
      y[i] = s;
      norm2 += s * s;
    }
    if (norm2 <= 0.0) break;
    const double lambda = std::sqrt(norm2);
    double change = 0.0;
    for (std::size_t i = 0; i < d; ++i) {
      y[i] /= lambda;
      change = std::max(change, std::fabs(y[i] - x[i]));
    }
    x.swap(y);
    if (change < 1e-10) break;
  }
  std::size_t big = 0;
  for (std::size_t i = 1; i < d; ++i)
    if (std::fabs(x[i]) > std::fabs(x[big])) big = i;
  const double sign = x[big] < 0 ? -1.0 : 1.0;
  std::vector<float> u(d);
  for (std::size_t i = 0; i < d; ++i) u[i] = static_cast<float>(sign * x[i]);
  return u;
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
  if (options_.function_words) {
    for (std::string_view w : kFunctionWords) {
      if (auto r = vectors_->find(w)) function_ranks_.push_back(*r);
    }
    std::sort(function_ranks_.begin(), function_ranks_.end());
    function_weight_ = weight_of_rank(options_.function_word_rank);
  }

  // Mean norm and the SIF-weighted second moment of the most frequent words
  // (with the weights embed() gives them). The per-word rank-1 updates go
  // into a float block (vectorisable, no reduction), folded into doubles
  // every 256 words.
  const std::size_t m = std::min(options_.pc_words == 0 ? std::size_t{1} : options_.pc_words, n);
  const bool removal = options_.remove_common_component;
  std::vector<double> moment(d * d, 0.0);
  std::vector<float> block(d * d, 0.0f);
  std::vector<float> v(d);
  double norm_sum = 0.0;
  for (std::size_t r = 0; r < m; ++r) {
    vectors_->vector(static_cast<std::uint32_t>(r), v.data());
    double n2 = 0.0;
    for (std::size_t k = 0; k < d; ++k) n2 += static_cast<double>(v[k]) * v[k];
    norm_sum += std::sqrt(n2);
    if (!removal) continue;
    const double p = inv_harmonic_ / static_cast<double>(r + 1);
    const double w = word_weight(static_cast<std::uint32_t>(r));
    const float s = static_cast<float>(p * w * w * 1e6);  // 1e6: keep the float block well scaled
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
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < i; ++j) moment[i * d + j] = moment[j * d + i];

  if (removal) common_ = top_eigenvector(moment, d);
}

std::vector<float> SifEmbedder::common_component() const {
  const std::size_t d = vectors_->dims();
  if (common_.size() < d) return std::vector<float>(d, 0.0f);
  return std::vector<float>(common_.begin(), common_.begin() + static_cast<std::ptrdiff_t>(d));
}

std::string SifEmbedder::name() const {
  std::string n = "wink-sif-" + std::to_string(vectors_->dims()) + "d";
  if (lexical_dims() > 0) n += "+lex" + std::to_string(lexical_dims());
  return n;
}

std::size_t SifEmbedder::lexical_dims() const {
  return options_.lexical_weight > 0.0f ? options_.lexical_dims : 0;
}

float SifEmbedder::weight_of_rank(std::uint32_t rank) const {
  const double p = inv_harmonic_ / (static_cast<double>(rank) + 1.0);
  return static_cast<float>(options_.a / (options_.a + p));
}

bool SifEmbedder::is_function_word(std::uint32_t rank) const {
  return std::binary_search(function_ranks_.begin(), function_ranks_.end(), rank);
}

float SifEmbedder::word_weight(std::uint32_t rank) const {
  const float w = weight_of_rank(rank);
  return is_function_word(rank) ? std::min(w, function_weight_) : w;
}

std::string SifEmbedder::lemma(std::string_view word) const {
  // A candidate base counts when it is a common word (rank < kLemmaRanks) of
  // at least `min_len` letters.
  constexpr std::uint32_t kLemmaRanks = 100000;
  auto known = [&](const std::string& c, std::size_t min_len) {
    if (c.size() < min_len) return false;
    auto r = vectors_->find(c);
    return r && *r < kLemmaRanks;
  };
  auto ends = [](std::string_view w, std::string_view suf) {
    return w.size() > suf.size() && w.substr(w.size() - suf.size()) == suf;
  };
  auto cut = [](std::string_view w, std::size_t k) { return std::string(w.substr(0, w.size() - k)); };
  // Hyphens do not separate lexemes here ("e-mail" = "email").
  std::string joined;
  for (char ch : word)
    if (ch != '-') joined.push_back(ch);
  word = joined;
  std::string base(word);
  if (!is_alpha_word(word) || word.size() < 4) return base;

  // Inflection: plural / 3rd person -s, past -ed, -ing.
  auto inflect = [&]() -> std::string {
    std::string c;
    if (ends(word, "ies") && known(c = cut(word, 3) + "y", 3)) return c;
    if (ends(word, "s") && !ends(word, "ss") && !ends(word, "us") && !ends(word, "is")) {
      if (known(c = cut(word, 1), 3)) return c;
      if (ends(word, "es") && known(c = cut(word, 2), 3)) return c;
    }
    for (std::string_view suf : {"ed", "ing"}) {
      if (!ends(word, suf) || word.size() < suf.size() + 3) continue;
      if (suf == "ed" && ends(word, "ied") && known(c = cut(word, 3) + "y", 3)) return c;
      const std::string stem = cut(word, suf.size());
      if (known(stem, 3)) return stem;
      if (known(c = stem + "e", 3)) return c;
      const std::size_t k = stem.size();
      if (k >= 3 && stem[k - 1] == stem[k - 2] && known(c = stem.substr(0, k - 1), 3)) return c;
    }
    return base;
  };
  base = inflect();
  // Derivation: -ization/-isation -> -ize/-ise, -ation -> -ate/-e/"",
  // -ance/-ence -> ""/-e, -ment -> "".
  std::string c;
  if ((ends(base, "ization") || ends(base, "isation")) && known(c = cut(base, 5) + "e", 4)) return c;
  if (ends(base, "ation")) {
    for (std::string_view rep : {"ate", "e", ""}) {
      if (known(c = cut(base, 5) + std::string(rep), 4)) return c;
    }
  }
  if (ends(base, "ance") || ends(base, "ence")) {
    if (known(c = cut(base, 4), 4)) return c;
    if (known(c = cut(base, 4) + "e", 4)) return c;
  }
  if (ends(base, "ment") && known(c = cut(base, 4), 4)) return c;
  return base;
}

void SifEmbedder::add_hashed(std::string_view word, float weight, float* acc) const {
  const std::size_t d = vectors_->dims();
  float buf[4096];
  hashed_unit_vector(word, d, buf);
  const float s = weight * mean_norm_;
  for (std::size_t k = 0; k < d; ++k) acc[k] += s * buf[k];
}

std::uint32_t SifEmbedder::correct_spelling(std::string_view word) const {
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
  return best;
}

void SifEmbedder::resolve(std::string_view word, std::vector<Word>& out) const {
  Word w;
  if (auto rank = vectors_->find(word)) {
    w.rank = *rank;
  } else if (word.size() == 1 && static_cast<unsigned char>(word[0]) < 0x80) {
    return;  // single ASCII letters: function words the vocabulary dropped
  } else if (options_.spell_correct && word.size() >= 4 && is_alpha_word(word) &&
             (w.rank = correct_spelling(word)) != UINT32_MAX) {
  } else if (options_.hashed_oov) {
    w.rank = UINT32_MAX;
    w.oov = std::string(word);
  } else {
    return;
  }
  if (w.rank != UINT32_MAX) {
    w.weight = word_weight(w.rank);
    w.function = is_function_word(w.rank);
  } else {
    w.weight = oov_weight_;
  }
  w.cue = options_.negation_scope > 0 && is_negation_cue(w.rank != UINT32_MAX ? vectors_->word(w.rank) : word);
  out.push_back(std::move(w));
}

std::vector<SifEmbedder::Word> SifEmbedder::words_of(std::string_view text) const {
  std::vector<Word> words;
  for (const std::string& token : tokenize(text)) {
    if (std::string_view mapped = clitic_word(token); !mapped.empty()) {
      resolve(mapped, words);
    } else if (token.find('-') != std::string::npos && !vectors_->contains(token)) {
      std::size_t start = 0;
      while (start <= token.size()) {
        std::size_t q = token.find('-', start);
        if (q == std::string::npos) q = token.size();
        if (q > start) resolve(std::string_view(token).substr(start, q - start), words);
        start = q + 1;
      }
    } else {
      resolve(token, words);
    }
  }
  // Negation scope: the next negation_scope content words after a cue,
  // looking at most 3 words ahead.
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (!words[i].cue) continue;
    int left = options_.negation_scope;
    for (std::size_t j = i + 1; j < words.size() && j <= i + 3 && left > 0; ++j) {
      if (words[j].cue) break;
      if (words[j].function) continue;
      words[j].negated = true;
      --left;
    }
    if (options_.negation_cue_weight > 0.0f) words[i].weight = options_.negation_cue_weight;
  }
  return words;
}

void SifEmbedder::embed_into(std::string_view text, float* out) const {
  const std::size_t d = vectors_->dims();
  const std::size_t lex = lexical_dims();
  std::fill(out, out + d + lex, 0.0f);
  const std::vector<Word> words = words_of(text);

  // Semantic part: SIF-weighted mean of the word vectors.
  float total = 0.0f;
  for (const Word& w : words) {
    float weight = w.weight;
    if (w.negated) weight *= options_.negated_scale;
    if (w.rank != UINT32_MAX) {
      vectors_->add_vector(w.rank, weight, out);
    } else {
      add_hashed(w.oov, weight, out);
    }
    total += w.weight;
  }
  double norm2 = 0.0;
  if (total > 0.0f) {
    for (std::size_t c = 0; c + d <= common_.size(); c += d) {
      const float* u = common_.data() + c;
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
  if (lex == 0) return;

  // Lexical part: content-word lemmas (negated ones marked), signed-hashed
  // into lex buckets with their SIF weights.
  float* l = out + d;
  for (const Word& w : words) {
    if (w.function || w.cue) continue;
    std::string key = w.rank != UINT32_MAX ? lemma(vectors_->word(w.rank)) : w.oov;
    if (w.negated) key.insert(0, "not ");
    std::uint64_t state = fnv1a(key) ^ 0x6c6578696361ULL;  // "lexica"
    const std::uint64_t h = splitmix64(state);
    l[h % lex] += (h >> 63) ? -w.weight : w.weight;
  }
  double l2 = 0.0;
  for (std::size_t k = 0; k < lex; ++k) l2 += static_cast<double>(l[k]) * l[k];
  if (l2 <= 1e-20) return;  // no content words: the semantic part alone
  const float ls = static_cast<float>(std::sqrt(options_.lexical_weight / l2));
  const float ss = std::sqrt(1.0f - options_.lexical_weight);
  for (std::size_t k = 0; k < d; ++k) out[k] *= ss;
  for (std::size_t k = 0; k < lex; ++k) l[k] *= ls;
}

std::vector<std::vector<float>> SifEmbedder::embed(const std::vector<std::string>& texts) const {
  std::vector<std::vector<float>> result(texts.size(), std::vector<float>(dimension()));
  for (std::size_t i = 0; i < texts.size(); ++i) embed_into(texts[i], result[i].data());
  return result;
}

}  // namespace rg::retrieval
