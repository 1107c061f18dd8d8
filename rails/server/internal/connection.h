// Not for use outside rails/server/.
//
// One accepted TCP connection: reads requests one after another (HTTP/1.1
// keep-alive), routes each, writes the answer, and enforces the limits of
// ServerOptions. Every member runs on the connection's strand, except
// ApiService::handle, which runs on the handler pool and reaches the socket
// only through posts back to the strand (ChunkedSink).
//
// Life of a request:
//   read_header  (header_timeout; too big: 413/431; malformed: 400)
//   read_body    (body_timeout; 100-continue answered; too big: 413)
//   dispatch     /health, /metrics, / here; anything else to the pool (503
//                past max_concurrent_requests)
//   send / finish_stream  -> finish_request (metrics, access log) -> read_header
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "rails/server/api.h"
#include "rails/server/internal/server_state.h"

namespace rg::rails::server::internal {

class ChunkedSink;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<ServerState> state, boost::asio::ip::tcp::socket socket);
  ~Connection();

  // Registers with the state and starts reading (on the strand).
  void start();
  // Shutdown: drops the connection when it is waiting for a request. Posts
  // itself to the strand.
  void close_if_idle();

 private:
  friend class ChunkedSink;
  enum class Phase { kReading, kHandling, kClosed };

  void read_header();
  void on_header(boost::beast::error_code ec);
  void read_body();
  void on_body(boost::beast::error_code ec);
  void dispatch();
  void run_service(ApiRequest request);

  // Starts a request's bookkeeping for an error found before dispatch.
  void begin_request();
  // Writes `response` (keep_alive_ decides whether the connection stays).
  void send(HttpResponse response);
  void send_error(int status, std::string_view message, std::string_view type);
  // After a streamed response's last chunk.
  void finish_stream(int status, size_t bytes, bool broken);
  void finish_request(int status, size_t bytes);
  void close();
  // After a `Connection: close` answer: stop sending, read and discard what
  // the client still sends (up to 1 s / 1 MiB), then close, so that the
  // client sees the answer rather than a reset.
  void linger_close();
  void linger_read(size_t drained);

  std::shared_ptr<ServerState> state_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  Phase phase_ = Phase::kReading;
  std::string peer_;

  // The request being answered.
  std::chrono::steady_clock::time_point start_;
  std::string method_;
  std::string path_;   // as sent, without the query
  std::string route_;  // the metrics label
  std::string request_id_;
  bool keep_alive_ = false;
  bool service_request_ = false;
};

}  // namespace rg::rails::server::internal
