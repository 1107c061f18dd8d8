// post_json: one JSON request to a small HTTP service that is not an LLM
// (the reference's jailbreak heuristics server, an AlignScore server), with
// the same connection handling and error words as the LLM providers. The
// rails that call such services use this rather than libcurl directly.
//
//   auto r = rg::llm::post_json({"http://localhost:5000/alignscore_base", {{"evidence", e}, {"claim", c}}});
//   if (!r.ok()) ... r.error().message   // "POST http://...: HTTP 500: ..." / "connection failed: ..."
//   double score = r.value()["alignscore"].get<double>();
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "llm/result.h"

namespace rg::llm {

struct JsonRequest {
  std::string url;
  nlohmann::json body;
  long connect_timeout_ms = 10000;
  long read_timeout_ms = 60000;
};

// The answer's JSON object. Errors: kTimeout, kTransport, kProvider (a
// status other than 200, with the service's own error text), kBadResponse
// (cut short, not JSON, not an object). No retries: these services answer
// fast or not at all, and the rails decide what a failure means.
Result<nlohmann::json> post_json(const JsonRequest& request);

}  // namespace rg::llm
