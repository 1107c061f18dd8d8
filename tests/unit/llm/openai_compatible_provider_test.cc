// The OpenAI-compatible provider against a scripted server on loopback
// (mock_openai_server.h). Nothing here leaves 127.0.0.1; back-off delays and
// timeouts are shrunk through the provider's parameters.
#include "llm/providers/openai_compatible/openai_compatible_provider.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "llm/registry.h"
#include "tests/unit/llm/mock_openai_server.h"

using nlohmann::json;
using rg::llm::ErrorCode;
using rg::llm::LlmParams;
using rg::llm::LlmRequest;
using rg::llm::Message;
using rg::llm::Provider;
using rg::llm::ProviderSettings;
using rg::llm::testing::MockOpenAiServer;
using rg::llm::testing::MockResponse;

namespace {

// Small timeouts and back-off so failures come fast.
json test_parameters(json extra = json::object()) {
  json p = {{"connect_timeout_ms", 1000}, {"read_timeout_ms", 2000},
            {"retry_base_delay_ms", 5},   {"retry_max_delay_ms", 50}};
  p.update(extra);
  return p;
}

// Loopback must not go through a proxy from the environment.
const bool kNoProxy = [] {
  ::setenv("no_proxy", "127.0.0.1,localhost", 1);
  ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
  return true;
}();

std::shared_ptr<Provider> provider_for(const MockOpenAiServer& server, json extra = json::object(),
                                       const std::string& engine = "vllm_openai") {
  auto p = rg::llm::make_provider(
      engine, ProviderSettings{"test-model", server.base_url(), test_parameters(std::move(extra))});
  REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message));
  return p.value();
}

std::string completion_body(const std::string& text) {
  return json({{"model", "served-model"},
               {"choices", {{{"index", 0}, {"text", text}, {"finish_reason", "stop"}}}},
               {"usage", {{"prompt_tokens", 7}, {"completion_tokens", 3}, {"total_tokens", 10}}}})
      .dump();
}

std::string chat_body(const std::vector<std::string>& texts) {
  json choices = json::array();
  for (size_t i = 0; i < texts.size(); ++i)
    choices.push_back({{"index", i}, {"message", {{"role", "assistant"}, {"content", texts[i]}}}});
  return json({{"model", "served-model"}, {"choices", choices}}).dump();
}

std::string chat_delta(const std::string& piece) {
  return json({{"choices", {{{"index", 0}, {"delta", {{"content", piece}}}}}}}).dump();
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("completion: POST /completions with the parameters, text and usage back") {
  MockOpenAiServer server({MockResponse::json(200, completion_body("Hello!"))});
  auto llm = provider_for(server, {{"temperature", 0.7}});
  LlmParams params;
  params.max_tokens = 20;
  params.stop = {"\n"};
  auto r = llm->complete("general", "Say hi", params);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r.value().text == "Hello!");
  CHECK(r.value().choices == std::vector<std::string>{"Hello!"});
  CHECK(r.value().prompt_tokens == 7);
  CHECK(r.value().completion_tokens == 3);
  CHECK(r.value().total_tokens == 10);
  CHECK(r.value().model == "served-model");
  CHECK(r.value().duration_ms > 0);
  CHECK(r.value().finished_at >= r.value().started_at);
  CHECK(json::parse(r.value().raw_response)["choices"][0]["text"] == "Hello!");

  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == "/v1/completions");
  CHECK(requests[0].header("content-type") == "application/json");
  CHECK(requests[0].header("authorization") == "");  // vllm_openai needs no key
  json body = json::parse(requests[0].body);
  CHECK(body["model"] == "test-model");
  CHECK(body["prompt"] == "Say hi");
  CHECK(body["temperature"] == 0.7);  // from the model's parameters
  CHECK(body["max_tokens"] == 20);
  CHECK(body["stop"] == json::array({"\n"}));
  CHECK_FALSE(body.contains("n"));
  CHECK_FALSE(body.contains("stream"));
}

TEST_CASE("chat: messages go to /chat/completions; the API key as a bearer token") {
  MockOpenAiServer server({MockResponse::json(200, chat_body({"Hi there."}))});
  auto llm = provider_for(server, {{"api_key", "sk-test"}, {"top_p", 0.5}});
  auto r = llm->chat("general", {{"system", "Be brief."}, {"user", "Hello"}}, {});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r.value().text == "Hi there.");
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].path == "/v1/chat/completions");
  CHECK(requests[0].header("authorization") == "Bearer sk-test");
  json body = json::parse(requests[0].body);
  CHECK(body["messages"] == json::parse(R"([{"role": "system", "content": "Be brief."},
                                             {"role": "user", "content": "Hello"}])"));
  CHECK(body["top_p"] == 0.5);  // unknown parameters pass through
  CHECK_FALSE(body.contains("api_key"));
}

