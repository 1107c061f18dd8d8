// retrieval/transformer/wordpiece_tokenizer.h: a HuggingFace `tokenizers`
// compatible WordPiece tokenizer (BERT-family sentence encoders:
// all-MiniLM-L6-v2, bge-small, e5-small), built from a `tokenizer.json`.
//
// Produces the ids HF produces for the same tokenizer.json:
//  * added tokens (e.g. "[MASK]" typed in the text) are matched first, on the
//    raw text (normalized: false) or the normalised text (normalized: true);
//  * normalizer: BertNormalizer {clean_text, handle_chinese_chars,
//    strip_accents (null = follows lowercase), lowercase}, NFD, Lowercase,
//    StripAccents, Strip, a Sequence of those, or null;
//  * pre_tokenizer: BertPreTokenizer (split on whitespace, every punctuation
//    character on its own), Whitespace (\w+|[^\w\s]+), WhitespaceSplit, a
//    Sequence of those, or null;
//  * model: WordPiece (vocab, unk_token, continuing_subword_prefix,
//    max_input_chars_per_word: longer words become unk_token); greedy longest
//    match first; a word with an unmatchable piece becomes unk_token;
//  * post_processor: TemplateProcessing, BertProcessing, RobertaProcessing
//    (single sequences), or null; type ids from the template;
//  * truncation: to max_length tokens including the special tokens, from the
//    right (or the left when tokenizer.json says so).
// Unicode data: retrieval/transformer/unicode_tables.h.
//
// Immutable once built: encode() may be called from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rg::retrieval {

struct TokenEncoding {
  std::vector<std::int32_t> ids;
  std::vector<std::int32_t> type_ids;
};

class WordPieceTokenizer {
 public:
  // Parses a tokenizer.json file / text. On failure returns nullptr and sets
  // *error to a message that names `source` (the file).
  static std::unique_ptr<WordPieceTokenizer> from_file(const std::string& path, std::string* error);
  static std::unique_ptr<WordPieceTokenizer> from_json(std::string_view json_text,
                                                       std::string* error,
                                                       const std::string& source = "tokenizer.json");

  // Token strings of `text` (normalised, pre-tokenised, WordPiece), without
  // special tokens and without truncation.
  std::vector<std::string> tokenize(std::string_view text) const;

  // Ids with the post-processor's special tokens and type ids, truncated to
  // max_length() when it is > 0.
  TokenEncoding encode(std::string_view text, bool add_special_tokens = true) const;

  // Truncation length including special tokens; 0 = none. Starts as
  // tokenizer.json's truncation.max_length (0 when it has none).
  int max_length() const { return max_length_; }
  void set_max_length(int max_length) { max_length_ = max_length < 0 ? 0 : max_length; }

  // Id used to pad batches: tokenizer.json's padding.pad_id, else the id of
  // "[PAD]" (or "<pad>"), else 0.
  std::int32_t pad_id() const { return pad_id_; }
  std::int32_t unk_id() const { return unk_id_; }
  // -1 when absent.
  std::int32_t token_to_id(std::string_view token) const;
  // "" when out of range.
  std::string id_to_token(std::int32_t id) const;
  // 1 + the largest id (vocab and added tokens).
  std::size_t vocab_size() const { return id_to_token_.size(); }
  // Special tokens the post-processor adds to one sequence.
  int num_special_tokens() const;

  // Normalised text (UTF-8), for tests.
  std::string normalize(std::string_view text) const;

  struct NormalizerStep;
  struct PreTokenizerStep;
  struct AddedToken;
  struct TemplatePiece;

  WordPieceTokenizer();
  ~WordPieceTokenizer();

 private:
  void normalize_into(std::u32string& s) const;
  void pre_tokenize(const std::u32string& s, std::vector<std::u32string>& words) const;
  void word_piece(const std::u32string& word, std::vector<std::int32_t>& ids,
                  std::vector<std::string>* tokens) const;
  void tokenize_ids(std::string_view text, std::vector<std::int32_t>& ids,
                    std::vector<std::string>* tokens) const;

  std::unordered_map<std::string, std::int32_t> vocab_;
  std::vector<std::string> id_to_token_;
  std::string unk_token_ = "[UNK]";
  std::int32_t unk_id_ = -1;
  std::string prefix_ = "##";
  std::size_t max_input_chars_per_word_ = 100;
  std::vector<NormalizerStep> normalizers_;
  std::vector<PreTokenizerStep> pre_tokenizers_;
  std::vector<AddedToken> added_;
  std::vector<TemplatePiece> template_;
  bool truncate_left_ = false;
  int max_length_ = 0;
  std::int32_t pad_id_ = 0;
};

}  // namespace rg::retrieval
