// pii_bench: the cost of the sensitive-data rails per chat message
// (rails/safety/sensitive_data.h), every built-in entity enabled. Prints
// microseconds per message for detect() and mask() on typical chat
// messages with and without PII, and the "turn" cost: one input check plus
// one output check (detect on the user message, mask on the bot message).
// The budget is 100 us per turn; the physical floor is one pass over the
// text per regex (~1 ns/byte/regex), printed as the fraction reached.
#include <chrono>
#include <functional>
#include <cstdio>
#include <string>
#include <vector>

#include "rails/safety/sensitive_data.h"

using namespace rg::rails::safety;
using Clock = std::chrono::steady_clock;

namespace {

const std::vector<std::string> kMessages = {
    "Hi, can you help me reset my password? My email is jane.doe@example.com and my phone is +1 (415) 555-0132.",
    "What's the weather going to be like in Paris next week? I'm flying out on March 14, 2025.",
    "Please charge my card 4111 1111 1111 1111 and send the receipt to billing@acme-corp.io, thanks!",
    "I tried version 10.2 of the app and it crashed twice; the order number was 88213-4471. Any ideas?",
    "Sure! Here is a short summary of the article you sent: the company reported revenue growth of 12% "
    "in the third quarter, driven mainly by cloud services, while hardware sales declined slightly.",
    "My SSN is 536-22-8104 and my IBAN is DE89 3704 0044 0532 0130 00 — is it safe to send them here?",
    "Connect to the server at 10.0.4.17 or fe80::1ff:fe23:4567:890a and open https://docs.example.org/setup?x=1.",
    "Thanks, that answers my question. Have a great day!",
};

double time_us(const std::function<void()>& f, int reps) {
  auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) f();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / reps;
}

}  // namespace

int main() {
  SensitiveDataConfig cfg;
  cfg.input.entities = builtin_entities();
  cfg.output.entities = builtin_entities();
  std::string err;
  auto det = SensitiveDataDetector::create(cfg, &err);
  if (!det) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  const int reps = 20000;
  std::printf("%-6s %6s %9s %9s %9s %s\n", "msg", "bytes", "detect_us", "mask_us", "findings", "text");
  double total_detect = 0, total_mask = 0;
  size_t total_bytes = 0;
  volatile size_t sink = 0;
  for (size_t i = 0; i < kMessages.size(); ++i) {
    const std::string& m = kMessages[i];
    double d = time_us([&] { sink = sink + det->detect(Source::kInput, m).size(); }, reps);
    double k = time_us([&] { sink = sink + det->mask(Source::kOutput, m).size(); }, reps);
    total_detect += d;
    total_mask += k;
    total_bytes += m.size();
    std::printf("%-6zu %6zu %9.2f %9.2f %9zu %.48s...\n", i, m.size(), d, k, det->detect(Source::kInput, m).size(),
                m.c_str());
  }
  double n = static_cast<double>(kMessages.size());
  double turn = (total_detect + total_mask) / n;
  std::printf("\nmean per message: detect %.2f us, mask %.2f us (%.0f bytes)\n", total_detect / n, total_mask / n,
              total_bytes / n);
  std::printf("turn (input detect + output mask): %.2f us of a 100 us budget (%.0f%%)\n", turn, turn);
  // Floor: ~14 regex passes at ~1 ns/byte.
  double floor_us = 14.0 * (total_bytes / n) * 1e-3 * 2;
  std::printf("floor estimate (14 regex passes x 2 checks at 1 ns/byte): %.2f us -> %.0f%% of the floor speed\n",
              floor_us, 100.0 * floor_us / turn);
  return sink == 0xFFFFFFFF ? 1 : 0;
}
