// The API service called directly (no HTTP): configs, NeMo and OpenAI chat,
// streaming, state, threads, errors.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "rails/server/api_service.h"
#include "rails/server/thread_store.h"

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace rg::rails::server;

namespace {

const char* kColang1Yml = R"(colang_version: "1.0"
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_fallback_intent: "express greeting"
)";
const char* kColang1Co = R"(define user express greeting
  "hello"
  "hi there"

define bot express greeting
  "Hello there!"

define flow greeting
  user express greeting
  bot express greeting
)";
const char* kHello2Yml = "colang_version: \"2.x\"\n";
const char* kHello2Co = R"(import core

flow main
  user said "hi"
  bot say "Hello World!"
)";
// Every LLM call fails: the replay model has no responses.
const char* kBrokenLlmYml = R"(colang_version: "1.0"
models:
  - type: main
    engine: replay
    parameters:
      responses: []
)";
// The intent comes from the replay model.
const char* kReplayYml = R"(colang_version: "1.0"
models:
  - type: main
    engine: replay
    parameters:
      responses: ["express greeting"]
)";

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("rg_api_service_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A folder of configs: colang1, hello2, broken_llm, replay (+ a hidden and an
// underscore folder that are not configs).
void make_configs(const fs::path& root) {
  write(root / "colang1" / "config.yml", kColang1Yml);
  write(root / "colang1" / "main.co", kColang1Co);
  write(root / "hello2" / "config.yml", kHello2Yml);
  write(root / "hello2" / "main.co", kHello2Co);
  write(root / "broken_llm" / "config.yml", kBrokenLlmYml);
  write(root / "broken_llm" / "main.co", kColang1Co);
  write(root / "replay" / "config.yml", kReplayYml);
  write(root / "replay" / "main.co", kColang1Co);
  write(root / "_hidden" / "config.yml", kColang1Yml);
  write(root / ".git" / "config.yml", kColang1Yml);
  fs::create_directories(root / "not_a_config");
}

class FakeSink : public StreamSink {
 public:
  int status = 0;
  std::string content_type;
  std::vector<std::string> chunks;
  int starts = 0;
  void start(int s, std::string type) override {
    status = s;
    content_type = std::move(type);
    ++starts;
  }
  bool write(std::string_view data) override {
    chunks.emplace_back(data);
    return true;
  }
};

class FakeMetrics : public MetricsSink {
 public:
  std::atomic<int> rails{0}, llm_calls{0}, llm_failures{0};
  void rail_activated(std::string_view, std::string_view, std::string_view) override { ++rails; }
  void llm_call(std::string_view, std::string_view, double, bool ok) override {
    ++llm_calls;
    if (!ok) ++llm_failures;
  }
};

struct Fixture {
  TempDir dir;
  FakeMetrics metrics;
  std::shared_ptr<ApiService> service;
  explicit Fixture(bool multi = true, std::string default_id = "") {
    fs::path configs = dir.path / "configs";
    if (multi) {
      make_configs(configs);
    } else {
      write(configs / "config.yml", kColang1Yml);
      write(configs / "main.co", kColang1Co);
    }
    service = make(default_id);
  }
  std::shared_ptr<ApiService> make(std::string default_id = "", bool auto_reload = false) {
    ServiceOptions o;
    o.config_path = (dir.path / "configs").string();
    o.default_config_id = std::move(default_id);
    o.data_dir = (dir.path / "data").string();
    o.auto_reload = auto_reload;
    std::string error;
    auto s = make_api_service(o, &metrics, &error);
    REQUIRE_MESSAGE(s, error);
    return s;
  }
};

struct Reply {
  HttpResponse response;
  json body;
  bool streamed = false;
  FakeSink sink;
};

Reply call(ApiService& service, const std::string& method, const std::string& path, const std::string& body = "") {
  Reply r;
  ApiRequest request{method, path, body, "test"};
  r.streamed = service.handle(request, &r.response, r.sink);
  if (!r.streamed) {
    r.body = json::parse(r.response.body, nullptr, false);
    CHECK_MESSAGE(!r.body.is_discarded(), r.response.body);
  }
  return r;
}

Reply post(ApiService& service, const json& body) { return call(service, "POST", "/v1/chat/completions", body.dump()); }

json user(const std::string& text) { return json{{"role", "user"}, {"content", text}}; }

std::string content(const Reply& r) { return r.body["messages"][0]["content"].get<std::string>(); }

// The data: payloads of an SSE body.
std::vector<std::string> sse_data(const FakeSink& sink) {
  std::vector<std::string> out;
  for (const auto& chunk : sink.chunks) {
    REQUIRE(chunk.rfind("data: ", 0) == 0);
    REQUIRE(chunk.size() >= 8);
    REQUIRE(chunk.substr(chunk.size() - 2) == "\n\n");
    out.push_back(chunk.substr(6, chunk.size() - 8));
  }
  return out;
}

}  // namespace

