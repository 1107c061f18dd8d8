// Reproducible ids and random numbers for a conversation: everything derives
// from the conversation's seed and a counter, so two runs with the same seed
// produce the same uids (tests, replays) and no global generator is shared
// between threads. Used by the 2.x State and the 1.0 Conversation.
#pragma once

#include <cstdint>
#include <string>

namespace rg::runtime::internal {

// SplitMix64: one step of a small, well-mixed 64-bit generator.
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A UUID-4-shaped id for the `counter`-th id of a conversation with `seed`.
std::string seeded_uuid(uint64_t seed, uint64_t counter);

// A double in [0, 1) from the generator state (advanced in place).
inline double next_unit_double(uint64_t& state) {
  state = splitmix64(state);
  return static_cast<double>(state >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace rg::runtime::internal
