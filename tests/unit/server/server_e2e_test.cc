// The rails server end to end: the real API service (make_api_service) over
// temporary config folders behind the real HttpServer on an ephemeral
// loopback port, talked to with libcurl only. Covers every endpoint, SSE
// framing (NeMo and OpenAI chunks), the raw stream format, the OpenAI shape,
// state and context, thread persistence across a restart, the error paths,
// /metrics after traffic and 100 concurrent conversations with no cross-talk.
//
// Configs (multi-config mode, written under a temp folder):
//   replay       Colang 1.0, the intent comes from the replay LLM (canned responses)
//   broken_llm   Colang 1.0, replay LLM with no responses: every LLM call fails
//   colang1      tests/cli/data/colang1 (no LLM)
//   names        Colang 1.0, no LLM: the first message is remembered as $name
//                ("Nice to meet you, NAME!"), later turns answer "You told me
//                before: NAME" (so a turn's answer depends on the earlier turns)
//   hello_world  examples/hello_world (Colang 2.x)
#include <curl/curl.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "rails/server/api_service.h"
#include "rails/server/http_server.h"
#include "rails/server/metrics.h"
#include "rails/server/server_options.h"
#include "rails/server/thread_store.h"

namespace fs = std::filesystem;
namespace rs = rg::rails::server;
using json = nlohmann::ordered_json;
using namespace std::chrono_literals;

#ifndef RG_EXAMPLES_DIR
#error "RG_EXAMPLES_DIR must be defined (tests/CMakeLists.txt)"
#endif
#ifndef RG_TESTS_DIR
#error "RG_TESTS_DIR must be defined (tests/CMakeLists.txt)"
#endif

namespace {

// Enough canned intents for every LLM-backed turn of one server's life.
const char* kReplayYml = R"(colang_version: "1.0"
models:
  - type: main
    engine: replay
    parameters:
      responses: ["express greeting", "express greeting", "express greeting", "express greeting",
                  "express greeting", "express greeting", "express greeting", "express greeting",
                  "express greeting", "express greeting", "express greeting", "express greeting"]
)";
const char* kBrokenLlmYml = R"(colang_version: "1.0"
models:
  - type: main
    engine: replay
    parameters:
      responses: []
)";
const char* kGreetingCo = R"(define user express greeting
  "hello"
  "hi there"

define bot express greeting
  "Hello there!"

define flow greeting
  user express greeting
  bot express greeting
)";
const char* kNamesYml = R"(colang_version: "1.0"
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_fallback_intent: "give name"
)";
const char* kNamesCo = R"(define user give name
  "James"

define bot name greeting
  "Nice to meet you, $name!"

define bot remind name
  "You told me before: $name"

