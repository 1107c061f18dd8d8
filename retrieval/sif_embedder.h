// retrieval/sif_embedder.h: SifEmbedder, the built-in sentence embedder:
// "smooth inverse frequency" (SIF; Arora, Liang, Ma, ICLR 2017) over the
// wink/GloVe 100-d word vectors of retrieval/word_vectors.h.
//
//   auto wv = WordVectors::load(path, &error);
//   auto e = std::make_shared<SifEmbedder>(wv);   // name "wink-sif-100d"
//   auto vs = e->embed({"hello there", "hi"});    // unit vectors, 100 floats
//
// Text -> vector:
//  1. Tokens as GloVe saw them (Stanford tokenizer, lower-cased): maximal
//     runs of ASCII letters/digits and non-ASCII bytes, ASCII lower-cased;
//     a hyphen between two word characters joins ("e-mail", "well-known",
//     split into its parts when the joined word is unknown); an apostrophe
//     (' or U+2019) splits English contractions the way GloVe does
//     ("don't" -> "do" "n't", "can't" -> "ca" "n't", "I'm" -> "i" "'m",
//     "what's" -> "what" "'s"); other apostrophes split ("o'neill" -> "o" "neill").
//     The wink vocabulary dropped the clitic tokens, so they are looked up as
//     the words they stand for ("n't" -> "not", "'m" -> "am", "'re" -> "are",
//     "'ve" -> "have", "'ll" -> "will", "'d" -> "would", "'s" -> "is").
//     Single ASCII letters ("a", "i") are not in the vocabulary either; they
//     are function words and are skipped.
//  2. Each word w gets weight a / (a + p(w)), p(w) estimated from its
//     frequency rank r (0-based) by Zipf's law: p = 1 / ((r + 1) H_N), H_N the
//     N-th harmonic number (N = vocabulary size). a = Options::a.
//  2b. Conversational function words (kFunctionWords in the .cc, ~100:
//     pronouns, determiners, auxiliaries/modals, wh-words, prepositions and
//     conjunctions, "tell", "please", "let") weigh at most
//     weight_of_rank(function_word_rank = 20): GloVe counts come from news,
//     where "me", "your", "tell", "please" are far rarer than in chat, so
//     plain SIF lets them outweigh the content words of a request. A text made
//     only of such words keeps their (normalised) vectors, not zero.
//  2c. Negation: a cue ("not", "no", "never"; "n't" arrives as "not") weighs
//     negation_cue_weight (0.5, like a content word) and the next
//     negation_scope (1) content word within 3 words is "negated": its vector
//     counts negated_scale (0.5) and its lexical key is "not <lemma>", so
//     "not so good" no longer looks like "good".
//  3. Out-of-vocabulary words (Options): a spelling correction first (the
//     most frequent known word at edit distance 1: one deletion,
//     transposition, substitution or insertion of a-z; alphabetic words of 4+
//     letters only), else a deterministic pseudo-random vector drawn from the
//     word's hash (FNV-1a + splitmix64, components uniform in [-1, 1],
//     scaled to the mean word-vector norm) with the weight of the rarest
//     word, so the same unknown word (a product name, "10x") still matches
//     itself and no text is left without a vector.
//  4. Sentence vector = weighted mean of the word vectors.
//  5. Common-component removal: minus its projection on a fixed unit vector u.
//     SIF proper takes u from the sentences of the corpus being indexed,
//     which makes an embedding depend on every other text. Here u is the top
//     eigenvector of sum_w p(w) weight(w)^2 v_w v_w^T over the
//     Options::pc_words most frequent words (weights as in 2 and 2b): the
//     second moment a SIF sentence vector would have over text drawn from the
//     unigram distribution. Computed once in the constructor (about 85 ms).
//  6. L2 normalisation -> s. A text with no words at all ("", "?!", "...")
//     gets a fixed unit vector (the hashed vector of the empty word).
//  7. Lexical channel (lexical_weight > 0): each content word (not a function
//     word or cue) is reduced to a lemma by a light, vocabulary-checked
//     suffix stripper (lemma(): -s/-es/-ies, -ed, -ing, then -ation/-ization,
//     -ance/-ence, -ment; a base counts only if it is among the 100k most
//     frequent words: "stocks" -> "stock", "assistance" -> "assist",
//     "summarization" -> "summarize") and signed-hashed into lexical_dims
//     (256) buckets with its SIF weight, then normalised -> l. Output:
//     [sqrt(1 - lambda) s, sqrt(lambda) l] (lambda = 0.2), so the cosine is
//     0.8 cos_semantic + 0.2 cos_lexical: exact and morphological overlap of
//     content words counts beyond what 100-d GloVe gives. A text without
//     content words has l = 0 and the output is s alone (still unit length).
// The embedder is stateless after construction: embed() is const,
// deterministic and safe from any number of threads (~5 us per sentence).
//
// Measured with bench/intents_bench.cc --ablation (leave-one-out, by-text
// rule; misses out of 69 on intents_public.jsonl / 73 on the hand-written
// bench/data/intents_sanity.jsonl): plain SIF 31 / 29; defaults 22 / 27.
// Turning one component off: function words 29 / 27, negation 23 / 28,
// lexical channel 24 / 29, common component 25 / 34. Tried and dropped:
// flipping the negated word's vector (public +-0, sanity -2..3), removing a
// second, "conversational" direction (the function words' top principal
// direction: public +1, sanity -1 on top of the rest), other a (3e-4..3e-3:
// worse on both), lambda 0.1-0.5 (0.2-0.3 best on both). The earlier sweep
// (a 1e-4 best; 2-5 removed directions, centring, unit word vectors: noise)
// is in the git history.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "retrieval/embedder.h"
#include "retrieval/word_vectors.h"

