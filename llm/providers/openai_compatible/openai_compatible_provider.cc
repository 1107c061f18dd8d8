#include "llm/providers/openai_compatible/openai_compatible_provider.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <map>
#include <random>
#include <thread>
#include <utility>

#include "llm/providers/openai_compatible/http_transport.h"
#include "llm/providers/openai_compatible/response_util.h"
#include "llm/providers/openai_compatible/sse_decoder.h"

namespace rg::llm {

namespace {

using json = nlohmann::json;
namespace oc = openai_compatible;
using oc::error_text;
using oc::parse_json;

int int_field(const json& obj, const char* key) {
  if (!obj.is_object()) return 0;
  auto it = obj.find(key);
  return it != obj.end() && it->is_number_integer() ? it->get<int>() : 0;
}

void read_usage(const json& body, Completion& c) {
  auto it = body.find("usage");
  if (it == body.end() || !it->is_object()) return;
  c.prompt_tokens = int_field(*it, "prompt_tokens");
  c.completion_tokens = int_field(*it, "completion_tokens");
  c.total_tokens = int_field(*it, "total_tokens");
}

// The request body: model, messages or prompt, parameters (call over defaults), extras.
json request_body(const oc::Options& o, const LlmRequest& request, bool chat, int n, bool stream) {
  json body = o.extra_body;
  body["model"] = o.model;
  if (chat) {
    json messages = json::array();
    if (request.messages.empty()) {
      messages.push_back({{"role", "user"}, {"content", request.prompt}});
    } else {
      for (const Message& m : request.messages)
        messages.push_back({{"role", m.role}, {"content", m.content}});
    }
    body["messages"] = std::move(messages);
  } else {
    body["prompt"] = request.messages.empty() ? request.prompt : flatten_messages(request.messages);
  }
  const LlmParams& p = request.params;
  if (auto t = p.temperature ? p.temperature : o.defaults.temperature) body["temperature"] = *t;
  if (auto m = p.max_tokens ? p.max_tokens : o.defaults.max_tokens) body["max_tokens"] = *m;
  const std::vector<std::string>& stop = p.stop.empty() ? o.defaults.stop : p.stop;
  if (!stop.empty()) body["stop"] = stop;
  if (n > 1) body["n"] = n;
  if (stream) body["stream"] = true;
  return body;
}

// Reads choices[*] (message.content or text) of a whole answer.
bool read_choices(const json& body, bool chat, Completion& c, std::string& what) {
  const char* path = chat ? "choices[0].message.content" : "choices[0].text";
  auto choices = body.find("choices");
  if (choices == body.end() || !choices->is_array() || choices->empty()) {
    what = std::string("response has no ") + path;
    return false;
  }
  std::map<int, std::string> texts;
  int i = 0;
  for (const json& choice : *choices) {
    int index = choice.is_object() && choice.contains("index") && choice["index"].is_number_integer()
                    ? choice["index"].get<int>()
                    : i;
    ++i;
    const json* text = nullptr;
    if (choice.is_object()) {
      if (chat) {
        auto m = choice.find("message");
        if (m != choice.end() && m->is_object() && m->contains("content")) text = &(*m)["content"];
      } else if (choice.contains("text")) {
        text = &choice["text"];
      }
    }
    if (!text || !text->is_string()) {
      what = "response has no " + std::string(path);
      if (index != 0) what.replace(what.find("[0]"), 3, "[" + std::to_string(index) + "]");
      return false;
    }
    texts[index] = text->get<std::string>();
  }
  for (auto& [index, text] : texts) c.choices.push_back(std::move(text));
  c.text = c.choices.front();
  return true;
}

}  // namespace

OpenAiCompatibleProvider::OpenAiCompatibleProvider(oc::Options options)
    : options_(std::move(options)) {}

Result<Completion> OpenAiCompatibleProvider::call(const LlmRequest& request, int n,
                                                  const ChunkCallback& on_chunk) {
  const oc::Options& o = options_;
  const bool chat = !request.messages.empty() || o.chat;
  const bool stream = static_cast<bool>(on_chunk);
  const std::string url = o.base_url + (chat ? "/chat/completions" : "/completions");
  const std::string where = o.engine + " " + url;
  auto fail = [&](ErrorCode code, const std::string& what) {
    return Error{code, o.engine + ": POST " + url + ": " + what, where};
  };

  oc::HttpRequest http;
  http.url = url;
  http.headers = {"Content-Type: application/json",
                  stream ? "Accept: text/event-stream" : "Accept: application/json"};
  if (!o.api_key.empty()) http.headers.push_back("Authorization: Bearer " + o.api_key);
  http.body = request_body(o, request, chat, n, stream).dump();
  http.connect_timeout_ms = o.connect_timeout_ms;
  http.read_timeout_ms = o.read_timeout_ms;

  std::minstd_rand rng(std::random_device{}());
  for (int attempt = 0;; ++attempt) {
    // Streaming state, per attempt.
    oc::SseDecoder sse;
    std::map<int, std::string> texts;
    Completion c;
    std::string stream_error;
    ErrorCode stream_code = ErrorCode::kBadResponse;
    bool done = false;
    int events = 0;
    std::string raw;
    std::exception_ptr chunk_exception;

    auto take_event = [&](const std::string& data) -> bool {
      if (done) return true;  // anything after [DONE] is ignored
      ++events;
      if (data == "[DONE]") {
        done = true;
        return true;
      }
      json j;
      std::string what;
      if (!parse_json(data, j, what)) {
        stream_error = "stream event " + std::to_string(events) + ": " + what;
        return false;
      }
      if (j.is_object() && j.contains("error")) {
        stream_code = ErrorCode::kProvider;
        stream_error = "error in stream: " + error_text(data);
        return false;
      }
      if (!j.is_object()) {
        stream_error = "stream event " + std::to_string(events) + " is not a JSON object";
        return false;
      }
      if (j.contains("model") && j["model"].is_string()) c.model = j["model"].get<std::string>();
      read_usage(j, c);
      auto choices = j.find("choices");
      if (choices == j.end() || !choices->is_array()) return true;  // e.g. a usage-only event
      for (const json& choice : *choices) {
        if (!choice.is_object()) continue;
        int index = choice.contains("index") && choice["index"].is_number_integer()
                        ? choice["index"].get<int>() : 0;
        const json* piece = nullptr;
        if (chat) {
          auto d = choice.find("delta");
          if (d != choice.end() && d->is_object() && d->contains("content")) piece = &(*d)["content"];
        } else if (choice.contains("text")) {
          piece = &choice["text"];
        }
        if (!piece || !piece->is_string()) continue;  // role-only or finish events
        const std::string& s = piece->get_ref<const std::string&>();
        texts[index] += s;
        if (index == 0 && !s.empty()) {
          // A callback that throws stops the stream; the exception leaves call().
          try {
            on_chunk(s);
          } catch (...) {
            chunk_exception = std::current_exception();
            return false;
          }
        }
      }
      return true;
    };
    std::function<bool(std::string_view)> on_body;
    if (stream) {
      on_body = [&](std::string_view bytes) {
        raw.append(bytes);
        for (const std::string& data : sse.feed(bytes))
          if (!take_event(data)) return false;
        return true;
      };
    }

    oc::HttpResult r = oc::http_post(http, on_body);
    if (chunk_exception) std::rethrow_exception(chunk_exception);
    switch (r.failure) {
      case oc::HttpFailure::kNone:
        break;
      case oc::HttpFailure::kConnectTimeout:
        return fail(ErrorCode::kTimeout, "connect timeout after " +
                                             std::to_string(o.connect_timeout_ms) + " ms");
      case oc::HttpFailure::kReadTimeout:
        return fail(ErrorCode::kTimeout, "read timeout: " + r.detail);
      case oc::HttpFailure::kTransport:
        return fail(ErrorCode::kTransport, "connection failed: " + r.detail);
      case oc::HttpFailure::kAborted:
        return fail(stream_code, stream_error);
    }

    if (r.status == 429 || (r.status >= 500 && r.status <= 599)) {
      if (attempt < o.max_retries) {
        std::this_thread::sleep_for(
            std::chrono::milliseconds(oc::retry_delay_ms(o, attempt, r.retry_after, rng)));
        continue;
      }
      return fail(ErrorCode::kProvider,
                  "HTTP " + std::to_string(r.status) + " (gave up after " +
                      std::to_string(o.max_retries) + " retries): " + error_text(r.body));
    }
    if (r.status < 200 || r.status > 299)
      return fail(ErrorCode::kProvider,
                  "HTTP " + std::to_string(r.status) + ": " + error_text(r.body));

    if (stream) {
      for (const std::string& data : sse.finish())
        if (!take_event(data)) return fail(stream_code, stream_error);
      if (!done)
        return fail(ErrorCode::kBadResponse,
                    "stream ended before [DONE] (after " + std::to_string(events) + " events, " +
                        std::to_string(texts.count(0) ? texts[0].size() : 0) + " characters)");
      for (auto& [index, text] : texts) c.choices.push_back(std::move(text));
      if (c.choices.empty()) c.choices.push_back("");
      c.text = c.choices.front();
      c.raw_response = std::move(raw);
      if (c.model.empty()) c.model = o.model;
      return c;
    }

    if (!r.body_complete)
      return fail(ErrorCode::kBadResponse,
                  "response cut short after " + std::to_string(r.body.size()) + " bytes");
    json body;
    std::string what;
    if (!parse_json(r.body, body, what)) return fail(ErrorCode::kBadResponse, what);
    if (!body.is_object()) return fail(ErrorCode::kBadResponse, "response is not a JSON object");
    if (!read_choices(body, chat, c, what)) return fail(ErrorCode::kBadResponse, what);
    read_usage(body, c);
    c.model = body.contains("model") && body["model"].is_string() ? body["model"].get<std::string>()
                                                                   : o.model;
    c.raw_response = std::move(r.body);
    return c;
  }
}

Result<std::shared_ptr<Provider>> make_openai_compatible(std::string_view engine,
                                                         const ProviderSettings& settings) {
  Result<oc::Options> options = oc::parse_options(engine, settings);
  if (!options.ok()) return options.error();
  return std::shared_ptr<Provider>(std::make_shared<OpenAiCompatibleProvider>(options.value()));
}

}  // namespace rg::llm