define flow give name
  user give name
  if $name
    bot remind name
  else
    $name = $last_user_message
    bot name greeting
)";

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("rg_server_e2e_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

void make_configs(const fs::path& root) {
  write(root / "replay" / "config.yml", kReplayYml);
  write(root / "replay" / "main.co", kGreetingCo);
  write(root / "broken_llm" / "config.yml", kBrokenLlmYml);
  write(root / "broken_llm" / "main.co", kGreetingCo);
  write(root / "names" / "config.yml", kNamesYml);
  write(root / "names" / "main.co", kNamesCo);
  fs::create_directories(root / "colang1");
  fs::copy(fs::path(RG_TESTS_DIR) / "cli" / "data" / "colang1", root / "colang1",
           fs::copy_options::recursive);
  fs::create_directories(root / "hello_world");
  fs::copy(fs::path(RG_EXAMPLES_DIR) / "hello_world", root / "hello_world",
           fs::copy_options::recursive);
}

rs::ServerOptions server_options() {
  rs::ServerOptions o;
  o.port = 0;
  o.threads = 2;
  o.handler_threads = 8;
  o.max_body_bytes = 64 << 10;  // small, for the 413 check
  o.shutdown_grace = 5s;
  o.access_log = false;
  return o;
}

// One running server: Metrics, the real service and the HTTP core, run() on
// a background thread. stop() (also from the destructor) shuts it down and
// drops the service, so that a new one can open the same data_dir.
class LiveServer {
 public:
  LiveServer(const fs::path& configs, const fs::path& data_dir,
             rs::ServerOptions options = server_options()) {
    metrics_ = std::make_shared<rs::Metrics>();
    rs::ServiceOptions so;
    so.config_path = configs.string();
    so.data_dir = data_dir.string();
    std::string error;
    service_ = rs::make_api_service(so, metrics_.get(), &error);
    REQUIRE_MESSAGE(service_, error);
    server_ = std::make_unique<rs::HttpServer>(std::move(options), service_, metrics_);
    REQUIRE_MESSAGE(server_->listen(&error), error);
    port_ = server_->port();
    REQUIRE(port_ != 0);
    thread_ = std::thread([this] { ran_ = server_->run(); });
  }
  ~LiveServer() { stop(); }
  LiveServer(const LiveServer&) = delete;
  LiveServer& operator=(const LiveServer&) = delete;

  // `settle`: wait for the server to see closed client connections first.
  void stop(bool settle = true) {
    if (!server_) return;
    (void)settle;  // kept for the regression test's call; no settling needed
    server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();   // the HTTP core first (it holds the service)
    service_.reset();  // then the service: closes threads.db
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  bool ran() const { return ran_; }

 private:
  std::shared_ptr<rs::Metrics> metrics_;  // outlives the service (its MetricsSink)
  std::shared_ptr<rs::ApiService> service_;
  std::unique_ptr<rs::HttpServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::atomic<bool> ran_{false};
};

struct Env {
  TempDir dir;
  fs::path configs = dir.path / "configs";
  fs::path data = dir.path / "data";
  Env() { make_configs(configs); }
};

// ---------------------------------------------------------------- the client

struct Reply {
  long status = 0;
  std::string body;
  std::string headers;  // lower-cased
  json doc;             // the body parsed as JSON (discarded when it is not)
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<Reply*>(user)->body.append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  static_cast<Reply*>(user)->headers.append(data, size * n);
  return size * n;
}

// One request on `curl` (a reused handle keeps its keep-alive connection).
Reply perform(CURL* curl, const std::string& url, const std::string& method = "GET",
              const std::string& body = "") {
  Reply reply;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 8000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
  struct curl_slist* list = nullptr;
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    list = curl_slist_append(list, "Content-Type: application/json");
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    if (method != "GET") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    reply.status = -1;
    reply.body = curl_easy_strerror(rc);
    return reply;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  std::transform(reply.headers.begin(), reply.headers.end(), reply.headers.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  reply.doc = json::parse(reply.body, nullptr, false);
  return reply;
}

Reply fetch(const std::string& url, const std::string& method = "GET", const std::string& body = "") {
  CURL* curl = curl_easy_init();
  Reply reply = perform(curl, url, method, body);
  curl_easy_cleanup(curl);
  return reply;
}

Reply chat(const LiveServer& s, const json& body) {
  return fetch(s.url("/v1/chat/completions"), "POST", body.dump());
}

json user(const std::string& text) { return json{{"role", "user"}, {"content", text}}; }

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The assistant's answer of a NeMo-shape reply ("" when there is none).
std::string answer(const Reply& r) {
  if (!r.doc.is_object() || !r.doc.contains("messages") || r.doc["messages"].empty()) return "";
  const json& m = r.doc["messages"][0];
  return m.value("role", "") == "assistant" && m["content"].is_string() ? m["content"].get<std::string>() : "";
}

// The error body's message; checks its shape.
std::string error_message(const Reply& r) {
  REQUIRE_MESSAGE(r.doc.is_object(), r.body);
  REQUIRE_MESSAGE(r.doc.contains("error"), r.body);
  const json& e = r.doc["error"];
  CHECK(e["message"].is_string());
  CHECK(e["type"].is_string());
  CHECK(e.contains("param"));
  CHECK(e.contains("code"));
  return e["message"].is_string() ? e["message"].get<std::string>() : "";
}

// An SSE body split into its events' data payloads. Checks the framing
// exactly: every event is one `data: ` line followed by a blank line, nothing
// else, and the last one is `data: [DONE]`.
std::vector<std::string> sse_events(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find("\n\n", pos);
    REQUIRE_MESSAGE(end != std::string::npos, "an event without its blank line: " << body.substr(pos));
    std::string event = body.substr(pos, end - pos);
    REQUIRE_MESSAGE(event.rfind("data: ", 0) == 0, "not a data line: " << event);
    REQUIRE_MESSAGE(event.find('\n') == std::string::npos, "a multi-line event: " << event);
    REQUIRE_MESSAGE(event.find('\r') == std::string::npos, "a CR in an event: " << event);
    out.push_back(event.substr(6));
    pos = end + 2;
  }
  REQUIRE(!out.empty());
  CHECK(out.back() == "[DONE]");
  CHECK(body.size() >= 14);
  CHECK(body.substr(body.size() - 14) == "data: [DONE]\n\n");
  return out;
}

void check_streamed_headers(const Reply& r, const std::string& content_type) {
  CHECK(r.status == 200);
  CHECK_MESSAGE(has(r.headers, "content-type: " + content_type), r.headers);
  CHECK_MESSAGE(has(r.headers, "transfer-encoding: chunked"), r.headers);
  CHECK_MESSAGE(!has(r.headers, "content-length:"), r.headers);
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
} curl_global;

}  // namespace

TEST_CASE("GET /health, /v1/rails/configs, /v1/models") {
  Env env;
  LiveServer s(env.configs, env.data);

  Reply r = fetch(s.url("/health"));
  CHECK(r.status == 200);
  CHECK(r.doc == json::parse(R"({"status":"ok"})"));
  CHECK(has(r.headers, "content-type: application/json"));
  CHECK(has(r.headers, "x-request-id: "));

  r = fetch(s.url("/v1/rails/configs"));
  CHECK(r.status == 200);
  CHECK(r.doc == json::parse(
                     R"([{"id":"broken_llm"},{"id":"colang1"},{"id":"hello_world"},{"id":"names"},{"id":"replay"}])"));

  r = fetch(s.url("/v1/models"));
  CHECK(r.status == 200);
  CHECK(r.doc["object"] == "list");
  REQUIRE(r.doc["data"].size() == 5);
  std::vector<std::string> ids;
  for (const auto& m : r.doc["data"]) {
    ids.push_back(m["id"]);
    CHECK(m["object"] == "model");
    CHECK(m["owned_by"] == "railguard");
    CHECK(m["created"].is_number_integer());
  }
  CHECK(ids == std::vector<std::string>{"broken_llm", "colang1", "hello_world", "names", "replay"});
}

TEST_CASE("NeMo chat over HTTP: Colang 1.0 with the replay LLM and the log, 2.x, context") {
  Env env;
  LiveServer s(env.configs, env.data);

  // 1.0, the intent from the replay LLM; the log names the LLM call and the rails.
  Reply r = chat(s, {{"config_id", "replay"},
                     {"messages", {user("yo, what's up")}},
                     {"options", {{"log", {{"activated_rails", true}, {"llm_calls", true}}},
                                  {"output_vars", {"last_bot_message"}}}}});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(has(r.headers, "content-type: application/json"));
  CHECK(r.doc["messages"] == json::parse(R"([{"role":"assistant","content":"Hello there!"}])"));
  REQUIRE(r.doc["log"].is_object());
  REQUIRE(r.doc["log"]["llm_calls"].is_array());
  REQUIRE(r.doc["log"]["llm_calls"].size() == 1);
  CHECK(r.doc["log"]["llm_calls"][0]["task"] == "generate_user_intent");
  CHECK(r.doc["log"]["llm_calls"][0]["completion"] == "express greeting");
  REQUIRE(r.doc["log"]["activated_rails"].is_array());
  std::vector<std::string> rails;
  for (const auto& rail : r.doc["log"]["activated_rails"]) rails.push_back(rail["name"]);
  CHECK(std::find(rails.begin(), rails.end(), "greeting") != rails.end());
  CHECK(std::find(rails.begin(), rails.end(), "generate user intent") != rails.end());
  CHECK(r.doc["output_data"]["last_bot_message"] == "Hello there!");

  // Without options: only the messages.
  r = chat(s, {{"config_id", "colang1"}, {"messages", {user("hello")}}});
  CHECK(r.status == 200);
  CHECK(r.doc == json::parse(R"({"messages":[{"role":"assistant","content":"Hello there!"}]})"));

  // 2.x (examples/hello_world), config_ids with one id; the log's llm_calls (none).
  r = chat(s, {{"config_ids", {"hello_world"}},
               {"messages", {user("hi")}},
               {"options", {{"log", {{"llm_calls", true}}}}}});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.doc["messages"] == json::parse(R"([{"role":"assistant","content":"Hello World!"}])"));
  CHECK(r.doc["log"]["llm_calls"] == json::array());

  // `context` becomes a leading context message: $name is already known.
  r = chat(s, {{"config_id", "names"}, {"context", {{"name", "Ann"}}}, {"messages", {user("Zed")}}});
  CHECK(r.status == 200);
  CHECK(answer(r) == "You told me before: Ann");
  r = chat(s, {{"config_id", "names"}, {"messages", {user("Zed")}}});
  CHECK(answer(r) == "Nice to meet you, Zed!");
  // A context message in `messages` does the same.
  r = chat(s, {{"config_id", "names"},
               {"messages", {{{"role", "context"}, {"content", {{"name", "Bo"}}}}, user("Zed")}}});
  CHECK(answer(r) == "You told me before: Bo");
}

