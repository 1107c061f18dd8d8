// The history filters (spec product.md 3.3). Each keeps the reference's
// observable output, rough edges included, because prompts are compared byte
// for byte; the rough edges are noted inline.
#include "rails/prompts/history_filters.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rails/prompts/template/filter_registry.h"
#include "rails/prompts/template/internal/values.h"

namespace rg::rails::prompts {
namespace {

using colang::Dict;
using colang::List;
using colang::Value;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::string str_of(const Dict& d, std::string_view key) {
  const Value* v = d.find(key);
  return v == nullptr ? std::string("None") : colang::to_python_str(*v);
}

// A view into the event (no copy: the history filters look at every event's
// type, several times per prompt).
std::string_view type_of(const Value& e) {
  if (!e.is_dict()) return {};
  const Value* t = e.as_dict().find("type");
  return t != nullptr && t->is_str() ? std::string_view(t->as_str()) : std::string_view();
}

// Python truthiness of d.get(key).
bool flag(const Dict& d, std::string_view key) {
  const Value* v = d.find(key);
  return v != nullptr && v->truthy();
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) return s;
  size_t at = 0;
  while ((at = s.find(from, at)) != std::string::npos) {
    s.replace(at, from.size(), to);
    at += to.size();
  }
  return s;
}

// Python str.split("\n").
std::vector<std::string> split_lines(std::string_view s) {
  std::vector<std::string> out;
  size_t at = 0;
  while (true) {
    size_t e = s.find('\n', at);
    if (e == std::string_view::npos) {
      out.emplace_back(s.substr(at));
      return out;
    }
    out.emplace_back(s.substr(at, e - at));
    at = e + 1;
  }
}

// line[6:-1] of a `user "..."` line.
std::string quoted_user_text(const std::string& line) {
  return line.size() > 7 ? line.substr(6, line.size() - 7) : std::string();
}

// ---------------------------------------------------------------- 2.x form

// The runtime-internal events whose presence makes a history 2.x.
constexpr std::string_view kInternalEvents[] = {
    "StartFlow",     "FinishFlow",    "StopFlow",     "FlowStarted",  "FlowFinished", "FlowFailed",
    "UnhandledEvent", "BotIntentLog", "UserIntentLog", "BotActionLog", "UserActionLog"};

bool is_internal(std::string_view type) {
  return std::find(std::begin(kInternalEvents), std::end(kInternalEvents), type) != std::end(kInternalEvents);
}

// An internal event: its name and arguments (an "arguments" dict when the
// event has one, else the event's own keys).
struct LogEvent {
  std::string name;
  const Dict* args = nullptr;
  Value arg(std::string_view key) const {
    const Value* v = args->find(key);
    return v == nullptr ? Value() : *v;
  }
};

std::string_view log_identifier(std::string_view name) {
  if (name == "BotIntentLog") return "bot intent";
  if (name == "BotActionLog") return "bot action";
  if (name == "UserIntentLog") return "user intent";
  if (name == "UserActionLog") return "user action";
  return "";
}

// `<identifier>: <flow_id> "<parameter>"` for the first event of a group,
// later ones `<flow_id> ...`, joined by "\n  and ".
std::string dialog_lines(const std::vector<LogEvent>& group) {
  std::string out;
  for (size_t i = 0; i < group.size(); ++i) {
    const LogEvent& e = group[i];
    std::string line = colang::to_python_str(e.arg("flow_id"));
    if (i == 0) line = std::string(log_identifier(e.name)) + ": " + line;
    Value param = e.arg("parameter");
    if (param.is_str()) {
      // New lines become a literal \n, so that few-shot examples stay one line each.
      line += " \"" + replace_all(param.as_str(), "\n", "\\n") + "\"";
    } else if (!param.is_none()) {
      line += " " + colang::to_python_str(param);
    }
    out += line;
    if (i + 1 < group.size()) out += "\n  and ";
  }
  return out;
}

std::string colang_history_v2(const List& events) {
  std::vector<std::string> out;
  std::vector<LogEvent> group;
  Value current_intent;  // None
  std::optional<LogEvent> previous;
  for (const Value& v : events) {
    std::string_view type = type_of(v);
    if (!is_internal(type)) continue;
    const Dict& d = v.as_dict();
    const Value* a = d.find("arguments");
    LogEvent e{std::string(type), a != nullptr && a->is_dict() ? &a->as_dict() : &d};
    const bool action_log = type == "BotActionLog" || type == "UserActionLog";
    const bool intent_log = type == "BotIntentLog" || type == "UserIntentLog";
    if (type == "UserActionLog" && previous && dialog_lines({*previous}) == dialog_lines({e})) {
      continue;  // the same user event logged twice
    }
    if (action_log) {
      Value intent = e.arg("intent_flow_id");
      if (!group.empty() && (current_intent.is_none() || current_intent != intent)) {
        out.push_back(dialog_lines(group));
        out.emplace_back();
        group.clear();
      }
      group.push_back(e);
      current_intent = intent;
      previous = e;
    } else if (intent_log) {
      Value flow_id = e.arg("flow_id");
      if (flow_id == current_intent) {  // the intent the open group belongs to
        if (type == "BotIntentLog") {
          out.push_back(dialog_lines({e}));
          out.push_back(dialog_lines(group));
        } else if (!flow_id.is_none()) {
          out.push_back(dialog_lines(group));
          out.push_back(dialog_lines({e}));
        }
        out.emplace_back();
      } else {
        if (!group.empty()) {
          out.push_back(dialog_lines(group));
          out.emplace_back();
        }
        out.push_back(dialog_lines({e}));
        out.emplace_back();
      }
      group.clear();
      current_intent = Value();
      previous = e;
    }
  }
  if (!group.empty()) out.push_back(dialog_lines(group));
  std::string text;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) text += '\n';
    text += out[i];
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// ---------------------------------------------------------------- 1.0 form

std::string colang_history_v1(const List& events, const ColangHistoryOptions& options) {
  std::string history;
  size_t last_bot_intent = events.size();
  for (size_t i = events.size(); i-- > 0;) {
    if (type_of(events[i]) == "BotIntent") {
      last_bot_intent = i;
      break;
    }
  }
  auto is_retrieval = [&](const Dict& d) {
    return options.remove_retrieval_events && str_of(d, "action_name") == "retrieve_relevant_chunks";
  };
  for (size_t i = 0; i < events.size(); ++i) {
    std::string_view type = type_of(events[i]);
    if (type.empty()) continue;
    const Dict& d = events[i].as_dict();
    if (type == "UserMessage" && options.include_texts) {
      history += "user \"" + str_of(d, "text") + "\"\n";
    } else if (type == "UserIntent") {
      history += (options.include_texts ? "  " : "user ") + str_of(d, "intent") + "\n";
    } else if (type == "BotIntent") {
      if (d.contains("instructions") && i == last_bot_intent) history += "# " + str_of(d, "instructions") + "\n";
      history += "bot " + str_of(d, "intent") + "\n";
    } else if (type == "StartUtteranceBotAction" && options.include_texts) {
      history += "  \"" + str_of(d, "script") + "\"\n";
    } else if (type == "StartInternalSystemAction" && !flag(d, "is_system_action")) {
      if (is_retrieval(d)) continue;
      history += "execute " + str_of(d, "action_name") + "\n";
    } else if (type == "InternalSystemActionFinished" && !flag(d, "is_system_action")) {
      if (is_retrieval(d)) continue;
      history += "# The result was " + replace_all(str_of(d, "return_value"), "\n", " ") + "\n";
    } else if (type == "mask_prev_user_message") {
      // The last user utterance before this event; its last occurrence in the
      // history so far is hidden. (With no earlier utterance the reference
      // splits on whitespace; we leave the history as it is.)
      for (size_t k = i; k-- > 0;) {
        if (type_of(events[k]) != "UserMessage") continue;
        std::string utterance = str_of(events[k].as_dict(), "text");
        size_t at = utterance.empty() ? std::string::npos : history.rfind(utterance);
        if (at != std::string::npos) history.replace(at, utterance.size(), kHiddenUserText);
        break;
      }
    }
  }
  return history;
}

// Actions whose results co_v2 leaves out of the history.
constexpr std::string_view kCoV2SystemActions[] = {
    "retrieve_relevant_chunks", "create_event", "wolfram alpha request", "summarize_document", "apify",
    "bing_search", "google_search", "google_serper", "openweather_query", "searx_search", "serp_api_query",
    "wikipedia_query", "wolframalpha_query", "zapier_nla_query", "call activefence api",
    "jailbreak_detection_heuristics", "check_hallucination", "llama_guard_check_input",
    "llama_guard_check_output", "alignscore_check_facts", "alignscore request", "self_check_facts",
    "self_check_input", "self_check_output", "AddFlowsAction", "RemoveFlowsAction",
    "CheckForActiveEventMatchAction", "CheckFlowDefinedAction", "CheckValidFlowExistsAction",
    "generate_bot_message", "GenerateFlowAction", "GenerateFlowContinuationAction",
    "GenerateFlowFromInstructionsAction", "GenerateFlowFromNameAction", "generate_intent_steps_message",
    "generate_next_step", "GenerateUserIntentAction", "GenerateValueAction", "GetLastUserMessageAction"};

// ---------------------------------------------------------------- messages

Value message(std::string type, std::string content) {
  Dict d;
  d.set("type", Value(std::move(type)));
  d.set("content", Value(std::move(content)));
  return Value(std::move(d));
}

Value to_value(const std::vector<HistoryMessage>& messages) {
  List out;
  for (const HistoryMessage& m : messages) out.push_back(message(m.type, m.content));
  return Value(std::move(out));
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    out += lines[i];
  }
  return out;
}

