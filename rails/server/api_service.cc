#include "rails/server/api_service.h"

#include <chrono>
#include <exception>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "colang/value_json.h"
#include "llm/llm_client.h"
#include "rails/actions/action_registry.h"
#include "rails/actions/llm_actions.h"
#include "rails/actions/system_actions.h"
#include "rails/dialog/generation.h"
#include "rails/server/chat_request.h"
#include "rails/server/config_registry.h"
#include "rails/server/openai_shapes.h"
#include "rails/server/thread_store.h"
#include "runtime/session.h"
#include "runtime/state.h"
#include "runtime/state_clone.h"
#include "runtime/state_json.h"

namespace rg::rails::server {
namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void respond(HttpResponse* response, int status, const json& body) {
  response->status = status;
  response->content_type = "application/json";
  response->body = dump(body);
}

void respond_error(HttpResponse* response, int status, const std::string& message, const std::string& param = "") {
  respond(response, status, error_body(status, message, param));
}

bool contains(const std::string& text, std::string_view what) { return text.find(what) != std::string::npos; }

// An error out of the pipeline: 504 for an LLM timeout, 502 for another LLM
// failure, 0 when the error is not the LLM's.
int llm_error_status(const std::string& error) {
  bool llm = contains(error, "LLM call") || contains(error, "no LLM configured") || contains(error, "LLM ");
  if (!llm) return 0;
  if (contains(error, "timeout") || contains(error, "timed out") || contains(error, "Timeout")) return 504;
  return 502;
}

// Forwards to the config's models and records every call (Colang 2.x: the
// usage, the metrics and the error code of a failed call).
class RecordingClient final : public llm::LlmClient {
 public:
  struct Call {
    std::string task, model;
    double seconds = 0;
    bool ok = true;
    llm::ErrorCode code = llm::ErrorCode::kProvider;
    std::string error;
    int prompt_tokens = 0, completion_tokens = 0, total_tokens = 0;
    std::string prompt, completion;
  };

  explicit RecordingClient(std::shared_ptr<llm::LlmClient> inner) : inner_(std::move(inner)) {}

  llm::Result<llm::Completion> complete(std::string_view task, std::string_view prompt,
                                        const llm::LlmParams& params) override {
    llm::LlmRequest request;
    request.task = std::string(task);
    request.prompt = std::string(prompt);
    request.params = params;
    return generate(request, {});
  }

  llm::Result<llm::Completion> generate(const llm::LlmRequest& request, const llm::ChunkCallback& on_chunk = {}) override {
    auto start = std::chrono::steady_clock::now();
    auto result = inner_->generate(request, on_chunk);
    Call call;
    call.task = request.task;
    call.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    call.prompt = request.prompt.empty() ? llm::flatten_messages(request.messages) : request.prompt;
    if (result.ok()) {
      const llm::Completion& c = result.value();
      call.model = c.model;
      call.prompt_tokens = c.prompt_tokens;
      call.completion_tokens = c.completion_tokens;
      call.total_tokens = c.total_tokens ? c.total_tokens : c.prompt_tokens + c.completion_tokens;
      call.completion = c.text;
    } else {
      call.ok = false;
      call.code = result.error().code;
      call.error = result.error().message;
    }
    std::lock_guard<std::mutex> guard(mu_);
    calls_.push_back(std::move(call));
    return result;
  }

  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> guard(mu_);
    return calls_;
  }

 private:
  std::shared_ptr<llm::LlmClient> inner_;
  mutable std::mutex mu_;
  std::vector<Call> calls_;
};

// What one chat turn produced, whatever the Colang version.
struct TurnOutcome {
  int status = 200;  // != 200: `error` is the message of an error response
  std::string error;
  json message;  // {"role": "assistant"|"exception", "content": ...}
  Usage usage;
  std::optional<json> llm_output, output_data, log, state;
  // On a thread: the dialog state after the turn, saved with the messages
  // (1.0: {"events": [...]}; 2.x: {"state": ..., "version": "2.x"}).
  std::optional<json> thread_state;
  // Streaming output rails (1.0): chunks already went to the client, and
  // why the stream was stopped ("" when it was not).
  bool streamed = false;
  std::string stream_error;
};

