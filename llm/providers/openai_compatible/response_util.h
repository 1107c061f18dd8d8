// Internal: not for use outside llm/providers/openai_compatible/.
//
// What the chat/completions provider and the embeddings client both do with
// an OpenAI-style answer: parse its JSON with a message that says where it
// broke, pull the provider's own error text out of an error body, and decide
// how long to wait before retrying a 429 / 5xx.
#pragma once

#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "llm/providers/openai_compatible/config.h"
#include "llm/result.h"

namespace rg::llm::openai_compatible {

// The first `limit` bytes of `s` ("..." appended when cut), for messages.
std::string excerpt(const std::string& s, size_t limit = 200);

// Parses `text` into `out`; on failure sets `what` to
// "malformed JSON at byte N (<start of text>)" and returns false.
bool parse_json(const std::string& text, nlohmann::json& out, std::string& what);

// The provider's own words from an error body ({"error": {"message": ...}},
// {"error": "..."} or {"detail": ...}), else the body's start.
std::string error_text(const std::string& body);

// Retry-After in ms (seconds as a number; HTTP dates are not honoured), or -1.
long retry_after_ms(const std::string& value);

// How long to wait before retry number `attempt` (0-based): Retry-After when
// the server sent one, else jittered exponential back-off (base * 2^attempt,
// capped, a random half of it taken off); never above retry_max_delay_ms.
long retry_delay_ms(const Options& options, int attempt, const std::string& retry_after,
                    std::minstd_rand& rng);

// POSTs `body` as JSON to `url` with the options' timeouts and API key,
// retrying 429 / 5xx as the chat provider does; returns the answer's JSON
// object. Errors read "<engine>: POST <url>: <what>" (kTimeout, kTransport,
// kProvider, kBadResponse). For the non-streaming endpoints (/embeddings,
// /completions for log-probabilities).
Result<nlohmann::json> post_json_with_retries(const Options& options, const std::string& url,
                                              const nlohmann::json& body);

// The Error post_json_with_retries would give for `what` at `url`.
Error endpoint_error(const Options& options, const std::string& url, ErrorCode code, const std::string& what);

}  // namespace rg::llm::openai_compatible
