// Internal: not for use outside llm/providers/openai_compatible/.
//
// One HTTP POST over libcurl, with a connect timeout and a read timeout (the
// longest silence allowed once connected: waiting for the first byte of the
// answer or between two pieces of it). One CURL easy handle per call; no
// global mutable state (curl_global_init runs once, from a function-local
// static).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rg::llm::openai_compatible {

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  long connect_timeout_ms = 10000;
  long read_timeout_ms = 60000;
};

enum class HttpFailure {
  kNone,            // an HTTP answer came (any status)
  kConnectTimeout,  // no connection within connect_timeout_ms
  kReadTimeout,     // connected, then silence for read_timeout_ms
  kTransport,       // DNS, refused, reset, TLS, ... (detail says which)
  kAborted,         // on_body asked to stop
};

struct HttpResult {
  HttpFailure failure = HttpFailure::kNone;
  std::string detail;       // libcurl's words for a failure
  long status = 0;          // HTTP status of the final answer
  std::string retry_after;  // the Retry-After header, "" if absent
  std::string body;         // the body (for 2xx with on_body: left empty)
  bool body_complete = true;  // false when the connection broke mid-body
};

// POSTs `request`. For a 2xx answer each piece of the body goes to `on_body`
// when it is set (return false to abort); other answers are kept in `body`.
HttpResult http_post(const HttpRequest& request,
                     const std::function<bool(std::string_view)>& on_body = {});

}  // namespace rg::llm::openai_compatible
