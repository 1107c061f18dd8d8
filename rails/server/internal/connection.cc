#include "rails/server/internal/connection.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/write.hpp>
#include <array>
#include <cstdio>
#include <exception>
#include <future>
#include <utility>

#include "rails/server/chat_ui.h"

namespace rg::rails::server::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kOkBody = "{\"status\":\"ok\"}";

// An X-Request-Id we pass on as is: short, printable, no separators.
bool usable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// Strips `prefix` ("/p") from `path`; false when the path is outside it.
bool strip_prefix(std::string_view prefix, std::string* path) {
  if (prefix.empty()) return true;
  std::string_view p = *path;
  if (p.substr(0, prefix.size()) != prefix) return false;
  std::string_view rest = p.substr(prefix.size());
  if (rest.empty()) {
    *path = "/";
    return true;
  }
  if (rest.front() != '/') return false;
  *path = std::string(rest);
  return true;
}

std::string_view reason(int status) {
  auto text = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)));
  return text.empty() ? std::string_view("Unknown") : std::string_view(text.data(), text.size());
}

bool is_disconnect(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::operation_aborted || ec == asio::error::broken_pipe ||
         ec == beast::error::timeout || ec == asio::error::bad_descriptor;
}

}  // namespace

// StreamSink over the connection: chunked transfer encoding, each write()
// sent before it returns (the calling handler thread waits for the strand).
class ChunkedSink : public StreamSink {
 public:
  explicit ChunkedSink(std::shared_ptr<Connection> connection)
      : connection_(std::move(connection)) {}

  void start(int status, std::string content_type) override {
    if (started_) return;
    started_ = true;
    status_ = status;
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason(status)) +
                       "\r\nServer: railguard\r\nContent-Type: " + content_type +
                       "\r\nTransfer-Encoding: chunked\r\nCache-Control: no-cache"
                       "\r\nX-Accel-Buffering: no\r\nX-Request-Id: " +
                       connection_->request_id_ +
                       (connection_->keep_alive_ ? "\r\nConnection: keep-alive"
                                                 : "\r\nConnection: close") +
                       "\r\n\r\n";
    send(std::move(head));
  }

  bool write(std::string_view data) override {
    if (!started_) start(200, "text/event-stream");
    if (data.empty()) return !broken_;  // an empty chunk would end the body
    char size[24];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string chunk = size;
    chunk.append(data);
    chunk += "\r\n";
    bytes_ += data.size();
    return send(std::move(chunk));
  }

  // The last chunk; then the connection carries on on its strand.
  void finish() {
    if (!broken_) send("0\r\n\r\n");
    auto connection = connection_;
    asio::post(connection->stream_.get_executor(),
               [connection, status = status_, bytes = bytes_, broken = broken_] {
                 connection->finish_stream(status, bytes, broken);
               });
  }

  bool started() const { return started_; }

 private:
  bool send(std::string data) {
    if (broken_) return false;
    auto buffer = std::make_shared<std::string>(std::move(data));
    auto done = std::make_shared<std::promise<bool>>();
    std::future<bool> result = done->get_future();
    auto connection = connection_;
    asio::post(connection->stream_.get_executor(), [connection, buffer, done] {
      connection->stream_.expires_after(connection->state_->options.write_timeout);
      asio::async_write(connection->stream_, asio::buffer(*buffer),
                        [connection, buffer, done](beast::error_code ec, size_t) {
                          done->set_value(!ec);
                        });
    });
    // The strand answers within write_timeout; the margin covers a stopped
    // I/O context (shutdown past its grace period), which never answers.
    auto limit = connection->state_->options.write_timeout + std::chrono::seconds(1);
    if (result.wait_for(limit) != std::future_status::ready || !result.get()) broken_ = true;
    return !broken_;
  }

  std::shared_ptr<Connection> connection_;
  bool started_ = false;
  bool broken_ = false;
  int status_ = 200;
  size_t bytes_ = 0;
};

Connection::Connection(std::shared_ptr<ServerState> state, asio::ip::tcp::socket socket)
    : state_(std::move(state)), stream_(std::move(socket)) {
  beast::error_code ec;
  auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) peer_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

Connection::~Connection() {
  std::lock_guard lock(state_->connections_mutex);
  state_->connections.erase(this);
}

void Connection::start() {
  {
    std::lock_guard lock(state_->connections_mutex);
    state_->connections.emplace(this, weak_from_this());
  }
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
}

void Connection::close_if_idle() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ == Phase::kReading) self->close();
  });
}

