#include "rails/server/openai_shapes.h"

#include <chrono>
#include <cstdio>
#include <random>

namespace rg::rails::server {

using json = nlohmann::ordered_json;

std::string new_completion_id() {
  thread_local std::mt19937_64 rng(std::random_device{}() ^
                                   static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  char buf[32];
  uint64_t a = rng(), b = rng();
  std::snprintf(buf, sizeof buf, "%016llx%08llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b & 0xffffffffu));
  return std::string("chatcmpl-") + buf;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json chat_completion(const std::string& id, int64_t created, const std::string& model, const std::string& content,
                     const Usage& usage) {
  json message = {{"role", "assistant"}, {"content", content}};
  json choice = {{"index", 0}, {"message", message}, {"logprobs", nullptr}, {"finish_reason", "stop"}};
  return json{{"id", id},
              {"object", "chat.completion"},
              {"created", created},
              {"model", model},
              {"choices", json::array({choice})},
              {"usage",
               {{"prompt_tokens", usage.prompt_tokens},
                {"completion_tokens", usage.completion_tokens},
                {"total_tokens", usage.total_tokens}}}};
}

json chat_completion_chunk(const std::string& id, int64_t created, const std::string& model, std::string_view role,
                           std::string_view content, bool final) {
  json delta = json::object();
  if (!role.empty()) delta["role"] = std::string(role);
  if (!content.empty() || (!final && role.empty())) delta["content"] = std::string(content);
  if (!role.empty() && content.empty() && !final) delta["content"] = "";
  json choice = {{"index", 0}, {"delta", delta}, {"logprobs", nullptr}};
  choice["finish_reason"] = final ? json("stop") : json(nullptr);
  return json{{"id", id},
              {"object", "chat.completion.chunk"},
              {"created", created},
              {"model", model},
              {"choices", json::array({choice})}};
}

json models_list(const std::vector<std::string>& ids, int64_t created) {
  json data = json::array();
  for (const auto& id : ids) {
    data.push_back({{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", "railguard"}});
  }
  return json{{"object", "list"}, {"data", data}};
}

json error_body(int status, const std::string& message, const std::string& param) {
  std::string type = status == 404   ? "not_found_error"
                     : status < 500  ? "invalid_request_error"
                     : status == 502 ? "upstream_error"
                     : status == 504 ? "upstream_timeout"
                                     : "server_error";
  json error = {{"message", message}, {"type", type}};
  error["param"] = param.empty() ? json(nullptr) : json(param);
  error["code"] = nullptr;
  return json{{"error", error}};
}

std::vector<std::string> stream_pieces(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r')) ++i;
    while (i < text.size() && !(text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r')) ++i;
    out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::string sse_event(const json& data) {
  return "data: " + data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

}  // namespace rg::rails::server
