// A scripted OpenAI-compatible HTTP server on loopback, for provider tests.
//
//   MockOpenAiServer server({MockResponse::json(200, R"({"choices": [...]})")});
//   // point a provider at server.base_url() ("http://127.0.0.1:<port>/v1")
//   server.requests();  // what came in, in order
//
// It listens on 127.0.0.1 with port 0 (the kernel picks a free one), serves
// one connection at a time on its own thread and answers the n-th request
// with the n-th scripted response (HTTP 500 "script exhausted" after the
// last). Every answer ends by closing the connection (no Content-Length), so
// a response can stop anywhere. Plain POSIX sockets, a tiny HTTP/1.1 reader
// (request line, headers, Content-Length body).
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace rg::llm::testing {

struct MockResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Connection: close
  std::vector<std::string> parts;  // body pieces, sent in order
  int delay_before_ms = 0;         // silence before the status line
  int delay_between_ms = 0;        // silence between body pieces

  static MockResponse json(int status, std::string body);
  // An SSE stream: each event as "data: <e>\n\n", in its own piece.
  static MockResponse sse(const std::vector<std::string>& events);
};

struct RecordedRequest {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& lower_name) const;  // "" when absent
};

class MockOpenAiServer {
 public:
  explicit MockOpenAiServer(std::vector<MockResponse> script);
  ~MockOpenAiServer();
  MockOpenAiServer(const MockOpenAiServer&) = delete;
  MockOpenAiServer& operator=(const MockOpenAiServer&) = delete;

  int port() const { return port_; }
  std::string base_url() const;  // http://127.0.0.1:<port>/v1
  std::vector<RecordedRequest> requests() const;

 private:
  void serve();
  void handle(int fd);
  bool sleep_ms(int ms);  // false when stopping

  std::vector<MockResponse> script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace rg::llm::testing
