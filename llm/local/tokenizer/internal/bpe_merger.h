// Not for use outside llm/local/tokenizer/.
// The BPE merge loop shared by both tokenizer kinds: a word's symbols (token
// ids) are merged pair by pair, best pair first (lowest merge rank, or highest
// SentencePiece score), ties going to the leftmost pair, until no adjacent
// pair has a merge. Symbols form a linked list and candidate pairs sit in a
// binary heap, so a word of n symbols costs O(n log n) however long it is; a
// popped candidate whose symbols changed since it was pushed is dropped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rg::llm::local {

// Hashing for string-keyed maps looked up with string_view (no copies).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenMap = std::unordered_map<std::string, std::int32_t, StringHash, std::equal_to<>>;

// One merge: the pair's priority (lower merges first) and the merged token.
struct MergeResult {
  double priority;
  std::int32_t id;
};

// Pair (left id, right id) -> merge, as an open-addressing table: the merge
// lookup is the inner loop of encoding.
class PairTable {
 public:
  void reserve(std::size_t n);
  // Keeps the first entry for a pair (the highest-priority merge).
  void insert(std::int32_t a, std::int32_t b, MergeResult m);
  const MergeResult* find(std::int32_t a, std::int32_t b) const;
  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint64_t key = kEmpty;
    MergeResult value{};
  };
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  static std::uint64_t key_of(std::int32_t a, std::int32_t b) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) |
           static_cast<std::uint32_t>(b);
  }
  std::size_t slot_of(std::uint64_t key) const;
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

// Where merges come from: a merge table (HF tokenizer.json, GGUF merges) or,
// when a SentencePiece model has none, the score of the concatenated token.
class MergeSource {
 public:
  MergeSource(const PairTable* pairs, const std::vector<std::string>* tokens,
              const std::vector<float>* scores, const TokenMap* token_ids)
      : pairs_(pairs), tokens_(tokens), scores_(scores), token_ids_(token_ids) {}
  // False when the pair does not merge. scratch is reused between calls.
  bool find(std::int32_t a, std::int32_t b, MergeResult* out, std::string& scratch) const;

 private:
  const PairTable* pairs_;
  const std::vector<std::string>* tokens_;
  const std::vector<float>* scores_;
  const TokenMap* token_ids_;
};

// Per-call working memory, so that a long encode does not allocate per word.
struct BpeScratch {
  struct Symbol {
    std::int32_t id, prev, next;
  };
  struct Candidate {
    double priority;
    std::int32_t left, left_id, right_id, merged;
  };
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;
  std::string text;
};

// Merges ids in place (the result replaces the content of ids).
void bpe_merge(const MergeSource& source, std::vector<std::int32_t>& ids, BpeScratch& scratch);

}  // namespace rg::llm::local
