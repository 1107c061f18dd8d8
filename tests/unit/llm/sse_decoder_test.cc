#include "llm/providers/openai_compatible/sse_decoder.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using rg::llm::openai_compatible::SseDecoder;
using Events = std::vector<std::string>;

TEST_CASE("SSE: events split anywhere, CRLF, comments, multi-line data, no final blank line") {
  SseDecoder d;
  CHECK(d.feed("data: {\"a\"").empty());
  CHECK(d.feed(":1}\r\n") == Events{});
  CHECK(d.feed("\r\n") == Events{"{\"a\":1}"});
  CHECK(d.feed(": keep-alive\n\nevent: x\nid: 3\ndata:b\ndata: c\n\n") == Events{"b\nc"});
  CHECK(d.feed("data: [DONE]") == Events{});
  CHECK(d.finish() == Events{"[DONE]"});
}