// to_messages and to_messages_nemollm differ only in how they find the line
// before an intent line: the nemollm one skips comment lines.
std::vector<HistoryMessage> history_messages(std::string_view history, bool skip_comments) {
  std::vector<HistoryMessage> out;
  std::vector<std::string> lines = split_lines(history);
  std::vector<std::string> bot;
  auto flush = [&](const char* type) {
    if (bot.empty()) return;
    out.push_back({type, join(bot)});
    bot.clear();
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line = lines[i];
    if (starts_with(line, "user \"")) {
      flush("assistant");
      out.push_back({"user", quoted_user_text(line)});
      continue;
    }
    if (internal::strip(line).empty()) {
      flush("assistant");
      continue;
    }
    size_t prev = i == 0 ? 0 : i - 1;
    if (skip_comments) {
      while (prev > 0 && starts_with(internal::strip(lines[prev]), "#")) --prev;
    }
    if (i > 0 && starts_with(lines[prev], "user \"")) {
      if (!skip_comments || !starts_with(internal::strip(line), "#")) line = "User intent: " + internal::strip(line);
    } else if (starts_with(line, "user ")) {
      line = "User intent: " + internal::strip(line.substr(5));
    } else if (starts_with(line, "bot ")) {
      line = "Bot intent: " + internal::strip(line.substr(4));
    } else if (starts_with(line, "  \"")) {
      line = "Bot message: " + internal::strip(line.substr(2));
    }
    bot.push_back(line);
  }
  flush("bot");
  return out;
}

