#include "rails/server/chat_request.h"

#include "colang/value_json.h"

namespace rg::rails::server {
namespace {

using json = nlohmann::ordered_json;

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "a number";
  }
}

bool fail(RequestError* error, std::string param, std::string what) {
  error->status = 400;
  error->message = param + ": " + what;
  error->param = std::move(param);
  return false;
}

bool expect(const json& v, json::value_t type, const char* expected, const std::string& param, RequestError* error) {
  bool ok = v.type() == type || (type == json::value_t::number_integer && v.is_number_integer());
  if (!ok) return fail(error, param, std::string("expected ") + expected + ", got " + type_name(v));
  return true;
}

// content: a string, or OpenAI's list of parts ({"type":"text","text":...}).
bool text_content(const json& v, const std::string& param, std::string* out, RequestError* error) {
  if (v.is_string()) {
    *out = v.get<std::string>();
    return true;
  }
  if (v.is_null()) {
    out->clear();
    return true;
  }
  if (v.is_array()) {
    out->clear();
    for (size_t i = 0; i < v.size(); ++i) {
      const json& part = v[i];
      std::string p = param + "[" + std::to_string(i) + "]";
      if (!part.is_object()) return fail(error, p, std::string("expected an object, got ") + type_name(part));
      auto t = part.find("type");
      if (t == part.end() || !t->is_string() || *t != "text") {
        return fail(error, p + ".type", "only \"text\" parts are supported");
      }
      auto text = part.find("text");
      if (text == part.end() || !text->is_string()) return fail(error, p + ".text", "expected a string");
      *out += text->get<std::string>();
    }
    return true;
  }
  return fail(error, param, std::string("expected a string, got ") + type_name(v));
}

}  // namespace

bool parse_json(std::string_view body, json* out, RequestError* error) {
  try {
    *out = json::parse(body.begin(), body.end());
    return true;
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..."
    size_t colon = what.find(": ");
    if (colon != std::string::npos) what = what.substr(colon + 2);
    error->status = 400;
    error->message = "invalid JSON at byte " + std::to_string(e.byte) + ": " + what;
    error->param.clear();
    return false;
  } catch (const std::exception& e) {
    error->status = 400;
    error->message = std::string("invalid JSON: ") + e.what();
    error->param.clear();
    return false;
  }
}