TEST_CASE("configs list: multi-config and single-config mode") {
  Fixture f;
  Reply r = call(*f.service, "GET", "/v1/rails/configs");
  CHECK(r.response.status == 200);
  CHECK(r.body == json::parse(R"([{"id":"broken_llm"},{"id":"colang1"},{"id":"hello2"},{"id":"replay"}])"));

  Fixture single(false);
  r = call(*single.service, "GET", "/v1/rails/configs");
  CHECK(r.body == json::parse(R"([{"id":"configs"}])"));
  // Without config_id the single config answers.
  r = post(*single.service, {{"messages", {user("hello")}}});
  CHECK(r.response.status == 200);
  CHECK(content(r) == "Hello there!");
}

TEST_CASE("GET /v1/models lists the configs as models") {
  Fixture f;
  Reply r = call(*f.service, "GET", "/v1/models");
  CHECK(r.response.status == 200);
  CHECK(r.body["object"] == "list");
  REQUIRE(r.body["data"].size() == 4);
  CHECK(r.body["data"][1]["id"] == "colang1");
  CHECK(r.body["data"][1]["object"] == "model");
  CHECK(r.body["data"][1]["owned_by"] == "railguard");
  CHECK(r.body["data"][1]["created"].is_number_integer());
}

TEST_CASE("NeMo chat: Colang 1.0 and 2.x") {
  Fixture f;
  Reply r = post(*f.service, {{"config_id", "colang1"}, {"messages", {user("hello")}}});
  CHECK(r.response.status == 200);
  CHECK(r.body == json::parse(R"({"messages":[{"role":"assistant","content":"Hello there!"}]})"));

  r = post(*f.service, {{"config_ids", {"hello2"}}, {"messages", {user("hi")}}});
  CHECK(r.response.status == 200);
  CHECK(r.body == json::parse(R"({"messages":[{"role":"assistant","content":"Hello World!"}]})"));

  // The default config id.
  auto with_default = f.make("colang1");
  r = post(*with_default, {{"messages", {user("hello")}}});
  CHECK(content(r) == "Hello there!");

  // Options: log and output_data.
  r = post(*f.service, {{"config_id", "colang1"},
                        {"messages", {user("hello")}},
                        {"options", {{"log", {{"activated_rails", true}}}, {"output_vars", {"last_bot_message"}}}}});
  CHECK(r.response.status == 200);
  CHECK(r.body["log"]["activated_rails"].is_array());
  CHECK(r.body["output_data"]["last_bot_message"] == "Hello there!");
  CHECK(f.metrics.rails > 0);

  // context becomes a leading context message.
  r = post(*f.service, {{"config_id", "colang1"}, {"context", {{"name", "Ann"}}}, {"messages", {user("hello")}}});
  CHECK(content(r) == "Hello there!");
}

