#include "llm/providers/local/stop_strings.h"

#include <algorithm>
#include <utility>

namespace rg::llm::local {

StopStringFilter::StopStringFilter(std::vector<std::string> stops) {
  for (std::string& s : stops) {
    if (s.empty()) continue;
    longest_ = std::max(longest_, s.size());
    stops_.push_back(std::move(s));
  }
}

std::string StopStringFilter::push(std::string_view piece) {
  if (stopped_) return "";
  text_.append(piece);
  if (stops_.empty()) {
    std::string out = text_.substr(emitted_);
    emitted_ = text_.size();
    return out;
  }
  // A match cannot begin before emitted_: what was emitted had no suffix that
  // starts a stop string (it was held back otherwise).
  std::size_t first = std::string::npos;
  for (const std::string& s : stops_) first = std::min(first, text_.find(s, emitted_));
  if (first != std::string::npos) {
    text_.resize(first);
    stopped_ = true;
    std::string out = text_.substr(emitted_);
    emitted_ = text_.size();
    return out;
  }
  // Hold back the longest tail that is a proper prefix of some stop string.
  const std::size_t pending = text_.size() - emitted_;
  std::size_t hold = 0;
  for (std::size_t k = std::min(longest_ - 1, pending); k > 0 && hold == 0; --k) {
    const std::string_view tail = std::string_view(text_).substr(text_.size() - k);
    for (const std::string& s : stops_)
      if (s.size() > k && std::string_view(s).substr(0, k) == tail) {
        hold = k;
        break;
      }
  }
  std::string out = text_.substr(emitted_, pending - hold);
  emitted_ += out.size();
  return out;
}

std::string StopStringFilter::finish() {
  std::string out = text_.substr(emitted_);
  emitted_ = text_.size();
  return out;
}

}  // namespace rg::llm::local