class Service final : public ApiService {
 public:
  Service(const ServiceOptions& options, MetricsSink* metrics, std::unique_ptr<ThreadStore> threads)
      : options_(options),
        metrics_(metrics),
        registry_(options.config_path, options.auto_reload),
        threads_(std::move(threads)),
        created_(unix_now()) {}

  bool handle(const ApiRequest& request, HttpResponse* response, StreamSink& stream) override {
    bool started = false;
    try {
      return route(request, response, stream, &started);
    } catch (const std::exception& e) {
      std::cerr << "railguard server: request " << request.request_id << ": internal error: " << e.what() << "\n";
      if (started) return true;  // the status line is gone; the stream just ends
      *response = HttpResponse();
      respond_error(response, 500, std::string("internal error: ") + e.what());
    } catch (...) {
      if (started) return true;
      *response = HttpResponse();
      respond_error(response, 500, "internal error");
    }
    return false;
  }

  void flush() override {
    if (threads_) threads_->flush();
  }

 private:
  bool route(const ApiRequest& request, HttpResponse* response, StreamSink& stream, bool* started) {
    std::string path = request.path;
    if (size_t q = path.find('?'); q != std::string::npos) path.resize(q);
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    auto method_is = [&](const char* m) {
      if (request.method == m) return true;
      response->headers.emplace_back("Allow", m);
      respond_error(response, 405, "method " + request.method + " not allowed on " + path + " (use " + m + ")");
      return false;
    };
    if (path == "/v1/rails/configs") {
      if (!method_is("GET")) return false;
      json out = json::array();
      for (const auto& id : registry_.ids()) out.push_back({{"id", id}});
      respond(response, 200, out);
      return false;
    }
    if (path == "/v1/models") {
      if (!method_is("GET")) return false;
      respond(response, 200, models_list(registry_.ids(), created_));
      return false;
    }
    if (path == "/v1/chat/completions") {
      if (!method_is("POST")) return false;
      return chat(request, response, stream, started);
    }
    respond_error(response, 404, "no route " + request.method + " " + path);
    return false;
  }