namespace rg::retrieval {

class SifEmbedder final : public Embedder {
 public:
  struct Options {
    float a = 1e-4f;                    // SIF smoothing; smaller = frequent words count less
    bool remove_common_component = true;
    std::size_t pc_words = 50000;       // most frequent words used to estimate u
    bool spell_correct = true;          // OOV step 3a
    bool hashed_oov = true;             // OOV step 3b (else unknown words are dropped)
    bool function_words = true;         // step 2b
    std::uint32_t function_word_rank = 20;  // function words weigh at most weight_of_rank(this)
    int negation_scope = 1;             // step 2c: content words after a negation cue; 0 = off
    float negation_cue_weight = 0.5f;   // the weight of a cue ("not") itself; 0 = its SIF weight
    float negated_scale = 0.5f;         // a negated word's vector counts this much
    float lexical_weight = 0.2f;        // step 7: lambda of the lexical channel; 0 = none
    std::size_t lexical_dims = 256;
  };

  // vectors must not be null.
  explicit SifEmbedder(std::shared_ptr<const WordVectors> vectors);
  SifEmbedder(std::shared_ptr<const WordVectors> vectors, Options options);

  // "wink-sif-<dims>d[+lex<n>]", e.g. "wink-sif-100d+lex256".
  std::string name() const override;
  std::size_t dimension() const override { return vectors_->dims() + lexical_dims(); }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override;

  // Writes the unit vector of `text` into out[0 .. dimension()).
  void embed_into(std::string_view text, float* out) const;

  // Step 1 (exposed for tests): the tokens, before the clitic mapping.
  static std::vector<std::string> tokenize(std::string_view text);

  // The SIF weight of a frequency rank.
  float weight_of_rank(std::uint32_t rank) const;
  // The weight a known word gets (function words capped).
  float word_weight(std::uint32_t rank) const;
  bool is_function_word(std::uint32_t rank) const;
  // The lexical channel's form of a known word ("stocks" -> "stock").
  std::string lemma(std::string_view word) const;
  // Buckets of the lexical channel (0 when it is off).
  std::size_t lexical_dims() const;
  // The removed direction (unit length; all zero when removal is off).
  std::vector<float> common_component() const;
  const Options& options() const { return options_; }
  const std::shared_ptr<const WordVectors>& vectors() const { return vectors_; }

 private:
  struct Word {
    std::uint32_t rank = UINT32_MAX;  // UINT32_MAX: unknown, hashed vector of oov
    std::string oov;
    float weight = 0.0f;
    bool function = false;
    bool cue = false;
    bool negated = false;
  };
  std::vector<Word> words_of(std::string_view text) const;
  void resolve(std::string_view word, std::vector<Word>& out) const;
  std::uint32_t correct_spelling(std::string_view word) const;
  void add_hashed(std::string_view word, float weight, float* acc) const;

  std::shared_ptr<const WordVectors> vectors_;
  Options options_;
  double inv_harmonic_ = 0.0;  // 1 / H_N
  float mean_norm_ = 1.0f;     // mean word-vector norm over the pc_words most frequent
  float oov_weight_ = 1.0f;
  float function_weight_ = 1.0f;
  std::vector<std::uint32_t> function_ranks_;  // sorted
  std::vector<float> common_;  // the removed direction (dims), or empty
};

}  // namespace rg::retrieval
