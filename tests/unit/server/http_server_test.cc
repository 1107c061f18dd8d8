// The HTTP core (rails/server/http_server.h) on an ephemeral loopback port,
// with a fake ApiService, driven by libcurl and, for what curl will not send
// (a head that never ends, garbage), by a raw socket.
#include "rails/server/http_server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "rails/server/metrics.h"

namespace rs = rg::rails::server;
using namespace std::chrono_literals;

namespace {

// /echo: the request back; /stream: five SSE events, 20 ms apart; /slow:
// waits until release(); /throw: throws; anything else: 404.
class FakeService : public rs::ApiService {
 public:
  explicit FakeService(rs::MetricsSink* metrics) : metrics_(metrics) {}

  bool handle(const rs::ApiRequest& request, rs::HttpResponse* response,
              rs::StreamSink& stream) override {
    if (request.path == "/echo") {
      if (metrics_) {
        metrics_->rail_activated("input", "self check input", "passed");
        metrics_->llm_call("gpt-test", "self_check_input", 0.02, true);
      }
      response->body = request.method + " " + request.path + " " + request.body;
      response->content_type = "text/plain";
      response->headers.push_back({"X-Echo", "yes"});
      return false;
    }
    if (request.path == "/stream") {
      stream.start(200, "text/event-stream");
      for (int i = 0; i < 5; ++i) {
        if (!stream.write("data: " + std::to_string(i) + "\n\n")) break;
        std::this_thread::sleep_for(20ms);
      }
      return true;
    }
    if (request.path == "/slow") {
      std::unique_lock lock(mutex_);
      ++waiting_;
      cv_.notify_all();
      cv_.wait_for(lock, 3s, [&] { return released_; });
      --waiting_;
      response->body = "{\"slow\":\"done\"}";
      return false;
    }
    if (request.path == "/throw") throw std::runtime_error("boom");
    response->status = 404;
    response->body = "{\"error\":{\"message\":\"no route\",\"type\":\"not_found\"}}";
    return false;
  }

  void flush() override { flushed = true; }

  // Waits until `n` /slow requests are inside handle().
  bool wait_for_slow(int n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, 3s, [&] { return waiting_ >= n; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }

  std::atomic<bool> flushed{false};

 private:
  rs::MetricsSink* metrics_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool released_ = false;
};

rs::ServerOptions test_options() {
  rs::ServerOptions o;
  o.port = 0;
  o.threads = 2;
  o.handler_threads = 8;
  o.max_body_bytes = 1024;
  o.header_timeout = 300ms;
  o.body_timeout = 300ms;
  o.max_concurrent_requests = 2;
  o.shutdown_grace = 3s;
  o.access_log = false;
  return o;
}

struct TestServer {
  explicit TestServer(rs::ServerOptions options = test_options())
      : metrics(std::make_shared<rs::Metrics>()),
        service(std::make_shared<FakeService>(metrics.get())),
        server(std::move(options), service, metrics) {
    std::string error;
    REQUIRE_MESSAGE(server.listen(&error), error);
    thread = std::thread([this] { ran = server.run(); });
  }
  ~TestServer() {
    service->release();
    server.stop();
    if (thread.joinable()) thread.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server.port()) + path;
  }

  std::shared_ptr<rs::Metrics> metrics;
  std::shared_ptr<FakeService> service;
  rs::HttpServer server;
  std::thread thread;
  std::atomic<bool> ran{false};
};

struct Reply {
  long status = 0;
  std::string body;
  std::string headers;
  int body_pieces = 0;  // write callbacks: how the body arrived
  long new_connections = -1;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* reply = static_cast<Reply*>(user);
  reply->body.append(data, size * n);
  ++reply->body_pieces;
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  static_cast<Reply*>(user)->headers.append(data, size * n);
  return size * n;
}

// One request on `curl` (a handle reused across calls keeps its connection).
Reply perform(CURL* curl, const std::string& url, const std::string& method = "GET",
              const std::string& body = "", const std::vector<std::string>& headers = {}) {
  Reply reply;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 4000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
  struct curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(list);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (rc != CURLE_OK) {
    reply.status = -1;
    reply.body = curl_easy_strerror(rc);
    return reply;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &reply.new_connections);
  return reply;
}

Reply fetch(const std::string& url, const std::string& method = "GET", const std::string& body = "",
            const std::vector<std::string>& headers = {}) {
  CURL* curl = curl_easy_init();
  Reply reply = perform(curl, url, method, body, headers);
  curl_easy_cleanup(curl);
  return reply;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A raw TCP connection to the server (for what curl cannot send).
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{3, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawClient() { ::close(fd_); }
  void send(const std::string& data) {
    REQUIRE(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size()));
  }
  // Everything until the server closes (or 3 s pass: `closed` stays false).
  std::string read_all(bool* closed) {
    std::string out;
    char buf[4096];
    *closed = false;
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) {
        *closed = true;
        break;
      }
      if (n < 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
};

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
} curl_global;

}  // namespace

