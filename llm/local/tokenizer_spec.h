// llm/local/tokenizer_spec.h: everything that defines a tokenizer, as plain
// data. Filled from a Hugging Face tokenizer.json (tokenizer_spec_from_hf,
// llm/local/tokenizer/) or from GGUF metadata (llm/local/gguf_model.cc), and
// written back into GGUF by `railguard convert`; Tokenizer::create builds the
// encoder/decoder from it. Token texts are stored as both formats store them:
// byte-level BPE in GPT-2's byte-to-unicode alphabet ("Ġhello"), SentencePiece
// BPE with U+2581 for a space and "<0xAB>" byte tokens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rg::llm::local {

enum class TokenizerKind {
  kByteLevelBpe,      // GPT-2 / Llama 3 / Qwen2 (GGUF tokenizer.ggml.model "gpt2")
  kSentencePieceBpe,  // Llama 2 / Mistral (GGUF "llama"), byte fallback
};

// The pre-tokenizer split rule of a byte-level BPE (GGUF tokenizer.ggml.pre).
enum class PreTokenizerKind {
  kGpt2,    // 's|'t|... | ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+   ("default"/"gpt-2")
  kLlama3,  // case-insensitive contractions, [^\r\n\p{L}\p{N}]?\p{L}+, \p{N}{1,3}, ... ("llama-bpe")
  kQwen2,   // as llama3 but single digits \p{N} ("qwen2")
};

// SentencePiece: where spaces become U+2581 and where one more goes in front.
enum class SpaceMarking {
  // HF normalizer [Prepend(U+2581),] Replace(" " -> U+2581) (Llama 2's legacy
  // tokenizer.json), GGUF and llama.cpp: the text is marked before the added
  // tokens that are matched in normalized text; with add_space_prefix, every
  // piece of text between raw-matched added tokens gets a U+2581 in front,
  // even one that starts with a space.
  kNormalizer,
  // HF Metaspace pre-tokenizer (normalizer null; newer Llama 2 / Mistral
  // conversions): spaces are marked after all added tokens are matched, and a
  // U+2581 goes in front of a piece that does not start with one already:
  kMetaspaceAlways,  // prepend_scheme "always": every piece
  kMetaspaceFirst,   // "first": only the piece that starts the input
  kMetaspaceNever,   // "never": none
};

// GGUF's token types (tokenizer.ggml.token_type).
enum class TokenType : std::int32_t {
  kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6,
};

// How one special/added token is matched in raw text (HF added_tokens flags).
// A spec without these (GGUF) matches every control and user-defined token
// literally, with the defaults below.
struct AddedTokenOptions {
  std::int32_t id = -1;
  bool special = true;       // skipped by decode(skip_special) and encode(parse_special=false)
  bool lstrip = false;       // the match swallows whitespace on its left
  bool rstrip = false;       // ... and on its right
  bool single_word = false;  // no match inside a word
  bool normalized = false;   // matched in normalized text (SentencePiece: spaces as U+2581)
};

struct TokenizerSpec {
  TokenizerKind kind = TokenizerKind::kByteLevelBpe;
  PreTokenizerKind pre = PreTokenizerKind::kLlama3;
  std::vector<std::string> tokens;        // id -> stored text
  std::vector<float> scores;              // SentencePiece scores (may be empty)
  std::vector<TokenType> token_types;     // empty = all normal
  std::vector<std::string> merges;        // "left right", highest priority first
  // Special and added tokens are matched in the raw text before the
  // pre-tokenizer runs (control and user-defined types).
  std::int32_t bos_id = -1;
  std::int32_t eos_id = -1;               // the model's declared EOS
  std::vector<std::int32_t> stop_ids;     // every id that ends a turn (eos, <|eot_id|>, <|im_end|>)
  std::int32_t unk_id = -1;
  std::int32_t pad_id = -1;
  bool add_bos = false;                   // prepend bos when encoding with specials
  bool add_eos = false;
  // SentencePiece. kNormalizer: a leading U+2581 before each piece of text
  // (see SpaceMarking). Every marking: decoding drops one space at the start
  // of the text (HF decoder Strip(" ", 1, 0)).
  bool add_space_prefix = true;
  SpaceMarking space_marking = SpaceMarking::kNormalizer;
  bool metaspace_split = false;           // Metaspace split: each U+2581 starts a new word for BPE
  // HF Metaspace decoder with prepend_scheme first/always: the first decoded
  // token loses all its U+2581 (instead of each becoming a space).
  bool decode_metaspace_first = false;
  bool byte_fallback = true;              // SentencePiece: unknown chars as <0xAB> tokens
  // Byte-level BPE: a pre-token that is itself in the vocabulary is one token,
  // whatever the merges say (HF BPE "ignore_merges"; Llama 3; llama.cpp does
  // this for pre "llama-bpe").
  bool ignore_merges = false;
  // Byte-level BPE: Unicode NFC of the text between raw-matched added tokens
  // before anything else (Qwen2's tokenizer.json normalizer).
  bool nfc = false;
  std::vector<AddedTokenOptions> added_tokens;  // empty = defaults for control/user-defined types
};

}  // namespace rg::llm::local
