// What `railguard server` listens on and the limits it enforces. Plain data;
// the HTTP core (http_server.h) reads it once at construction.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace rg::rails::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;  // 0: an ephemeral port (HttpServer::port() says which)
  // Stripped from every request path before routing ("/p": "/p/health" is
  // "/health"); a path outside it is a 404. Empty: none.
  std::string prefix;
  // Threads running the I/O (accept, read, write, timers). 0: the hardware
  // concurrency.
  unsigned threads = 0;
  // Threads running ApiService::handle (which may wait seconds on an LLM).
  // 0: max(8, 4 x threads).
  unsigned handler_threads = 0;

  // ---- limits (each exceeded limit answers with a JSON error or drops the connection)
  size_t max_body_bytes = 1 << 20;         // larger body: 413
  size_t max_header_bytes = 16 << 10;      // larger request head: 431
  // From waiting for a request (also on an idle keep-alive connection) until
  // its headers are in; then dropped without an answer.
  std::chrono::milliseconds header_timeout{10'000};
  // From the end of the headers until the whole body is in; then dropped.
  std::chrono::milliseconds body_timeout{30'000};
  // Writing one response (or one streamed chunk) to a client that does not read.
  std::chrono::milliseconds write_timeout{30'000};
  // Requests given to the ApiService at once; beyond it: 503. /health,
  // /metrics and the chat page are not counted.
  unsigned max_concurrent_requests = 256;
  // On stop(): how long requests in flight may take to finish.
  std::chrono::milliseconds shutdown_grace{10'000};

  bool disable_chat_ui = false;  // GET / answers {"status":"ok"} instead of the page
  bool access_log = true;        // one line per request on stderr
  bool handle_signals = false;   // SIGINT/SIGTERM call stop() (the CLI sets it)
};

}  // namespace rg::rails::server