TEST_CASE("GET /health, the chat page, a request id, and the service behind everything else") {
  TestServer t;
  Reply health = fetch(t.url("/health"));
  CHECK(health.status == 200);
  CHECK(health.body == "{\"status\":\"ok\"}");
  CHECK(has(health.headers, "X-Request-Id: "));

  Reply page = fetch(t.url("/"));
  CHECK(page.status == 200);
  CHECK(has(page.headers, "text/html"));
  CHECK(has(page.body, "<html"));

  Reply echo = fetch(t.url("/echo?x=1"), "POST", "hello", {"X-Request-Id: abc-123"});
  CHECK(echo.status == 200);
  CHECK(echo.body == "POST /echo hello");
  CHECK(has(echo.headers, "X-Echo: yes"));
  CHECK(has(echo.headers, "X-Request-Id: abc-123"));

  Reply missing = fetch(t.url("/nope"));
  CHECK(missing.status == 404);
  CHECK(has(missing.body, "\"error\""));

  Reply thrown = fetch(t.url("/throw"));
  CHECK(thrown.status == 500);
  CHECK(thrown.body ==
        "{\"error\":{\"message\":\"internal error: boom\",\"type\":\"internal_error\",\"param\":null,"
        "\"code\":null}}");
}

TEST_CASE("--disable-chat-ui: GET / is a status") {
  auto options = test_options();
  options.disable_chat_ui = true;
  TestServer t(options);
  Reply page = fetch(t.url("/"));
  CHECK(page.status == 200);
  CHECK(page.body == "{\"status\":\"ok\"}");
}

TEST_CASE("--prefix is stripped before routing; paths outside it are 404") {
  auto options = test_options();
  options.prefix = "/rails/";
  TestServer t(options);
  CHECK(fetch(t.url("/rails/health")).status == 200);
  CHECK(fetch(t.url("/rails")).status == 200);  // the chat page
  Reply echo = fetch(t.url("/rails/echo"), "POST", "x");
  CHECK(echo.body == "POST /echo x");
  Reply outside = fetch(t.url("/health"));
  CHECK(outside.status == 404);
  CHECK(has(outside.body, "\"type\":\"not_found\""));
  CHECK(fetch(t.url("/railsx/health")).status == 404);
}

TEST_CASE("keep-alive: one connection carries several requests") {
  TestServer t;
  CURL* curl = curl_easy_init();
  Reply first = perform(curl, t.url("/health"));
  Reply second = perform(curl, t.url("/echo"), "POST", "again");
  Reply third = perform(curl, t.url("/health"));
  curl_easy_cleanup(curl);
  CHECK(first.new_connections == 1);
  CHECK(second.status == 200);
  CHECK(second.new_connections == 0);
  CHECK(third.new_connections == 0);
}

TEST_CASE("a body over the limit is 413 with a JSON error") {
  TestServer t;
  Reply big = fetch(t.url("/echo"), "POST", std::string(4000, 'x'));
  CHECK(big.status == 413);
  CHECK(has(big.body, "\"type\":\"request_too_large\""));
  CHECK(fetch(t.url("/echo"), "POST", std::string(1000, 'x')).status == 200);
}

TEST_CASE("beyond max_concurrent_requests: 503; /health still answers") {
  TestServer t;
  std::vector<std::thread> slow;
  std::vector<long> statuses(2, 0);
  for (int i = 0; i < 2; ++i) {
    slow.emplace_back([&, i] { statuses[i] = fetch(t.url("/slow")).status; });
  }
  REQUIRE(t.service->wait_for_slow(2));
  Reply busy = fetch(t.url("/echo"), "POST", "x");
  CHECK(busy.status == 503);
  CHECK(has(busy.body, "\"type\":\"server_overloaded\""));
  CHECK(has(busy.headers, "Retry-After: 1"));
  CHECK(fetch(t.url("/health")).status == 200);
  t.service->release();
  for (auto& th : slow) th.join();
  CHECK(statuses[0] == 200);
  CHECK(statuses[1] == 200);
  CHECK(fetch(t.url("/echo"), "POST", "x").status == 200);
}

TEST_CASE("a client that never finishes its head is dropped after header_timeout") {
  TestServer t;
  RawClient client(t.server.port());
  auto begin = std::chrono::steady_clock::now();
  client.send("GET /health HTTP/1.1\r\nHost: x\r\n");
  bool closed = false;
  std::string got = client.read_all(&closed);
  auto waited = std::chrono::steady_clock::now() - begin;
  CHECK(closed);
  CHECK(got.empty());
  CHECK(waited >= 250ms);
  CHECK(waited < 2s);
  CHECK(fetch(t.url("/health")).status == 200);  // the server is fine
}

