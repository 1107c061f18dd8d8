#include "tests/unit/llm/mock_openai_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

namespace rg::llm::testing {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

// Sends all of `data`; false when the peer has gone (no SIGPIPE).
bool send_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

MockResponse MockResponse::json(int status, std::string body) {
  MockResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.parts = {std::move(body)};
  return r;
}

MockResponse MockResponse::sse(const std::vector<std::string>& events) {
  MockResponse r;
  r.headers = {{"Content-Type", "text/event-stream"}};
  for (const std::string& e : events) r.parts.push_back("data: " + e + "\n\n");
  return r;
}

std::string RecordedRequest::header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return "";
}

MockOpenAiServer::MockOpenAiServer(std::vector<MockResponse> script) : script_(std::move(script)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("mock server: socket() failed");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // any free port
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0)
    throw std::runtime_error("mock server: bind/listen on 127.0.0.1 failed");
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

MockOpenAiServer::~MockOpenAiServer() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::string MockOpenAiServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/v1";
}

std::vector<RecordedRequest> MockOpenAiServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

bool MockOpenAiServer::sleep_ms(int ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    if (stop_) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return !stop_;
}

void MockOpenAiServer::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    handle(fd);
    ::close(fd);
  }
}

void MockOpenAiServer::handle(int fd) {
  // Read the head, then Content-Length bytes of body.
  std::string in;
  size_t head_end = std::string::npos;
  size_t content_length = 0;
  char buf[4096];
  auto read_some = [&]() -> bool {
    pollfd p{fd, POLLIN, 0};
    while (!stop_) {
      int r = ::poll(&p, 1, 20);
      if (r < 0) return false;
      if (r == 0) continue;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
      return true;
    }
    return false;
  };
  while ((head_end = in.find("\r\n\r\n")) == std::string::npos)
    if (!read_some()) return;

  RecordedRequest req;
  size_t line_end = in.find("\r\n");
  std::string request_line = in.substr(0, line_end);
  size_t sp1 = request_line.find(' ');
  size_t sp2 = request_line.find(' ', sp1 + 1);
  req.method = request_line.substr(0, sp1);
  req.path = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  for (size_t pos = line_end + 2; pos < head_end;) {
    size_t e = in.find("\r\n", pos);
    std::string line = in.substr(pos, e - pos);
    pos = e + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = lower(trim(line.substr(0, colon)));
    std::string value = trim(line.substr(colon + 1));
    if (name == "content-length") content_length = std::strtoul(value.c_str(), nullptr, 10);
    req.headers.emplace_back(name, value);
  }
  while (in.size() < head_end + 4 + content_length)
    if (!read_some()) return;
  req.body = in.substr(head_end + 4, content_length);

  MockResponse resp;
  {
    std::lock_guard<std::mutex> lock(mu_);
    size_t index = requests_.size();
    requests_.push_back(std::move(req));
    resp = index < script_.size()
               ? script_[index]
               : MockResponse::json(500, R"({"error": {"message": "script exhausted"}})");
  }

  if (!sleep_ms(resp.delay_before_ms)) return;
  std::string head = "HTTP/1.1 " + std::to_string(resp.status) + " " + reason(resp.status) + "\r\n";
  for (const auto& [k, v] : resp.headers) head += k + ": " + v + "\r\n";
  head += "Connection: close\r\n\r\n";
  if (!send_all(fd, head)) return;
  for (size_t i = 0; i < resp.parts.size(); ++i) {
    if (i > 0 && !sleep_ms(resp.delay_between_ms)) return;
    if (!send_all(fd, resp.parts[i])) return;
  }
  ::shutdown(fd, SHUT_WR);
}

}  // namespace rg::llm::testing