TEST_CASE("chat mode: a prompt becomes one user message; n goes to the server") {
  MockOpenAiServer server({MockResponse::json(200, chat_body({"one", "two"}))});
  auto llm = provider_for(server, {{"mode", "chat"}});
  LlmParams params;
  params.n = 2;
  auto r = llm->complete("general", "Count", params);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r.value().text == "one");
  CHECK(r.value().choices == std::vector<std::string>{"one", "two"});
  json body = json::parse(server.requests().at(0).body);
  CHECK(body["messages"] == json::parse(R"([{"role": "user", "content": "Count"}])"));
  CHECK(body["n"] == 2);
}

TEST_CASE("streaming: chunks reach the callback in order, up to [DONE]") {
  MockResponse stream = MockResponse::sse(
      {chat_delta("Hel"), chat_delta("lo"), chat_delta(" world"), "[DONE]"});
  stream.delay_between_ms = 10;
  MockOpenAiServer server({stream});
  auto llm = provider_for(server, {{"mode", "chat"}});
  std::vector<std::string> chunks;
  auto r = llm->generate(LlmRequest{"general", "Greet", {}, {}},
                         [&](std::string_view c) { chunks.emplace_back(c); });
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(chunks == std::vector<std::string>{"Hel", "lo", " world"});
  CHECK(r.value().text == "Hello world");
  json body = json::parse(server.requests().at(0).body);
  CHECK(body["stream"] == true);
  CHECK(server.requests().at(0).header("accept") == "text/event-stream");
}

TEST_CASE("streaming: a callback that throws stops the stream; the exception leaves generate()") {
  struct Stop {};
  MockResponse stream = MockResponse::sse(
      {chat_delta("a"), chat_delta("b"), chat_delta("c"), chat_delta("d"), "[DONE]"});
  stream.delay_between_ms = 10;
  MockOpenAiServer server({stream});
  auto llm = provider_for(server, {{"mode", "chat"}});
  std::string seen;
  bool stopped = false;
  try {
    llm->generate(LlmRequest{"general", "x", {}, {}}, [&](std::string_view c) {
      seen += c;
      if (seen == "ab") throw Stop{};
    });
  } catch (const Stop&) {
    stopped = true;
  }
  CHECK(stopped);
  CHECK(seen == "ab");
  CHECK(server.requests().size() == 1);  // not retried
}

TEST_CASE("streaming a completion: choices[].text pieces, CRLF lines, split events") {
  MockResponse stream;
  stream.headers = {{"Content-Type", "text/event-stream"}};
  stream.parts = {"data: {\"choices\": [{\"text\": \"a\"}]}\r\n\r\ndata: {\"choi",
                  "ces\": [{\"text\": \"b\"}]}\r\n\r\n: a comment\r\n\r\ndata: [DONE]\r\n\r\n"};
  stream.delay_between_ms = 10;
  MockOpenAiServer server({stream});
  auto llm = provider_for(server);
  std::string seen;
  auto r = llm->generate(LlmRequest{"general", "x", {}, {}},
                         [&](std::string_view c) { seen += std::string(c) + "|"; });
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(seen == "a|b|");
  CHECK(r.value().text == "ab");
  CHECK(server.requests().at(0).path == "/v1/completions");
}

TEST_CASE("429 then success: the call is retried") {
  MockOpenAiServer server({MockResponse::json(429, R"({"error": {"message": "slow down"}})"),
                           MockResponse::json(200, completion_body("ok"))});
  auto llm = provider_for(server);
  auto r = llm->complete("general", "x", {});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r.value().text == "ok");
  CHECK(server.requests().size() == 2);
}

TEST_CASE("Retry-After is honoured (up to retry_max_delay_ms)") {
  MockResponse busy = MockResponse::json(429, R"({"error": {"message": "slow down"}})");
  busy.headers.push_back({"Retry-After", "1"});
  MockOpenAiServer server({busy, MockResponse::json(200, completion_body("ok"))});
  auto llm = provider_for(server, {{"retry_max_delay_ms", 5000}});
  auto t0 = std::chrono::steady_clock::now();
  auto r = llm->complete("general", "x", {});
  REQUIRE(r.ok());
  CHECK(ms_since(t0) >= 950);
  CHECK(server.requests().size() == 2);
}

TEST_CASE("500 twice then success") {
  MockOpenAiServer server({MockResponse::json(500, R"({"error": "boom"})"),
                           MockResponse::json(502, "<html>bad gateway</html>"),
                           MockResponse::json(200, completion_body("third time"))});
  auto llm = provider_for(server);
  auto r = llm->complete("general", "x", {});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r.value().text == "third time");
  CHECK(server.requests().size() == 3);
}

