#include "llm/json_service.h"

#include "llm/providers/openai_compatible/http_transport.h"
#include "llm/providers/openai_compatible/response_util.h"

namespace rg::llm {

namespace oc = openai_compatible;

Result<nlohmann::json> post_json(const JsonRequest& request) {
  const std::string& url = request.url;
  auto fail = [&](ErrorCode code, const std::string& what) {
    return Error{code, "POST " + url + ": " + what, url};
  };
  oc::HttpRequest http;
  http.url = url;
  http.headers = {"Content-Type: application/json", "Accept: application/json"};
  http.body = request.body.dump();
  http.connect_timeout_ms = request.connect_timeout_ms;
  http.read_timeout_ms = request.read_timeout_ms;

  oc::HttpResult r = oc::http_post(http);
  switch (r.failure) {
    case oc::HttpFailure::kNone:
      break;
    case oc::HttpFailure::kConnectTimeout:
      return fail(ErrorCode::kTimeout, "connect timeout after " + std::to_string(request.connect_timeout_ms) + " ms");
    case oc::HttpFailure::kReadTimeout:
      return fail(ErrorCode::kTimeout, "read timeout: " + r.detail);
    case oc::HttpFailure::kTransport:
    case oc::HttpFailure::kAborted:
      return fail(ErrorCode::kTransport, "connection failed: " + r.detail);
  }
  if (r.status != 200)
    return fail(ErrorCode::kProvider, "HTTP " + std::to_string(r.status) + ": " + oc::error_text(r.body));
  if (!r.body_complete)
    return fail(ErrorCode::kBadResponse, "response cut short after " + std::to_string(r.body.size()) + " bytes");
  nlohmann::json answer;
  std::string what;
  if (!oc::parse_json(r.body, answer, what)) return fail(ErrorCode::kBadResponse, what);
  if (!answer.is_object()) return fail(ErrorCode::kBadResponse, "response is not a JSON object");
  return answer;
}

}  // namespace rg::llm
