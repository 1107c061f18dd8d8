// kernels/cpu/decoder_sampling.cc: sampling_uniform and sample_cpu of
// kernels/decoder.h, the reference the GPU sampler must reproduce bit for bit
// where it can. Hence every step below is spelled out: the order of the
// candidates, which float operations run, and in which order sums accumulate.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/decoder.h"

namespace rg::kernels {

namespace {

// argmax, the lowest id on ties (a strict > keeps the first maximum).
std::int32_t argmax(std::span<const float> logits) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[best]) best = i;
  return static_cast<std::int32_t>(best);
}

}  // namespace

// splitmix64's finaliser over seed + golden-ratio * (position + 1): a
// counter-based hash, so the draw at a position needs no state and does not
// depend on how the tokens were batched. The top 24 bits make a float in
// [0, 1) exactly.
float sampling_uniform(std::uint64_t seed, std::int64_t position) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(position + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (1.0f / 16777216.0f);
}

// The procedure (decoder.h states the rules; this is the exact recipe):
//   1. temperature <= 0: argmax, lowest id on ties. Done.
//   2. copy the logits; for each distinct id in history: l < 0 ? l * penalty
//      : l / penalty (HF's RepetitionPenaltyLogitsProcessor; skipped when
//      the penalty is 1).
//   3. l = l / temperature.
//   4. candidates: all ids by logit descending, ties by lower id; keep the
//      first top_k when top_k > 0.
//   5. softmax over the candidates in that order: m = first logit,
//      e_i = expf(l_i - m), sum = e_0 + e_1 + ... (float, in order),
//      p_i = e_i / sum.
//   6. top_p < 1: keep the shortest prefix whose running sum of p_i (float,
//      in order) reaches top_p; all of them if rounding never gets there.
//   7. u = sampling_uniform(seed, position) * (running sum over the kept);
//      walk the kept list accumulating p_i in float and return the first id
//      whose running sum exceeds u (the last kept one if none does).
std::int32_t sample_cpu(std::span<const float> logits, const SamplingParams& params,
                        std::span<const std::int32_t> history, std::int64_t position) {
  if (logits.empty()) throw std::invalid_argument("sample_cpu: no logits");
  if (!(params.temperature > 0.0f)) return argmax(logits);

  const std::size_t vocab = logits.size();
  std::vector<float> l(logits.begin(), logits.end());
  if (params.repetition_penalty != 1.0f) {
    std::vector<bool> seen(vocab, false);
    for (const std::int32_t id : history) {
      if (id < 0 || static_cast<std::size_t>(id) >= vocab)
        throw std::invalid_argument("sample_cpu: history id " + std::to_string(id) +
                                    " out of range [0, " + std::to_string(vocab) + ")");
      if (seen[static_cast<std::size_t>(id)]) continue;
      seen[static_cast<std::size_t>(id)] = true;
      float& v = l[static_cast<std::size_t>(id)];
      v = v < 0.0f ? v * params.repetition_penalty : v / params.repetition_penalty;
    }
  }
  for (float& v : l) v = v / params.temperature;

  std::vector<std::int32_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  const auto before = [&](std::int32_t a, std::int32_t b) {
    const float la = l[static_cast<std::size_t>(a)], lb = l[static_cast<std::size_t>(b)];
    return la > lb || (la == lb && a < b);
  };
  std::size_t kept = vocab;
  if (params.top_k > 0 && static_cast<std::size_t>(params.top_k) < vocab) {
    kept = static_cast<std::size_t>(params.top_k);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kept), order.end(), before);
  } else {
    std::sort(order.begin(), order.end(), before);
  }

  std::vector<float> p(kept);
  const float max_logit = l[static_cast<std::size_t>(order[0])];
  float sum = 0.0f;
  for (std::size_t i = 0; i < kept; ++i) {
    p[i] = std::exp(l[static_cast<std::size_t>(order[i])] - max_logit);
    sum += p[i];
  }
  for (float& v : p) v = v / sum;

  float kept_mass = 0.0f;
  if (params.top_p < 1.0f) {
    std::size_t n = 0;
    while (n < kept) {
      kept_mass += p[n++];
      if (kept_mass >= params.top_p) break;
    }
    kept = n;
  } else {
    for (std::size_t i = 0; i < kept; ++i) kept_mass += p[i];
  }

  const float u = sampling_uniform(params.seed, position) * kept_mass;
  float acc = 0.0f;
  for (std::size_t i = 0; i < kept; ++i) {
    acc += p[i];
    if (acc > u) return order[i];
  }
  return order[kept - 1];
}

}  // namespace rg::kernels
