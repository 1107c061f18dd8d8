#include "runtime/v1/conversation.h"

#include <cstdio>

#include "colang/v1/parse_v1.h"
#include "runtime/internal/seeded_ids.h"

namespace rg::runtime::v1 {

using colang::Dict;
using colang::List;
using colang::Value;

namespace {

// A view, so that comparing with a literal checks the length first (every
// event is compared with several type names).
std::string_view type_of(const Dict& event) {
  const Value* v = event.find("type");
  return v && v->is_str() ? std::string_view(v->as_str()) : std::string_view();
}

bool is_bot_stop(const Dict& event) {
  if (type_of(event) != "BotIntent") return false;
  const Value* intent = event.find("intent");
  return intent && intent->is_str() && intent->as_str() == "stop";
}

Dict event_of(std::string type) {
  Dict d;
  d.set("type", std::move(type));
  return d;
}

}  // namespace

Conversation::Conversation(std::shared_ptr<const FlowSet> flows, Value config,
                           ConversationOptions options)
    : flows_(std::move(flows)),
      config_(std::move(config)),
      options_(std::move(options)),
      engine_([this] { return new_uid(); }, [this] { return random(); }) {
  rng_state_ = internal::splitmix64(options_.seed ^ 0x5eedULL);
  state_.context.set("config", config_);
  action_context_.set("last_user_message", Value());
  action_context_.set("last_bot_message", Value());
}

static Dict copy_variables(const Dict& vars) {
  Dict out;
  for (const auto& [k, v] : vars) out.set(k, k == "config" ? v : v.deep_copy());
  return out;
}

Conversation::Conversation(const Conversation& other)
    : flows_(other.flows_),
      config_(other.config_),
      options_(other.options_),
      engine_([this] { return new_uid(); }, [this] { return random(); }),
      history_(other.history_),
      decided_by_(other.decided_by_),
      actual_history_(other.actual_history_),
      action_context_(copy_variables(other.action_context_)),
      uid_counter_(other.uid_counter_),
      rng_state_(other.rng_state_) {
  state_.context = copy_variables(other.state_.context);
  state_.flows.reserve(other.state_.flows.size());
  for (const auto& f : other.state_.flows) state_.flows.push_back(std::make_unique<FlowState>(*f));
  state_.next_step = other.state_.next_step;
  state_.next_step_by_flow_uid = other.state_.next_step_by_flow_uid;
  state_.next_step_flow_id = other.state_.next_step_flow_id;
  state_.next_step_priority = other.state_.next_step_priority;
  state_.next_step_comment = other.state_.next_step_comment;
  state_.context_updates = copy_variables(other.state_.context_updates);
}

std::string Conversation::new_uid() { return internal::seeded_uuid(options_.seed, ++uid_counter_); }

double Conversation::random() { return internal::next_unit_double(rng_state_); }

std::string Conversation::now() const {
  if (options_.now) return options_.now();
  return "1970-01-01T00:00:00.000000+00:00";
}

Dict Conversation::new_event(std::string type, size_t capacity) {
  Dict d;
  d.reserve(capacity);
  d.set("type", std::move(type));
  d.set("uid", new_uid());
  d.set("event_created_at", now());
  d.set("source_uid", "NeMoGuardrails");
  return d;
}

void Conversation::append(Dict event) { append(Value(std::move(event))); }

void Conversation::append(Value event_value) {
  const Dict& event = event_value.as_dict();
  history_.push_back(event_value);
  decided_by_.emplace_back();
  // The variables actions see come from the whole history, hidden turns
  // included (the reference's compute_context).
  const std::string_view type = type_of(event);
  if (type == "ContextUpdate") {
    if (const Value* data = event.find("data"); data && data->is_dict()) {
      for (const auto& [k, v] : data->as_dict()) action_context_.set(k, v);
    }
  } else if (type == "UserMessage") {
    if (const Value* t = event.find("text")) action_context_.set("last_user_message", *t);
  } else if (type == "StartUtteranceBotAction") {
    if (const Value* s = event.find("script")) action_context_.set("last_bot_message", *s);
  }
  action_context_.set("event", event_value);

  if (type == "hide_prev_turn") {
    // Drop everything from the last user utterance on, then replay.
    size_t end = actual_history_.empty() ? 0 : actual_history_.size() - 1;
    while (end > 0 && type_of(actual_history_[end].as_dict()) != "UtteranceUserActionFinished") {
      --end;
    }
    actual_history_.resize(end);
    rebuild();
    return;
  }
  if (type == "start_flow") add_dynamic_flow(event);
  actual_history_.push_back(event_value);
  fold(event_value);
}

void Conversation::fold(const Value& event) {
  engine_.process(state_, *flows_, event);
  if (is_bot_stop(event.as_dict())) state_.flows.clear();  // `stop` ends every flow
}

void Conversation::rebuild() {
  state_ = EngineState{};
  state_.context.set("config", config_);
  for (const Value& e : actual_history_) fold(e);
}

void Conversation::add_dynamic_flow(const Dict& event) {
  const Value* id = event.find("flow_id");
  const Value* body = event.find("flow_body");
  if (!id || !id->is_str() || !body || !body->is_str()) {
    throw FlowError("start_flow event without a string flow_id and flow_body");
  }
  if (flows_->find(id->as_str())) return;
  std::string source = "define flow " + id->as_str() + "\n";
  std::string_view text = body->as_str();
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    if (!line.empty()) source += "  ";
    source += line;
    source += '\n';
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  colang::v1::ParseResult parsed = colang::v1::parse_colang_v1(source, "dynamic.co");
  if (!parsed.ok() || parsed.document.flows.size() != 1) {
    std::string why = parsed.diagnostics.empty() ? "expected exactly one flow"
                                                 : parsed.diagnostics.front().render();
    throw FlowError("the generated flow could not be parsed: " + why);
  }
  colang::v1::Flow flow = std::move(parsed.document.flows.front());
  colang::v1::Element start;
  start.type = colang::v1::ElementType::kEvent;
  start.event_type = "start_flow";
  start.event_fields.set("flow_id", *id);
  flow.elements.insert(flow.elements.begin(), std::move(start));
  auto extended = std::make_shared<FlowSet>(*flows_);
  extended->add(make_flow_config(flow, /*is_system_flow=*/false));
  flows_ = std::move(extended);
}

List Conversation::generate_events(const List& input, ActionHost& host) {
  for (const Value& e : input) append(e.as_dict());
  List generated;
  if (history_.empty()) return generated;
  while (true) {
    // Shared, not copied: appending below may reallocate history_.
    const Value last_value = history_.back();
    const Dict& last = last_value.as_dict();
    std::vector<Dict> next;
    std::string decider;
    if (type_of(last) == "StartInternalSystemAction") {
      next = run_action(last, host);
    } else {
      next = engine_.next_steps(state_);
      decider = state_.next_step_flow_id;
      if (is_bot_stop(last)) next.clear();
      if (next.empty()) next.push_back(event_of("Listen"));
    }
    bool listen = false;
    for (Dict& e : next) {
      e.reserve(e.size() + 5);  // at most 5 keys stamped below
      if (!e.contains("uid")) e.set("uid", new_uid());
      if (!e.contains("event_created_at")) e.set("event_created_at", now());
      if (!e.contains("source_uid")) e.set("source_uid", "NeMoGuardrails");
      // Decided before setting fields, which may reallocate the entries.
      const std::string_view type_view = type_of(e);
      const bool is_context_update = type_view == "ContextUpdate";
      const bool is_listen = type_view == "Listen";
      if (type_view == "StartInternalSystemAction") {
        if (!e.contains("action_uid")) e.set("action_uid", new_uid());
        const Value* name = e.find("action_name");
        e.set("is_system_action",
              name && name->is_str() && host.is_system_action(name->as_str()));
      }
      // One dict, shared by the history, the variables and the result.
      Value event(std::move(e));
      append(event);
      if (!is_context_update && !is_listen) decided_by_.back() = decider;
      generated.push_back(std::move(event));
      listen = is_listen;
    }
    if (listen) break;
    if (generated.size() > options_.max_events_per_call) {
      throw TooManyEvents("more than " + std::to_string(options_.max_events_per_call) +
                          " events in one turn: a flow keeps producing steps");
    }
  }
  return generated;
}

static List internal_error_events(const std::string& message) {
  List events;
  Dict intent;
  intent.set("type", "BotIntent");
  intent.set("intent", "inform internal error occurred");
  events.push_back(Value(std::move(intent)));
  Dict utter;
  utter.set("type", "StartUtteranceBotAction");
  utter.set("script", message);
  events.push_back(Value(std::move(utter)));
  // Hidden from the history from now on.
  events.push_back(Value(event_of("hide_prev_turn")));
  return events;
}

std::vector<Dict> Conversation::run_action(const Dict& start, ActionHost& host) {
  // References into `start`, which the caller keeps alive.
  static const std::string kNone;
  const Value* name_v = start.find("action_name");
  const std::string& name = name_v && name_v->is_str() ? name_v->as_str() : kNone;
  Dict params;
  if (const Value* p = start.find("action_params"); p && p->is_dict()) params = p->as_dict();
  const Value* key_v = start.find("action_result_key");
  const std::string& result_key = key_v && key_v->is_str() ? key_v->as_str() : kNone;

  ActionOutcome outcome;
  std::string status = "success";
  Dict empty_context;
  const Dict* context = &empty_context;
  const bool known = host.has_action(name);
  if (!known) {
    status = "failed";
    outcome.events = internal_error_events("Action '" + name + "' not found.");
  } else {
    context = &action_context_;
    for (auto& [k, v] : params.entries()) {
      if (v.is_str() && !v.as_str().empty() && v.as_str()[0] == '$') {
        if (const Value* value = action_context_.find(std::string_view(v.as_str()).substr(1))) {
          v = *value;
        }
      }
    }
    ActionCall call{name, std::move(params), result_key, history_, action_context_};
    outcome = host.run(call);
    if (outcome.failed) {
      status = "failed";
      outcome = ActionOutcome{};
      outcome.events = internal_error_events("I'm sorry, an internal error has occurred.");
    }
  }

  Dict context_updates = std::move(outcome.context_updates);
  if (!result_key.empty()) context_updates.set(result_key, outcome.return_value);
  std::vector<Dict> out;
  out.reserve(2 + outcome.events.size());
  if (!context_updates.empty()) {
    bool changed = false;
    for (const auto& [k, v] : context_updates) {
      const Value* old = context->find(k);
      if (!(old ? *old == v : v.is_none())) {
        changed = true;
        break;
      }
    }
    if (changed) {
      Dict update = new_event("ContextUpdate");
      update.set("data", Value(std::move(context_updates)));
      out.push_back(std::move(update));
    }
  }
  Dict finished = new_event("InternalSystemActionFinished", 14);  // its 4 and the 10 below
  if (const Value* uid = start.find("action_uid")) finished.set("action_uid", *uid);
  finished.set("action_name", name);
  finished.set("action_params", start.find("action_params") ? *start.find("action_params") : Value(Dict{}));
  finished.set("action_result_key", result_key.empty() ? Value() : Value(result_key));
  finished.set("status", status);
  finished.set("is_success", status != "failed");
  finished.set("failure_reason", status);
  finished.set("return_value", outcome.return_value);
  // Copies: the caller stamps them (uid, timestamps), while the finished
  // event's `events` keeps them as the action returned them (that list is
  // then moved in, not copied).
  const size_t finished_at = out.size();
  out.emplace_back();
  for (const Value& e : outcome.events) out.push_back(e.as_dict());
  finished.set("events", Value(std::move(outcome.events)));
  finished.set("is_system_action", known && host.is_system_action(name));
  out[finished_at] = std::move(finished);
  return out;
}

}  // namespace rg::runtime::v1