const List& events_input(const FilterCall& call, const List& empty) {
  call.require_defined();
  if (call.input.is_none()) return empty;  // the reference returns "" for no events
  if (!call.input.is_list()) throw FilterError("expected a list of events, got " + std::string(call.input.type_name()));
  return call.input.as_list();
}

}  // namespace

bool is_colang_v2_history(const List& events) {
  return std::any_of(events.begin(), events.end(), [](const Value& e) { return is_internal(type_of(e)); });
}

std::string colang_history(const List& events, const ColangHistoryOptions& options) {
  if (events.empty()) return {};
  return is_colang_v2_history(events) ? colang_history_v2(events) : colang_history_v1(events, options);
}

std::string co_v2_history(const List& events) {
  std::string history;
  std::vector<std::string> seen;
  for (const Value& v : events) {
    if (!v.is_dict()) continue;
    const Dict& d = v.as_dict();
    const Value* uid = d.find("uid");
    std::string uid_text = uid == nullptr || uid->is_none() ? std::string() : colang::to_python_str(*uid);
    if (!uid_text.empty()) {
      // (The reference sees each StartUtteranceBotAction twice; uids dedupe.)
      if (std::find(seen.begin(), seen.end(), uid_text) != seen.end()) continue;
      seen.push_back(uid_text);
    }
    std::string_view type = type_of(v);
    if (type == "UtteranceUserActionFinished") {
      history += "  user said \"" + str_of(d, "final_transcript") + "\"\n";
    } else if (type == "StartUtteranceBotAction") {
      history += "  bot say \"" + str_of(d, "script") + "\"\n";
    } else if (type == "StartTool") {
      std::string line = "  await " + str_of(d, "flow_name");
      for (const auto& [k, val] : d) {
        if (k == "type" || k == "uid" || k == "event_created_at" || k == "source_uid" || k == "flow_name") continue;
        line += " $" + k + "=\"" + colang::to_python_str(val) + "\"";
      }
      history += line + "\n";
    } else if (ends_with(type, "ActionFinished") && flag(d, "action_name")) {
      std::string name = str_of(d, "action_name");
      if (std::find(std::begin(kCoV2SystemActions), std::end(kCoV2SystemActions), name) !=
          std::end(kCoV2SystemActions)) {
        continue;
      }
      history += "  # " + str_of(d, "return_value") + "\n";
    }
  }
  return history;
}