  bool chat(const ApiRequest& request, HttpResponse* response, StreamSink& stream, bool* started) {
    ChatRequest req;
    RequestError err;
    if (!parse_chat_request(request.body, &req, &err)) {
      respond_error(response, err.status, err.message, err.param);
      return false;
    }
    std::vector<std::string> config_ids = req.config_ids;
    std::string config_id;
    if (!req.config_ids.empty()) {
      config_id = req.config_ids.front();
    } else if (!options_.default_config_id.empty()) {
      config_id = options_.default_config_id;
    } else if (registry_.single_config()) {
      config_id = registry_.single_id();
    } else {
      respond_error(response, 500,
                    "No config_id or config_ids provided and no default configuration is set for the server. "
                    "Set 'config_id' in the request or start the server with --default-config-id.");
      return false;
    }
    int status = 0;
    std::string why;
    if (config_ids.empty()) config_ids.push_back(config_id);
    auto config = registry_.get(config_ids, &status, &why);
    if (!config) {
      respond_error(response, status, why, status == 400 ? (req.openai ? "model" : "config_id") : "");
      return false;
    }

    // Threads: the stored messages come first; the new ones and the reply
    // are committed before the response leaves.
    ThreadStore::Lock thread_lock;
    std::vector<json> messages;
    nlohmann::ordered_json thread_state;
    if (req.thread_id) {
      if (!threads_) {
        respond_error(response, 500, "threads are not available: the thread database did not open");
        return false;
      }
      thread_lock = threads_->lock(*req.thread_id);
      std::string db_error;
      if (!threads_->load(*req.thread_id, &messages, &db_error, &thread_state)) {
        respond_error(response, 500, "thread " + *req.thread_id + ": " + db_error);
        return false;
      }
    }
    size_t stored = messages.size();
    messages.insert(messages.end(), req.messages.begin(), req.messages.end());

    // Streaming output rails (1.0, rails.output.streaming.enabled): the
    // answer's chunks go to the client as the output rails pass them; the
    // response starts with the first chunk (errors before it are ordinary
    // error responses).
    const std::string completion_id = req.openai ? new_completion_id() : std::string();
    const int64_t created = unix_now();
    bool client_gone = false;
    std::function<bool(std::string_view)> on_chunk;
    if (req.stream && !config->v2 && config->v1 && config->v1->config().rails.output_streaming.enabled) {
      on_chunk = [&](std::string_view piece) {
        if (client_gone) return false;
        bool ok = true;
        if (!*started) {
          stream.start(200, req.raw_stream && !req.openai ? "text/plain; charset=utf-8" : "text/event-stream");
          *started = true;
          if (req.openai)
            ok = stream.write(sse_event(chat_completion_chunk(completion_id, created, req.model, "assistant", "", false)));
        }
        if (ok) {
          std::string p(piece);
          ok = req.openai       ? stream.write(sse_event(chat_completion_chunk(completion_id, created, req.model, "", p, false)))
               : req.raw_stream ? stream.write(p)
                                : stream.write(sse_event(json{{"content", p}}));
        }
        if (!ok) client_gone = true;
        return ok;
      };
    }

    TurnOutcome turn;
    bool saved_state_fits = thread_state.is_object() &&
                            (config->v2 ? thread_state.contains("version") : thread_state.contains("events"));
    if (req.thread_id && saved_state_fits && !req.state) {
      // A thread continues from its saved dialog state (1.0: the events;
      // 2.x: the runtime state), which also holds the earlier messages: no
      // replay of earlier turns and their LLM calls.
      ChatRequest continued = req;
      continued.state = json(thread_state);
      std::vector<json> fresh(messages.begin() + static_cast<std::ptrdiff_t>(stored), messages.end());
      turn = config->v2 ? run_v2(*config, continued, fresh) : run_v1(*config, continued, fresh, on_chunk);
      turn.state.reset();  // the client did not ask for the state
    } else {
      turn = config->v2 ? run_v2(*config, req, messages) : run_v1(*config, req, messages, on_chunk);
    }
    if (turn.status != 200) {
      if (*started) {  // a streamed turn failed after its first chunk
        end_live_stream(stream, req, completion_id, created, turn.error, "server_error");
        return true;
      }
      respond_error(response, turn.status, turn.error, turn.status == 400 ? "options" : "");
      return false;
    }
    if (req.thread_id) {
      std::vector<json> to_store(messages.begin() + static_cast<std::ptrdiff_t>(stored), messages.end());
      to_store.push_back(turn.message);
      std::string db_error;
      nlohmann::ordered_json saved;
      if (turn.thread_state) saved = nlohmann::ordered_json(*turn.thread_state);
      if (!threads_->append(*req.thread_id, to_store, &db_error, turn.thread_state ? &saved : nullptr)) {
        if (*started) {
          end_live_stream(stream, req, completion_id, created,
                          "thread " + *req.thread_id + ": the reply was not stored: " + db_error, "server_error");
          return true;
        }
        respond_error(response, 500, "thread " + *req.thread_id + ": the reply was not stored: " + db_error);
        return false;
      }
    }
    thread_lock.release();

    if (turn.streamed) {
      // The chunks went out during the turn; a rail that blocked one ends
      // the stream with an error event.
      if (!client_gone) end_live_stream(stream, req, completion_id, created, turn.stream_error, "guardrails_violation");
      return true;
    }
    std::string text = turn.message["content"].is_string() ? turn.message["content"].get<std::string>() : "";
    if (req.openai) {
      const std::string& id = completion_id;
      if (turn.message["role"] != "assistant") text = dump(turn.message["content"]);
      if (!req.stream) {
        respond(response, 200, chat_completion(id, created, req.model, text, turn.usage));
        return false;
      }
      stream.start(200, "text/event-stream");
      *started = true;
      if (!stream.write(sse_event(chat_completion_chunk(id, created, req.model, "assistant", "", false)))) return true;
      for (const auto& piece : stream_pieces(text)) {
        if (!stream.write(sse_event(chat_completion_chunk(id, created, req.model, "", piece, false)))) return true;
      }
      if (!stream.write(sse_event(chat_completion_chunk(id, created, req.model, "", "", true)))) return true;
      stream.write(kSseDone);
      return true;
    }

    if (!req.stream) {
      json out = {{"messages", json::array({turn.message})}};
      if (turn.llm_output) out["llm_output"] = *turn.llm_output;
      if (turn.output_data) out["output_data"] = *turn.output_data;
      if (turn.log) out["log"] = *turn.log;
      if (turn.state) out["state"] = *turn.state;
      respond(response, 200, out);
      return false;
    }
    if (req.raw_stream) {
      // The reference's format: the text itself, in pieces.
      stream.start(200, "text/plain; charset=utf-8");
      *started = true;
      if (turn.message["role"] != "assistant") text = dump(turn.message);
      for (const auto& piece : stream_pieces(text)) {
        if (!stream.write(piece)) return true;
      }
      return true;
    }
    stream.start(200, "text/event-stream");
    *started = true;
    if (turn.message["role"] != "assistant") {
      if (!stream.write(sse_event(turn.message))) return true;
    } else {
      for (const auto& piece : stream_pieces(text)) {
        if (!stream.write(sse_event(json{{"content", piece}}))) return true;
      }
    }
    stream.write(kSseDone);
    return true;
  }

