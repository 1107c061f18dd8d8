// OpenAiEmbeddingsClient against the scripted loopback server: request shape,
// batching, order by index, retries, and every malformed answer named.
#include "llm/providers/openai_compatible/embeddings_client.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/unit/llm/mock_openai_server.h"

using nlohmann::json;
using rg::llm::ErrorCode;
using rg::llm::OpenAiEmbeddingsClient;
using rg::llm::ProviderSettings;
using rg::llm::testing::MockOpenAiServer;
using rg::llm::testing::MockResponse;

namespace {

const bool kNoProxy = [] {
  ::setenv("no_proxy", "127.0.0.1,localhost", 1);
  ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
  return true;
}();

std::unique_ptr<OpenAiEmbeddingsClient> client_for(const MockOpenAiServer& server,
                                                   json extra = json::object()) {
  json p = {{"connect_timeout_ms", 1000}, {"read_timeout_ms", 2000},
            {"retry_base_delay_ms", 5},   {"retry_max_delay_ms", 50}};
  p.update(extra);
  auto c = rg::llm::make_openai_embeddings("vllm_openai", ProviderSettings{"embed-model", server.base_url(), p});
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  return std::move(c.value());
}

// data items for vectors (index given explicitly, in the order listed).
std::string answer(const std::vector<std::pair<int, std::vector<float>>>& items) {
  json data = json::array();
  for (const auto& [i, v] : items) data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", v}});
  return json({{"object", "list"}, {"data", data}, {"model", "embed-model"}}).dump();
}

}  // namespace

TEST_CASE("embeddings: one request, vectors in input order by index") {
  MockOpenAiServer server({MockResponse::json(200, answer({{1, {0, 1}}, {0, {1, 0}}}))});
  auto c = client_for(server, {{"input_type", "query"}});
  auto r = c->embed({"hello", "bye"});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r.value() == std::vector<std::vector<float>>{{1, 0}, {0, 1}});
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].path == "/v1/embeddings");
  json body = json::parse(reqs[0].body);
  CHECK(body["model"] == "embed-model");
  CHECK(body["input"] == json::array({"hello", "bye"}));
  CHECK(body["input_type"] == "query");  // extra parameters travel
  CHECK(body["encoding_format"] == "float");
}

TEST_CASE("embeddings: batches of max_batch_size; none for no input") {
  MockOpenAiServer server({MockResponse::json(200, answer({{0, {1}}, {1, {2}}})),
                           MockResponse::json(200, answer({{0, {3}}}))});
  auto c = client_for(server, {{"max_batch_size", 2}});
  CHECK(c->embed({}).value().empty());
  auto r = c->embed({"a", "b", "c"});
  REQUIRE(r.ok());
  CHECK(r.value() == std::vector<std::vector<float>>{{1}, {2}, {3}});
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(json::parse(reqs[1].body)["input"] == json::array({"c"}));
  CHECK_FALSE(json::parse(reqs[0].body).contains("max_batch_size"));
}

TEST_CASE("embeddings: 503 is retried, 400 is not") {
  MockOpenAiServer server({MockResponse::json(503, R"({"error":{"message":"busy"}})"),
                           MockResponse::json(200, answer({{0, {1, 2}}})),
                           MockResponse::json(400, R"({"error":{"message":"bad input"}})")});
  auto c = client_for(server);
  auto ok = c->embed({"x"});
  REQUIRE(ok.ok());
  auto bad = c->embed({"y"});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::kProvider);
  CHECK(bad.error().message.find("HTTP 400: bad input") != std::string::npos);
}

TEST_CASE("embeddings: malformed answers are named") {
  struct Case {
    std::string body;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"{not json", "malformed JSON at byte"},
      {R"({"data": 3})", "response has no data array"},
      {answer({{0, {1}}}), "1 embeddings for 2 inputs"},
      {answer({{0, {1}}, {0, {2}}}), "data[1].index 0 is repeated"},
      {answer({{0, {1}}, {5, {2}}}), "data[1].index is out of range"},
      {answer({{0, {1, 2}}, {1, {2}}}), "data[1].embedding has 1 dimensions"},
      {R"({"data": [{"index": 0, "embedding": [1]}, {"index": 1, "embedding": ["x"]}]})",
       "data[1].embedding holds a non-number"},
      {R"({"data": [{"index": 0}, {"index": 1, "embedding": [1]}]})", "response has no data[0].embedding"},
  };
  for (const Case& k : cases) {
    CAPTURE(k.body);
    MockOpenAiServer server({MockResponse::json(200, k.body)});
    auto r = client_for(server)->embed({"a", "b"});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kBadResponse);
    CHECK_MESSAGE(r.error().message.find(k.says) != std::string::npos, r.error().message);
  }
}

TEST_CASE("embeddings: bad settings") {
  auto no_model = rg::llm::make_openai_embeddings("vllm_openai", ProviderSettings{"", "http://127.0.0.1:1/v1", {}});
  REQUIRE_FALSE(no_model.ok());
  CHECK(no_model.error().code == ErrorCode::kBadConfig);
  auto bad_batch = rg::llm::make_openai_embeddings(
      "vllm_openai", ProviderSettings{"m", "http://127.0.0.1:1/v1", {{"max_batch_size", 0}}});
  REQUIRE_FALSE(bad_batch.ok());
  CHECK(bad_batch.error().message.find("parameters.max_batch_size") != std::string::npos);
  auto not_openai = rg::llm::make_openai_embeddings("FastEmbed", ProviderSettings{"m", "", {}});
  CHECK_FALSE(not_openai.ok());
}

TEST_CASE("embeddings: unreachable server is a transport error") {
  auto c = rg::llm::make_openai_embeddings(
      "vllm_openai", ProviderSettings{"m", "http://127.0.0.1:1/v1", {{"max_retries", 0}, {"connect_timeout_ms", 500}}});
  REQUIRE(c.ok());
  auto r = c.value()->embed({"a"});
  REQUIRE_FALSE(r.ok());
  CHECK((r.error().code == ErrorCode::kTransport || r.error().code == ErrorCode::kTimeout));
}