TEST_CASE("state round-trip") {
  Fixture f;
  // 1.0: {"events": [...]}
  Reply r = post(*f.service, {{"config_id", "colang1"}, {"state", json::object()}, {"messages", {user("hello")}}});
  REQUIRE(r.response.status == 200);
  REQUIRE(r.body["state"]["events"].is_array());
  size_t first_events = r.body["state"]["events"].size();
  CHECK(first_events > 0);
  r = post(*f.service, {{"config_id", "colang1"}, {"state", r.body["state"]}, {"messages", {user("hi there")}}});
  REQUIRE(r.response.status == 200);
  CHECK(content(r) == "Hello there!");
  CHECK(r.body["state"]["events"].size() > first_events);

  // 2.x: {"state": ..., "version": "2.x"}
  r = post(*f.service, {{"config_id", "hello2"}, {"state", json::object()}, {"messages", {user("hi")}}});
  REQUIRE(r.response.status == 200);
  CHECK(content(r) == "Hello World!");
  CHECK(r.body["state"]["version"] == "2.x");
  REQUIRE(r.body["state"]["state"].is_object());
  r = post(*f.service, {{"config_id", "hello2"}, {"state", r.body["state"]}, {"messages", {user("hi")}}});
  REQUIRE_MESSAGE(r.response.status == 200, r.response.body);
  CHECK(content(r) == "Hello World!");

  // A malformed state is the client's fault.
  r = post(*f.service, {{"config_id", "hello2"}, {"state", {{"state", {{"bogus", 1}}}, {"version", "2.x"}}},
                        {"messages", {user("hi")}}});
  CHECK(r.response.status == 400);
  r = post(*f.service, {{"config_id", "colang1"}, {"state", {{"events", 3}}}, {"messages", {user("hi")}}});
  CHECK(r.response.status == 400);
  CHECK(r.body["error"]["message"].get<std::string>().find("state.events") == 0);
}

TEST_CASE("OpenAI path: chat.completion and chunks") {
  Fixture f;
  Reply r = post(*f.service, {{"model", "replay"}, {"messages", {user("hello")}}});
  REQUIRE(r.response.status == 200);
  CHECK(r.body["id"].get<std::string>().rfind("chatcmpl-", 0) == 0);
  CHECK(r.body["object"] == "chat.completion");
  CHECK(r.body["created"].is_number_integer());
  CHECK(r.body["model"] == "replay");
  CHECK(r.body["choices"][0]["index"] == 0);
  CHECK(r.body["choices"][0]["message"] == json::parse(R"({"role":"assistant","content":"Hello there!"})"));
  CHECK(r.body["choices"][0]["finish_reason"] == "stop");
  CHECK(r.body["usage"]["prompt_tokens"].is_number_integer());
  CHECK(r.body["usage"]["completion_tokens"].is_number_integer());
  CHECK(r.body["usage"]["total_tokens"].is_number_integer());
  CHECK(f.metrics.llm_calls >= 1);

  // Content as a list of parts, as newer SDKs send it.
  r = post(*f.service, {{"model", "colang1"},
                        {"messages", {{{"role", "user"}, {"content", {{{"type", "text"}, {"text", "hello"}}}}}}}});
  CHECK(r.body["choices"][0]["message"]["content"] == "Hello there!");

  r = post(*f.service, {{"model", "colang1"}, {"stream", true}, {"messages", {user("hello")}}});
  REQUIRE(r.streamed);
  CHECK(r.sink.starts == 1);
  CHECK(r.sink.status == 200);
  CHECK(r.sink.content_type == "text/event-stream");
  auto data = sse_data(r.sink);
  REQUIRE(data.size() == 5);  // role, "Hello", " there!", final, [DONE]
  CHECK(data.back() == "[DONE]");
  std::string text, id;
  for (size_t i = 0; i + 1 < data.size(); ++i) {
    json chunk = json::parse(data[i]);
    CHECK(chunk["object"] == "chat.completion.chunk");
    CHECK(chunk["model"] == "colang1");
    if (i == 0) id = chunk["id"];
    CHECK(chunk["id"] == id);
    const json& choice = chunk["choices"][0];
    if (i == 0) CHECK(choice["delta"]["role"] == "assistant");
    if (i + 2 == data.size()) {
      CHECK(choice["finish_reason"] == "stop");
      CHECK(choice["delta"].empty());
    } else {
      CHECK(choice["finish_reason"].is_null());
      text += choice["delta"].value("content", "");
    }
  }
  CHECK(text == "Hello there!");
}

TEST_CASE("NeMo streaming: SSE content pieces and the raw format") {
  Fixture f;
  Reply r = post(*f.service, {{"config_id", "colang1"}, {"stream", true}, {"messages", {user("hello")}}});
  REQUIRE(r.streamed);
  CHECK(r.sink.content_type == "text/event-stream");
  auto data = sse_data(r.sink);
  REQUIRE(data.size() == 3);
  CHECK(json::parse(data[0]) == json::parse(R"({"content":"Hello"})"));
  CHECK(json::parse(data[1]) == json::parse(R"({"content":" there!"})"));
  CHECK(data[2] == "[DONE]");

  r = post(*f.service, {{"config_id", "colang1"}, {"stream", true}, {"stream_format", "raw"},
                        {"messages", {user("hello")}}});
  REQUIRE(r.streamed);
  CHECK(r.sink.content_type.rfind("text/plain", 0) == 0);
  CHECK(r.sink.chunks == std::vector<std::string>{"Hello", " there!"});
}

