// The OpenAI wire objects the server answers with on the OpenAI-compatible
// path: chat.completion, chat.completion.chunk, the models list, and the
// error body shared by every endpoint.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace rg::rails::server {

struct Usage {
  int prompt_tokens = 0, completion_tokens = 0, total_tokens = 0;
};

// "chatcmpl-" + 24 random hex digits.
std::string new_completion_id();
int64_t unix_now();

nlohmann::ordered_json chat_completion(const std::string& id, int64_t created, const std::string& model,
                                       const std::string& content, const Usage& usage);
// One chunk: `role` and/or `content` delta; finish_reason "stop" when `final`.
nlohmann::ordered_json chat_completion_chunk(const std::string& id, int64_t created, const std::string& model,
                                             std::string_view role, std::string_view content, bool final);
nlohmann::ordered_json models_list(const std::vector<std::string>& ids, int64_t created);

// {"error": {"message", "type", "param", "code"}}; type from the status
// (400 invalid_request_error, 404 not_found_error, 5xx server/upstream errors).
nlohmann::ordered_json error_body(int status, const std::string& message, const std::string& param = "");

// Splits a text into word-sized pieces that concatenate back to it (each
// piece is a word with the whitespace before it).
std::vector<std::string> stream_pieces(const std::string& text);

// "data: <json>\n\n"
std::string sse_event(const nlohmann::ordered_json& data);
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

}  // namespace rg::rails::server
