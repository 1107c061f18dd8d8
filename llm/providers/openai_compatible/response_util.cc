#include "llm/providers/openai_compatible/response_util.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

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

}  // namespace rg::llm::openai_compatible
