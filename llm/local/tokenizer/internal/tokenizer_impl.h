// Not for use outside llm/local/tokenizer/.
// The tables a Tokenizer builds from its spec (tokenizer.cc fills them).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "llm/local/tokenizer/internal/added_tokens.h"
#include "llm/local/tokenizer/internal/bpe_merger.h"
#include "llm/local/tokenizer/tokenizer.h"

namespace rg::llm::local {

struct Tokenizer::Impl {
  TokenizerSpec spec;
  TokenMap ids;            // stored text -> id (first id wins)
  TokenMap raw_ids;        // byte-level: raw bytes -> id, for ignore_merges
  PairTable pairs;         // merges by rank; empty = SentencePiece scores
  bool merge_by_score = false;
  std::array<std::int32_t, 256> byte_ids{};  // byte-level: byte's char; SP: <0xAB>; -1 none
  bool all_byte_tokens = false;               // SP: every <0xAB> exists (byte fallback usable)
  std::vector<std::string> bytes;             // id -> what it decodes to
  std::vector<std::uint8_t> flags;            // id -> kSpecial | kByte
  std::vector<std::int32_t> stop_ids;
  AddedTokenMatcher raw_matcher;              // added tokens matched in raw text
  AddedTokenMatcher normalized_matcher;       // ... in normalized text
  static constexpr std::uint8_t kSpecial = 1, kByte = 2;

  MergeSource merge_source() const {
    return merge_by_score ? MergeSource(nullptr, &spec.tokens, &spec.scores, &ids)
                          : MergeSource(&pairs, nullptr, nullptr, nullptr);
  }
  bool sentencepiece() const { return spec.kind == TokenizerKind::kSentencePieceBpe; }
};

// SentencePiece's normalizer: U+2581 for every space, one more in front.
std::string sentencepiece_normalize(std::string_view text, bool add_prefix);

// eos plus <|eot_id|>, <|eom_id|>, <|im_end|>, <|endoftext|> where present.
std::vector<std::int32_t> default_stop_ids(const TokenizerSpec& spec);

}  // namespace rg::llm::local
