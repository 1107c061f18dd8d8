#include "rails/dialog/v1_actions.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <set>

#include "colang/v1/parse_v1.h"
#include "llm/json_service.h"
#include "rails/actions/llm_actions.h"
#include "rails/prompts/output_parsers.h"
#include "runtime/eval.h"

namespace rg::rails::dialog {

using colang::Dict;
using colang::List;
using colang::Value;
using runtime::v1::ActionOutcome;

namespace {

// The top 3 chunks (spec 4) at or above the kb's search_threshold, if any.
std::vector<retrieval::KbChunk> kb_search(const retrieval::KnowledgeBase& kb, std::string_view query,
                                          std::optional<float> threshold) {
  std::vector<retrieval::KbChunk> out;
  for (const auto& hit : kb.search_hits(query, 3, threshold)) out.push_back(kb.chunks()[hit.index]);
  return out;
}

const std::string& str(const Dict& d, std::string_view key) {
  static const std::string kEmpty;
  const Value* v = d.find(key);
  return v && v->is_str() ? v->as_str() : kEmpty;
}

// The last event of `type` in the history, or null.
const Dict* last_event(const List& events, std::string_view type) {
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->is_dict() && str(it->as_dict(), "type") == type) return &it->as_dict();
  }
  return nullptr;
}

Dict make_event(std::string type) {
  Dict d;
  d.set("type", std::move(type));
  return d;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n\f\v");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n\f\v");
  return std::string(s.substr(b, e - b + 1));
}

double epoch_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

Value context_value(const Dict& context, std::string_view key) {
  const Value* v = context.find(key);
  return v ? *v : Value();
}

std::string as_text(const Value& v) {
  if (v.is_str()) return v.as_str();
  if (v.is_none()) return "";
  return colang::to_python_str(v);
}

const std::set<std::string, std::less<>>& system_actions() {
  static const std::set<std::string, std::less<>> kSystem = {
      "generate_user_intent", "generate_intent_steps_message", "generate_next_steps",
      "generate_next_step",   "generate_bot_message",          "generate_value",
      "retrieve_relevant_chunks", "create_event",              "self_check_input",
      "self_check_output",    "bot_message_text"};
  // The other library checks are ordinary actions (they show in the history
  // as `execute <name>`, spec 3.3).
  return kSystem;
}

const std::set<std::string, std::less<>>& known_actions() {
  static const std::set<std::string, std::less<>> kKnown = [] {
    std::set<std::string, std::less<>> s(system_actions().begin(), system_actions().end());
    s.insert({"llama_guard_check_input", "llama_guard_check_output",
              "patronus_lynx_check_output_hallucination", "self_check_facts", "alignscore_check_facts",
              "self_check_hallucination", "content_safety_check_input",
              "content_safety_check_output"});
    return s;
  }();
  return kKnown;
}

// Thrown from the LLM's chunk callback to stop a streamed bot message
// (a rail blocked it, or the client is gone).
struct StreamStopped {
  std::string received;
};

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// The last `n` words of `s`, with the whitespace between and after them.
std::string tail_words(std::string_view s, int n) {
  if (n <= 0) return {};
  size_t i = s.size();
  int words = 0;
  while (i > 0) {
    while (i > 0 && is_space(s[i - 1])) --i;
    if (i == 0) break;
    while (i > 0 && !is_space(s[i - 1])) --i;
    if (++words == n) break;
  }
  return std::string(s.substr(i));
}

