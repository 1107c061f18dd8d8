#include "runtime/v1/flow_engine.h"

#include <cctype>
#include <string_view>

#include "runtime/eval.h"

namespace rg::runtime::v1 {

using colang::Dict;
using colang::List;
using colang::Value;
using colang::v1::Element;
using colang::v1::ElementType;

std::string_view flow_status_name(FlowStatus s) {
  switch (s) {
    case FlowStatus::kActive: return "active";
    case FlowStatus::kInterrupted: return "interrupted";
    case FlowStatus::kAborted: return "aborted";
    case FlowStatus::kCompleted: return "completed";
  }
  return "?";
}

namespace {

// A flow that slides this many elements without reaching a step that waits
// is stuck in a loop (`while True` with only assignments): fail the turn
// instead of hanging the thread, which is what the reference does.
constexpr int kMaxSlideSteps = 100000;

const std::string& str_field(const Dict& d, std::string_view key) {
  static const std::string kEmpty;
  const Value* v = d.find(key);
  return v && v->is_str() ? v->as_str() : kEmpty;
}

bool is_wildcard(const Value& v) { return v.is_str() && v.as_str() == "..."; }

// Evaluation over the conversation's variables: `$x` reads the context, an
// unknown variable is None (spec A.4).
class ContextHost : public EvalHost {
 public:
  ContextHost(const Dict& context, const std::function<std::string()>& uid,
              const std::function<double()>& random)
      : context_(context), uid_(uid), random_(random) {}
  Value get_variable(std::string_view name) override {
    const Value* v = context_.find(name);
    return v ? *v : Value();
  }
  Value flow_attribute(const colang::FlowRef&, std::string_view attr) override {
    throw EvalError("AttributeError", "no attribute '" + std::string(attr) + "'");
  }
  Value action_attribute(const colang::ActionRef&, std::string_view attr) override {
    throw EvalError("AttributeError", "no attribute '" + std::string(attr) + "'");
  }
  std::string new_uid() override { return uid_(); }
  double random() override { return random_(); }
  Value flows_info(const Value&) override { return Value(); }

 private:
  const Dict& context_;
  const std::function<std::string()>& uid_;
  const std::function<double()>& random_;
};

std::string where(const FlowConfig& flow, const Element& e) {
  std::string out = "flow '" + flow.id + "'";
  if (!e.source.file.empty() || e.source.line > 0) {
    out += " (" + (e.source.file.empty() ? std::string("<content>") : e.source.file) + ":" +
           std::to_string(e.source.line) + ")";
  }
  return out;
}

}  // namespace

// Python list indexing, which the reference relies on: a flow that finished
// while starting keeps a negative head and reads elements from the end.
static const Element& element_at(const FlowConfig& flow, int head) {
  int n = static_cast<int>(flow.elements.size());
  int i = head < 0 ? head + n : head;
  if (i < 0 || i >= n) {
    throw FlowError("flow '" + flow.id + "': element index " + std::to_string(head) +
                    " out of range");
  }
  return flow.elements[i];
}

static bool is_actionable(const Element& e) {
  if (e.type != ElementType::kRunAction) return false;
  if (e.action_name == "utter") {
    const Value* v = e.action_params.find("value");
    if (v && is_wildcard(*v)) return false;
  }
  return true;
}

static std::string_view element_event_type(const Element& e) {
  switch (e.type) {
    case ElementType::kUserIntent: return "UserIntent";
    case ElementType::kRunAction: return "run_action";
    case ElementType::kEvent: return e.event_type;
    default: return colang::v1::element_type_name(e.type);
  }
}

// `type` is the event's type (looked up once per event, not once per flow).
static bool is_match(const Element& e, const Dict& event, std::string_view type) {
  if (type == "UserIntent") {
    if (e.type != ElementType::kUserIntent) return false;
    const Value* intent = event.find("intent");
    // (Value == on a str is plain string equality: no Value built per flow.)
    return e.intent_name == "..." || (intent && intent->is_str() && intent->as_str() == e.intent_name);
  }
  if (type == "BotIntent") {
    if (e.type != ElementType::kRunAction || e.action_name != "utter") return false;
    const Value* value = e.action_params.find("value");
    const Value* intent = event.find("intent");
    if (!value) return false;
    return is_wildcard(*value) || (intent && *value == *intent);
  }
  if (type == "InternalSystemActionFinished") {
    if (str_field(event, "status") != "success") return false;
    return e.type == ElementType::kRunAction && e.action_name == str_field(event, "action_name");
  }
  if (type == "UtteranceUserActionFinished" || type == "StartUtteranceBotAction") {
    if (e.type != ElementType::kEvent || e.event_type != type) return false;
    std::string_view key = type == "UtteranceUserActionFinished" ? "final_transcript" : "script";
    const Value* want = e.event_fields.find(key);
    if (!want || is_wildcard(*want)) return true;
    const Value* got = event.find(key);
    return got && *got == *want;
  }
  // Any other event: same type and every field of the element equal (or "...").
  if (element_event_type(e) != type) return false;
  if (e.type != ElementType::kEvent) return true;
  for (const auto& [key, want] : e.event_fields) {
    if (!key.empty() && key[0] == '_') continue;
    if (is_wildcard(want)) continue;
    const Value* got = event.find(key);
    if (!(got ? *got == want : want.is_none())) return false;
  }
  return true;
}

// One event's processing: the reference's `new_state` plus the helpers that
// work on it.
struct FlowEngine::Pass {
  const FlowEngine& engine;
  EngineState& st;
  const FlowSet& flows;
  std::vector<std::unique_ptr<FlowState>> out;  // the new flow list

