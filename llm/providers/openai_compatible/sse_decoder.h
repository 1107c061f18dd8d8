// Internal: not for use outside llm/providers/openai_compatible/.
//
// Server-sent events, as OpenAI-compatible servers stream them:
//
//   data: {"choices":[{"delta":{"content":"Hel"}}]}
//   <blank line>
//   data: [DONE]
//
// feed() takes bytes as they arrive (any split, "\n" or "\r\n") and returns
// the data of every event completed by them; a multi-line event's data lines
// are joined with "\n". Comments (":...") and other fields (event:, id:,
// retry:) are skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rg::llm::openai_compatible {

class SseDecoder {
 public:
  std::vector<std::string> feed(std::string_view bytes);
  // At end of stream: the data of an event left without its blank line.
  std::vector<std::string> finish();

 private:
  void take_line(std::string_view line, std::vector<std::string>& out);

  std::string pending_;  // bytes after the last complete line
  std::string data_;     // data lines of the event being read
  bool has_data_ = false;
};

}  // namespace rg::llm::openai_compatible
