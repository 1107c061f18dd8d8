// The rails server's HTTP core: Boost.Asio + Beast, HTTP/1.1 with keep-alive,
// limits, graceful shutdown, access log, metrics. It answers /health,
// /metrics and the chat page (GET /) itself and hands every other request to
// an ApiService (api.h).
//
//   ServerOptions options;
//   options.port = 0;                                  // ephemeral
//   auto metrics = std::make_shared<Metrics>();
//   HttpServer server(options, service, metrics);
//   std::string error;
//   if (!server.listen(&error)) die(error);
//   std::thread t([&] { server.run(); });              // blocks until stop()
//   ... talk to 127.0.0.1:server.port() ...
//   server.stop();                                     // any thread
//   t.join();
//
// Threads: options.threads run the I/O (accept, read, write, timers; a slow
// client costs a socket, never a thread); options.handler_threads run
// ApiService::handle, so a request waiting on an LLM never stalls the I/O.
//
// Shutdown (stop(), or SIGINT/SIGTERM with options.handle_signals): stop
// accepting, drop idle connections, let requests in flight finish (up to
// options.shutdown_grace; they answer with `Connection: close`), then
// service->flush(), then run() returns. A second signal exits at once.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "rails/server/api.h"
#include "rails/server/metrics.h"
#include "rails/server/server_options.h"

namespace rg::rails::server {

namespace internal {
struct ServerState;
}

class HttpServer {
 public:
  // `metrics` may be null (GET /metrics is then empty); the service must be
  // given the same object as its MetricsSink to report rails and LLM calls.
  HttpServer(ServerOptions options, std::shared_ptr<ApiService> service,
             std::shared_ptr<Metrics> metrics = nullptr);
  ~HttpServer();  // destroy after run() has returned (or was never called)
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Resolves host, binds and listens. False with `error` set ("cannot
  // listen on 127.0.0.1:8000: Address already in use"). run() calls it when
  // it was not called.
  bool listen(std::string* error);
  // The bound port (after listen(); the real one when options.port was 0).
  uint16_t port() const { return port_; }

  // Serves until stop(), then shuts down gracefully (see above). False only
  // when listening failed. Call once.
  bool run(std::string* error = nullptr);
  // Safe from any thread, any number of times, before or during run().
  void stop();

  // Requests the grace period ended without (0 after a clean shutdown).
  int abandoned_requests() const { return abandoned_; }

 private:
  struct Listener;
  std::shared_ptr<internal::ServerState> state_;
  std::unique_ptr<Listener> listener_;
  uint16_t port_ = 0;
  int abandoned_ = 0;
};

}  // namespace rg::rails::server