std::string colang_history_without_identifiers(const List& events) {
  std::string s = colang_history(events);
  for (std::string_view id : {"bot intent: ", "bot action: ", "user intent: ", "user action: "}) {
    s = replace_all(std::move(s), id, "");
  }
  return s;
}

std::vector<HistoryMessage> history_to_messages(std::string_view history) {
  return history_messages(history, false);
}

void add_history_filters(FilterRegistry& r) {
  r.add("colang", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    List empty;
    return Value(colang_history(events_input(call, empty)));
  });
  r.add("colang_without_identifiers", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    List empty;
    return Value(colang_history_without_identifiers(events_input(call, empty)));
  });
  r.add("co_v2", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    List empty;
    return Value(co_v2_history(events_input(call, empty)));
  });
  r.add("to_chat_messages", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    List empty;
    List out;
    for (const Value& e : events_input(call, empty)) {
      std::string_view type = type_of(e);
      if (type == "UserMessage") out.push_back(message("user", str_of(e.as_dict(), "text")));
      if (type == "StartUtteranceBotAction") out.push_back(message("assistant", str_of(e.as_dict(), "script")));
    }
    return Value(std::move(out));
  });
  r.add("to_messages", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    return to_value(history_messages(call.input_str(), false));
  });
  r.add("to_messages_nemollm", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    std::string out;
    for (const HistoryMessage& m : history_messages(call.input_str(), true)) {
      out += (m.type == "user" ? "<extra_id_1>User\n" : "<extra_id_1>Assistant\n") + m.content + "\n";
    }
    return Value(std::move(out));
  });
  r.add("to_intent_messages", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    std::vector<std::string> lines = split_lines(call.input_str());
    List out;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& line = lines[i];
      if (starts_with(line, "user \"")) continue;
      if (i > 0 && starts_with(lines[i - 1], "user \"")) {
        out.push_back(message("user", "User intent: " + internal::strip(line)));
      } else if (starts_with(line, "user ")) {
        out.push_back(message("user", "User intent: " + internal::strip(line.substr(5))));
      } else if (starts_with(line, "bot ")) {
        out.push_back(message("assistant", "Bot intent: " + internal::strip(line.substr(4))));
      }
    }
    return Value(std::move(out));
  });
  r.add("to_intent_messages_2", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    std::vector<std::string> lines = split_lines(call.input_str());
    List out;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& line = lines[i];
      if (starts_with(line, "user \"")) {
        out.push_back(message("user", quoted_user_text(line)));
      } else if (i > 0 && starts_with(lines[i - 1], "user \"")) {
        continue;  // the user intent under a user message
      } else if (starts_with(line, "bot ")) {
        out.push_back(message("assistant", "Bot intent: " + internal::strip(line.substr(4))));
      } else if (starts_with(line, "  \"")) {
        out.push_back(message("assistant", "Bot message: " + internal::strip(line.substr(2))));
      }
    }
    return Value(std::move(out));
  });
  // Our own definition (the reference's is not in the snapshot we follow):
  // 2.x history text -> messages. `user ...` lines are the user's, `bot ...`
  // lines the assistant's; `  and ...` and comment lines stay with the line
  // before; consecutive lines of one speaker form one message, a blank line
  // ends it.
  r.add("to_messages_v2", [](const FilterCall& call) -> std::optional<Value> {
    call.check_arity(0, {});
    List out;
    std::string speaker;
    std::vector<std::string> buffer;
    auto flush = [&] {
      if (!buffer.empty()) out.push_back(message(speaker, join(buffer)));
      buffer.clear();
    };
    for (const std::string& line : split_lines(call.input_str())) {
      if (internal::strip(line).empty()) {
        flush();
        continue;
      }
      std::string next = speaker.empty() ? "assistant" : speaker;
      if (starts_with(line, "user ")) next = "user";
      if (starts_with(line, "bot ")) next = "assistant";
      if (next != speaker) flush();
      speaker = next;
      buffer.push_back(line);
    }
    flush();
    return Value(std::move(out));
  });
}

std::shared_ptr<const FilterRegistry> prompt_filters() {
  static const std::shared_ptr<const FilterRegistry> registry = [] {
    auto r = std::make_shared<FilterRegistry>(*default_filters());
    add_history_filters(*r);
    return std::shared_ptr<const FilterRegistry>(std::move(r));
  }();
  return registry;
}

}  // namespace rg::rails::prompts