TEST_CASE("streaming output rails: chunks stream as checked; a block ends with an error event") {
  Fixture f;
  const std::string yml = R"(colang_version: "1.0"
models:
  - type: main
    engine: replay
    parameters:
      responses: ["  ask question", "  \"one two three four five six seven eight the ssn is 536-22-8104 and more\"",
                  "  ask question", "  \"one two three four five six seven eight the ssn is 536-22-8104 and more\"",
                  "  ask question", "  \"one two three four five six seven eight the ssn is 536-22-8104 and more\""]
rails:
  output:
    flows: [detect sensitive data on output]
    streaming:
      enabled: true
      chunk_size: 4
      context_size: 2
  config:
    sensitive_data_detection:
      output:
        entities: [US_SSN]
)";
  const std::string co = "define user ask question\n  \"what can you tell me\"\n\n"
                         "define flow\n  user ask question\n  bot answer question\n";
  write(f.dir.path / "configs" / "streaming" / "config.yml", yml);
  write(f.dir.path / "configs" / "streaming" / "main.co", co);
  auto service = f.make();

  Reply r = post(*service, {{"config_id", "streaming"}, {"stream", true}, {"messages", {user("what can you tell me")}}});
  REQUIRE(r.streamed);
  CHECK(r.sink.starts == 1);
  CHECK(r.sink.content_type == "text/event-stream");
  auto data = sse_data(r.sink);
  // stream_first: the blocked third chunk went out before its check.
  REQUIRE(data.size() == 5);
  CHECK(json::parse(data[0]) == json{{"content", "one two three four "}});
  CHECK(json::parse(data[1]) == json{{"content", "five six seven eight "}});
  json error = json::parse(data[3]);
  CHECK(error["error"]["type"] == "guardrails_violation");
  CHECK(error["error"]["message"].get<std::string>().find("detect sensitive data on output") != std::string::npos);
  CHECK(data[4] == "[DONE]");

  // OpenAI shape: role chunk, content chunks, the error event, finish, [DONE].
  r = post(*service, {{"model", "streaming"}, {"stream", true}, {"messages", {user("what can you tell me")}}});
  REQUIRE(r.streamed);
  data = sse_data(r.sink);
  REQUIRE(data.size() == 7);
  CHECK(json::parse(data[0])["choices"][0]["delta"]["role"] == "assistant");
  CHECK(json::parse(data[1])["choices"][0]["delta"]["content"] == "one two three four ");
  CHECK(json::parse(data[4])["error"]["type"] == "guardrails_violation");
  CHECK(json::parse(data[5])["choices"][0]["finish_reason"] == "stop");
  CHECK(data[6] == "[DONE]");

  // Not streamed: the blocking rail's reply, as without streaming.
  r = post(*service, {{"config_id", "streaming"}, {"messages", {user("what can you tell me")}}});
  CHECK(content(r) == "I don't know the answer to that.");
}

TEST_CASE("threads persist across a new service on the same data dir") {
  Fixture f;
  const std::string thread = "thread-0123456789abcdef";
  Reply r = post(*f.service, {{"config_id", "colang1"}, {"thread_id", thread}, {"messages", {user("hello")}}});
  REQUIRE(r.response.status == 200);
  f.service->flush();
  f.service.reset();
  auto again = f.make();
  r = post(*again, {{"config_id", "colang1"}, {"thread_id", thread}, {"messages", {user("hi there")}}});
  REQUIRE(r.response.status == 200);
  again.reset();

  std::string error;
  auto store = ThreadStore::open((f.dir.path / "data" / "threads.db").string(), &error);
  REQUIRE_MESSAGE(store, error);
  std::vector<json> messages;
  REQUIRE(store->load(thread, &messages, &error));
  REQUIRE(messages.size() == 4);
  CHECK(messages[0] == user("hello"));
  CHECK(messages[1] == json::parse(R"({"role":"assistant","content":"Hello there!"})"));
  CHECK(messages[2] == user("hi there"));
}