TEST_CASE("state round trip over HTTP: Colang 1.0 and 2.x") {
  Env env;
  LiveServer s(env.configs, env.data);

  // 1.0: the state carries the events, so $name set in turn 1 is known in turn 2.
  Reply r = chat(s, {{"config_id", "names"}, {"state", json::object()}, {"messages", {user("Quill")}}});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(answer(r) == "Nice to meet you, Quill!");
  REQUIRE(r.doc["state"]["events"].is_array());
  size_t events = r.doc["state"]["events"].size();
  CHECK(events > 0);
  json state = r.doc["state"];
  r = chat(s, {{"config_id", "names"}, {"state", state}, {"messages", {user("who am I?")}}});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(answer(r) == "You told me before: Quill");
  CHECK(r.doc["state"]["events"].size() > events);
  // The same message without the state starts afresh.
  r = chat(s, {{"config_id", "names"}, {"messages", {user("who am I?")}}});
  CHECK(answer(r) == "Nice to meet you, who am I?!");

  // 2.x: {"state": ..., "version": "2.x"} back and forth.
  r = chat(s, {{"config_id", "hello_world"}, {"state", json::object()}, {"messages", {user("hi")}}});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(answer(r) == "Hello World!");
  CHECK(r.doc["state"]["version"] == "2.x");
  REQUIRE(r.doc["state"]["state"].is_object());
  r = chat(s, {{"config_id", "hello_world"}, {"state", r.doc["state"]}, {"messages", {user("hi")}}});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(answer(r) == "Hello World!");
  CHECK(r.doc["state"]["version"] == "2.x");

  // A malformed state is 400 naming it.
  r = chat(s, {{"config_id", "names"}, {"state", {{"events", 3}}}, {"messages", {user("hi")}}});
  CHECK(r.status == 400);
  CHECK(error_message(r).rfind("state.events", 0) == 0);
}