  // ------------------------------------------------------------ Colang 1.0
  // Ends a stream that streaming output rails started: the error event
  // (`data: {"error": {"message": ..., "type": ...}}`) when `error` is set,
  // the OpenAI finish chunk, `[DONE]`. A raw text stream just ends.
  void end_live_stream(StreamSink& stream, const ChatRequest& req, const std::string& id, int64_t created,
                       const std::string& error, const std::string& type) {
    if (req.raw_stream && !req.openai) return;
    if (!error.empty() && !stream.write(sse_event(json{{"error", {{"message", error}, {"type", type}}}}))) return;
    if (req.openai && !stream.write(sse_event(chat_completion_chunk(id, created, req.model, "", "", true)))) return;
    stream.write(kSseDone);
  }

  TurnOutcome run_v1(const LoadedConfig& config, const ChatRequest& req, const std::vector<json>& messages,
                     const std::function<bool(std::string_view)>& on_chunk = {}) {
    TurnOutcome out;
    std::string opt_error;
    dialog::GenerationOptions options =
        dialog::parse_generation_options(colang::from_json(req.options), &opt_error);
    if (!opt_error.empty()) {
      out.status = 400;
      out.error = opt_error.rfind("options", 0) == 0 ? opt_error : "options: " + opt_error;
      return out;
    }
    options.given = req.options_given;
    options.on_chunk = on_chunk;
    std::vector<dialog::ChatMessage> chat;
    if (req.state) {
      // {"events": [...]}: the conversation so far, continued by the messages.
      auto events = req.state->find("events");
      if (events != req.state->end()) {
        if (!events->is_array()) {
          out.status = 400;
          out.error = "state.events: expected an array";
          return out;
        }
        for (size_t i = 0; i < events->size(); ++i) {
          const json& e = (*events)[i];
          if (!e.is_object() || !e.contains("type") || !e["type"].is_string()) {
            out.status = 400;
            out.error = "state.events[" + std::to_string(i) + "]: expected an event object with a string \"type\"";
            return out;
          }
          chat.push_back({"event", colang::from_json(e)});
        }
      }
    }
    for (const auto& m : messages) chat.push_back(to_chat_message(m));

    dialog::GenerationResult r = config.v1->generate(chat, options);
    report_v1(config, r);
    out.streamed = r.streamed;
    out.stream_error = r.stream_error;
    if (!r.error.empty()) {
      int status = r.llm_error ? (*r.llm_error == llm::ErrorCode::kTimeout ? 504 : 502) : 0;
      if (status) {
        out.status = status;
        out.error = r.error;
        return out;
      }
      std::cerr << "railguard server: config '" << config.id << "': the turn failed closed: " << r.error << "\n";
    }
    out.message = json{{"role", r.message.role}, {"content", colang::to_json(r.message.content)}};
    if (req.thread_id) {
      json events = json::array();
      for (const colang::Value& e : r.events) events.push_back(json(colang::to_json(e)));
      out.thread_state = json{{"events", std::move(events)}};
    }
    for (const auto& c : r.llm_calls) {
      out.usage.prompt_tokens += c.prompt_tokens;
      out.usage.completion_tokens += c.completion_tokens;
      out.usage.total_tokens += c.total_tokens ? c.total_tokens : c.prompt_tokens + c.completion_tokens;
    }
    if (options.llm_output) out.llm_output = json(r.llm_output);
    bool want_vars = options.output_vars.is_bool() ? options.output_vars.as_bool() : !options.output_vars.is_none();
    if (want_vars) out.output_data = colang::to_json(dialog::output_data(r, options));
    if (options.log_activated_rails || options.log_llm_calls || options.log_internal_events ||
        options.log_colang_history) {
      out.log = colang::to_json(dialog::log_to_value(r, options));
    }
    if (req.state) out.state = json{{"events", colang::to_json(colang::Value(r.events))}};
    return out;
  }