TEST_CASE("100 concurrent conversations on threads, no cross-talk") {
  Fixture f;
  constexpr int kThreads = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < kThreads; ++i) {
    workers.emplace_back([&, i] {
      std::string thread = "conversation-" + std::to_string(1000 + i) + "-abcdef";
      for (const char* turn : {"a", "b"}) {
        std::string text = "hello " + std::to_string(i) + turn;
        Reply r;
        ApiRequest request{"POST", "/v1/chat/completions",
                           json{{"config_id", i % 2 ? "colang1" : "hello2"},
                                {"thread_id", thread},
                                {"messages", {user(i % 2 ? text : "hi")}}}
                               .dump(),
                           "t"};
        bool streamed = f.service->handle(request, &r.response, r.sink);
        if (streamed || r.response.status != 200) ++failures;
      }
    });
  }
  for (auto& w : workers) w.join();
  CHECK(failures == 0);
  std::string error;
  auto store = ThreadStore::open((f.dir.path / "data" / "threads.db").string(), &error);
  REQUIRE(store);
  for (int i = 0; i < kThreads; ++i) {
    std::vector<json> messages;
    REQUIRE(store->load("conversation-" + std::to_string(1000 + i) + "-abcdef", &messages, &error));
    REQUIRE(messages.size() == 4);
    if (i % 2) {
      CHECK(messages[0] == user("hello " + std::to_string(i) + "a"));
      CHECK(messages[1]["content"] == "Hello there!");
      CHECK(messages[2] == user("hello " + std::to_string(i) + "b"));
    } else {
      CHECK(messages[0] == user("hi"));
      CHECK(messages[1]["content"] == "Hello World!");
      CHECK(messages[3]["content"] == "Hello World!");
    }
  }
}

TEST_CASE("errors") {
  Fixture f;
  Reply r = call(*f.service, "POST", "/v1/chat/completions", "{\"config_id\": \"colang1\", ");
  CHECK(r.response.status == 400);
  CHECK(r.body["error"]["message"].get<std::string>().rfind("invalid JSON at byte", 0) == 0);
  CHECK(r.body["error"]["type"] == "invalid_request_error");
  CHECK(r.body["error"]["param"].is_null());

  r = post(*f.service, {{"config_id", "colang1"}, {"messages", {user("a"), user("b"), {{"role", "robot"}, {"content", "x"}}}}});
  CHECK(r.response.status == 400);
  CHECK(r.body["error"]["message"].get<std::string>().rfind("messages[2].role: expected one of user, assistant", 0) == 0);
  CHECK(r.body["error"]["param"] == "messages[2].role");

  r = post(*f.service, {{"config_id", 7}, {"messages", {user("hi")}}});
  CHECK(r.response.status == 400);
  CHECK(r.body["error"]["param"] == "config_id");
  r = post(*f.service, {{"config_id", "colang1"}, {"stream", "yes"}, {"messages", {user("hi")}}});
  CHECK(r.body["error"]["param"] == "stream");
  r = post(*f.service, {{"config_id", "colang1"}, {"messages", "hi"}});
  CHECK(r.body["error"]["param"] == "messages");
  r = post(*f.service, {{"config_id", "colang1"}, {"options", {{"rails", {{"input", "maybe"}}}}}, {"messages", {user("hi")}}});
  CHECK(r.response.status == 400);
  CHECK(r.body["error"]["message"].get<std::string>().find("options.rails.input") != std::string::npos);

  r = post(*f.service, {{"config_id", "nope"}, {"messages", {user("hi")}}});
  CHECK(r.response.status == 404);
  r = post(*f.service, {{"model", "nope"}, {"messages", {user("hi")}}});
  CHECK(r.response.status == 404);
  for (const char* bad : {"../colang1", "a/b", "a\\b", "..", ""}) {
    r = post(*f.service, {{"config_id", bad}, {"messages", {user("hi")}}});
    CHECK(r.response.status == 400);
  }
  r = post(*f.service, {{"config_id", "_hidden"}, {"messages", {user("hi")}}});
  CHECK(r.response.status == 404);
  r = post(*f.service, {{"config_ids", {"colang1", "hello2"}}, {"messages", {user("hi")}}});
  CHECK(r.response.status == 400);
  CHECK(r.body["error"]["message"].get<std::string>().find("cannot be combined") != std::string::npos);
  r = post(*f.service, {{"config_ids", {"colang1", "nope"}}, {"messages", {user("hi")}}});
  CHECK(r.response.status == 404);

  for (const char* bad : {"short", ""}) {
    r = post(*f.service, {{"config_id", "colang1"}, {"thread_id", bad}, {"messages", {user("hi")}}});
    CHECK(r.response.status == 400);
    CHECK(r.body["error"]["param"] == "thread_id");
  }
  r = post(*f.service, {{"config_id", "colang1"}, {"thread_id", std::string(256, 'x')}, {"messages", {user("hi")}}});
  CHECK(r.response.status == 400);
  r = post(*f.service, {{"config_id", "colang1"}, {"thread_id", 1234567890123456789}, {"messages", {user("hi")}}});
  CHECK(r.body["error"]["param"] == "thread_id");

  // No config id and no default in multi-config mode.
  r = post(*f.service, {{"messages", {user("hi")}}});
  CHECK(r.response.status == 500);

  // The LLM fails: 502 with the reason, and a failed call in the metrics.
  r = post(*f.service, {{"config_id", "broken_llm"}, {"messages", {user("hello")}}});
  CHECK(r.response.status == 502);
  CHECK(r.body["error"]["message"].get<std::string>().find("no responses left") != std::string::npos);
  CHECK(f.metrics.llm_failures >= 1);

  r = call(*f.service, "GET", "/v1/nothing");
  CHECK(r.response.status == 404);
  r = call(*f.service, "GET", "/v1/chat/completions");
  CHECK(r.response.status == 405);
  r = call(*f.service, "POST", "/v1/chat/completions", "[1,2]");
  CHECK(r.response.status == 400);
  r = call(*f.service, "POST", "/v1/chat/completions", std::string("\xff\xfe{", 3));
  CHECK(r.response.status == 400);
}

