#include "retrieval/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace rg::retrieval {
namespace {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%lds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  }
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, std::size_t total, Mode mode, std::FILE* out,
                         std::size_t min_items)
    : label_(std::move(label)), total_(total), mode_(mode), out_(out) {
  if (!out_ || total_ < min_items || total_ == 0) mode_ = Mode::kOff;
  if (mode_ == Mode::kAuto) mode_ = isatty(fileno(out_)) ? Mode::kInPlace : Mode::kLines;
  start_ = last_draw_ = Clock::now();
  if (mode_ != Mode::kOff) draw(false);
}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::advance(std::size_t n) {
  if (finished_) return;
  done_ = std::min(total_, done_ + n);
  if (mode_ == Mode::kOff) return;
  if (mode_ == Mode::kInPlace) {
    const auto now = Clock::now();
    if (now - last_draw_ >= std::chrono::milliseconds(100) || done_ == total_) draw(false);
  } else {
    const int quarter = static_cast<int>(done_ * 4 / total_);
    if (quarter > quarters_printed_ && done_ < total_) {
      quarters_printed_ = quarter;
      draw(false);
    }
  }
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (mode_ == Mode::kOff) return;
  draw(true);
}

void ProgressBar::draw(bool final) {
  last_draw_ = Clock::now();
  const double elapsed = std::chrono::duration<double>(last_draw_ - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const int percent = static_cast<int>(done_ * 100 / total_);
  std::string tail;
  if (done_ > 0 && rate > 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "  %.0f items/s", rate);
    tail = buf;
    if (final || done_ == total_) {
      tail += "  " + format_duration(elapsed);
    } else {
      tail += "  ETA " + format_duration(static_cast<double>(total_ - done_) / rate);
    }
  }
  if (mode_ == Mode::kInPlace) {
    constexpr int kWidth = 20;
    const int filled = static_cast<int>(done_ * kWidth / total_);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(kWidth - filled), '-');
    // Trailing spaces wipe a longer previous line.
    std::fprintf(out_, "\r%s [%s] %zu/%zu %3d%%%s    ", label_.c_str(), bar.c_str(), done_, total_,
                 percent, tail.c_str());
    if (final) std::fputc('\n', out_);
  } else {
    std::fprintf(out_, "%s: %zu/%zu (%d%%)%s\n", label_.c_str(), done_, total_, percent, tail.c_str());
  }
  std::fflush(out_);
}

}  // namespace rg::retrieval