TEST_CASE("OpenAI path over HTTP: chat.completion") {
  Env env;
  LiveServer s(env.configs, env.data);

  for (const char* model : {"replay", "hello_world"}) {
    CAPTURE(model);
    Reply r = chat(s, {{"model", model},
                       {"temperature", 0.2},
                       {"max_tokens", 50},
                       {"messages", {{{"role", "system"}, {"content", "be nice"}}, user(std::string(model) == "replay" ? "hey" : "hi")}}});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(has(r.headers, "content-type: application/json"));
    CHECK(r.doc["object"] == "chat.completion");
    REQUIRE(r.doc["id"].is_string());
    CHECK(r.doc["id"].get<std::string>().rfind("chatcmpl-", 0) == 0);
    CHECK(r.doc["id"].get<std::string>().size() > 9);
    CHECK(r.doc["created"].is_number_integer());
    CHECK(r.doc["model"] == model);
    REQUIRE(r.doc["choices"].is_array());
    REQUIRE(r.doc["choices"].size() == 1);
    const json& choice = r.doc["choices"][0];
    CHECK(choice["index"] == 0);
    CHECK(choice["message"]["role"] == "assistant");
    CHECK(choice["message"]["content"] ==
          (std::string(model) == "replay" ? "Hello there!" : "Hello World!"));
    CHECK(choice["finish_reason"] == "stop");
    const json& usage = r.doc["usage"];
    REQUIRE(usage.is_object());
    CHECK(usage["prompt_tokens"].is_number_integer());
    CHECK(usage["completion_tokens"].is_number_integer());
    CHECK(usage["total_tokens"].is_number_integer());
    CHECK(usage["total_tokens"].get<long>() ==
          usage["prompt_tokens"].get<long>() + usage["completion_tokens"].get<long>());
  }

  // Two answers carry two ids.
  Reply a = chat(s, {{"model", "colang1"}, {"messages", {user("hello")}}});
  Reply b = chat(s, {{"model", "colang1"}, {"messages", {user("hello")}}});
  REQUIRE(a.status == 200);
  REQUIRE(b.status == 200);
  CHECK(a.doc["id"] != b.doc["id"]);

  // Unknown model: 404 in the OpenAI error shape.
  Reply r = chat(s, {{"model", "gpt-nope"}, {"messages", {user("hi")}}});
  CHECK(r.status == 404);
  CHECK(has(error_message(r), "gpt-nope"));
}