bool parse_chat_request(std::string_view body, ChatRequest* r, RequestError* error) {
  json doc;
  if (!parse_json(body, &doc, error)) return false;
  if (!doc.is_object()) {
    error->status = 400;
    error->message = std::string("the body must be a JSON object, got ") + type_name(doc);
    error->param.clear();
    return false;
  }
  auto field = [&](const char* name) -> const json* {
    auto it = doc.find(name);
    return it == doc.end() || it->is_null() ? nullptr : &*it;
  };

  const json* config_id = field("config_id");
  const json* config_ids = field("config_ids");
  if (config_id && config_ids) {
    return fail(error, "config_ids", "give only one of config_id and config_ids");
  }
  if (config_id) {
    if (!expect(*config_id, json::value_t::string, "a string", "config_id", error)) return false;
    r->config_ids.push_back(config_id->get<std::string>());
  } else if (config_ids) {
    if (!expect(*config_ids, json::value_t::array, "an array of strings", "config_ids", error)) return false;
    for (size_t i = 0; i < config_ids->size(); ++i) {
      if (!expect((*config_ids)[i], json::value_t::string, "a string", "config_ids[" + std::to_string(i) + "]",
                  error)) {
        return false;
      }
      r->config_ids.push_back((*config_ids)[i].get<std::string>());
    }
  }
  if (const json* model = field("model")) {
    if (!expect(*model, json::value_t::string, "a string", "model", error)) return false;
    r->model = model->get<std::string>();
    if (r->config_ids.empty()) {
      r->openai = true;
      r->config_ids.push_back(r->model);
    }
  }

  if (const json* stream = field("stream")) {
    if (!expect(*stream, json::value_t::boolean, "a boolean", "stream", error)) return false;
    r->stream = stream->get<bool>();
  }
  if (const json* format = field("stream_format")) {
    if (!format->is_string() || (*format != "raw" && *format != "sse")) {
      return fail(error, "stream_format", "expected \"sse\" or \"raw\"");
    }
    r->raw_stream = *format == "raw";
  }

  if (const json* thread_id = field("thread_id")) {
    if (!thread_id->is_string()) {
      return fail(error, "thread_id", std::string("expected a string, got ") + type_name(*thread_id));
    }
    std::string id = thread_id->get<std::string>();
    if (id.size() < 16 || id.size() > 255) {
      return fail(error, "thread_id", "must be between 16 and 255 characters long (got " +
                                          std::to_string(id.size()) + ")");
    }
    r->thread_id = id;
  }

  if (const json* state = field("state")) {
    if (!expect(*state, json::value_t::object, "an object", "state", error)) return false;
    r->state = *state;  // {} too: start afresh, answer with the state
  }

  r->options = json::object();
  if (const json* options = field("options")) {
    if (!expect(*options, json::value_t::object, "an object", "options", error)) return false;
    r->options = *options;
    r->options_given = true;
  }
  if (r->openai) {
    // OpenAI sampling fields become llm_params of the generation calls.
    for (const char* name : {"temperature", "max_tokens", "top_p"}) {
      const json* v = field(name);
      if (!v) continue;
      if (!v->is_number()) return fail(error, name, std::string("expected a number, got ") + type_name(*v));
      r->options["llm_params"][name] = *v;
      r->options_given = true;
    }
  }

  if (const json* context = field("context")) {
    if (!expect(*context, json::value_t::object, "an object", "context", error)) return false;
    r->messages.push_back(json{{"role", "context"}, {"content", *context}});
  }

  const json* messages = field("messages");
  if (!messages) return fail(error, "messages", "required");
  if (!expect(*messages, json::value_t::array, "an array", "messages", error)) return false;
  if (messages->empty()) return fail(error, "messages", "expected at least one message");
  for (size_t i = 0; i < messages->size(); ++i) {
    const json& m = (*messages)[i];
    std::string p = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) return fail(error, p, std::string("expected an object, got ") + type_name(m));
    auto role_it = m.find("role");
    if (role_it == m.end() || !role_it->is_string()) {
      return fail(error, p + ".role", "expected one of user, assistant, system, context, event");
    }
    std::string role = role_it->get<std::string>();
    if (role == "bot") role = "assistant";
    if (role == "developer") role = "system";
    if (role == "context") {
      auto c = m.find("content");
      if (c == m.end() || !c->is_object()) return fail(error, p + ".content", "expected an object");
      r->messages.push_back(json{{"role", "context"}, {"content", *c}});
    } else if (role == "event") {
      auto e = m.find("event");
      if (e == m.end()) e = m.find("content");
      if (e == m.end() || !e->is_object() || !e->contains("type") || !(*e)["type"].is_string()) {
        return fail(error, p + ".event", "expected an event object with a string \"type\"");
      }
      r->messages.push_back(json{{"role", "event"}, {"event", *e}});
    } else if (role == "user" || role == "assistant" || role == "system") {
      std::string text;
      auto c = m.find("content");
      if (c == m.end()) {
        if (role != "assistant") return fail(error, p + ".content", "required");
      } else if (!text_content(*c, p + ".content", &text, error)) {
        return false;
      }
      r->messages.push_back(json{{"role", role}, {"content", text}});
    } else {
      return fail(error, p + ".role", "expected one of user, assistant, system, context, event (got \"" + role + "\")");
    }
  }
  return true;
}

dialog::ChatMessage to_chat_message(const json& message) {
  dialog::ChatMessage m;
  m.role = message.value("role", "");
  if (m.role == "event") {
    m.content = colang::from_json(message.at("event"));
  } else if (auto c = message.find("content"); c != message.end()) {
    m.content = colang::from_json(*c);
  } else {
    m.content = colang::Value(std::string());
  }
  return m;
}

}  // namespace rg::rails::server
