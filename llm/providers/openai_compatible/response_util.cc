#include "llm/providers/openai_compatible/response_util.h"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "llm/providers/openai_compatible/http_transport.h"

namespace rg::llm::openai_compatible {

using json = nlohmann::json;

std::string excerpt(const std::string& s, size_t limit) {
  return s.size() <= limit ? s : s.substr(0, limit) + "...";
}

bool parse_json(const std::string& text, json& out, std::string& what) {
  try {
    out = json::parse(text);
    return true;
  } catch (const json::parse_error& e) {
    what = "malformed JSON at byte " + std::to_string(e.byte) + " (" + excerpt(text, 80) + ")";
    return false;
  }
}

std::string error_text(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    auto e = j.find("error");
    if (e != j.end() && e->is_object() && e->contains("message") && (*e)["message"].is_string())
      return (*e)["message"].get<std::string>();
    if (e != j.end() && e->is_string()) return e->get<std::string>();
    auto d = j.find("detail");
    if (d != j.end()) return d->is_string() ? d->get<std::string>() : d->dump();
  }
  return excerpt(body);
}

long retry_after_ms(const std::string& value) {
  if (value.empty()) return -1;
  char* end = nullptr;
  double s = std::strtod(value.c_str(), &end);
  if (end == value.c_str() || *end != '\0' || !(s >= 0)) return -1;
  return static_cast<long>(std::llround(s * 1000.0));
}

long retry_delay_ms(const Options& o, int attempt, const std::string& retry_after,
                    std::minstd_rand& rng) {
  long delay = retry_after_ms(retry_after);
  if (delay < 0) {
    double full = std::min<double>(o.retry_max_delay_ms,
                                   o.retry_base_delay_ms * std::ldexp(1.0, attempt));
    delay = static_cast<long>(full / 2 + std::uniform_real_distribution<double>(0, full / 2)(rng));
  }
  return std::min(delay, o.retry_max_delay_ms);
}

Error endpoint_error(const Options& o, const std::string& url, ErrorCode code, const std::string& what) {
  return Error{code, o.engine + ": POST " + url + ": " + what, o.engine + " " + url};
}

Result<nlohmann::json> post_json_with_retries(const Options& o, const std::string& url, const nlohmann::json& body) {
  auto fail = [&](ErrorCode code, const std::string& what) { return endpoint_error(o, url, code, what); };
  HttpRequest http;
  http.url = url;
  http.headers = {"Content-Type: application/json", "Accept: application/json"};
  if (!o.api_key.empty()) http.headers.push_back("Authorization: Bearer " + o.api_key);
  http.body = body.dump();
  http.connect_timeout_ms = o.connect_timeout_ms;
  http.read_timeout_ms = o.read_timeout_ms;

  std::minstd_rand rng(std::random_device{}());
  for (int attempt = 0;; ++attempt) {
    HttpResult r = http_post(http);
    switch (r.failure) {
      case HttpFailure::kNone:
        break;
      case HttpFailure::kConnectTimeout:
        return fail(ErrorCode::kTimeout, "connect timeout after " + std::to_string(o.connect_timeout_ms) + " ms");
      case HttpFailure::kReadTimeout:
        return fail(ErrorCode::kTimeout, "read timeout: " + r.detail);
      case HttpFailure::kTransport:
      case HttpFailure::kAborted:
        return fail(ErrorCode::kTransport, "connection failed: " + r.detail);
    }
    if (r.status == 429 || (r.status >= 500 && r.status <= 599)) {
      if (attempt < o.max_retries) {
        std::this_thread::sleep_for(std::chrono::milliseconds(retry_delay_ms(o, attempt, r.retry_after, rng)));
        continue;
      }
      return fail(ErrorCode::kProvider, "HTTP " + std::to_string(r.status) + " (gave up after " +
                                            std::to_string(o.max_retries) + " retries): " + error_text(r.body));
    }
    if (r.status < 200 || r.status > 299)
      return fail(ErrorCode::kProvider, "HTTP " + std::to_string(r.status) + ": " + error_text(r.body));
    if (!r.body_complete)
      return fail(ErrorCode::kBadResponse, "response cut short after " + std::to_string(r.body.size()) + " bytes");
    json answer;
    std::string what;
    if (!parse_json(r.body, answer, what)) return fail(ErrorCode::kBadResponse, what);
    if (!answer.is_object()) return fail(ErrorCode::kBadResponse, "response is not a JSON object");
    return answer;
  }
}

}  // namespace rg::llm::openai_compatible