TEST_CASE("streaming over HTTP: SSE framing for NeMo and OpenAI chunks, raw format") {
  Env env;
  LiveServer s(env.configs, env.data);

  SUBCASE("NeMo chunks") {
    for (const char* config : {"colang1", "hello_world"}) {
      CAPTURE(config);
      bool v2 = std::string(config) == "hello_world";
      Reply r = chat(s, {{"config_id", config}, {"stream", true}, {"messages", {user(v2 ? "hi" : "hello")}}});
      check_streamed_headers(r, "text/event-stream");
      auto data = sse_events(r.body);
      REQUIRE(data.size() == 3);
      std::string text;
      for (size_t i = 0; i + 1 < data.size(); ++i) {
        json chunk = json::parse(data[i], nullptr, false);
        REQUIRE_MESSAGE(chunk.is_object(), data[i]);
        CHECK(chunk.size() == 1);
        text += chunk["content"].get<std::string>();
      }
      CHECK(json::parse(data[0]) == json{{"content", "Hello"}});
      CHECK(text == (v2 ? "Hello World!" : "Hello there!"));
    }
  }

  SUBCASE("OpenAI chunks") {
    Reply r = chat(s, {{"model", "colang1"}, {"stream", true}, {"messages", {user("hello")}}});
    check_streamed_headers(r, "text/event-stream");
    auto data = sse_events(r.body);
    REQUIRE(data.size() == 5);  // role, "Hello", " there!", the final chunk, [DONE]
    std::string text, id;
    long created = 0;
    for (size_t i = 0; i + 1 < data.size(); ++i) {
      CAPTURE(i);
      json chunk = json::parse(data[i], nullptr, false);
      REQUIRE_MESSAGE(chunk.is_object(), data[i]);
      CHECK(chunk["object"] == "chat.completion.chunk");
      CHECK(chunk["model"] == "colang1");
      REQUIRE(chunk["id"].is_string());
      if (i == 0) {
        id = chunk["id"];
        created = chunk["created"];
        CHECK(id.rfind("chatcmpl-", 0) == 0);
      }
      CHECK(chunk["id"] == id);
      CHECK(chunk["created"] == created);
      REQUIRE(chunk["choices"].size() == 1);
      const json& choice = chunk["choices"][0];
      CHECK(choice["index"] == 0);
      if (i == 0) CHECK(choice["delta"] == json::parse(R"({"role":"assistant","content":""})"));
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

  SUBCASE("raw format") {
    Reply r = chat(s, {{"config_id", "hello_world"},
                       {"stream", true},
                       {"stream_format", "raw"},
                       {"messages", {user("hi")}}});
    check_streamed_headers(r, "text/plain");
    CHECK(r.body == "Hello World!");
  }

  SUBCASE("a stream that fails before it starts is a plain JSON error") {
    Reply r = chat(s, {{"config_id", "broken_llm"}, {"stream", true}, {"messages", {user("hello")}}});
    CHECK(r.status == 502);
    CHECK(has(r.headers, "content-type: application/json"));
    CHECK(has(error_message(r), "no responses left"));
  }
}

TEST_CASE("a thread_id conversation continues across a server restart") {
  Env env;
  const std::string thread = "restart-thread-0001";
  const json log_calls = {{"log", {{"llm_calls", true}}}};
  {
    LiveServer s(env.configs, env.data);
    Reply r = chat(s, {{"config_id", "replay"}, {"thread_id", thread}, {"messages", {user("hi, I am Marlowe")}}});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(answer(r) == "Hello there!");
    s.stop();
    CHECK(s.ran());
  }
  CHECK(fs::exists(env.data / "threads.db"));
  {
    // A new service and server on the same data_dir: the thread's stored
    // messages come before the request's, so the intent prompt of the next
    // turn holds the first turn (the user's name and the bot's answer).
    LiveServer s(env.configs, env.data);
    Reply r = chat(s, {{"config_id", "replay"},
                       {"thread_id", thread},
                       {"messages", {user("good morning")}},
                       {"options", log_calls}});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(answer(r) == "Hello there!");
    REQUIRE(r.doc["log"]["llm_calls"].size() == 1);
    std::string prompt = r.doc["log"]["llm_calls"][0]["prompt"];
    size_t first = prompt.find("hi, I am Marlowe");
    size_t second = prompt.find("good morning");
    CHECK_MESSAGE(first != std::string::npos, prompt);
    CHECK_MESSAGE(second != std::string::npos, prompt);
    CHECK(first < second);
    CHECK(has(prompt.substr(first), "Hello there!"));

    // Another thread knows nothing of it.
    r = chat(s, {{"config_id", "replay"},
                 {"thread_id", "restart-thread-0002"},
                 {"messages", {user("good evening")}},
                 {"options", log_calls}});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(!has(r.doc["log"]["llm_calls"][0]["prompt"].get<std::string>(), "Marlowe"));
  }
  std::string error;
  auto store = rs::ThreadStore::open((env.data / "threads.db").string(), &error);
  REQUIRE_MESSAGE(store, error);
  std::vector<json> messages;
  REQUIRE(store->load(thread, &messages, &error));
  REQUIRE(messages.size() == 4);
  CHECK(messages[0] == user("hi, I am Marlowe"));
  CHECK(messages[1] == json::parse(R"({"role":"assistant","content":"Hello there!"})"));
  CHECK(messages[2] == user("good morning"));
  CHECK(messages[3] == json::parse(R"({"role":"assistant","content":"Hello there!"})"));
}

TEST_CASE("a thread's Colang 1.0 dialog state ($name) continues across a server restart") {
  // A 1.0 thread saves its events with its messages (threads.db,
  // thread_state), so flow positions and $variables survive a restart.
  Env env;
  const std::string thread = "restart-thread-0003";
  {
    LiveServer s(env.configs, env.data);
    Reply r = chat(s, {{"config_id", "names"}, {"thread_id", thread}, {"messages", {user("Marlowe")}}});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(answer(r) == "Nice to meet you, Marlowe!");
  }
  LiveServer s(env.configs, env.data);
  Reply r = chat(s, {{"config_id", "names"}, {"thread_id", thread}, {"messages", {user("what is my name?")}}});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(answer(r) == "You told me before: Marlowe");
}

TEST_CASE("error paths over HTTP: status and JSON error body") {
  Env env;
  LiveServer s(env.configs, env.data);
  const std::string chat_url = s.url("/v1/chat/completions");

  // Malformed JSON.
  Reply r = fetch(chat_url, "POST", R"({"config_id": "colang1", )");
  CHECK(r.status == 400);
  CHECK(error_message(r).rfind("invalid JSON at byte", 0) == 0);
  CHECK(r.doc["error"]["type"] == "invalid_request_error");

  // A field of the wrong type: 400 naming the field.
  r = chat(s, {{"config_id", "colang1"}, {"stream", "yes"}, {"messages", {user("hi")}}});
  CHECK(r.status == 400);
  CHECK(has(error_message(r), "stream"));
  CHECK(r.doc["error"]["param"] == "stream");
  r = chat(s, {{"config_id", "colang1"}, {"messages", {user("a"), {{"role", "robot"}, {"content", "x"}}}}});
  CHECK(r.status == 400);
  CHECK(error_message(r).rfind("messages[1].role", 0) == 0);
  CHECK(r.doc["error"]["param"] == "messages[1].role");
  r = chat(s, {{"config_id", 7}, {"messages", {user("hi")}}});
  CHECK(r.status == 400);
  CHECK(r.doc["error"]["param"] == "config_id");

  // Unknown config: 404.
  r = chat(s, {{"config_id", "nope"}, {"messages", {user("hi")}}});
  CHECK(r.status == 404);
  CHECK(has(error_message(r), "nope"));

  // A config id that tries to leave the folder: 400.
  r = chat(s, {{"config_id", "../x"}, {"messages", {user("hi")}}});
  CHECK(r.status == 400);
  CHECK(has(error_message(r), "../x"));

  // A bad thread id: 400 naming thread_id.
  r = chat(s, {{"config_id", "colang1"}, {"thread_id", "short"}, {"messages", {user("hi")}}});
  CHECK(r.status == 400);
  CHECK(error_message(r).rfind("thread_id", 0) == 0);
  CHECK(r.doc["error"]["param"] == "thread_id");

  // A body over max_body_bytes (64 KiB here): 413.
  std::string big = json{{"config_id", "colang1"}, {"messages", {user(std::string(100 << 10, 'x'))}}}.dump();
  r = fetch(chat_url, "POST", big);
  CHECK(r.status == 413);
  error_message(r);
  CHECK(r.doc["error"]["type"] == "request_too_large");

  // The LLM fails: 502 with the reason.
  r = chat(s, {{"config_id", "broken_llm"}, {"messages", {user("hello")}}});
  CHECK(r.status == 502);
  CHECK(has(error_message(r), "no responses left"));

  // Unknown route, wrong method.
  r = fetch(s.url("/v1/nothing"));
  CHECK(r.status == 404);
  error_message(r);
  r = fetch(chat_url);
  CHECK(r.status == 405);
  error_message(r);
  r = fetch(s.url("/v1/models"), "DELETE");
  CHECK(r.status == 405);
  error_message(r);

  // After all that the server still answers.
  CHECK(fetch(s.url("/health")).status == 200);
  r = chat(s, {{"config_id", "colang1"}, {"messages", {user("hello")}}});
  CHECK(answer(r) == "Hello there!");
}

// /metrics once every needle is in it (or after 5 s, for the checks to show
// what is missing). A request is counted when its last byte has been sent,
// which can be after the client has read the response: a scrape right after
// a reply may not show it yet.
Reply metrics_with(LiveServer& s, const std::vector<std::string>& needles) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    Reply r = fetch(s.url("/metrics"));
    bool all = r.status == 200;
    for (const std::string& n : needles) all = all && has(r.body, n);
    if (all || std::chrono::steady_clock::now() > deadline) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

TEST_CASE("GET /metrics after traffic: request counters and LLM call series") {
  Env env;
  LiveServer s(env.configs, env.data);
  REQUIRE(chat(s, {{"config_id", "replay"}, {"messages", {user("hey")}}}).status == 200);
  REQUIRE(chat(s, {{"config_id", "broken_llm"}, {"messages", {user("hey")}}}).status == 502);
  REQUIRE(fetch(s.url("/health")).status == 200);
  REQUIRE(fetch(s.url("/no/such/path")).status == 404);

  Reply r = metrics_with(s, {"route=\"/v1/chat/completions\",status=\"200\"} 1\n",
                             "route=\"/v1/chat/completions\",status=\"502\"} 1\n",
                             "route=\"/health\",status=\"200\"} 1\n",
                             "route=\"unmatched\",status=\"404\"} 1\n"});
  REQUIRE(r.status == 200);
  CHECK(has(r.headers, "content-type: text/plain"));
  const std::string& m = r.body;
  CHECK_MESSAGE(has(m, "railguard_http_requests_total{route=\"/v1/chat/completions\",status=\"200\"} 1\n"), m);
  CHECK_MESSAGE(has(m, "railguard_http_requests_total{route=\"/v1/chat/completions\",status=\"502\"} 1\n"), m);
  CHECK_MESSAGE(has(m, "railguard_http_requests_total{route=\"/health\",status=\"200\"} 1\n"), m);
  CHECK_MESSAGE(has(m, "railguard_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"), m);
  CHECK(has(m, "railguard_http_request_duration_seconds_count{route=\"/v1/chat/completions\"} 2\n"));
  CHECK(has(m, "railguard_http_requests_in_flight "));
  CHECK_MESSAGE(has(m, "railguard_llm_calls_total{model=\"replay\",task=\"generate_user_intent\",outcome=\"ok\"} 1\n"), m);
  CHECK_MESSAGE(has(m, "railguard_llm_calls_total{model=\"replay\",task=\"generate_user_intent\",outcome=\"error\"} 1\n"), m);
  CHECK(has(m, "railguard_llm_call_duration_seconds_count{model=\"replay\"} 2\n"));
  CHECK(has(m, "railguard_rails_activated_total{type=\"dialog\",name=\"greeting\",outcome=\"passed\"} 1\n"));
}

TEST_CASE("100 concurrent conversations over HTTP: no cross-talk") {
  Env env;
  constexpr int kConversations = 100;
  constexpr int kClients = 16;
  auto name_of = [](int i) { return "Person" + std::to_string(i) + "x" + std::to_string(i * 7919 % 1000); };
  auto thread_of = [](int i) { return "conversation-" + std::to_string(1000 + i) + "-e2e"; };

  {
    LiveServer s(env.configs, env.data);
    std::atomic<int> next{0};
    std::mutex failures_mu;
    std::vector<std::string> failures;
    auto fail = [&](std::string what) {
      std::lock_guard lock(failures_mu);
      failures.push_back(std::move(what));
    };
    // Each client thread takes conversations from the shared counter and
    // interleaves them: turn 1 of two conversations, then turn 2 of both.
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&] {
        CURL* curl = curl_easy_init();  // keep-alive across this client's requests
        const std::string url = s.url("/v1/chat/completions");
        for (;;) {
          std::vector<int> mine;
          for (int k = 0; k < 2; ++k) {
            int i = next.fetch_add(1);
            if (i < kConversations) mine.push_back(i);
          }
          if (mine.empty()) break;
          for (int turn = 0; turn < 2; ++turn) {
            for (int i : mine) {
              const std::string name = name_of(i);
              json body = {{"config_id", "names"},
                           {"thread_id", thread_of(i)},
                           {"messages", {user(turn == 0 ? name : "do you remember me, " + name + "?")}}};
              Reply r = perform(curl, url, "POST", body.dump());
              std::string expected =
                  turn == 0 ? "Nice to meet you, " + name + "!" : "You told me before: " + name;
              if (r.status != 200 || answer(r) != expected) {
                fail("conversation " + std::to_string(i) + " turn " + std::to_string(turn) + ": " +
                     std::to_string(r.status) + " " + r.body);
              }
            }
          }
        }
        curl_easy_cleanup(curl);
      });
    }
    for (auto& t : clients) t.join();
    CHECK_MESSAGE(failures.empty(), failures.size() << " failed turns, first: "
                                                    << (failures.empty() ? "" : failures.front()));
  }

  // Each stored thread holds exactly its own four messages.
  std::string error;
  auto store = rs::ThreadStore::open((env.data / "threads.db").string(), &error);
  REQUIRE_MESSAGE(store, error);
  int wrong = 0;
  for (int i = 0; i < kConversations; ++i) {
    const std::string name = name_of(i);
    std::vector<json> messages;
    REQUIRE(store->load(thread_of(i), &messages, &error));
    std::vector<json> expected = {
        user(name),
        {{"role", "assistant"}, {"content", "Nice to meet you, " + name + "!"}},
        user("do you remember me, " + name + "?"),
        {{"role", "assistant"}, {"content", "You told me before: " + name}},
    };
    if (messages != expected) {
      ++wrong;
      if (wrong <= 3) {
        FAIL_CHECK("thread " << thread_of(i) << ": " << json(messages).dump());
      }
    }
  }
  CHECK(wrong == 0);
}

