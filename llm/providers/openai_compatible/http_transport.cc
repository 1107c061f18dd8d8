#include "llm/providers/openai_compatible/http_transport.h"

#include <curl/curl.h>

#include <chrono>
#include <cstring>
#include <memory>

namespace rg::llm::openai_compatible {

namespace {

using Clock = std::chrono::steady_clock;

// curl_global_init is not thread-safe; a function-local static runs it once.
bool curl_ready() {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

struct Transfer {
  const std::function<bool(std::string_view)>* on_body = nullptr;
  HttpResult* result = nullptr;
  Clock::time_point last_activity = Clock::now();
  bool aborted = false;
};

bool is_2xx(long status) { return status >= 200 && status < 300; }

std::string trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->last_activity = Clock::now();
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {  // a new status line (after 1xx, redirects): start over
    size_t sp = line.find(' ');
    t->result->status = sp == std::string::npos ? 0 : std::strtol(line.c_str() + sp + 1, nullptr, 10);
    t->result->retry_after.clear();
  } else if (line.size() > 12 && strncasecmp(line.c_str(), "retry-after:", 12) == 0) {
    t->result->retry_after = trim(line.substr(12));
  }
  return size * count;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->last_activity = Clock::now();
  const size_t n = size * count;
  if (t->on_body && *t->on_body && is_2xx(t->result->status)) {
    if (!(*t->on_body)(std::string_view(data, n))) {
      t->aborted = true;
      return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
    }
  } else {
    t->result->body.append(data, n);
  }
  return n;
}

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct MultiDeleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

HttpResult http_post(const HttpRequest& request,
                     const std::function<bool(std::string_view)>& on_body) {
  HttpResult result;
  if (!curl_ready()) {
    result.failure = HttpFailure::kTransport;
    result.detail = "curl_global_init failed";
    return result;
  }
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
  if (!easy || !multi) {
    result.failure = HttpFailure::kTransport;
    result.detail = "could not create a libcurl handle";
    return result;
  }

  curl_slist* raw_headers = nullptr;
  for (const std::string& h : request.headers) raw_headers = curl_slist_append(raw_headers, h.c_str());
  // No "Expect: 100-continue" round trip for large prompts.
  raw_headers = curl_slist_append(raw_headers, "Expect:");
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw_headers);

  Transfer t;
  t.on_body = &on_body;
  t.result = &result;
  char errbuf[CURL_ERROR_SIZE] = {0};

  CURL* h = easy.get();
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, request.connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode

  curl_multi_add_handle(multi.get(), h);
  // Driven through the multi interface so the read timeout can be checked
  // every few milliseconds (CURLOPT_LOW_SPEED_TIME counts whole seconds).
  const Clock::time_point started = Clock::now();
  bool connected = false;
  int running = 1;
  while (running) {
    if (curl_multi_perform(multi.get(), &running) != CURLM_OK) break;
    if (!running) break;
    curl_multi_poll(multi.get(), nullptr, 0, 20, nullptr);
    if (!connected) {
      // Connected once libcurl reports a connect time; past the connect
      // timeout libcurl would have failed otherwise, so that counts too.
      curl_off_t connect_us = 0;
      curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
      if (connect_us > 0 ||
          Clock::now() - started > std::chrono::milliseconds(request.connect_timeout_ms)) {
        connected = true;
        t.last_activity = Clock::now();
      }
    } else if (Clock::now() - t.last_activity > std::chrono::milliseconds(request.read_timeout_ms)) {
      curl_multi_remove_handle(multi.get(), h);
      result.failure = HttpFailure::kReadTimeout;
      result.detail = "no data for " + std::to_string(request.read_timeout_ms) + " ms";
      result.body_complete = false;
      return result;
    }
  }

  CURLcode code = CURLE_OK;
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued))
    if (msg->msg == CURLMSG_DONE && msg->easy_handle == h) code = msg->data.result;
  curl_multi_remove_handle(multi.get(), h);

  if (code == CURLE_OK) return result;
  result.detail = errbuf[0] ? errbuf : curl_easy_strerror(code);
  if (t.aborted) {
    result.failure = HttpFailure::kAborted;
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    result.failure = connected ? HttpFailure::kReadTimeout : HttpFailure::kConnectTimeout;
  } else if (result.status != 0 &&
             (code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING)) {
    // An answer had started: report what came, flagged as cut short.
    result.body_complete = false;
  } else {
    result.failure = HttpFailure::kTransport;
  }
  return result;
}

}  // namespace rg::llm::openai_compatible
