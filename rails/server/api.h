// The seam between the HTTP server (http_server.h: Boost.Beast, connections,
// limits, routing) and what the endpoints do (api_service.h: configs, chat,
// threads, OpenAI shapes). The HTTP layer never parses a chat request; the
// service never sees a socket. Both are safe to call from many threads.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rg::rails::server {

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// A response sent piece by piece (Server-Sent Events, raw chunks). The HTTP
// layer implements it with chunked transfer encoding.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Sends the status line and headers; must be called once, before write().
  virtual void start(int status, std::string content_type) = 0;
  // Sends one chunk now. False when the client has gone (stop generating).
  virtual bool write(std::string_view data) = 0;
};

// One request as the service sees it.
struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the server's --prefix, e.g. "/v1/chat/completions"
  std::string body;
  std::string request_id;  // for logs and error bodies
};

// Rails activity the service reports to the server's metrics (GET /metrics).
class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  // outcome: "passed" | "stopped" (the rail stopped the turn)
  virtual void rail_activated(std::string_view type, std::string_view name, std::string_view outcome) = 0;
  virtual void llm_call(std::string_view model, std::string_view task, double seconds, bool ok) = 0;
};

class ApiService {
 public:
  virtual ~ApiService() = default;
  // Handles every route except /health, /metrics and the chat UI page.
  // Returns true when it wrote a streamed response to `stream`; otherwise
  // fills `response`. Unknown routes: 404 JSON {"error": {...}}.
  virtual bool handle(const ApiRequest& request, HttpResponse* response, StreamSink& stream) = 0;
  // Flushes persistent state (threads) before shutdown.
  virtual void flush() = 0;
};

}  // namespace rg::rails::server