TEST_CASE("a 404 for an unknown config is counted under its route in /metrics") {
  // Regression: every 404 the service answered used to be counted as
  // route="unmatched", so the chat route's error rate missed unknown configs.
  Env env;
  LiveServer s(env.configs, env.data);
  REQUIRE(chat(s, {{"config_id", "nope"}, {"messages", {user("hey")}}}).status == 404);
  Reply r = metrics_with(s, {"route=\"/v1/chat/completions\",status=\"404\"} 1\n"});
  REQUIRE(r.status == 200);
  CHECK_MESSAGE(has(r.body, "railguard_http_requests_total{route=\"/v1/chat/completions\",status=\"404\"} 1\n"),
                r.body);
  CHECK(!has(r.body, "route=\"unmatched\""));
}

TEST_CASE("stop() with a keep-alive connection open") {
  // Regression (a watchdog ends the process after 5 s if it comes back):
  // HttpServer::run() used to close connections while holding
  // connections_mutex; when it held the last reference, ~Connection() took
  // the same mutex again and stop() never returned.
  Env env;
  for (int round = 0; round < 100; ++round) {
    CAPTURE(round);
    LiveServer s(env.configs, env.data);
    CURL* curl = curl_easy_init();
    REQUIRE(perform(curl, s.url("/health")).status == 200);  // stays open (keep-alive)
    std::atomic<bool> stopped{false};
    std::thread watchdog([&] {
      for (int i = 0; i < 50 && !stopped; ++i) std::this_thread::sleep_for(100ms);
      if (!stopped) {
        std::fprintf(stderr, "server_e2e_test: HttpServer::stop() deadlocked (round %d)\n", round);
        std::_Exit(1);
      }
    });
    s.stop(/*settle=*/false);
    stopped = true;
    watchdog.join();
    curl_easy_cleanup(curl);
  }
}
