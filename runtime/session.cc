// Session: the chat host loop over one State (see session.h).
#include "runtime/session.h"

#include <deque>
#include <stdexcept>

#include "colang/value_json.h"
#include "runtime/runtime.h"
#include "runtime/state_json.h"

namespace rg::runtime {

using colang::Dict;
using colang::Value;

namespace {
// A bot that keeps answering itself would never return; this many rounds of
// one user turn is far beyond any real conversation.
constexpr int kMaxRounds = 1000;
}  // namespace

Session::Session(std::shared_ptr<const FlowLibrary> library, SessionOptions options)
    : library_(std::move(library)), options_(std::move(options)) {
  reset();
}

Session::~Session() = default;

void Session::reset() {
  StateOptions so;
  so.seed = options_.seed;
  state_ = new_state(library_, so);
  state_->system_config = options_.system_config;
}

std::string_view Session::local_action_name(const Dict& event) const {
  if (!options_.actions) return {};
  const Value* type = event.find("type");
  if (!type || !type->is_str()) return {};
  std::string_view t = type->as_str();
  if (t.size() <= 11 || t.substr(0, 5) != "Start" || t.substr(t.size() - 6) != "Action") return {};
  std::string_view name = t.substr(5);
  return options_.actions->handles(name) ? name : std::string_view();
}

std::vector<Dict> Session::process(std::vector<Dict> events) {
  // A main that is waiting (new, or finished since) is (re)started first,
  // with the @active flows (B.10; main never restarts by itself, D.22).
  std::deque<Dict> queue;
  if (const FlowState* main = state_->flow(state_->main_flow_uid);
      main && main->status == FlowStatus::kWaiting) {
    for (const auto& id : library_->active_flow_ids()) queue.push_back(start_flow_event(id, true));
    queue.push_back(start_flow_event("main"));
  }
  // Outgoing events are fed back in, so flows see their own actions (B.10).
  for (auto& e : events) queue.push_back(std::move(e));
  std::vector<Dict> out;
  size_t budget = 100000;
  while (!queue.empty()) {
    if (--budget == 0) throw std::runtime_error("event loop does not settle (100000 events)");
    Dict e = std::move(queue.front());
    queue.pop_front();
    if (options_.on_event) options_.on_event("in", e);
    std::vector<Dict> produced = run_to_completion(*state_, e);
    for (auto& o : produced) {
      if (options_.on_event) options_.on_event("out", o);
      std::string_view action = local_action_name(o);
      if (action.empty()) {
        out.push_back(o);
        queue.push_back(std::move(o));
        continue;
      }
      // A local action: run it now and answer with its Finished event.
      ActionContext context{*state_, *library_};
      Dict arguments;
      for (const auto& [k, v] : o)
        if (k != "type" && k != "uid" && k != "event_created_at" && k != "source_uid" &&
            k != "action_uid")
          arguments.set(k, v);
      ActionOutcome outcome = options_.actions->run(action, arguments, context);
      Dict finished;
      finished.set("type", std::string(action) + "Finished");
      if (const Value* uid = o.find("action_uid")) finished.set("action_uid", *uid);
      finished.set("action_name", std::string(action));
      finished.set("status", "success");
      finished.set("is_success", true);
      finished.set("return_value", std::move(outcome.return_value));
      colang::List events;
      for (const auto& ev : outcome.events) events.emplace_back(ev);
      finished.set("events", Value(std::move(events)));
      queue.push_back(std::move(o));
      queue.push_back(std::move(finished));
      for (auto& ev : outcome.events) queue.push_back(std::move(ev));
    }
  }
  return out;
}

namespace {
std::vector<std::string> answer_utterances(Session& session, std::vector<Dict> pending) {
  std::vector<std::string> scripts;
  for (int round = 0; round == 0 || !pending.empty(); ++round) {
    if (round == kMaxRounds)
      throw std::runtime_error("the bot keeps talking: more than 1000 rounds in one turn");
    std::vector<Dict> out;
    try {
      out = session.process(std::move(pending));
    } catch (ActionError& e) {
      e.utterances_before = scripts;
      throw;
    }
    pending.clear();
    for (const auto& o : out) {
      const Value* type = o.find("type");
      if (!type || !type->is_str() || type->as_str() != "StartUtteranceBotAction") continue;
      const Value* script = o.find("script");
      const Value* uid = o.find("action_uid");
      std::string text = script ? colang::to_python_str(*script) : "";
      scripts.push_back(text);
      Dict started;
      started.set("type", "UtteranceBotActionStarted");
      if (uid) started.set("action_uid", *uid);
      Dict finished;
      finished.set("type", "UtteranceBotActionFinished");
      if (uid) finished.set("action_uid", *uid);
      finished.set("is_success", true);
      finished.set("final_script", text);
      pending.push_back(std::move(started));
      pending.push_back(std::move(finished));
    }
  }
  return scripts;
}
}  // namespace

std::vector<std::string> Session::start() {
  // process() starts the waiting main and the @active flows.
  return answer_utterances(*this, {});
}

std::vector<std::string> Session::user_said(std::string_view text) {
  Dict e;
  e.set("type", "UtteranceUserActionFinished");
  e.set("final_transcript", std::string(text));
  return answer_utterances(*this, {std::move(e)});
}

std::vector<FlowSummary> Session::flows() const {
  std::vector<FlowSummary> out;
  for (const auto& [uid, f] : state_->flow_states) {
    FlowSummary s;
    s.uid = uid;
    s.flow_id = f->flow_id;
    s.status = std::string(flow_status_name(f->status));
    s.activated = f->activated;
    s.loop_id = f->loop_id;
    for (const auto& [hu, h] : f->heads) {
      if (h.status == HeadStatus::kInactive) continue;
      if (h.position < static_cast<int>(f->config->elements.size())) {
        const Element& el = f->config->elements[h.position];
        std::string what = std::string(element_kind_name(el.kind));
        if (!el.event_name.empty()) what += " " + el.event_name;
        else if (!el.spec.name.empty()) what += " " + el.spec.name;
        s.waiting_on.push_back(what);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string Session::state_json() const { return state_to_json(*state_).dump(2); }

}  // namespace rg::runtime