TEST_CASE("a client that stops sending its body is dropped after body_timeout") {
  TestServer t;
  RawClient client(t.server.port());
  client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
  bool closed = false;
  client.read_all(&closed);
  CHECK(closed);
}

TEST_CASE("malformed requests are 400 with a JSON error") {
  TestServer t;
  {
    RawClient client(t.server.port());
    client.send("GARBAGE\r\n\r\n");
    bool closed = false;
    std::string got = client.read_all(&closed);
    CHECK(got.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(has(got, "{\"error\":{\"message\":\"malformed HTTP request"));
    CHECK(closed);
  }
  {
    RawClient client(t.server.port());
    client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    bool closed = false;
    std::string got = client.read_all(&closed);
    CHECK(got.rfind("HTTP/1.1 400", 0) == 0);
  }
}

TEST_CASE("SSE: chunks arrive in order, one by one, over chunked encoding") {
  TestServer t;
  Reply stream = fetch(t.url("/stream"));
  CHECK(stream.status == 200);
  CHECK(has(stream.headers, "Content-Type: text/event-stream"));
  CHECK(has(stream.headers, "Transfer-Encoding: chunked"));
  CHECK(stream.body == "data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n");
  CHECK(stream.body_pieces >= 3);  // flushed as written, not buffered to the end
  // The connection is still usable after a stream.
  CURL* curl = curl_easy_init();
  perform(curl, t.url("/stream"));
  Reply after = perform(curl, t.url("/health"));
  curl_easy_cleanup(curl);
  CHECK(after.status == 200);
  CHECK(after.new_connections == 0);
}

TEST_CASE("GET /metrics: requests by route and status, latency, rails, LLM calls") {
  TestServer t;
  for (int i = 0; i < 3; ++i) fetch(t.url("/health"));
  fetch(t.url("/echo"), "POST", "x");
  fetch(t.url("/nope"));
  // A request is counted once its last byte is sent, which may be after the
  // client has read it: scrape until the last one shows (5 s at most).
  Reply m;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    m = fetch(t.url("/metrics"));
    if (has(m.body, "railguard_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n") &&
        has(m.body, "railguard_http_requests_total{route=\"/health\",status=\"200\"} 3\n") &&
        has(m.body, "railguard_http_requests_total{route=\"/echo\",status=\"200\"} 1\n"))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  CHECK(m.status == 200);
  CHECK(has(m.headers, "text/plain; version=0.0.4"));
  CHECK(has(m.body, "railguard_http_requests_total{route=\"/health\",status=\"200\"} 3\n"));
  CHECK(has(m.body, "railguard_http_requests_total{route=\"/echo\",status=\"200\"} 1\n"));
  CHECK(has(m.body, "railguard_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"));
  CHECK(has(m.body, "# TYPE railguard_http_request_duration_seconds histogram\n"));
  CHECK(has(m.body, "railguard_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 3\n"));
  CHECK(has(m.body, "railguard_http_request_duration_seconds_count{route=\"/health\"} 3\n"));
  CHECK(has(m.body,
            "railguard_rails_activated_total{type=\"input\",name=\"self check input\","
            "outcome=\"passed\"} 1\n"));
  CHECK(has(m.body,
            "railguard_llm_calls_total{model=\"gpt-test\",task=\"self_check_input\","
            "outcome=\"ok\"} 1\n"));
  CHECK(has(m.body, "railguard_llm_call_duration_seconds_bucket{model=\"gpt-test\",le=\"0.025\"} 1\n"));
}

TEST_CASE("stop() while a request is in flight: it completes, then flush(), then run() returns") {
  auto t = std::make_unique<TestServer>();
  long status = 0;
  std::string body;
  std::thread client([&] {
    Reply r = fetch(t->url("/slow"));
    status = r.status;
    body = r.body;
  });
  REQUIRE(t->service->wait_for_slow(1));
  t->server.stop();
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(t->service->flushed.load());  // still waiting for the request
  t->service->release();
  client.join();
  t->thread.join();
  CHECK(status == 200);
  CHECK(body == "{\"slow\":\"done\"}");
  CHECK(t->service->flushed.load());
  CHECK(t->ran.load());
  CHECK(t->server.abandoned_requests() == 0);
}

TEST_CASE("listen() on a taken port fails with a message") {
  TestServer t;
  auto options = test_options();
  options.port = t.server.port();
  rs::HttpServer second(options, t.service, nullptr);
  std::string error;
  CHECK_FALSE(second.listen(&error));
  CHECK(has(error, "cannot listen on 127.0.0.1:"));
}
