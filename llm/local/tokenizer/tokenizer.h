// llm/local/tokenizer/tokenizer.h: text <-> token ids for Llama-family models,
// identical to Hugging Face `tokenizers` on the formats it supports.
//
//   TokenizerSpec spec = tokenizer_spec_from_hf("/models/llama-3.2-1b");  // or from GGUF
//   auto tok = Tokenizer::create(std::move(spec));
//   std::vector<int32_t> ids = tok->encode("Hello <|eot_id|>");   // bos added, special parsed
//   std::string text = tok->decode(ids, /*skip_special=*/true);
//   StreamDecoder stream(tok);
//   for (int32_t id : generated) std::cout << stream.push(id);     // only whole characters
//   std::cout << stream.finish();
//
// Kinds (TokenizerKind): byte-level BPE (GPT-2, Llama 3, Qwen2) with its
// pre-tokenizer split rules (PreTokenizerKind, a hand-written scanner, no regex
// engine); SentencePiece-style BPE (Llama 2, Mistral) with U+2581 for spaces
// (HF's legacy normalizer or its Metaspace pre-tokenizer, SpaceMarking),
// merges by rank or by score, byte fallback and unk. Special and added tokens
// are found in the raw text first (longest match).
//
// A Tokenizer is immutable: encode/decode are const and safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "llm/local/tokenizer_spec.h"

namespace rg::llm::local {

// A tokenizer that cannot be loaded or built. The message names the file and
// JSON field, or the token, at fault.
class TokenizerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads an HF tokenizer: a folder (tokenizer.json, plus tokenizer_config.json
// when present: add_bos_token/add_eos_token, bos/eos/unk/pad names,
// added_tokens_decoder) or the path of a tokenizer.json. Supports model.type
// BPE with a ByteLevel pre-tokenizer (alone, or after a Split with the GPT-2,
// Llama 3 or Qwen2 pattern), or SentencePiece-style: normalizer
// Prepend/Replace U+2581, or no normalizer and a Metaspace pre-tokenizer
// (prepend_scheme always/first/never, split true/false); decoder
// Replace/ByteFallback/Fuse/Strip and/or Metaspace. Anything else throws
// TokenizerError naming the field.
TokenizerSpec tokenizer_spec_from_hf(const std::string& path);

class Tokenizer {
 public:
  // Validates the spec (ids in range, merges of known tokens) and builds the
  // lookup tables. Throws TokenizerError.
  static std::shared_ptr<const Tokenizer> create(TokenizerSpec spec);
  ~Tokenizer();

  // add_special: bos/eos as the spec says (add_bos, add_eos).
  // parse_special: special tokens written in the text become their ids;
  // false reads them as plain text (non-special added tokens still match).
  std::vector<std::int32_t> encode(std::string_view text, bool add_special = true,
                                   bool parse_special = true) const;
  // Invalid UTF-8 in the result becomes U+FFFD (as HF's decode).
  std::string decode(std::span<const std::int32_t> ids, bool skip_special = false) const;

  int vocab_size() const;
  std::int32_t bos_id() const;
  std::int32_t eos_id() const;
  const std::vector<std::int32_t>& stop_ids() const;
  // A control token (HF added token with special: true).
  bool is_special(std::int32_t id) const;
  // Id of a token by its stored text ("Ġhello", "▁hello", "<|eot_id|>"); -1 if none.
  std::int32_t token_id(std::string_view stored_text) const;
  const TokenizerSpec& spec() const;

  // The bytes one token stands for, before UTF-8 repair (a byte-fallback or
  // byte-level token may be part of a character). For StreamDecoder.
  std::string_view token_bytes(std::int32_t id) const;
  // What a token decodes to as the first token of a text: token_bytes, except
  // under HF's Metaspace decoder (spec.decode_metaspace_first), which drops the
  // first token's U+2581 marks instead of turning them into spaces.
  std::string first_token_bytes(std::int32_t id) const;
  // SentencePiece decoding drops one space at the start of the text.
  bool strips_leading_space() const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Streams decoded text token by token: push() returns only complete, valid
// UTF-8, holding back the start of a character whose other bytes have not come
// (byte-fallback tokens, or a byte-level token that splits a character);
// finish() flushes what is left, invalid bytes as U+FFFD. The concatenation of
// all pushes and finish() is decode(ids) (except that SentencePiece byte runs
// that are invalid UTF-8 are repaired per maximal subpart rather than per byte).
// One stream per sequence; not thread-safe (the Tokenizer it holds is).
class StreamDecoder {
 public:
  explicit StreamDecoder(std::shared_ptr<const Tokenizer> tokenizer, bool skip_special = false);
  std::string push(std::int32_t id);
  std::string finish();

 private:
  std::shared_ptr<const Tokenizer> tok_;
  bool skip_special_;
  bool at_start_ = true;      // no byte out yet (the leading space strip)
  bool first_token_ = true;  // no token in yet (the Metaspace decoder)
  std::string pending_;  // bytes held back: an incomplete character
};

}  // namespace rg::llm::local
