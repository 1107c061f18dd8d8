// retrieval/progress.h: a progress bar on stderr for long embedding runs
// (SearchIndex construction over more than kProgressMinItems texts).
//
//   ProgressBar bar("embedding", texts.size());   // silent below kProgressMinItems
//   for (each batch) { embed(batch); bar.advance(batch.size()); }
//   bar.finish();                                  // also done by the destructor
//
// On a terminal the bar is redrawn in place with '\r' (at most every 100 ms):
//   embedding [##########----------]  5120/10240  50%  812 items/s  ETA 6s
// Elsewhere (CI logs, files) it prints plain lines instead: one at the start,
// one at each quarter, one at the end, so logs stay readable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace rg::retrieval {

// Runs over fewer items than this print nothing.
inline constexpr std::size_t kProgressMinItems = 256;

class ProgressBar {
 public:
  enum class Mode {
    kAuto,     // kInPlace when `out` is a terminal, else kLines
    kInPlace,  // '\r' redraws
    kLines,    // a line per quarter
    kOff,      // nothing
  };

  // `total` items; prints only when total >= min_items (mode kOff otherwise).
  ProgressBar(std::string label, std::size_t total, Mode mode = Mode::kAuto,
              std::FILE* out = stderr, std::size_t min_items = kProgressMinItems);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `n` more items are done. Not thread-safe: one thread drives the bar.
  void advance(std::size_t n);
  // Prints the final state (100% if every item was reported) and a newline
  // in place mode. Idempotent.
  void finish();

  Mode mode() const { return mode_; }
  std::size_t done() const { return done_; }

 private:
  using Clock = std::chrono::steady_clock;
  void draw(bool final);

  std::string label_;
  std::size_t total_;
  Mode mode_;
  std::FILE* out_;
  std::size_t done_ = 0;
  int quarters_printed_ = 0;
  bool finished_ = false;
  Clock::time_point start_;
  Clock::time_point last_draw_;
};

}  // namespace rg::retrieval
