#include "llm/providers/openai_compatible/sse_decoder.h"

namespace rg::llm::openai_compatible {

std::vector<std::string> SseDecoder::feed(std::string_view bytes) {
  std::vector<std::string> out;
  pending_.append(bytes);
  size_t start = 0;
  for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(pending_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    take_line(line, out);
  }
  pending_.erase(0, start);
  return out;
}

std::vector<std::string> SseDecoder::finish() {
  std::vector<std::string> out;
  if (!pending_.empty()) {
    std::string last = std::move(pending_);
    pending_.clear();
    if (!last.empty() && last.back() == '\r') last.pop_back();
    take_line(last, out);
  }
  take_line("", out);
  return out;
}

void SseDecoder::take_line(std::string_view line, std::vector<std::string>& out) {
  if (line.empty()) {  // end of event
    if (has_data_) out.push_back(std::move(data_));
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // comment
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  if (field != "data") return;
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (has_data_) data_ += '\n';
  data_.append(value);
  has_data_ = true;
}

}  // namespace rg::llm::openai_compatible
