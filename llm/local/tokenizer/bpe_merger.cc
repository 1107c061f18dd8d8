// llm/local/tokenizer/bpe_merger.cc: see internal/bpe_merger.h.
#include "llm/local/tokenizer/internal/bpe_merger.h"

#include <algorithm>

namespace rg::llm::local {

void PairTable::reserve(std::size_t n) {
  std::size_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  slots_.assign(cap, Slot{});
  size_ = 0;
}

std::size_t PairTable::slot_of(std::uint64_t key) const {
  // Fibonacci hashing spreads the (small, dense) ids over the table.
  std::uint64_t h = key * 0x9E3779B97F4A7C15ull;
  std::size_t mask = slots_.size() - 1;
  std::size_t i = static_cast<std::size_t>(h >> 20) & mask;
  while (slots_[i].key != kEmpty && slots_[i].key != key) i = (i + 1) & mask;
  return i;
}

void PairTable::insert(std::int32_t a, std::int32_t b, MergeResult m) {
  if ((size_ + 1) * 2 > slots_.size()) {
    std::vector<Slot> old = std::move(slots_);
    reserve(std::max<std::size_t>(size_ + 1, old.size()));
    for (const Slot& s : old) {
      if (s.key == kEmpty) continue;
      slots_[slot_of(s.key)] = s;
      ++size_;
    }
  }
  std::uint64_t key = key_of(a, b);
  Slot& s = slots_[slot_of(key)];
  if (s.key == key) return;
  s.key = key;
  s.value = m;
  ++size_;
}

const MergeResult* PairTable::find(std::int32_t a, std::int32_t b) const {
  if (slots_.empty()) return nullptr;
  const Slot& s = slots_[slot_of(key_of(a, b))];
  return s.key == kEmpty ? nullptr : &s.value;
}

bool MergeSource::find(std::int32_t a, std::int32_t b, MergeResult* out,
                       std::string& scratch) const {
  if (pairs_ != nullptr) {
    const MergeResult* m = pairs_->find(a, b);
    if (m == nullptr) return false;
    *out = *m;
    return true;
  }
  scratch.assign((*tokens_)[a]);
  scratch.append((*tokens_)[b]);
  auto it = token_ids_->find(std::string_view(scratch));
  if (it == token_ids_->end()) return false;
  // Higher score merges first; priorities sort ascending.
  *out = {-static_cast<double>((*scores_)[it->second]), it->second};
  return true;
}

namespace {

// Min-heap order: lower priority value first, then the leftmost pair.
struct Later {
  bool operator()(const BpeScratch::Candidate& x, const BpeScratch::Candidate& y) const {
    if (x.priority != y.priority) return x.priority > y.priority;
    return x.left > y.left;
  }
};

void push_pair(const MergeSource& source, BpeScratch& s, std::int32_t left) {
  std::int32_t right = s.symbols[left].next;
  if (right < 0) return;
  MergeResult m;
  std::int32_t a = s.symbols[left].id, b = s.symbols[right].id;
  if (!source.find(a, b, &m, s.text)) return;
  s.heap.push_back({m.priority, left, a, b, m.id});
  std::push_heap(s.heap.begin(), s.heap.end(), Later{});
}

}  // namespace

void bpe_merge(const MergeSource& source, std::vector<std::int32_t>& ids, BpeScratch& s) {
  const std::int32_t n = static_cast<std::int32_t>(ids.size());
  if (n < 2) return;
  s.symbols.resize(n);
  for (std::int32_t i = 0; i < n; ++i) s.symbols[i] = {ids[i], i - 1, i + 1 < n ? i + 1 : -1};
  s.heap.clear();
  for (std::int32_t i = 0; i + 1 < n; ++i) push_pair(source, s, i);

  while (!s.heap.empty()) {
    std::pop_heap(s.heap.begin(), s.heap.end(), Later{});
    BpeScratch::Candidate c = s.heap.back();
    s.heap.pop_back();
    BpeScratch::Symbol& left = s.symbols[c.left];
    // Stale: a symbol of the pair was merged away or grew since the push.
    // (Symbols only grow, so equal ids mean the same pair.)
    if (left.id != c.left_id || left.next < 0) continue;
    BpeScratch::Symbol& right = s.symbols[left.next];
    if (right.id != c.right_id) continue;

    left.id = c.merged;
    right.id = -1;  // dead
    left.next = right.next;
    if (right.next >= 0) s.symbols[right.next].prev = c.left;
    if (left.prev >= 0) push_pair(source, s, left.prev);
    push_pair(source, s, c.left);
  }

  ids.clear();
  for (std::int32_t i = 0; i >= 0; i = s.symbols[i].next) ids.push_back(s.symbols[i].id);
}

}  // namespace rg::llm::local