// A literal "\n" in a bot message means a line break.
std::string unescape_newlines(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'n') {
      out += '\n';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::string first_nonempty_line(std::string_view s) {
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t nl = s.find('\n', pos);
    std::string line = trim(s.substr(pos, nl == std::string_view::npos ? s.npos : nl - pos));
    if (!line.empty()) return line;
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return {};
}

std::vector<std::string> top_nonempty_lines(std::string_view s, size_t k) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size() && out.size() < k) {
    size_t nl = s.find('\n', pos);
    std::string line = trim(s.substr(pos, nl == std::string_view::npos ? s.npos : nl - pos));
    if (!line.empty() && line[0] != '#') out.push_back(std::move(line));
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

std::string strip_quotes(std::string_view s) {
  if (!s.empty() && s.front() == '"') {
    if (s.size() >= 2 && s.back() == '"') return std::string(s.substr(1, s.size() - 2));
    return std::string(s.substr(1));
  }
  return std::string(s);
}

std::string multiline_response(std::string_view s) {
  // A new dialogue turn ("\nuser") ends the message.
  if (size_t cut = s.find("\nuser"); cut != std::string_view::npos) s = s.substr(0, cut);
  std::string result;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t nl = s.find('\n', pos);
    std::string line = trim(s.substr(pos, nl == std::string_view::npos ? s.npos : nl - pos));
    if (!line.empty()) {
      if (!result.empty()) result += '\n';
      result += line;
      if (line.back() == '"') break;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return result;
}

Dict parse_llama_guard_response(std::string_view response) {
  std::string r = trim(response);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Dict out;
  List violations;
  if (starts_with(r, "safe")) {
    out.set("allowed", true);
  } else {
    out.set("allowed", false);
    if (starts_with(r, "unsafe")) {
      // "unsafe\nO1,O3" or "unsafe O1 O3": the category codes after the verdict.
      std::string rest = r.substr(6);
      std::string token;
      for (char c : rest + " ") {
        if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
          if (!token.empty()) {
            for (char& t : token) t = static_cast<char>(std::toupper(static_cast<unsigned char>(t)));
            violations.push_back(Value(token));
          }
          token.clear();
        } else {
          token += c;
        }
      }
    }
  }
  out.set("policy_violations", Value(std::move(violations)));
  return out;
}

bool TurnActions::has_action(std::string_view name) const {
  return known_actions().count(name) > 0 || is_security_action(name);
}

bool TurnActions::is_system_action(std::string_view name) const {
  return system_actions().count(name) > 0;
}

ActionOutcome TurnActions::run(const Call& call) {
  // Recorded for the generation log (activated rails, executed actions).
  size_t calls_before = result_.llm_calls.size();
  ExecutedAction record;
  record.action_name = call.name;
  record.action_params = call.params;
  record.started_at = epoch_seconds();
  ActionOutcome outcome = dispatch(call);
  record.finished_at = epoch_seconds();
  record.duration = record.finished_at - record.started_at;
  record.return_value = outcome.return_value;
  record.llm_calls.assign(result_.llm_calls.begin() + static_cast<std::ptrdiff_t>(calls_before),
                          result_.llm_calls.end());
  result_.executed_actions.push_back(std::move(record));
  return outcome;
}

ActionOutcome TurnActions::dispatch(const Call& call) {
  const std::string& n = call.name;
  try {
    if (is_security_action(n)) return run_security_action(*shared_.security, call);
    if (n == "generate_user_intent") return generate_user_intent(call);
    if (n == "generate_intent_steps_message") return generate_intent_steps_message(call);
    if (n == "generate_next_steps" || n == "generate_next_step") return generate_next_steps(call);
    if (n == "generate_bot_message") return generate_bot_message(call);
    if (n == "generate_value") return generate_value(call);
    if (n == "retrieve_relevant_chunks") return retrieve_relevant_chunks(call);
    if (n == "create_event") return create_event(call);
    if (n == "bot_message_text") return bot_message_text(call);
    if (n == "self_check_input") return self_check(call, false);
    if (n == "self_check_output") return self_check(call, true);
    if (n == "llama_guard_check_input") return llama_guard_check(call, false);
    if (n == "llama_guard_check_output") return llama_guard_check(call, true);
    if (n == "patronus_lynx_check_output_hallucination") return patronus_lynx_check(call);
    if (n == "self_check_facts") return self_check_facts(call);
    if (n == "alignscore_check_facts") return alignscore_check_facts(call);
    if (n == "self_check_hallucination") return self_check_hallucination(call);
    if (n == "content_safety_check_input") return content_safety_check(call, false);
    if (n == "content_safety_check_output") return content_safety_check(call, true);
  } catch (const LlmCallFailed&) {
    throw;
  } catch (const std::exception& e) {
    // Anything else an action trips on becomes the internal-error reply, as
    // in the reference; the reason goes to the result for the log.
    if (result_.error.empty()) result_.error = "action '" + n + "' failed: " + e.what();
    ActionOutcome failed;
    failed.failed = true;
    return failed;
  }
  ActionOutcome failed;
  failed.failed = true;
  return failed;
}

std::string TurnActions::llm_call(const std::string& task, const List& events, Dict vars,
                                  llm::LlmParams params, const std::string& model_type,
                                  bool generation_call, std::string* prompt_out, Value* parsed_out) {
  llm::LlmClient* client = shared_.llms ? shared_.llms->client_for(model_type.empty() ? task : model_type)
                                        : nullptr;
  if (!client) throw LlmCallFailed("no LLM configured for task " + task, llm::ErrorCode::kNotConfigured);
  std::string model_id;
  if (const config::ModelConfig* m = shared_.config->main_model()) {
    model_id = m->engine + (m->model.empty() ? "" : "/" + m->model);
  }
  for (const auto& m : shared_.config->models) {
    if (m.type == (model_type.empty() ? task : model_type)) {
      model_id = m.engine + (m.model.empty() ? "" : "/" + m.model);
    }
  }
  vars.set("history", Value(events));
  auto rendered = shared_.renderer->render(task, model_id.empty() ? "unknown" : model_id, vars);
  if (!rendered.ok()) throw LlmCallFailed("prompt for task " + task + ": " + rendered.error().to_string());
  const prompts::RenderedPrompt& prompt = rendered.value();
  llm::LlmRequest request;
  request.task = task;
  request.params = std::move(params);
  if (!prompt.stop.empty() && request.params.stop.empty()) request.params.stop = prompt.stop;
  // The prompt's max_tokens wins over the action's default (spec 2: "prompt or 3").
  if (prompt.max_tokens) request.params.max_tokens = static_cast<int>(*prompt.max_tokens);
  if (generation_call) {
    // Options' llm_params apply to the calls that produce the bot's text.
    for (const auto& [k, v] : options_.llm_params) {
      if (k == "temperature" && v.is_number()) request.params.temperature = v.as_number();
      else if (k == "max_tokens" && v.is_int()) request.params.max_tokens = static_cast<int>(v.as_int());
    }
  }
  std::string prompt_text;
  if (!prompt.is_chat) {
    request.prompt = prompt.prompt;
    prompt_text = prompt.prompt;
  } else {
    request.messages = prompt.messages;
    prompt_text = llm::flatten_messages(prompt.messages);
  }
  if (prompt_out) *prompt_out = prompt_text;
  last_request_ = request;
  llm::Completion c = send(*client, request, prompt_text);
  if (generation_call) result_.llm_output = c.raw_response.empty() ? c.text : c.raw_response;

  std::string text = c.text;
  if (parsed_out) *parsed_out = Value(text);
  if (!prompt.output_parser.empty()) {
    auto parsed = shared_.renderer->parse_output(prompt, text);
    if (!parsed.ok()) throw LlmCallFailed("task " + task + ": " + parsed.error().to_string());
    if (parsed_out) *parsed_out = parsed.value();
    if (parsed.value().is_str()) text = parsed.value().as_str();
  }
  return text;
}

llm::Completion TurnActions::send(llm::LlmClient& client, const llm::LlmRequest& request,
                                  const std::string& prompt_text) {
  double started = epoch_seconds();
  LlmCallInfo info;
  info.task = request.task;
  info.prompt = prompt_text;
  info.started_at = started;
  std::optional<llm::Result<llm::Completion>> result;
  try {
    result.emplace(client.generate(request, stream_to_));
  } catch (const StreamStopped& stopped) {
    // A streamed bot message stopped early: the call is logged with what came.
    info.finished_at = epoch_seconds();
    info.duration = info.finished_at - started;
    info.completion = stopped.received;
    result_.llm_calls.push_back(info);
    if (shared_.options.on_llm_call) shared_.options.on_llm_call(info);
    throw;
  }
  llm::Result<llm::Completion>& r = *result;
  double finished = epoch_seconds();
  info.finished_at = finished;
  info.duration = finished - started;
  if (!r.ok()) {
    info.completion = "";
    result_.llm_calls.push_back(info);
    if (shared_.options.on_llm_call) shared_.options.on_llm_call(info);
    throw LlmCallFailed("LLM call for task " + request.task + " failed: " + r.error().message +
                            (r.error().where.empty() ? "" : " (" + r.error().where + ")"),
                        r.error().code);
  }
  const llm::Completion& c = r.value();
  info.completion = c.text;
  info.prompt_tokens = c.prompt_tokens;
  info.completion_tokens = c.completion_tokens;
  info.total_tokens = c.total_tokens ? c.total_tokens : c.prompt_tokens + c.completion_tokens;
  info.raw_response = c.raw_response;
  info.llm_model_name = c.model;
  result_.llm_calls.push_back(info);
  if (shared_.options.on_llm_call) shared_.options.on_llm_call(info);
  return r.value();
}

ActionOutcome TurnActions::generate_user_intent(const Call& call) {
  const config::RailsConfig& cfg = *shared_.config;
  if (cfg.rails.single_call.enabled) return generate_intent_steps_message(call);
  const Dict* event = last_event(call.events, "UserMessage");
  if (!event) throw std::runtime_error("no user message to generate an intent for");
  const std::string& text = str(*event, "text");
  ActionOutcome out;

  if (shared_.has_user_messages) {
    std::string examples;
    std::vector<std::string> potential;
    if (shared_.user_index) {
      const auto& um = cfg.rails.user_messages;
      std::optional<float> threshold;
      if (um.embeddings_only_similarity_threshold) {
        threshold = static_cast<float>(*um.embeddings_only_similarity_threshold);
      } else {
        threshold = shared_.dialog_threshold;
      }
      std::vector<retrieval::SearchHit> hits = shared_.user_index->search(text, 5, threshold);
      if (!hits.empty() && um.embeddings_only) {
        Dict e = make_event("UserIntent");
        e.set("intent", hits.front().meta);
        out.events.push_back(Value(std::move(e)));
        return out;
      }
      if (um.embeddings_only && um.embeddings_only_fallback_intent) {
        Dict e = make_event("UserIntent");
        e.set("intent", *um.embeddings_only_fallback_intent);
        out.events.push_back(Value(std::move(e)));
        return out;
      }
      if (threshold != shared_.dialog_threshold) hits = shared_.user_index->search(text, 5, shared_.dialog_threshold);
      // Most relevant last, nearest to the conversation.
      for (auto it = hits.rbegin(); it != hits.rend(); ++it) {
        examples += "user \"" + it->text + "\"\n  " + it->meta + "\n\n";
        if (std::find(potential.begin(), potential.end(), it->meta) == potential.end()) {
          potential.push_back(it->meta);
        }
      }
    }
    Dict vars;
    vars.set("examples", examples);
    std::string joined;
    for (size_t i = 0; i < potential.size(); ++i) joined += (i ? ", " : "") + potential[i];
    vars.set("potential_user_intents", joined);
    llm::LlmParams params;
    params.temperature = cfg.lowest_temperature;
    std::string result = llm_call("generate_user_intent", call.events, std::move(vars), params);
    std::string intent = first_nonempty_line(result);
    if (intent.empty()) intent = "unknown message";
    if (starts_with(intent, "user ")) intent = intent.substr(5);
    Dict e = make_event("UserIntent");
    e.set("intent", intent);
    out.events.push_back(Value(std::move(e)));
    return out;
  }

  // No user intents defined: one general answer, dialog skipped.
  std::string bot_text;
  if (cfg.passthrough.value_or(false)) {
    llm::LlmParams params;
    Dict vars;
    vars.set("user_input", text);
    bot_text = llm_call("general", call.events, std::move(vars), params, "", true);
  } else {
    std::string relevant_chunks;
    if (shared_.kb) {
      std::vector<retrieval::KbChunk> chunks = kb_search(*shared_.kb, text, shared_.kb_threshold);
      for (size_t i = 0; i < chunks.size(); ++i) {
        relevant_chunks += (i ? "\n" : "") + chunks[i].body;
      }
    } else {
      relevant_chunks = as_text(context_value(call.context, "relevant_chunks"));
    }
    Dict vars;
    vars.set("relevant_chunks", relevant_chunks);
    llm::LlmParams params;
    params.stop = {"User:"};
    bot_text = trim(llm_call("general", call.events, std::move(vars), params, "", true));
    if (!bot_text.empty() && bot_text.front() == '"') {
      bot_text = bot_text.size() >= 2 ? bot_text.substr(1, bot_text.size() - 2) : std::string();
    }
  }
  Dict e = make_event("BotMessage");
  e.set("text", bot_text);
  out.events.push_back(Value(std::move(e)));
  return out;
}

ActionOutcome TurnActions::generate_intent_steps_message(const Call& call) {
  const config::RailsConfig& cfg = *shared_.config;
  const Dict* event = last_event(call.events, "UserMessage");
  if (!event) throw std::runtime_error("no user message to answer");
  const std::string& text = str(*event, "text");
  ActionOutcome out;
  if (!shared_.has_user_messages) {
    llm::LlmParams params;
    std::string r = trim(llm_call("general", call.events, Dict{}, params, "", true));
    if (!r.empty() && r.front() == '"') r = r.size() >= 2 ? r.substr(1, r.size() - 2) : std::string();
    Dict e = make_event("BotMessage");
    e.set("text", r);
    out.events.push_back(Value(std::move(e)));
    return out;
  }
  // Few-shot examples: utterance, intent, the first flow of that intent and
  // its bot message.
  std::vector<retrieval::SearchHit> intent_hits;
  std::vector<std::string> potential;
  if (shared_.user_index) {
    intent_hits = shared_.user_index->search(text, 10, shared_.dialog_threshold);
    for (const auto& h : intent_hits) {
      if (std::find(potential.begin(), potential.end(), h.meta) == potential.end()) {
        potential.push_back(h.meta);
      }
    }
  }
  std::vector<std::string> examples;
  for (const auto& hit : intent_hits) {
    if (examples.size() >= 5) break;
    const std::string& intent = hit.meta;
    std::string example = "user \"" + hit.text + "\"\n  " + intent + "\n";
    bool found_flow = false;
    if (shared_.flows_index) {
      std::vector<retrieval::SearchHit> flow_hits = shared_.flows_index->search(intent, 10, shared_.dialog_threshold);
      std::set<std::string> seen;
      int taken = 0;
      for (const auto& fh : flow_hits) {
        if (!seen.insert(fh.meta).second) continue;
        if (++taken > 2) break;
        const std::string& flow = fh.meta;
        size_t nl = flow.find('\n');
        if (nl == std::string::npos) continue;
        std::string first = flow.substr(0, nl), rest = flow.substr(nl + 1);
        if (first.size() < 5 || first.substr(5) != intent) continue;
        found_flow = true;
        example += rest + "\n";
        std::string last_line = rest;
        if (size_t p = rest.rfind('\n'); p != std::string::npos) last_line = rest.substr(p + 1);
        if (starts_with(last_line, "bot ")) {
          std::string bot_intent = last_line.substr(4);
          auto it = shared_.bot_messages.find(bot_intent);
          if (it != shared_.bot_messages.end() && !it->second.empty()) {
            example += "  \"" + it->second.front().text + "\"\n";
          } else {
            example += "  # On the next line generate a bot message related to " + bot_intent + "\n";
          }
        }
        break;
      }
    }
    if (!found_flow) continue;
    examples.push_back(example + "\n");
  }
  std::string joined_examples;
  for (auto it = examples.rbegin(); it != examples.rend(); ++it) {
    if (!joined_examples.empty()) joined_examples += "\n\n";
    joined_examples += *it;
  }
  std::string relevant_chunks;
  if (shared_.kb) {
    for (const auto& c : kb_search(*shared_.kb, text, shared_.kb_threshold)) relevant_chunks += c.body + "\n";
  }
  Dict vars;
  vars.set("examples", joined_examples);
  std::string pot;
  for (size_t i = 0; i < potential.size(); ++i) pot += (i ? ", " : "") + potential[i];
  vars.set("potential_user_intents", pot);
  vars.set("relevant_chunks", trim(relevant_chunks));
  llm::LlmParams params;
  params.temperature = cfg.lowest_temperature;
  // The answer ends where the model starts a new user turn.
  params.stop = {"\nuser ", "\nUser "};
  std::string result =
      llm_call("generate_intent_steps_message", call.events, std::move(vars), params, "", true);

  std::vector<std::string> lines = top_nonempty_lines(result, 2);
  std::string user_intent = lines.size() > 0 ? lines[0] : "";
  std::string bot_intent = lines.size() > 1 ? lines[1] : "";
  std::string bot_message;
  if (!bot_intent.empty()) {
    if (size_t pos = result.find(bot_intent); pos != std::string::npos) {
      bot_message = strip_quotes(multiline_response(result.substr(pos + bot_intent.size())));
      if (trim(bot_message).empty()) bot_message.clear();
    }
  }
  if (!user_intent.empty()) {
    if (starts_with(user_intent, "user ")) user_intent = user_intent.substr(5);
    else if (starts_with(user_intent, "User intent: ")) user_intent = user_intent.substr(13);
  } else {
    user_intent = "unknown message";
  }
  if (starts_with(bot_intent, "bot ")) bot_intent = bot_intent.substr(4);
  else if (starts_with(bot_intent, "Bot intent: ")) bot_intent = bot_intent.substr(12);
  else bot_intent = "general response";
  if (bot_message.empty()) bot_message = "I'm not sure what to say.";

  Dict bot_intent_event = make_event("BotIntent");
  bot_intent_event.set("intent", bot_intent);
  Dict bot_message_event = make_event("BotMessage");
  bot_message_event.set("text", bot_message);
  Dict info;
  info.set("bot_intent_event", Value(std::move(bot_intent_event)));
  info.set("bot_message_event", Value(std::move(bot_message_event)));
  Dict e = make_event("UserIntent");
  e.set("intent", user_intent);
  e.set("additional_info", Value(std::move(info)));
  out.events.push_back(Value(std::move(e)));
  return out;
}

ActionOutcome TurnActions::generate_next_steps(const Call& call) {
  const config::RailsConfig& cfg = *shared_.config;
  ActionOutcome out;
  const Dict* event = last_event(call.events, "UserIntent");
  if (!event) return out;
  if (cfg.rails.single_call.enabled) {
    const Value* info = event->find("additional_info");
    if (info && info->is_dict()) {
      if (const Value* bi = info->as_dict().find("bot_intent_event"); bi && bi->is_dict()) {
        out.events.push_back(Value(bi->as_dict()));
        return out;
      }
    }
  }
  const std::string& intent = str(*event, "intent");
  std::string examples;
  if (shared_.flows_index) {
    std::vector<retrieval::SearchHit> hits = shared_.flows_index->search(intent, 10, shared_.dialog_threshold);
    std::vector<std::string> flows;
    for (const auto& h : hits) {
      if (std::find(flows.begin(), flows.end(), h.meta) == flows.end()) flows.push_back(h.meta);
    }
    if (flows.size() > 5) flows.resize(5);
    for (auto it = flows.rbegin(); it != flows.rend(); ++it) examples += *it + "\n\n";
  }
  Dict vars;
  vars.set("examples", examples);
  llm::LlmParams params;
  params.temperature = cfg.lowest_temperature;
  std::string result = llm_call("generate_next_steps", call.events, std::move(vars), params);

  if (!cfg.enable_multi_step_generation) {
    std::string line = first_nonempty_line(result);
    std::string bot_intent = "general response";
    if (starts_with(line, "bot ")) {
      bot_intent = line.substr(4);
      // Models sometimes put the message on the same line, or more after a comma.
      if (size_t q = bot_intent.find('"'); q != std::string::npos) bot_intent = trim(bot_intent.substr(0, q));
      if (size_t c = bot_intent.find(','); c != std::string::npos) bot_intent = trim(bot_intent.substr(0, c));
    }
    Dict e = make_event("BotIntent");
    e.set("intent", bot_intent);
    out.events.push_back(Value(std::move(e)));
    return out;
  }
  // Multi-step: the answer is a flow body. Drop lines from the end until it
  // parses; a single line that does not parse means a general response.
  std::vector<std::string> lines;
  {
    size_t pos = 0;
    while (pos <= result.size()) {
      size_t nl = result.find('\n', pos);
      lines.push_back(result.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
  }
  auto body_of = [](const std::vector<std::string>& ls) {
    std::string b;
    for (size_t i = 0; i < ls.size(); ++i) b += (i ? "\n" : "") + ls[i];
    return b;
  };
  while (true) {
    std::string probe = "define flow dynamic\n";
    for (const auto& l : lines) probe += (l.empty() ? "" : "  ") + l + "\n";
    colang::v1::ParseResult parsed = colang::v1::parse_colang_v1(probe, "dynamic.co");
    if (parsed.ok() && parsed.document.flows.size() == 1 &&
        !parsed.document.flows.front().elements.empty()) {
      break;
    }
    if (lines.size() <= 1) {
      Dict e = make_event("BotIntent");
      e.set("intent", "general response");
      out.events.push_back(Value(std::move(e)));
      return out;
    }
    lines.pop_back();
  }
  Dict e = make_event("start_flow");
  // Unique within the conversation: the answer and where in the history it came.
  char id[40];
  std::snprintf(id, sizeof id, "dynamic_%016llx",
                static_cast<unsigned long long>(std::hash<std::string>{}(result) ^
                                                (call.events.size() * 0x9e3779b97f4a7c15ULL)));
  e.set("flow_id", std::string(id));
  e.set("flow_body", body_of(lines));
  out.events.push_back(Value(std::move(e)));
  return out;
}

std::string TurnActions::render_bot_message(const std::string& text, const Dict& context) {
  if (text.find("{{") == std::string::npos && text.find("{%") == std::string::npos) return text;
  std::shared_ptr<const prompts::Template> tmpl;
  if (auto it = shared_.bot_templates.find(text); it != shared_.bot_templates.end()) {
    tmpl = it->second;
  } else {
    auto compiled = prompts::Template::compile(text, "bot message");
    if (!compiled.ok()) throw std::runtime_error(compiled.error().to_string());
    tmpl = compiled.value();
  }
  Dict vars;
  for (const auto& [k, v] : context) {
    if (k == "config" || k == "event") continue;
    vars.set(k, v);
  }
  auto r = tmpl->render(vars);
  if (!r.ok()) throw std::runtime_error(r.error().to_string());
  return r.value();
}

ActionOutcome TurnActions::generate_bot_message(const Call& call) {
  const config::RailsConfig& cfg = *shared_.config;
  const Dict* event = last_event(call.events, "BotIntent");
  if (!event) throw std::runtime_error("no bot intent to say");
  const Value* intent_v = event->find("intent");
  std::string intent = intent_v ? as_text(*intent_v) : std::string();
  ActionOutcome out;
  std::string utterance;
  bool have = false;

  if (auto it = shared_.bot_messages.find(intent); it != shared_.bot_messages.end()) {
    // Variants whose condition holds (an `if` block in `define bot`).
    std::vector<const colang::v1::BotMessage*> candidates;
    for (const auto& m : it->second) {
      if (m.condition) {
        struct Host : runtime::EvalHost {
          const Dict& ctx;
          explicit Host(const Dict& c) : ctx(c) {}
          Value get_variable(std::string_view n) override { return context_value(ctx, n); }
          Value flow_attribute(const colang::FlowRef&, std::string_view) override { return Value(); }
          Value action_attribute(const colang::ActionRef&, std::string_view) override { return Value(); }
          std::string new_uid() override { return ""; }
          double random() override { return 0; }
          Value flows_info(const Value&) override { return Value(); }
        } host(call.context);
        if (!runtime::evaluate(*m.condition, host).truthy()) continue;
      }
      candidates.push_back(&m);
    }
    if (!candidates.empty()) {
      size_t pick = 0;
      if (!shared_.options.first_bot_message_variant && candidates.size() > 1) {
        std::lock_guard<std::mutex> lock(shared_.rng_mu);
        pick = std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(shared_.rng);
      }
      utterance = render_bot_message(candidates[pick]->text, call.context);
      // Predefined messages skip the output rails.
      out.context_updates.set("skip_output_rails", true);
      have = true;
    }
  }
  if (!have && !intent.empty() && intent[0] == '$' && call.context.contains(intent.substr(1))) {
    utterance = as_text(context_value(call.context, intent.substr(1)));
    have = true;
  }
  if (!have) {
    if (cfg.rails.single_call.enabled) {
      const Dict* ui = last_event(call.events, "UserIntent");
      if (ui) {
        const Value* info = ui->find("additional_info");
        if (info && info->is_dict()) {
          const Value* bi = info->as_dict().find("bot_intent_event");
          const Value* bm = info->as_dict().find("bot_message_event");
          if (bi && bi->is_dict() && bm && bm->is_dict() &&
              str(bi->as_dict(), "intent") == intent) {
            out.events.push_back(Value(bm->as_dict()));
            return out;
          }
        }
      }
    }
    std::string prompt;
    // Streaming output rails: the text goes out chunk by chunk as the rails
    // pass it; the chunks were checked, so the message skips the output
    // rails afterwards.
    const bool stream = options_.on_chunk && cfg.rails.output_streaming.enabled;
    if (stream) out.context_updates.set("skip_output_rails", true);
    if (cfg.passthrough.value_or(false)) {
      // The (possibly rewritten) user message goes to the model as is.
      Dict vars;
      vars.set("user_input", context_value(call.context, "user_message"));
      if (stream) utterance = stream_bot_message(call, "general", std::move(vars), false, &prompt);
      else utterance = llm_call("general", call.events, std::move(vars), {}, "", true, &prompt);
    } else {
      std::string examples;
      if (shared_.has_user_messages && shared_.bot_index) {
        auto hits = shared_.bot_index->search(intent, 5, shared_.dialog_threshold);
        for (auto it = hits.rbegin(); it != hits.rend(); ++it) {
          examples += "bot " + it->text + "\n  \"" + it->meta + "\"\n\n";
        }
      }
      Dict vars;
      vars.set("examples", examples);
      vars.set("relevant_chunks", as_text(context_value(call.context, "relevant_chunks")));
      if (stream) {
        utterance = stream_bot_message(call, "generate_bot_message", std::move(vars), true, &prompt);
      } else {
        std::string result =
            llm_call("generate_bot_message", call.events, std::move(vars), {}, "", true, &prompt);
        utterance = strip_quotes(multiline_response(result));
      }
    }
    // The hallucination rails sample this prompt again (spec 2).
    out.context_updates.set("_last_bot_prompt", prompt);
    last_bot_request_ = last_request_;
  }
  // A literal "\n" in a message means a line break.
  std::string cleaned;
  for (size_t i = 0; i < utterance.size(); ++i) {
    if (utterance[i] == '\\' && i + 1 < utterance.size() && utterance[i + 1] == 'n') {
      cleaned += '\n';
      ++i;
    } else {
      cleaned += utterance[i];
    }
  }
  if (cleaned.empty()) cleaned = "I'm not sure what to say.";
  Dict e = make_event("BotMessage");
  e.set("text", cleaned);
  out.events.push_back(Value(std::move(e)));
  return out;
}

std::string TurnActions::stream_bot_message(const Call& call, const std::string& task, Dict vars,
                                            bool quoted, std::string* prompt) {
  const config::OutputStreamingConfig& sc = shared_.config->rails.output_streaming;
  const bool check = options_.output && !shared_.config->rails.output_flows.empty() && shared_.owner;
  const std::string user_text = as_text(context_value(call.context, "user_message"));
  const int chunk_size = std::max(1, sc.chunk_size);

  std::string received;  // the raw stream
  std::string text;      // the message so far (quoted: the opening whitespace and quote dropped)
  bool started = !quoted;
  bool ended = false;    // the message ended before the stream did (closing quote, a new turn)
  size_t released = 0;   // text[0, released) went through the rails
  std::string checked;   // what the rails saw so far (the next window's context)
  std::string message;   // what was released (rewritten where a rail rewrote it)
  std::string reply;     // the blocking rail's reply
  bool stopped = false;
  size_t words_released = 0;

  auto emit = [&](const std::string& piece) {
    if (piece.empty()) return true;
    result_.streamed = true;
    if (options_.on_chunk(piece)) return true;
    if (result_.stream_error.empty()) result_.stream_error = "the client stopped reading the stream";
    return false;
  };
  auto count_words = [](std::string_view s) {
    size_t n = 0;
    for (size_t i = 0; i < s.size(); ++i)
      if (!is_space(s[i]) && (i == 0 || is_space(s[i - 1]))) ++n;
    return n;
  };
  // Checks text[released, upto) and releases it; false: stop the stream.
  auto release = [&](size_t upto) {
    std::string chunk = text.substr(released, upto - released);
    released = upto;
    if (chunk.empty()) return true;
    size_t first_word = words_released + 1;
    words_released += count_words(chunk);
    std::string out = chunk;
    if (sc.stream_first && !emit(unescape_newlines(chunk))) return false;
    if (check) {
      std::string context = tail_words(checked, sc.context_size);
      std::string window = context + chunk;
      GenerationOptions o;
      o.given = true;
      o.dialog = false;
      o.input = false;
      o.retrieval = false;
      o.output = true;
      o.log_activated_rails = true;
      GenerationResult r = shared_.owner->generate({{"user", Value(user_text)}, {"assistant", Value(window)}}, o);
      result_.llm_calls.insert(result_.llm_calls.end(), r.llm_calls.begin(), r.llm_calls.end());
      std::string rail;
      bool stop = false;
      for (const ActivatedRail& a : r.activated_rails) {
        if (a.type != "output") continue;
        stream_rails_.push_back(a);
        if (a.stop && !stop) {
          stop = true;
          rail = a.name;
        }
      }
      checked += chunk;
      std::string span = "words " + std::to_string(first_word) + "-" + std::to_string(words_released);
      if (stop || !r.error.empty() || r.message.role != "assistant") {
        reply = r.message.content.is_str() ? r.message.content.as_str() : std::string();
        result_.stream_error = stop ? "output rail '" + rail + "' blocked the bot message (" + span + ")"
                                    : "the output rails failed on the bot message (" + span + ")" +
                                          (r.error.empty() ? std::string() : ": " + r.error);
        stopped = true;
        return false;
      }
      // A rail that rewrote the window (masking): with stream_first off the
      // rewritten chunk goes out; with it on, the chunk already went.
      const std::string rewritten = r.message.content.is_str() ? r.message.content.as_str() : window;
      if (!sc.stream_first && rewritten != window && starts_with(rewritten, context))
        out = rewritten.substr(context.size());
    }
    message += out;
    if (!sc.stream_first && !emit(unescape_newlines(out))) return false;
    return true;
  };

  stream_to_ = [&](std::string_view piece) {
    received.append(piece);
    if (ended) return;
    if (!started) {
      size_t i = 0;
      while (i < piece.size() && is_space(piece[i])) ++i;
      if (i == piece.size()) return;
      if (piece[i] == '"') ++i;
      started = true;
      piece = piece.substr(i);
    }
    size_t scan_from = text.size() > 0 ? text.size() - 1 : 0;
    text.append(piece);
    if (quoted) {
      // As multiline_response: a closing quote at a line's end, or a new
      // dialogue turn, ends the message.
      size_t cut = std::string::npos;
      size_t from = std::max(released, scan_from > 4 ? scan_from - 4 : 0);
      if (size_t q = text.find("\"\n", from); q != std::string::npos) cut = q;
      if (size_t u = text.find("\nuser", from); u != std::string::npos && u < cut) cut = u;
      if (cut != std::string::npos) {
        text.resize(cut);
        ended = true;
      }
    }
    // Release every complete chunk: chunk_size words and the whitespace after them.
    for (;;) {
      size_t i = released;
      int words = 0;
      size_t cut = std::string::npos;
      while (i < text.size() && is_space(text[i])) ++i;
      while (i < text.size()) {
        while (i < text.size() && !is_space(text[i])) ++i;
        if (i == text.size()) break;  // the word may go on
        ++words;
        while (i < text.size() && is_space(text[i])) ++i;
        if (words == chunk_size) {
          if (i < text.size()) cut = i;
          break;
        }
      }
      if (cut == std::string::npos) break;
      if (!release(cut)) throw StreamStopped{received};
    }
  };
  struct Reset {
    llm::ChunkCallback& f;
    ~Reset() { f = nullptr; }
  } reset{stream_to_};

  try {
    llm_call(task, call.events, std::move(vars), {}, "", true, prompt);
  } catch (const StreamStopped&) {
    result_.llm_output = received;
    return stopped ? reply : message;
  }
  stream_to_ = nullptr;
  // The tail: whatever is left after the last full chunk.
  size_t end = text.size();
  if (quoted) {
    while (end > released && is_space(text[end - 1])) --end;
    if (end > released && text[end - 1] == '"') --end;
  }
  if (end > released && !release(end)) return stopped ? reply : message;
  return message;
}

ActionOutcome TurnActions::bot_message_text(const Call& call) {
  std::string intent;
  if (const Value* v = call.params.find("intent"); v && v->is_str()) intent = v->as_str();
  auto it = shared_.bot_messages.find(intent);
  if (it == shared_.bot_messages.end() || it->second.empty()) {
    throw std::runtime_error("bot_message_text: no bot message '" + intent + "' is defined");
  }
  size_t pick = 0;
  if (!shared_.options.first_bot_message_variant && it->second.size() > 1) {
    std::lock_guard<std::mutex> lock(shared_.rng_mu);
    pick = std::uniform_int_distribution<size_t>(0, it->second.size() - 1)(shared_.rng);
  }
  ActionOutcome out;
  out.return_value = render_bot_message(it->second[pick].text, call.context);
  return out;
}

ActionOutcome TurnActions::generate_value(const Call& call) {
  std::string var_name;
  if (const Value* v = call.params.find("var_name"); v && v->is_str()) var_name = v->as_str();
  if (var_name.empty()) var_name = call.result_key;
  std::string instructions;
  if (const Value* v = call.params.find("instructions"); v && v->is_str()) instructions = v->as_str();
  std::string examples;
  if (shared_.flows_index) {
    auto hits = shared_.flows_index->search("$" + var_name + " = ", 10, shared_.dialog_threshold);
    std::vector<std::string> flows;
    for (const auto& h : hits) {
      if (std::find(flows.begin(), flows.end(), h.meta) == flows.end()) flows.push_back(h.meta);
    }
    if (flows.size() > 5) flows.resize(5);
    for (auto it = flows.rbegin(); it != flows.rend(); ++it) {
      // Flows that themselves say `= ...` would teach the model to answer "...".
      bool dots = false;
      for (size_t p = it->find('='); p != std::string::npos; p = it->find('=', p + 1)) {
        size_t q = it->find_first_not_of(" \t", p + 1);
        if (q != p + 1 && q != std::string::npos && it->compare(q, 3, "...") == 0) dots = true;
      }
      if (!dots) examples += *it + "\n\n";
    }
  }
  Dict vars;
  vars.set("examples", examples);
  vars.set("instructions", instructions);
  vars.set("var_name", var_name);
  llm::LlmParams params;
  params.temperature = shared_.config->lowest_temperature;
  std::string result = llm_call("generate_value", call.events, std::move(vars), params);
  ActionOutcome out;
  out.return_value = parse_generated_value(result, var_name);
  return out;
}

ActionOutcome TurnActions::retrieve_relevant_chunks(const Call& call) {
  ActionOutcome out;
  Value user_message = context_value(call.context, "last_user_message");
  if (user_message.is_str() && !user_message.as_str().empty() && shared_.kb) {
    std::vector<retrieval::KbChunk> chunks = kb_search(*shared_.kb, user_message.as_str(), shared_.kb_threshold);
    std::string joined;
    List sep;
    for (size_t i = 0; i < chunks.size(); ++i) {
      joined += (i ? "\n" : "") + chunks[i].body;
      sep.push_back(Value(chunks[i].body));
    }
    out.context_updates.set("relevant_chunks", joined);
    out.context_updates.set("relevant_chunks_sep", Value(std::move(sep)));
    out.context_updates.set("retrieved_for", user_message);
    out.return_value = joined;
  } else {
    // No knowledge base: chunks the caller put in the context stay.
    Value existing = context_value(call.context, "relevant_chunks");
    Value existing_sep = context_value(call.context, "relevant_chunks_sep");
    out.context_updates.set("relevant_chunks", existing.is_none() ? Value("") : existing);
    out.context_updates.set("relevant_chunks_sep", existing_sep.is_none() ? Value(List{}) : existing_sep);
    out.context_updates.set("retrieved_for", Value());
    out.return_value = existing.is_none() ? Value("") : existing;
  }
  return out;
}

ActionOutcome TurnActions::create_event(const Call& call) {
  const Value* spec = call.params.find("event");
  if (!spec || !spec->is_dict()) throw std::runtime_error("create_event needs an `event` dict");
  Dict e;
  for (const auto& [k, v] : spec->as_dict()) {
    if (k == "_type") {
      e.set("type", v);
      continue;
    }
    if (!k.empty() && k[0] == '_') continue;
    // "$var" values are read from the context (None when unset).
    if (v.is_str() && !v.as_str().empty() && v.as_str()[0] == '$') {
      e.set(k, context_value(call.context, std::string_view(v.as_str()).substr(1)));
    } else {
      e.set(k, v);
    }
  }
  if (!e.contains("type")) throw std::runtime_error("create_event: the event has no type");
  ActionOutcome out;
  out.events.push_back(Value(std::move(e)));
  return out;
}

ActionOutcome TurnActions::self_check(const Call& call, bool output) {
  const std::string task = output ? "self_check_output" : "self_check_input";
  Dict vars;
  vars.set("user_input", context_value(call.context, "user_message"));
  if (output) vars.set("bot_response", context_value(call.context, "bot_message"));
  llm::LlmParams params;
  params.temperature = shared_.config->lowest_temperature;
  params.max_tokens = 3;
  // The prompt's parser (is_content_safe by default) decides.
  std::string answer = llm_call(task, call.events, std::move(vars), params);
  bool allowed = prompts::is_content_safe(answer).allowed;
  ActionOutcome out;
  out.return_value = allowed;
  if (!allowed && !output) {
    Dict mask = make_event("mask_prev_user_message");
    mask.set("intent", "unanswerable message");
    out.events.push_back(Value(std::move(mask)));
  }
  return out;
}

ActionOutcome TurnActions::llama_guard_check(const Call& call, bool output) {
  const std::string task = output ? "llama_guard_check_output" : "llama_guard_check_input";
  Dict vars;
  vars.set("user_input", context_value(call.context, "user_message"));
  if (output) vars.set("bot_response", context_value(call.context, "bot_message"));
  llm::LlmParams params;
  params.temperature = 0.0;
  std::string answer = llm_call(task, call.events, std::move(vars), params, "llama_guard");
  ActionOutcome out;
  out.return_value = Value(parse_llama_guard_response(answer));
  return out;
}

ActionOutcome TurnActions::patronus_lynx_check(const Call& call) {
  ActionOutcome out;
  Value chunks = context_value(call.context, "relevant_chunks");
  Dict verdict;
  if (!chunks.is_str() || trim(chunks.as_str()).empty()) {
    // Nothing to check the answer against: it passes.
    verdict.set("hallucination", false);
    verdict.set("reasoning", Value());
    out.return_value = Value(std::move(verdict));
    return out;
  }
  Dict vars;
  vars.set("user_input", context_value(call.context, "user_message"));
  vars.set("bot_response", context_value(call.context, "bot_message"));
  vars.set("provided_context", chunks);
  std::string answer =
      llm_call("patronus_lynx_check_output_hallucination", call.events, std::move(vars), {}, "patronus_lynx");
  // The model answers JSON-like text with "SCORE": "PASS" | "FAIL".
  size_t score = answer.find("\"SCORE\"");
  bool pass = score != std::string::npos && answer.find("PASS", score) != std::string::npos;
  verdict.set("hallucination", !pass);
  std::string reasoning;
  if (size_t r = answer.find("\"REASONING\""); r != std::string::npos) {
    size_t open = answer.find('[', r), close = answer.find(']', r);
    if (open != std::string::npos && close != std::string::npos && close > open) {
      reasoning = answer.substr(open + 1, close - open - 1);
    }
  }
  verdict.set("reasoning", reasoning.empty() ? Value() : Value(reasoning));
  out.return_value = Value(std::move(verdict));
  return out;
}

namespace {

// Python truthiness of a context value (None, "", [], {} are false).
bool truthy_value(const Value& v) {
  if (v.is_none()) return false;
  if (v.is_str()) return !v.as_str().empty();
  if (v.is_list()) return !v.as_list().empty();
  if (v.is_dict()) return !v.as_dict().empty();
  return v.truthy();
}


}  // namespace

ActionOutcome TurnActions::self_check_facts(const Call& call) {
  ActionOutcome out;
  Value evidence = context_value(call.context, "relevant_chunks");
  if (evidence.is_str() && trim(evidence.as_str()).empty()) evidence = Value();
  if (!truthy_value(evidence)) {
    // Nothing to check the answer against: it counts as accurate.
    out.return_value = 1.0;
    return out;
  }
  Dict vars;
  vars.set("evidence", evidence);
  vars.set("response", context_value(call.context, "bot_message"));
  llm::LlmParams params;
  params.temperature = shared_.config->lowest_temperature;
  params.max_tokens = 3;
  // QUIRK (spec 2): the task rendered is `fact_checking`, whatever
  // `self_check_facts` prompt the config supplies for validation.
  std::string answer = llm_call("fact_checking", call.events, std::move(vars), params);
  // Only an answer that starts with "yes" (entailed) keeps the message; "no"
  // and anything unreadable score 0, so a garbled check fails closed.
  std::vector<std::string> words = prompts::leading_words(answer);
  bool entailed = std::find(words.begin(), words.end(), "yes") != words.end();
  out.return_value = entailed ? 1.0 : 0.0;
  return out;
}

// AlignScore (spec 2): POST rails.config.fact_checking.parameters.endpoint
// {evidence, claim} -> {alignscore}. No evidence: 1.0. The service down or
// unreadable: `self check facts` when fallback_to_self_check, else 1.0 (the
// reference lets the answer through).
ActionOutcome TurnActions::alignscore_check_facts(const Call& call) {
  ActionOutcome out;
  Value evidence = context_value(call.context, "relevant_chunks");
  if (!truthy_value(evidence) || (evidence.is_str() && trim(evidence.as_str()).empty())) {
    out.return_value = 1.0;
    return out;
  }
  const Value* fc = shared_.config->rails.config.find("fact_checking");
  const Dict* fact_checking = fc && fc->is_dict() ? &fc->as_dict() : nullptr;
  const Value* params = fact_checking ? fact_checking->find("parameters") : nullptr;
  const Value* endpoint = params && params->is_dict() ? params->as_dict().find("endpoint") : nullptr;
  const Value* fallback = fact_checking ? fact_checking->find("fallback_to_self_check") : nullptr;
  if (!endpoint || !endpoint->is_str() || endpoint->as_str().empty())
    throw std::runtime_error("rails.config.fact_checking.parameters.endpoint is not set");
  nlohmann::json body = {{"evidence", as_text(evidence)},
                         {"claim", as_text(context_value(call.context, "bot_message"))}};
  llm::Result<nlohmann::json> r = llm::post_json({endpoint->as_str(), std::move(body)});
  std::string failure;
  if (!r.ok()) {
    failure = r.error().message;
  } else if (auto s = r.value().find("alignscore"); s == r.value().end() || !s->is_number()) {
    failure = "POST " + endpoint->as_str() + ": response has no numeric \"alignscore\"";
  } else {
    out.return_value = s->get<double>();
    return out;
  }
  // (The reason is not an error of the turn: the rail decided what to do.)
  (void)failure;
  if (fallback && fallback->truthy()) return self_check_facts(call);
  out.return_value = 1.0;
  return out;
}

ActionOutcome TurnActions::self_check_hallucination(const Call& call) {
  ActionOutcome out;
  out.return_value = false;
  Value bot_message = context_value(call.context, "bot_message");
  Value last_prompt = context_value(call.context, "_last_bot_prompt");
  // Without a generated bot message there is nothing to sample again
  // (no-dialog mode, predefined messages).
  if (!truthy_value(bot_message) || !last_prompt.is_str() || last_prompt.as_str().empty()) return out;
  const std::string statement = as_text(bot_message);

  // Extra samples of the same prompt at temperature 1. The llm layer emulates
  // n on providers without native support (n sequential calls, llm/provider.h);
  // a client that ignores n gives one sample, and the check goes on with it.
  constexpr int kExtraSamples = 2;
  llm::LlmRequest request;
  std::string prompt_text = last_prompt.as_str();
  if (last_bot_request_ && (last_bot_request_->messages.empty()
                                ? last_bot_request_->prompt == prompt_text
                                : llm::flatten_messages(last_bot_request_->messages) == prompt_text)) {
    // The same turn generated it: send the very request (chat messages included).
    request = *last_bot_request_;
  } else {
    request.prompt = prompt_text;
  }
  request.task = "generate_bot_message";
  request.params = {};
  request.params.temperature = 1.0;
  request.params.n = kExtraSamples;
  llm::LlmClient* client = shared_.llms ? shared_.llms->client_for("generate_bot_message") : nullptr;
  if (!client) throw LlmCallFailed("no LLM configured for task generate_bot_message", llm::ErrorCode::kNotConfigured);
  llm::Completion extra = send(*client, request, prompt_text);
  std::vector<std::string> samples = extra.choices;
  if (samples.empty() && !extra.text.empty()) samples.push_back(extra.text);
  std::string paragraph;
  int taken = 0;
  for (const std::string& s : samples) {
    if (taken == kExtraSamples) break;
    // Cleaned as generate_bot_message cleans its answer.
    paragraph += (taken ? ". " : "") + strip_quotes(multiline_response(s));
    ++taken;
  }
  if (taken == 0) return out;  // nothing to compare with: no verdict, no block

  Dict vars;
  vars.set("statement", statement);
  vars.set("paragraph", paragraph);
  llm::LlmParams params;
  params.temperature = shared_.config->lowest_temperature;
  std::string agreement = trim(llm_call("self_check_hallucination", call.events, std::move(vars), params));
  for (char& c : agreement) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Spec 2: an answer containing "no" means the samples disagree. An answer
  // with neither "no" nor "yes" is unreadable and fails closed as well.
  bool hallucination = agreement.find("no") != std::string::npos ||
                       agreement.find("yes") == std::string::npos;
  out.return_value = hallucination;
  return out;
}

ActionOutcome TurnActions::content_safety_check(const Call& call, bool output) {
  // The model type: the action's model_name, else $model (set by the rail's
  // `$model=<type>` suffix).
  std::string model_type;
  if (const Value* v = call.params.find("model_name"); v && v->is_str()) model_type = v->as_str();
  if (model_type.empty()) model_type = as_text(context_value(call.context, "model"));
  const char* rail = output ? "content safety check output" : "content safety check input";
  if (model_type.empty()) {
    throw std::runtime_error(std::string("'") + rail + "' needs a model type: list it as '" + rail +
                             " $model=<type>' in config.yml");
  }
  bool known = false;
  for (const auto& m : shared_.config->models) known = known || m.type == model_type;
  if (!known) {
    throw std::runtime_error(std::string("'") + rail + "': no model of type '" + model_type +
                             "' in `models:`");
  }
  const std::string task =
      std::string(output ? "content_safety_check_output" : "content_safety_check_input") + " $model=" + model_type;
  Dict vars;
  vars.set("user_input", context_value(call.context, "user_message"));
  if (output) vars.set("bot_response", context_value(call.context, "bot_message"));
  llm::LlmParams params;
  params.temperature = 1e-20;
  params.max_tokens = 3;  // the prompt's max_tokens wins
  Value parsed;
  std::string raw = llm_call(task, call.events, std::move(vars), params, model_type, false, nullptr, &parsed);
  Dict verdict;
  const Value* allowed = parsed.is_dict() ? parsed.as_dict().find("allowed") : nullptr;
  if (allowed && allowed->is_bool()) {
    verdict.set("allowed", *allowed);
    const Value* pv = parsed.as_dict().find("policy_violations");
    verdict.set("policy_violations", pv && pv->is_list() ? *pv : Value(List{}));
  } else if (parsed.is_bool()) {
    verdict.set("allowed", parsed);
    verdict.set("policy_violations", Value(List{}));
  } else {
    // The parser gave no verdict (a text parser): fail closed, and say why.
    verdict.set("allowed", false);
    List note;
    note.push_back(Value("unparsable safety verdict: the output parser gave no allowed/blocked answer"));
    verdict.set("policy_violations", Value(std::move(note)));
  }
  (void)raw;
  ActionOutcome out;
  out.return_value = Value(std::move(verdict));
  return out;
}

}  // namespace rg::rails::dialog
