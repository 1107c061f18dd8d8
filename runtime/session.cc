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
}

std::vector<Dict> Session::process(std::vector<Dict> events) {
  // Outgoing events are fed back in, so flows see their own actions (B.10).
  std::deque<Dict> queue(events.begin(), events.end());
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
      out.push_back(o);
      queue.push_back(std::move(o));
    }
  }
  return out;
}

namespace {
std::vector<std::string> answer_utterances(Session& session, std::vector<Dict> pending) {
  std::vector<std::string> scripts;
  for (int round = 0; !pending.empty(); ++round) {
    if (round == kMaxRounds)
      throw std::runtime_error("the bot keeps talking: more than 1000 rounds in one turn");
    std::vector<Dict> out = session.process(std::move(pending));
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
  std::vector<Dict> events;
  for (const auto& id : library_->active_flow_ids()) events.push_back(start_flow_event(id, true));
  events.push_back(start_flow_event("main"));
  return answer_utterances(*this, std::move(events));
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
