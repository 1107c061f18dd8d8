// Not for use outside rails/server/.
//
// What the HTTP server's connections share: options, the service, metrics,
// the I/O context, the handler pool, the request counters shutdown waits on.
// Held by shared_ptr from every connection and every queued handler, so
// nothing a connection touches can go away under it.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "rails/server/api.h"
#include "rails/server/internal/worker_pool.h"
#include "rails/server/metrics.h"
#include "rails/server/server_options.h"

namespace rg::rails::server::internal {

class Connection;

struct ServerState {
  ServerOptions options;
  std::shared_ptr<ApiService> service;
  std::shared_ptr<Metrics> metrics;
  std::unique_ptr<boost::asio::io_context> ioc;
  std::unique_ptr<WorkerPool> pool;

  std::atomic<bool> stopping{false};
  // Requests read and not yet answered (every route): shutdown waits for 0.
  std::atomic<int> active_requests{0};
  // Requests given to the service and not yet answered: the 503 limit.
  std::atomic<int> service_requests{0};

  // run() waits here for stop() and then for active_requests to reach 0.
  std::mutex mutex;
  std::condition_variable cv;
  bool stop_requested = false;  // under mutex

  // Open connections, so that shutdown can close the idle ones.
  std::mutex connections_mutex;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;

  // A fresh id for a request that brought none (X-Request-Id).
  std::string next_request_id();
  // Called once per answered request (after its last byte is written).
  void request_done(bool service_request);
  // One access log line on stderr (when options.access_log).
  void log_access(std::string_view peer, std::string_view method, std::string_view path, int status,
                  size_t bytes, double seconds, std::string_view request_id) const;

  uint32_t id_seed = 0;
  std::atomic<uint64_t> id_counter{0};
};

// The JSON error body every error response carries:
// {"error": {"message": ..., "type": ..., "param": null, "code": null}}.
std::string json_error(std::string_view message, std::string_view type);

}  // namespace rg::rails::server::internal