TEST_CASE("5xx past max_retries: kProvider naming status, retries and the server's words") {
  MockResponse down = MockResponse::json(503, R"({"error": {"message": "overloaded"}})");
  MockOpenAiServer server({down, down, down, down});
  auto llm = provider_for(server, {{"max_retries", 2}});
  auto r = llm->complete("general", "x", {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kProvider);
  CHECK(r.error().message == "vllm_openai: POST " + server.base_url() +
                                 "/completions: HTTP 503 (gave up after 2 retries): overloaded");
  CHECK(r.error().where == "vllm_openai " + server.base_url() + "/completions");
  CHECK(server.requests().size() == 3);
}

TEST_CASE("4xx other than 429 is not retried") {
  MockOpenAiServer server({MockResponse::json(401, R"({"error": {"message": "bad key"}})"),
                           MockResponse::json(200, completion_body("never"))});
  auto llm = provider_for(server);
  auto r = llm->complete("general", "x", {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kProvider);
  CHECK(r.error().message.find("HTTP 401: bad key") != std::string::npos);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("read timeout: a silent server gives kTimeout quickly") {
  MockResponse slow = MockResponse::json(200, completion_body("late"));
  slow.delay_before_ms = 3000;
  MockOpenAiServer server({slow});
  auto llm = provider_for(server, {{"read_timeout_ms", 200}});
  auto t0 = std::chrono::steady_clock::now();
  auto r = llm->complete("general", "x", {});
  double elapsed = ms_since(t0);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kTimeout);
  CHECK(r.error().message.find("read timeout") != std::string::npos);
  CHECK(r.error().message.find(server.base_url() + "/completions") != std::string::npos);
  CHECK(elapsed >= 190);
  CHECK(elapsed < 1000);
  CHECK(server.requests().size() == 1);  // timeouts are not retried
}

TEST_CASE("read timeout between stream chunks") {
  MockResponse stream = MockResponse::sse({chat_delta("a"), chat_delta("b"), "[DONE]"});
  stream.delay_between_ms = 2000;
  MockOpenAiServer server({stream});
  auto llm = provider_for(server, {{"read_timeout_ms", 200}, {"mode", "chat"}});
  std::string seen;
  auto r = llm->generate(LlmRequest{"general", "x", {}, {}},
                         [&](std::string_view c) { seen += c; });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kTimeout);
  CHECK(seen == "a");
}

TEST_CASE("malformed JSON: kBadResponse naming provider, URL and the byte") {
  MockOpenAiServer server({MockResponse::json(200, R"({"choices": [oops]})")});
  auto llm = provider_for(server);
  auto r = llm->complete("general", "x", {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kBadResponse);
  CHECK(r.error().message.rfind("vllm_openai: POST " + server.base_url() +
                                    "/completions: malformed JSON at byte 14",
                                0) == 0);
}

TEST_CASE("a well-formed answer without the text: says which field is missing") {
  SUBCASE("chat") {
    MockOpenAiServer server({MockResponse::json(200, R"({"choices": [{"message": {}}]})")});
    auto r = provider_for(server, {{"mode", "chat"}})->complete("general", "x", {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kBadResponse);
    CHECK(r.error().message.find("response has no choices[0].message.content") !=
          std::string::npos);
  }
  SUBCASE("completion, empty choices") {
    MockOpenAiServer server({MockResponse::json(200, R"({"choices": []})")});
    auto r = provider_for(server)->complete("general", "x", {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("response has no choices[0].text") != std::string::npos);
  }
}

TEST_CASE("stream cut before [DONE]: kBadResponse, after the chunks that came") {
  MockOpenAiServer server({MockResponse::sse({chat_delta("partial"), chat_delta(" answer")})});
  auto llm = provider_for(server, {{"mode", "chat"}});
  std::string seen;
  auto r = llm->generate(LlmRequest{"general", "x", {}, {}},
                         [&](std::string_view c) { seen += c; });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kBadResponse);
  CHECK(r.error().message.find("stream ended before [DONE]") != std::string::npos);
  CHECK(r.error().message.find(server.base_url()) != std::string::npos);
  CHECK(seen == "partial answer");
}

TEST_CASE("malformed stream event: kBadResponse naming the event") {
  MockOpenAiServer server({MockResponse::sse({chat_delta("a"), "{not json", "[DONE]"})});
  auto llm = provider_for(server, {{"mode", "chat"}});
  auto r = llm->generate(LlmRequest{"general", "x", {}, {}}, [](std::string_view) {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kBadResponse);
  CHECK(r.error().message.find("stream event 2: malformed JSON at byte") != std::string::npos);
}

TEST_CASE("nobody listening: kTransport") {
  std::string base;
  {
    MockOpenAiServer gone({});
    base = gone.base_url();
  }
  auto p = rg::llm::make_provider("vllm_openai", ProviderSettings{"m", base, test_parameters()});
  REQUIRE(p.ok());
  auto r = p.value()->complete("general", "x", {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kTransport);
  CHECK(r.error().message.rfind("vllm_openai: POST " + base + "/completions: connection failed",
                                0) == 0);
}

TEST_CASE("engine defaults: base URLs, API keys from the environment, chat or completion") {
  using rg::llm::openai_compatible::parse_options;
  ::setenv("OPENAI_API_KEY", "sk-env", 1);
  ::setenv("NVIDIA_API_KEY", "nvapi-env", 1);

  auto openai = parse_options("openai", {"gpt-4o-mini", "", {}});
  REQUIRE(openai.ok());
  CHECK(openai.value().base_url == "https://api.openai.com/v1");
  CHECK(openai.value().api_key == "sk-env");
  CHECK(openai.value().chat);
  auto instruct = parse_options("openai", {"gpt-3.5-turbo-instruct", "", {}});
  REQUIRE(instruct.ok());
  CHECK_FALSE(instruct.value().chat);  // the reference's rule

  auto nim = parse_options("nvidia_ai_endpoints", {"meta/llama3-8b-instruct", "", {}});
  REQUIRE(nim.ok());
  CHECK(nim.value().base_url == "https://integrate.api.nvidia.com/v1");
  CHECK(nim.value().api_key == "nvapi-env");
  CHECK(nim.value().chat);

  auto ollama = parse_options("ollama", {"llama3", "", {}});
  REQUIRE(ollama.ok());
  CHECK(ollama.value().base_url == "http://localhost:11434/v1");
  CHECK(ollama.value().api_key == "");

  auto custom = parse_options("nim", {"m", "http://10.0.0.1:8000/v1/", {{"timeout", 1.5}}});
  REQUIRE(custom.ok());
  CHECK(custom.value().base_url == "http://10.0.0.1:8000/v1");
  CHECK(custom.value().read_timeout_ms == 1500);

  ::unsetenv("NVIDIA_API_KEY");
  auto no_key = parse_options("nim", {"m", "", {}});
  REQUIRE_FALSE(no_key.ok());
  CHECK(no_key.error().code == ErrorCode::kBadConfig);
  CHECK(no_key.error().message.find("set NVIDIA_API_KEY") != std::string::npos);

  auto vllm = parse_options("vllm_openai", {"m", "", {}});
  REQUIRE_FALSE(vllm.ok());
  CHECK(vllm.error().message.find("base URL is required") != std::string::npos);

  auto bad_type = parse_options("ollama", {"m", "", {{"max_tokens", "many"}}});
  REQUIRE_FALSE(bad_type.ok());
  CHECK(bad_type.error().message == "ollama: parameters.max_tokens: expected a positive integer, "
                                    "got \"many\"");
  ::unsetenv("OPENAI_API_KEY");
}

TEST_CASE("streaming: a 429 before the stream is retried; an error event is kProvider") {
  MockOpenAiServer server({MockResponse::json(429, R"({"error": {"message": "busy"}})"),
                           MockResponse::sse({chat_delta("ok"), "[DONE]"}),
                           MockResponse::sse({chat_delta("x"),
                                              R"({"error": {"message": "model crashed"}})"})});
  auto llm = provider_for(server, {{"mode", "chat"}});
  std::string seen;
  auto on_chunk = [&](std::string_view c) { seen += c; };
  auto r = llm->generate(LlmRequest{"general", "x", {}, {}}, on_chunk);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(seen == "ok");
  auto e = llm->generate(LlmRequest{"general", "x", {}, {}}, on_chunk);
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().code == ErrorCode::kProvider);
  CHECK(e.error().message.find("error in stream: model crashed") != std::string::npos);
}

TEST_CASE("one provider, calls from several threads") {
  constexpr int kThreads = 4, kCalls = 3;
  std::vector<MockResponse> script;
  for (int i = 0; i < kThreads * kCalls; ++i)
    script.push_back(MockResponse::json(200, completion_body("same")));
  MockOpenAiServer server(script);
  auto llm = provider_for(server);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        auto r = llm->complete("general", "x", {});
        if (r.ok() && r.value().text == "same") ++ok;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(ok == kThreads * kCalls);
  CHECK(server.requests().size() == kThreads * kCalls);
}
