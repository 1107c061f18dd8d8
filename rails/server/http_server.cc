#include "rails/server/http_server.h"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "rails/server/internal/connection.h"
#include "rails/server/internal/server_state.h"

namespace rg::rails::server {

namespace asio = boost::asio;
using asio::ip::tcp;

struct HttpServer::Listener {
  explicit Listener(asio::io_context& ioc) : acceptor(asio::make_strand(ioc)), signals(ioc) {}
  tcp::acceptor acceptor;
  asio::signal_set signals;
  bool listening = false;
};

namespace {

unsigned hardware_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

void accept_loop(const std::shared_ptr<internal::ServerState>& state, tcp::acceptor& acceptor) {
  acceptor.async_accept(asio::make_strand(*state->ioc),
                        [state, &acceptor](boost::system::error_code ec, tcp::socket socket) {
                          if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
                          if (!ec) {
                            std::make_shared<internal::Connection>(state, std::move(socket))->start();
                          }
                          // Other errors (out of descriptors, ...) drop one
                          // connection, not the server.
                          accept_loop(state, acceptor);
                        });
}

}  // namespace

HttpServer::HttpServer(ServerOptions options, std::shared_ptr<ApiService> service,
                       std::shared_ptr<Metrics> metrics)
    : state_(std::make_shared<internal::ServerState>()) {
  state_->options = std::move(options);
  if (state_->options.threads == 0) state_->options.threads = hardware_threads();
  if (state_->options.handler_threads == 0) {
    state_->options.handler_threads = std::max(8u, 4 * state_->options.threads);
  }
  // "/p/" and "/p" mean the same prefix.
  while (!state_->options.prefix.empty() && state_->options.prefix.back() == '/') {
    state_->options.prefix.pop_back();
  }
  state_->service = std::move(service);
  state_->metrics = std::move(metrics);
  state_->ioc = std::make_unique<asio::io_context>(static_cast<int>(state_->options.threads));
  state_->id_seed = std::random_device{}();
  listener_ = std::make_unique<Listener>(*state_->ioc);
}

HttpServer::~HttpServer() {
  stop();
  // The listener's I/O objects belong to the io_context; drop them first.
  listener_.reset();
}

bool HttpServer::listen(std::string* error) {
  if (listener_->listening) return true;
  const auto& options = state_->options;
  std::string where = options.host + ":" + std::to_string(options.port);
  boost::system::error_code ec;
  tcp::resolver resolver(*state_->ioc);
  auto results = resolver.resolve(options.host, std::to_string(options.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    if (error) *error = "cannot resolve host '" + options.host + "': " + ec.message();
    return false;
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  auto& acceptor = listener_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    if (error) *error = "cannot listen on " + where + ": " + ec.message();
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return false;
  }
  port_ = acceptor.local_endpoint(ec).port();
  listener_->listening = true;
  return true;
}

bool HttpServer::run(std::string* error) {
  if (!listen(error)) return false;
  auto& state = *state_;
  auto& ioc = *state.ioc;
  state.pool = std::make_unique<internal::WorkerPool>(state.options.handler_threads);
  auto work = asio::make_work_guard(ioc);

  accept_loop(state_, listener_->acceptor);
  if (state.options.handle_signals) {
    listener_->signals.add(SIGINT);
    listener_->signals.add(SIGTERM);
    listener_->signals.async_wait([this](boost::system::error_code ec, int signal) {
      if (ec) return;
      std::fprintf(stderr, "railguard: signal %d, shutting down (again to exit at once)\n", signal);
      stop();
      listener_->signals.async_wait([](boost::system::error_code ec2, int) {
        if (!ec2) std::_Exit(130);
      });
    });
  }

  std::vector<std::thread> threads;
  threads.reserve(state.options.threads);
  for (unsigned i = 0; i < state.options.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });

  std::unique_lock lock(state.mutex);
  state.cv.wait(lock, [&] { return state.stop_requested; });
  lock.unlock();

  // Stop accepting; drop the connections waiting for a request.
  asio::post(listener_->acceptor.get_executor(), [this] {
    boost::system::error_code ignored;
    listener_->acceptor.close(ignored);
  });
  {
    // Take the live connections out under the lock, close them after it: the
    // last reference to a connection may be ours, and its destructor takes
    // connections_mutex to unregister itself.
    std::vector<std::shared_ptr<internal::Connection>> live;
    {
      std::lock_guard connections_lock(state.connections_mutex);
      for (auto& [raw, weak] : state.connections) {
        if (auto connection = weak.lock()) live.push_back(std::move(connection));
      }
    }
    for (auto& connection : live) connection->close_if_idle();
  }
  // Let the requests in flight finish.
  lock.lock();
  state.cv.wait_for(lock, state.options.shutdown_grace,
                    [&] { return state.active_requests.load(std::memory_order_acquire) == 0; });
  lock.unlock();
  abandoned_ = state.active_requests.load(std::memory_order_acquire);

  work.reset();
  ioc.stop();
  for (auto& t : threads) t.join();

  if (abandoned_ > 0) {
    std::fprintf(stderr, "railguard: %d request(s) still running after the %lld ms grace period; "
                 "abandoned\n", abandoned_,
                 static_cast<long long>(state.options.shutdown_grace.count()));
  }
  if (state.service) state.service->flush();

  boost::system::error_code ignored;
  listener_->signals.cancel(ignored);
  listener_->signals.clear(ignored);
  if (abandoned_ > 0) {
    // Their handler threads may still hold the connections (and through
    // them the io_context): leave both to the process's exit.
    state.pool->abandon();
    listener_.release();
    (void)state.ioc.release();
  } else {
    state.pool->join();
    // Destroys the handlers still queued (and the connections they hold).
    listener_.reset();
    state.ioc.reset();
  }
  return true;
}

void HttpServer::stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stop_requested = true;
    state_->stopping.store(true, std::memory_order_release);
  }
  state_->cv.notify_all();
}

}  // namespace rg::rails::server