  void report_v1(const LoadedConfig& config, const dialog::GenerationResult& r) {
    if (!metrics_) return;
    for (const auto& rail : r.activated_rails) {
      metrics_->rail_activated(rail.type, rail.name, rail.stop ? "stopped" : "passed");
    }
    for (size_t i = 0; i < r.llm_calls.size(); ++i) {
      const auto& c = r.llm_calls[i];
      bool failed = r.llm_error.has_value() && i + 1 == r.llm_calls.size();
      metrics_->llm_call(c.llm_model_name.empty() ? config.model_id : c.llm_model_name, c.task, c.duration, !failed);
    }
  }

  // ------------------------------------------------------------ Colang 2.x
  TurnOutcome run_v2(const LoadedConfig& config, const ChatRequest& req, const std::vector<json>& messages) {
    TurnOutcome out;
    auto recorder = std::make_shared<RecordingClient>(config.router);
    runtime::SessionOptions session_options;
    auto actions = std::make_shared<ActionRegistry>();
    register_system_actions(*actions);
    register_llm_actions(*actions, recorder, config.llm_options);
    register_rail_actions(*actions, recorder, config.rail_options);
    session_options.actions = std::move(actions);
    // `$system.config` in flows (the rails library reads enable_rails_exceptions).
    if (config.config) session_options.system_config = colang::Value(config.config->raw);
    // A rail's `send <X>Exception(...)` (enable_rails_exceptions) answers the
    // request as {"role": "exception", "content": <the event>}, as in 1.0.
    auto rail_exception = std::make_shared<std::optional<colang::Dict>>();
    session_options.on_event = [rail_exception](std::string_view direction, const colang::Dict& event) {
      if (direction != "out") return;
      const colang::Value* type = event.find("type");
      if (type && type->is_str() && type->as_str().size() > 9 &&
          type->as_str().compare(type->as_str().size() - 9, 9, "Exception") == 0)
        *rail_exception = event;
    };
    runtime::Session session(config.library, std::move(session_options));

    size_t first = 0;  // the first message to feed
    std::vector<std::string> said;
    bool restore = req.state && !req.state->empty();
    if (restore) {
      auto inner = req.state->find("state");
      if (inner == req.state->end()) {
        out.status = 400;
        out.error = "state: expected {\"state\": ..., \"version\": \"2.x\"} for a Colang 2.x config";
        return out;
      }
      if (auto v = req.state->find("version"); v != req.state->end() && *v != "2.x") {
        out.status = 400;
        out.error = "state.version: expected \"2.x\"";
        return out;
      }
      try {
        std::unique_ptr<runtime::State> restored = runtime::state_from_json(*inner, config.library);
        session.state() = std::move(*restored);
      } catch (const std::exception& e) {
        out.status = 400;
        out.error = std::string("state.state: ") + e.what();
        return out;
      }
      // The state holds the conversation up to the last reply: feed what came after.
      for (size_t i = messages.size(); i > 0; --i) {
        if (messages[i - 1].value("role", "") == "assistant") {
          first = i;
          break;
        }
      }
    }
    size_t last_user = messages.size();
    for (size_t i = messages.size(); i > first; --i) {
      if (messages[i - 1].value("role", "") == "user") {
        last_user = i - 1;
        break;
      }
    }
    try {
      if (!restore) {
        std::shared_ptr<const LoadedConfig::Started> started;
        {
          std::lock_guard<std::mutex> lock(config.started_mu);
          started = config.started;
        }
        if (started) {
          session.state() = std::move(*runtime::clone_state(*started->state));
          said = started->said;
        } else {
          said = session.start();
          // Only a start that needed no model is the same for everyone.
          if (recorder->calls().empty()) {
            auto snapshot = std::make_shared<LoadedConfig::Started>();
            snapshot->state = runtime::clone_state(session.state());
            snapshot->said = said;
            std::lock_guard<std::mutex> lock(config.started_mu);
            if (!config.started) config.started = std::move(snapshot);
          }
        }
      }
      for (size_t i = first; i < messages.size(); ++i) {
        const json& m = messages[i];
        std::string role = m.value("role", "");
        if (role == "user") {
          if (i != last_user) said.clear();
          rail_exception->reset();
          auto got = session.user_said(m["content"].get<std::string>());
          if (i < last_user) continue;
          said.insert(said.end(), got.begin(), got.end());
        } else if (role == "event") {
          session.process({colang::dict_from_json(m["event"])});
        } else if (role == "context") {
          // Context variables become globals the flows can read.
          for (const auto& [k, v] : m["content"].items()) session.state().globals.set(k, colang::from_json(v));
        }
      }
    } catch (const runtime::ActionError& e) {
      report_v2(config, *recorder);
      for (const auto& c : recorder->calls()) {
        if (!c.ok) {
          out.status = c.code == llm::ErrorCode::kTimeout ? 504 : 502;
          out.error = "LLM call for task " + c.task + " failed: " + c.error;
          return out;
        }
      }
      int status = llm_error_status(e.what());
      out.status = status ? status : 500;
      out.error = e.what();
      return out;
    }
    report_v2(config, *recorder);
    std::string text;
    for (size_t i = 0; i < said.size(); ++i) text += (i ? "\n" : "") + said[i];
    out.message = json{{"role", "assistant"}, {"content", text}};
    if (*rail_exception) out.message = json{{"role", "exception"}, {"content", colang::to_json(colang::Value(**rail_exception))}};
    for (const auto& c : recorder->calls()) {
      out.usage.prompt_tokens += c.prompt_tokens;
      out.usage.completion_tokens += c.completion_tokens;
      out.usage.total_tokens += c.total_tokens;
    }
    auto log = req.options.find("log");
    if (log != req.options.end() && log->is_object() && log->value("llm_calls", false)) {
      json calls = json::array();
      for (const auto& c : recorder->calls()) {
        calls.push_back({{"task", c.task},
                         {"duration", c.seconds},
                         {"prompt_tokens", c.prompt_tokens},
                         {"completion_tokens", c.completion_tokens},
                         {"total_tokens", c.total_tokens},
                         {"prompt", c.prompt},
                         {"completion", c.completion},
                         {"llm_model_name", c.model}});
      }
      out.log = json{{"llm_calls", calls}};
    }
    if (req.state || req.thread_id) {
      json state = json{{"state", runtime::state_to_json(session.state())}, {"version", "2.x"}};
      if (req.thread_id) out.thread_state = state;
      if (req.state) out.state = std::move(state);
    }
    return out;
  }

  void report_v2(const LoadedConfig& config, const RecordingClient& recorder) {
    if (!metrics_) return;
    for (const auto& c : recorder.calls()) {
      metrics_->llm_call(c.model.empty() ? config.model_id : c.model, c.task, c.seconds, c.ok);
    }
  }

  ServiceOptions options_;
  MetricsSink* metrics_;
  ConfigRegistry registry_;
  std::unique_ptr<ThreadStore> threads_;
  int64_t created_;
};

}  // namespace

std::shared_ptr<ApiService> make_api_service(const ServiceOptions& options, MetricsSink* metrics, std::string* error) {
  std::error_code ec;
  if (options.config_path.empty() || !fs::is_directory(options.config_path, ec)) {
    if (error) *error = "config folder '" + options.config_path + "' does not exist";
    return nullptr;
  }
  std::string data_dir = options.data_dir.empty() ? "./.railguard" : options.data_dir;
  std::string db_error;
  auto threads = ThreadStore::open((fs::path(data_dir) / "threads.db").string(), &db_error);
  if (!threads) {
    if (error) *error = db_error;
    return nullptr;
  }
  return std::make_shared<Service>(options, metrics, std::move(threads));
}

}  // namespace rg::rails::server