  Value eval(const FlowConfig& flow, const Element& e, const colang::Expr* expr) {
    if (!expr) {
      throw FlowError(where(flow, e) + ": expression '" + e.expression_text +
                      "' could not be parsed");
    }
    ContextHost host(st.context, engine.new_uid_, engine.random_);
    try {
      return evaluate(*expr, host);
    } catch (const EvalError& err) {
      throw FlowError(where(flow, e) + ": " + err.type() + " evaluating '" +
                      (e.expression_text.empty() ? expr->source : e.expression_text) +
                      "': " + err.what());
    }
  }

  // Moves the head over elements that need no event: if/while/jump/set/
  // break/continue. Returns the new head, or a negative value when the flow
  // ran past its end (-(last index + 1), as the reference encodes it).
  int slide(const FlowConfig& flow, int head) {
    const int n = static_cast<int>(flow.elements.size());
    int prev_head = head < n ? head : head - 1;
    for (int steps = 0;; ++steps) {
      if (head == n || head < 0) return -1 * (prev_head + 1);
      if (steps > kMaxSlideSteps) {
        throw FlowError("flow '" + flow.id + "' loops without waiting for an event (" +
                        std::to_string(kMaxSlideSteps) + " steps)");
      }
      prev_head = head;
      const Element& e = flow.elements[head];
      switch (e.type) {
        case ElementType::kIf:
          head += eval(flow, e, e.expression.get()).truthy() ? 1 : e.next_else;
          break;
        case ElementType::kWhile:
          head += eval(flow, e, e.expression.get()).truthy() ? 1 : e.next_on_break;
          break;
        case ElementType::kJump:
          head = e.absolute ? e.next : head + e.next;
          break;
        case ElementType::kContinue:
          head += e.next_on_continue;
          break;
        case ElementType::kBreak:
          head += e.next_on_break;
          break;
        case ElementType::kSet: {
          Value v = eval(flow, e, e.expression.get());
          st.context.set(e.key, v);
          st.context_updates.set(e.key, std::move(v));
          head += 1;
          break;
        }
        default:
          return head;
      }
    }
  }

  void record_next_step(const FlowState& fs, double priority_modifier = 1.0) {
    const FlowConfig& flow = *fs.config;
    const Element& e = element_at(flow, fs.head);
    if ((st.next_step == nullptr || st.next_step_priority < flow.priority) && is_actionable(e)) {
      st.next_step = &e;
      st.next_step_by_flow_uid = fs.uid;
      st.next_step_flow_id = flow.id;
      st.next_step_priority = flow.priority * priority_modifier;
      st.next_step_comment = e.comment;
    }
  }