void Connection::read_header() {
  if (state_->stopping.load(std::memory_order_acquire)) {
    close();
    return;
  }
  phase_ = Phase::kReading;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(state_->options.max_header_bytes));
  parser_->body_limit(state_->options.max_body_bytes);
  stream_.expires_after(state_->options.header_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            self->on_header(ec);
                          });
}

void Connection::on_header(beast::error_code ec) {
  if (phase_ == Phase::kClosed) return;
  if (ec == http::error::body_limit) {
    begin_request();
    send_error(413, "request body larger than " + std::to_string(state_->options.max_body_bytes) +
                        " bytes", "request_too_large");
    return;
  }
  if (ec == http::error::header_limit) {
    begin_request();
    send_error(431, "request headers larger than " +
                        std::to_string(state_->options.max_header_bytes) + " bytes",
               "request_header_fields_too_large");
    return;
  }
  if (ec && is_disconnect(ec)) {
    close();
    return;
  }
  if (ec) {
    begin_request();
    send_error(400, "malformed HTTP request: " + ec.message(), "invalid_request_error");
    return;
  }
  start_ = Clock::now();
  auto& req = parser_->get();
  if (beast::iequals(req[http::field::expect], "100-continue") && !parser_->is_done()) {
    auto note = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
    stream_.expires_after(state_->options.write_timeout);
    asio::async_write(stream_, asio::buffer(*note),
                      [self = shared_from_this(), note](beast::error_code ec, size_t) {
                        if (ec) {
                          self->close();
                        } else {
                          self->read_body();
                        }
                      });
    return;
  }
  read_body();
}

void Connection::read_body() {
  if (parser_->is_done()) {
    on_body({});
    return;
  }
  stream_.expires_after(state_->options.body_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
}

void Connection::on_body(beast::error_code ec) {
  if (phase_ == Phase::kClosed) return;
  if (ec == http::error::body_limit) {
    begin_request();
    send_error(413, "request body larger than " + std::to_string(state_->options.max_body_bytes) +
                        " bytes", "request_too_large");
    return;
  }
  if (ec && is_disconnect(ec)) {
    close();
    return;
  }
  if (ec) {
    begin_request();
    send_error(400, "malformed HTTP request body: " + ec.message(), "invalid_request_error");
    return;
  }
  dispatch();
}

void Connection::begin_request() {
  phase_ = Phase::kHandling;
  start_ = Clock::now();
  state_->active_requests.fetch_add(1, std::memory_order_acq_rel);
  service_request_ = false;
  keep_alive_ = false;  // the request was not read to its end
  route_ = "invalid";
  method_ = "-";
  path_ = "-";
  if (parser_ && parser_->got_some()) {
    // The header may be complete (body errors): name the request if it is.
    if (parser_->is_header_done()) {
      auto& req = parser_->get();
      method_ = std::string(req.method_string());
      path_ = std::string(req.target().substr(0, req.target().find('?')));
    }
  }
  request_id_ = state_->next_request_id();
}

void Connection::dispatch() {
  phase_ = Phase::kHandling;
  state_->active_requests.fetch_add(1, std::memory_order_acq_rel);
  service_request_ = false;
  http::request<http::string_body> req = parser_->release();
  parser_.reset();
  method_ = std::string(req.method_string());
  std::string_view target = req.target();
  path_ = std::string(target.substr(0, target.find('?')));
  std::string_view incoming_id = req["X-Request-Id"];
  request_id_ = usable_request_id(incoming_id) ? std::string(incoming_id) : state_->next_request_id();
  keep_alive_ = req.keep_alive() && !state_->stopping.load(std::memory_order_acquire);

  std::string path = path_;
  if (!strip_prefix(state_->options.prefix, &path)) {
    route_ = "unmatched";
    send_error(404, "no route for " + path_ + " (the server's prefix is " +
                        state_->options.prefix + ")", "not_found");
    return;
  }
  const bool get = req.method() == http::verb::get;
  if (get && path == "/health") {
    route_ = "/health";
    send(HttpResponse{200, "application/json", std::string(kOkBody), {}});
    return;
  }
  if (get && path == "/metrics") {
    route_ = "/metrics";
    send(HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                      state_->metrics ? state_->metrics->render() : std::string(), {}});
    return;
  }
  if (get && path == "/") {
    route_ = "/";
    if (state_->options.disable_chat_ui) {
      send(HttpResponse{200, "application/json", std::string(kOkBody), {}});
    } else {
      send(HttpResponse{200, "text/html; charset=utf-8", chat_ui_html(), {}});
    }
    return;
  }

  route_ = path;
  int now = state_->service_requests.fetch_add(1, std::memory_order_acq_rel) + 1;
  service_request_ = true;
  if (state_->metrics) state_->metrics->set_in_flight(now);
  if (now > static_cast<int>(state_->options.max_concurrent_requests)) {
    route_ = "overloaded";
    HttpResponse busy{503, "application/json",
                      json_error("server busy: " +
                                     std::to_string(state_->options.max_concurrent_requests) +
                                     " requests in flight; try again",
                                 "server_overloaded"),
                      {{"Retry-After", "1"}}};
    send(std::move(busy));
    return;
  }
  ApiRequest request{method_, std::move(path), std::move(req.body()), request_id_};
  state_->pool->post([self = shared_from_this(), request = std::move(request)]() mutable {
    self->run_service(std::move(request));
  });
}

