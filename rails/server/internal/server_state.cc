#include "rails/server/internal/server_state.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace rg::rails::server::internal {

std::string ServerState::next_request_id() {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08x%08llx", id_seed,
                static_cast<unsigned long long>(id_counter.fetch_add(1, std::memory_order_relaxed)));
  return buf;
}

void ServerState::request_done(bool service_request) {
  if (service_request) {
    int now = service_requests.fetch_sub(1, std::memory_order_acq_rel) - 1;
    if (metrics) metrics->set_in_flight(now);
  }
  if (active_requests.fetch_sub(1, std::memory_order_acq_rel) == 1 &&
      stopping.load(std::memory_order_acquire)) {
    std::lock_guard lock(mutex);  // so run() cannot miss the wake-up
    cv.notify_all();
  }
}

void ServerState::log_access(std::string_view peer, std::string_view method, std::string_view path,
                             int status, size_t bytes, double seconds,
                             std::string_view request_id) const {
  if (!options.access_log) return;
  // One fwrite per line, so lines from different threads do not interleave.
  char line[1024];
  int n = std::snprintf(line, sizeof line, "railguard: %.*s \"%.*s %.*s\" %d %zu %.3fms %.*s\n",
                        static_cast<int>(peer.size()), peer.data(),
                        static_cast<int>(method.size()), method.data(),
                        static_cast<int>(std::min<size_t>(path.size(), 512)), path.data(), status,
                        bytes, seconds * 1e3, static_cast<int>(request_id.size()),
                        request_id.data());
  if (n > 0) std::fwrite(line, 1, std::min<size_t>(static_cast<size_t>(n), sizeof line - 1), stderr);
}

std::string json_error(std::string_view message, std::string_view type) {
  // The same shape as the service's errors (and OpenAI's).
  nlohmann::ordered_json body = {
      {"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}};
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace rg::rails::server::internal