  // Starts the subflow named at the head of `fs`. Returns null when the
  // subflow finished at once (the parent then just moves on).
  FlowState* call_subflow(FlowState& fs) {
    const FlowConfig& flow = *fs.config;
    const Element& e = flow.elements[fs.head];
    std::string subflow_id = e.flow_name;
    if (!subflow_id.empty() && subflow_id[0] == '$') {
      Value v = eval(flow, e, e.expression.get());
      if (!v.is_str()) {
        throw FlowError(where(flow, e) + ": `do " + e.flow_name + "` gave a " +
                        std::string(v.type_name()) + ", not a flow name");
      }
      subflow_id = v.as_str();
    }
    bool has_params = (subflow_id.find('(') != std::string::npos &&
                       subflow_id.find(')') != std::string::npos) ||
                      subflow_id.find('$') != std::string::npos;
    if (has_params) {
      for (auto& [k, v] : flow_id_params(subflow_id)) st.context_updates.set(k, v);
      subflow_id = normalize_flow_id(subflow_id);
    }
    std::shared_ptr<const FlowConfig> sub = flows.find_shared(subflow_id);
    if (!sub) throw FlowError(where(flow, e) + ": subflow '" + subflow_id + "' does not exist");
    auto sub_state = std::make_unique<FlowState>();
    sub_state->uid = engine.new_uid_();
    sub_state->config = std::move(sub);
    sub_state->head = 0;
    fs.head += 1;  // resume after the call
    slide_with_subflows(*sub_state);
    if (sub_state->head < 0) return nullptr;
    fs.status = FlowStatus::kInterrupted;
    fs.interrupted_by = sub_state->uid;
    out.push_back(std::move(sub_state));
    FlowState* added = out.back().get();
    record_next_step(*added);
    return added;
  }

  void slide_with_subflows(FlowState& fs) {
    const FlowConfig& flow = *fs.config;
    bool again = true;
    while (again) {
      again = false;
      fs.head = slide(flow, fs.head);
      if (fs.head >= 0) {
        if (flow.elements[fs.head].type == ElementType::kFlow) {
          if (call_subflow(fs) == nullptr) again = true;
        } else {
          record_next_step(fs);
        }
      }
    }
  }