TEST_CASE("config_ids combine configs in order; the later ones win") {
  Fixture f;
  // `polite` redefines the greeting and adds a flow; `colang1` brings the rest.
  fs::path polite = f.dir.path / "configs" / "polite";
  write(polite / "config.yml", "colang_version: \"1.0\"\n");
  write(polite / "main.co", R"(define bot express greeting
  "Good day to you."

define user ask hours
  "when are you open"

define bot inform hours
  "We are open from nine to five."

define flow hours
  user ask hours
  bot inform hours
)");
  auto r = post(*f.service, {{"config_ids", {"colang1", "polite"}}, {"messages", {user("hello")}}});
  REQUIRE(r.response.status == 200);
  CHECK(r.body["messages"][0]["content"] == "Good day to you.");
  // The other order: colang1's own message wins.
  r = post(*f.service, {{"config_ids", {"polite", "colang1"}}, {"messages", {user("hello")}}});
  REQUIRE(r.response.status == 200);
  CHECK(r.body["messages"][0]["content"] == "Hello there!");
  // Alone, each config answers with its own message.
  r = post(*f.service, {{"config_id", "colang1"}, {"messages", {user("hello")}}});
  CHECK(r.body["messages"][0]["content"] == "Hello there!");
}

TEST_CASE("auto-reload swaps a changed config; a broken change keeps the old one") {
  Fixture f;
  auto service = f.make("", true);
  Reply r = post(*service, {{"config_id", "colang1"}, {"messages", {user("hello")}}});
  CHECK(content(r) == "Hello there!");
  std::string changed = kColang1Co;
  changed.replace(changed.find("Hello there!"), 12, "Hi again!");
  write(f.dir.path / "configs" / "colang1" / "main.co", changed);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  r = post(*service, {{"config_id", "colang1"}, {"messages", {user("hello")}}});
  CHECK(content(r) == "Hi again!");
  write(f.dir.path / "configs" / "colang1" / "config.yml", "colang_version: [\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  r = post(*service, {{"config_id", "colang1"}, {"messages", {user("hello")}}});
  CHECK(r.response.status == 200);
  CHECK(content(r) == "Hi again!");
}
