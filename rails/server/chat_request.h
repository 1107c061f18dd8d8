// Parsing and validating the body of POST /v1/chat/completions (both the
// NeMo-Guardrails shape and the OpenAI one). Errors name the field at fault.
//
//   ChatRequest r;
//   RequestError e;
//   if (!parse_chat_request(body, &r, &e)) respond(e.status, e.message, e.param);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rails/dialog/generation.h"

namespace rg::rails::server {

struct RequestError {
  int status = 400;
  std::string message;  // "messages[2].role: expected one of user, assistant, ..."
  std::string param;    // the field ("" for none: JSON null in the error body)
};

struct ChatRequest {
  // The OpenAI-compatible path: `model` given and no config_id/config_ids.
  bool openai = false;
  std::string model;
  std::vector<std::string> config_ids;  // empty: the server's default
  // Validated messages ({"role", "content"} each; event messages keep their
  // "event" dict), `context` already turned into a leading context message.
  std::vector<nlohmann::ordered_json> messages;
  bool stream = false;
  bool raw_stream = false;  // stream_format: "raw"
  bool options_given = false;
  nlohmann::ordered_json options;  // the `options` object (OpenAI: temperature/max_tokens folded in)
  std::optional<nlohmann::ordered_json> state;  // given (an empty {} too)
  std::optional<std::string> thread_id;
};

// Reads `body`. False with `error` set on malformed JSON or a bad field.
bool parse_chat_request(std::string_view body, ChatRequest* request, RequestError* error);

// Parses JSON; on failure `error` says "invalid JSON at byte N: ...".
bool parse_json(std::string_view body, nlohmann::ordered_json* out, RequestError* error);

// A validated message as the dialog pipeline takes it.
dialog::ChatMessage to_chat_message(const nlohmann::ordered_json& message);

}  // namespace rg::rails::server