  FlowState* find(const std::string& uid) {
    for (auto& f : out) {
      if (f->uid == uid) return f.get();
    }
    return nullptr;
  }
};

void FlowEngine::process(EngineState& st, const FlowSet& flows, const Dict& event) const {
  process(st, flows, Value(event));
}

void FlowEngine::process(EngineState& st, const FlowSet& flows, const Value& event_value) const {
  const Dict& event = event_value.as_dict();
  // A view: the comparisons with literals below then check the length first.
  const std::string_view type = str_field(event, "type");
  if (type == "StartInternalSystemAction") return;
  if (type == "ContextUpdate") {
    if (const Value* data = event.find("data"); data && data->is_dict()) {
      for (const auto& [k, v] : data->as_dict()) st.context.set(k, v);
    }
    st.context_updates = Dict{};
    st.next_step = nullptr;
    return;
  }
  if (type == "UserMessage") {
    if (const Value* t = event.find("text")) st.context.set("last_user_message", *t);
  } else if (type == "StartUtteranceBotAction") {
    if (const Value* s = event.find("script")) st.context.set("last_bot_message", *s);
  }
  st.context.set("event", event_value);

  Pass pass{*this, st, flows, {}};
  std::vector<std::unique_ptr<FlowState>> old = std::move(st.flows);
  // The new list holds the running flows and the few that start now.
  pass.out.reserve(old.size() + 8);
  st.next_step = nullptr;
  st.next_step_by_flow_uid.clear();
  st.next_step_flow_id.clear();
  st.next_step_priority = 0.0;
  st.next_step_comment.clear();
  st.context_updates = Dict{};

  bool extension_flow_completed = false;

  // 1. Advance the flows that are running.
  for (auto& fs_ptr : old) {
    FlowState& fs = *fs_ptr;
    const FlowConfig& flow = *fs.config;
    if (fs.status == FlowStatus::kCompleted || fs.status == FlowStatus::kAborted) continue;
    if (fs.status == FlowStatus::kInterrupted) {
      pass.out.push_back(std::move(fs_ptr));
      continue;
    }
    const Element& head_element = element_at(flow, fs.head);
    if (!flow.triggered_by(type)) {
      pass.out.push_back(std::move(fs_ptr));
      // Lower priority than the flows that decide on this very event.
      pass.record_next_step(*pass.out.back(), 0.9);
      continue;
    }
    int matching_head = 0;
    if (head_element.type == ElementType::kBranch) {
      for (int offset : head_element.branch_heads) {
        if (is_match(element_at(flow, fs.head + offset), event, type)) {
          matching_head = fs.head + offset + 1;
        }
      }
    } else if (is_match(head_element, event, type)) {
      matching_head = fs.head + 1;
    }
    if (matching_head != 0) {
      fs.head = matching_head;
      pass.slide_with_subflows(fs);
      if (fs.head < 0) {
        fs.status = FlowStatus::kCompleted;
        if (flow.is_extension) extension_flow_completed = true;
      }
    } else if (is_actionable(element_at(flow, fs.head)) || !flow.is_interruptible) {
      fs.status = FlowStatus::kAborted;
    } else {
      fs.status = FlowStatus::kInterrupted;
    }
    pass.out.push_back(std::move(fs_ptr));
  }

  // 2. Start the flows whose first step matches the event.
  for (const auto& flow_ptr : flows.ordered()) {
    const FlowConfig& flow = *flow_ptr;
    if (flow.is_subflow || flow.elements.empty()) continue;
    if (!flow.allow_multiple) {
      bool running = false;
      for (const auto& f : pass.out) {
        if (f->config->id == flow.id) {
          running = true;
          break;
        }
      }
      if (running) continue;
    }
    // Leading assignments and conditions run on every event, for every flow
    // (a reference behaviour that flows rely on, e.g. `$mode = $mode or "x"`).
    int start_head = pass.slide(flow, 0);
    if (start_head < 0) continue;
    if (!is_match(flow.elements[start_head], event, type)) continue;
    auto fs = std::make_unique<FlowState>();
    fs->uid = new_uid_();
    fs->config = flow_ptr;
    fs->head = start_head + 1;
    pass.out.push_back(std::move(fs));
    FlowState& started = *pass.out.back();
    pass.slide_with_subflows(started);
  }

  // 3. A finished extension flow re-activates the flows it aborted.
  if (extension_flow_completed) {
    for (size_t i = 0; i < pass.out.size(); ++i) {
      FlowState& fs = *pass.out[i];
      if (fs.status == FlowStatus::kAborted) {
        fs.status = FlowStatus::kActive;
        pass.record_next_step(fs);
      }
    }
  }

  // 4. Flows interrupted now wait for the flow that decided the next step.
  for (auto& fs : pass.out) {
    if (fs->status == FlowStatus::kInterrupted && fs->interrupted_by.empty()) {
      fs->interrupted_by = st.next_step_by_flow_uid;
    }
  }
  if (FlowState* decider = pass.find(st.next_step_by_flow_uid);
      decider && decider->config->is_extension && decider->head > 1) {
    for (auto& fs : pass.out) {
      if (fs->status == FlowStatus::kAborted && fs->config->is_interruptible) {
        fs->status = FlowStatus::kInterrupted;
        fs->interrupted_by = st.next_step_by_flow_uid;
      }
    }
  }

  // 5. Resume the flows whose interrupter completed; abort those whose
  // interrupter aborted. Repeat until nothing changes.
  bool changes = true;
  while (changes) {
    changes = false;
    for (size_t i = 0; i < pass.out.size(); ++i) {
      FlowState* fs = pass.out[i].get();
      if (fs->status != FlowStatus::kInterrupted) continue;
      bool resume = fs->interrupted_by.empty();
      bool abort = false;
      if (!resume) {
        for (auto& other : pass.out) {
          if (other->uid == fs->interrupted_by) {
            if (other->status == FlowStatus::kCompleted) {
              resume = true;
            } else if (other->status == FlowStatus::kAborted) {
              abort = true;
            }
            break;
          }
        }
      }
      if (resume) {
        fs->status = FlowStatus::kActive;
        fs->interrupted_by.clear();
        pass.slide_with_subflows(*fs);
        if (fs->head < 0) fs->status = FlowStatus::kCompleted;
        changes = true;
      } else if (abort) {
        fs->status = FlowStatus::kAborted;
        fs->interrupted_by.clear();
        changes = true;
      }
    }
  }
  st.flows = std::move(pass.out);
}

std::vector<Dict> FlowEngine::next_steps(const EngineState& st) const {
  std::vector<Dict> out;
  if (!st.context_updates.empty()) {
    Dict update;
    update.set("type", "ContextUpdate");
    update.set("data", Value(st.context_updates));
    out.push_back(std::move(update));
  }
  if (st.next_step) {
    const Element& step = *st.next_step;
    Dict event;
    event.reserve(9);  // its own 4 keys and the 5 that generate_events stamps
    if (step.action_name == "utter") {
      event.set("type", "BotIntent");
      const Value* v = step.action_params.find("value");
      event.set("intent", v ? *v : Value());
      if (!st.next_step_comment.empty()) event.set("instructions", st.next_step_comment);
    } else {
      event.set("type", "StartInternalSystemAction");
      event.set("action_name", step.action_name);
      event.set("action_params", Value(step.action_params));
      event.set("action_result_key",
                step.action_result_key.empty() ? Value() : Value(step.action_result_key));
    }
    out.push_back(std::move(event));
  }
  return out;
}

Dict flow_id_params(std::string_view flow_id_in) {
  std::string flow_id(flow_id_in);
  // Trim.
  while (!flow_id.empty() && std::isspace(static_cast<unsigned char>(flow_id.back()))) flow_id.pop_back();
  size_t start = 0;
  while (start < flow_id.size() && std::isspace(static_cast<unsigned char>(flow_id[start]))) ++start;
  flow_id = flow_id.substr(start);
  Dict params;
  std::string args;
  size_t open = flow_id.find('('), close = flow_id.find(')');
  if (open != std::string::npos && close != std::string::npos) {
    size_t end = flow_id.find(')', open + 1);
    args = flow_id.substr(open + 1, end == std::string::npos ? std::string::npos : end - open - 1);
  } else if (size_t dollar = flow_id.find('$'); dollar != std::string::npos) {
    size_t next = flow_id.find('$', dollar + 1);
    args = flow_id.substr(dollar + 1,
                          next == std::string::npos ? std::string::npos : next - dollar - 1);
  } else {
    return params;
  }
  size_t pos = 0;
  while (pos <= args.size()) {
    size_t comma = args.find(',', pos);
    std::string arg = args.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? args.size() + 1 : comma + 1;
    size_t b = arg.find_first_not_of(" \t"), e = arg.find_last_not_of(" \t");
    arg = b == std::string::npos ? std::string() : arg.substr(b, e - b + 1);
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      std::string key = arg.substr(0, eq), value = arg.substr(eq + 1);
      if (value.size() >= 2 && ((value.front() == '"' && value.back() == '"') ||
                                (value.front() == '\'' && value.back() == '\''))) {
        value = value.substr(1, value.size() - 2);
      }
      params.set(key, value);
    } else {
      params.set(arg, Value());
    }
  }
  return params;
}

std::string normalize_flow_id(std::string_view flow_id_in) {
  std::string flow_id(flow_id_in);
  size_t cut = flow_id.find('(');
  if (cut == std::string::npos) cut = flow_id.find('$');
  if (cut != std::string::npos) flow_id = flow_id.substr(0, cut);
  size_t b = flow_id.find_first_not_of(" \t"), e = flow_id.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : flow_id.substr(b, e - b + 1);
}

}  // namespace rg::runtime::v1