// On a handler thread.
void Connection::run_service(ApiRequest request) {
  HttpResponse response;
  ChunkedSink sink(shared_from_this());
  bool streamed = false;
  try {
    streamed = state_->service->handle(request, &response, sink);
  } catch (const std::exception& e) {
    response = HttpResponse{500, "application/json",
                            json_error(std::string("internal error: ") + e.what(), "internal_error"),
                            {}};
  } catch (...) {
    response = HttpResponse{500, "application/json", json_error("internal error", "internal_error"),
                            {}};
  }
  if (sink.started()) {
    // A handler that started a stream owns the response even if it then
    // returned false: the status line is gone already.
    sink.finish();
    return;
  }
  (void)streamed;
  asio::post(stream_.get_executor(), [self = shared_from_this(), response = std::move(response)]() mutable {
    self->send(std::move(response));
  });
}

void Connection::send_error(int status, std::string_view message, std::string_view type) {
  send(HttpResponse{status, "application/json", json_error(message, type), {}});
}

void Connection::send(HttpResponse response) {
  auto res = std::make_shared<http::response<http::string_body>>(
      http::int_to_status(static_cast<unsigned>(response.status)), 11);
  res->result(static_cast<unsigned>(response.status));
  res->set(http::field::server, "railguard");
  res->set(http::field::content_type, response.content_type);
  res->set("X-Request-Id", request_id_);
  for (auto& [name, value] : response.headers) res->set(name, value);
  res->body() = std::move(response.body);
  res->keep_alive(keep_alive_);
  res->prepare_payload();
  const int status = response.status;
  const size_t bytes = res->body().size();
  stream_.expires_after(state_->options.write_timeout);
  http::async_write(stream_, *res,
                    [self = shared_from_this(), res, status, bytes](beast::error_code ec, size_t) {
                      self->finish_request(status, bytes);
                      if (ec) {
                        self->close();
                      } else if (!self->keep_alive_) {
                        self->linger_close();
                      } else {
                        self->read_header();
                      }
                    });
}

void Connection::finish_stream(int status, size_t bytes, bool broken) {
  finish_request(status, bytes);
  if (broken) {
    close();
  } else if (!keep_alive_) {
    linger_close();
  } else {
    read_header();
  }
}

void Connection::finish_request(int status, size_t bytes) {
  double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  if (state_->metrics) {
    std::string_view route = route_;
    // A 404 from the service for a path it does not serve would put every
    // probed URL in a label; a 404 on a real route (unknown config) counts there.
    if (status == 404 && service_request_ && route != "/v1/chat/completions" &&
        route != "/v1/models" && route != "/v1/rails/configs") {
      route = "unmatched";
    }
    if (route.size() > 64) route = "other";
    state_->metrics->request(route, status, seconds);
  }
  state_->log_access(peer_, method_, path_, status, bytes, seconds, request_id_);
  bool service = service_request_;
  service_request_ = false;
  state_->request_done(service);
}

void Connection::linger_close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  stream_.expires_after(std::chrono::seconds(1));
  linger_read(0);
}

void Connection::linger_read(size_t drained) {
  auto scratch = std::make_shared<std::array<char, 8192>>();
  stream_.async_read_some(
      asio::buffer(*scratch),
      [self = shared_from_this(), scratch, drained](beast::error_code ec, size_t n) {
        if (ec || drained + n > (1u << 20)) {
          self->stream_.close();
        } else {
          self->linger_read(drained + n);
        }
      });
}

void Connection::close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  stream_.close();
}

}  // namespace rg::rails::server::internal
