// The Colang 2.x state machine: run_to_completion (spec B.7-B.9).
//
// One input event is processed with every internal event it causes, until no
// flow head can advance. Heads slide over non-blocking elements, stop at
// `match` (waiting) or at an outgoing `send` (actionable); actionable heads of
// one interaction loop compete in conflict resolution, winners emit their
// events and slide on.
#include <algorithm>
#include <cstdlib>
#include <set>
#include <stdexcept>

#include "runtime/internal/machine.h"
#include "runtime/runtime.h"

namespace rg::runtime {
namespace {

using colang::Dict;
using colang::List;
using colang::Value;
using namespace internal;

// A head by its flow (FlowStates never move or die while the State lives)
// and its uid (heads do die: merges and waits delete them).
struct HeadRef {
  FlowState* flow;
  std::string head_uid;
  bool operator==(const HeadRef& o) const { return flow == o.flow && head_uid == o.head_uid; }
};

bool is_listening(const FlowState& f) {
  return f.status == FlowStatus::kWaiting || f.status == FlowStatus::kStarting ||
         f.status == FlowStatus::kStarted;
}
bool is_active(const FlowState& f) {
  return f.status == FlowStatus::kStarting || f.status == FlowStatus::kStarted;
}

// Python list ordering of score chains.
bool scores_greater(const std::vector<double>& a, const std::vector<double>& b) {
  return std::lexicographical_compare(b.begin(), b.end(), a.begin(), a.end());
}

bool is_system_argument(std::string_view k) {
  return k == "flow_id" || k == "flow_instance_uid" || k == "flow_hierarchy_position" ||
         k == "source_flow_instance_uid" || k == "source_head_uid" || k == "activated" ||
         k == "deactivate" || k == "context";
}

// Done flow instances tolerated beyond the live ones before a prune.
constexpr size_t kPruneSlack = 64;

class Machine {
 public:
  explicit Machine(State& s) : s_(s) {}
  int events_processed_ = 0;

  void run(Event input) {
    // Between two input events nothing is queued, so every reference to a
    // flow is in a variable, a scope or a live flow: a safe point to drop the
    // finished instances nothing reaches (cost amortised over kPruneEvery).
    if (s_.flow_states.size() > std::max(s_.prune_at, s_.live_flows.size() + kPruneSlack)) {
      prune_done_flows(s_);
      s_.prune_at = s_.flow_states.size() + kPruneSlack;  // what stays is referenced
    }
    s_.internal_events.clear();
    s_.internal_events.push_back(std::move(input));
    s_.outgoing_events.clear();
    std::vector<HeadRef> actionable;
    while (true) {
      while (true) {
        while (!s_.internal_events.empty()) {
          if (++events_processed_ > s_.options.max_internal_events)
            throw RuntimeBudgetExceeded(
                "the event cascade did not settle after " +
                std::to_string(s_.options.max_internal_events) +
                " internal events (flows that keep triggering each other?)");
          Event e = std::move(s_.internal_events.front());
          s_.internal_events.pop_front();
          append_unique(actionable, process_event(e));
        }
        std::vector<HeadRef> merging, active;
        for (const auto& r : actionable) {
          FlowHead* h = head(r);
          if (!h) continue;
          if (h->status == HeadStatus::kMerging) merging.push_back(r);
          else if (h->status == HeadStatus::kActive) active.push_back(r);
        }
        actionable = std::move(active);
        if (merging.empty()) break;
        append_unique(actionable, advance(merging));
      }
      std::vector<HeadRef> ready;
      for (const auto& r : actionable) {
        FlowState* f = r.flow;
        FlowHead* h = head(r);
        if (f && h && h->status == HeadStatus::kActive && is_active(*f) && is_actionable(*f, *h))
          ready.push_back(r);
      }
      // Each round emits at least one outgoing event; a flow that keeps
      // sending without ever waiting would otherwise never return.
      if (!ready.empty() && ++events_processed_ > s_.options.max_internal_events)
        throw RuntimeBudgetExceeded("flows kept emitting events without waiting (" +
                                    std::to_string(s_.options.max_internal_events) +
                                    " events in one step; a `while` loop around `send`?)");
      actionable = advance(resolve_conflicts(ready));
      if (actionable.empty() && s_.internal_events.empty()) break;
    }
  }

 private:
  State& s_;

  static void append_unique(std::vector<HeadRef>& to, const std::vector<HeadRef>& from) {
    for (const auto& r : from)
      if (std::find(to.begin(), to.end(), r) == to.end()) to.push_back(r);
  }

  FlowHead* head(const HeadRef& r) {
    auto it = r.flow->heads.find(r.head_uid);
    return it == r.flow->heads.end() ? nullptr : &it->second;
  }

  const Element* element_at(const FlowState& f, const FlowHead& h) const {
    if (h.position < 0 || h.position >= static_cast<int>(f.config->elements.size())) return nullptr;
    return &f.config->elements[h.position];
  }

  bool is_actionable(const FlowState& f, const FlowHead& h) const {
    const Element* el = element_at(f, h);
    return el && el->kind == ElementKind::kSend;
  }

  // ------------------------------------------------------------ event queue
  void push(Event e) { s_.internal_events.push_back(std::move(e)); }
  void push_front(Event e) { s_.internal_events.push_front(std::move(e)); }

  Event flow_event(const std::string& name, const FlowState& f, const std::vector<double>& scores) {
    Event e;
    e.cls = Event::Class::kInternal;
    e.name = name;
    for (const auto& a : f.arguments)
      if (const Value* v = f.context->find(a)) e.args->set(a, *v);
    e.args->set("source_flow_instance_uid", f.uid);
    e.args->set("flow_id", f.flow_id);
    e.args->set("flow_instance_uid", f.uid);
    e.matching_scores = scores;
    e.flow_uid = f.uid;
    return e;
  }

  void push_colang_error(const std::string& type, const std::string& message,
                         const std::vector<double>& scores) {
    Event e;
    e.cls = Event::Class::kPlain;
    e.name = "ColangError";
    e.args->set("type", type);
    e.args->set("error", message);
    e.matching_scores = scores;
    push(std::move(e));
  }

  void emit(const Event& e) {
    s_.outgoing_events.push_back(to_umim(s_, e));
    trace("emit " + e.name);
  }

  void trace(const std::string& what) {
    if (s_.options.trace) s_.options.trace(what);
  }

  static std::string scores_str(const std::vector<double>& v) {
    std::string s = "[";
    for (double d : v) s += colang::to_python_repr(Value(d)) + ",";
    return s + "]";
  }

  // ------------------------------------------------------------ flow instances
  FlowState& create_instance(std::shared_ptr<const FlowConfig> shared, const std::string& uid) {
    if (s_.live_flows.size() >= s_.options.max_live_flows)
      throw RuntimeBudgetExceeded("more than " + std::to_string(s_.options.max_live_flows) +
                                  " flow instances alive at once (a loop that starts flows "
                                  "without waiting for them?)");
    const FlowConfig& config = *shared;
    auto f = std::make_unique<FlowState>();
    f->uid = uid;
    f->flow_id = config.id;
    f->config = std::move(shared);
    f->hierarchy_position = "0";
    FlowHead h;
    h.uid = s_.new_head_uid();
    h.flow_uid = uid;
    f->heads.emplace(h.uid, std::move(h));
    for (const auto& p : config.parameters) f->arguments.push_back(p.name);
    for (size_t i = 0; i < config.parameters.size(); ++i)
      f->arguments.push_back("$" + std::to_string(i));
    FlowState& ref = *f;
    s_.flow_states[uid] = std::move(f);
    s_.live_flows.push_back(&ref);
    s_.flow_id_states[config.id].push_back(uid);
    for (const auto& m : config.return_members)
      ref.context->set(m.name, m.default_value ? eval_in_flow(s_, ref, *m.default_value) : Value());
    return ref;
  }

  void drop_from_live(FlowState& f) {
    if (f.uid == s_.main_flow_uid) return;
    auto& same_id = s_.flow_id_states[f.flow_id];
    same_id.erase(std::remove(same_id.begin(), same_id.end(), f.uid), same_id.end());
    auto it = std::find(s_.live_flows.begin(), s_.live_flows.end(), &f);
    if (it != s_.live_flows.end()) s_.live_flows.erase(it);
  }

  std::string loop_for(const FlowConfig& config, const std::string& inherited) {
    switch (config.loop_type) {
      case FlowConfig::LoopType::kNew:
        return s_.new_uuid();
      case FlowConfig::LoopType::kNamed:
        return config.loop_id;
      case FlowConfig::LoopType::kParent:
        break;
    }
    return inherited;
  }

  // The instance has matched its own StartFlow: link it, bind arguments.
  void start_flow(FlowState& f, const Dict& args) {
    const FlowConfig& config = *f.config;
    if (const Value* pos = args.find("flow_hierarchy_position"); pos && pos->is_str())
      f.hierarchy_position = pos->as_str();
    std::string parent_loop;
    if (const FlowState* main = s_.flow(s_.main_flow_uid)) parent_loop = main->loop_id;
    if (const Value* src = args.find("source_flow_instance_uid"); src && src->is_str()) {
      if (FlowState* parent = s_.flow(src->as_str()); parent && parent != &f) {
        f.parent_uid = parent->uid;
        if (const Value* hu = args.find("source_head_uid"); hu && hu->is_str())
          f.parent_head_uid = hu->as_str();
        parent->child_flow_uids.push_back(f.uid);
        parent_loop = parent->loop_id;
      }
    }
    if (f.uid != s_.main_flow_uid) f.loop_id = loop_for(config, parent_loop);
    if (const Value* act = args.find("activated")) {
      if (act->is_bool()) f.activated = act->as_bool() ? std::max(f.activated, 1) : f.activated;
      else if (act->is_int()) f.activated = static_cast<int>(act->as_int());
    }
    // `context=$self.context` shares the caller's variables (the same dict,
    // as in the reference), e.g. for flows generated at run time.
    if (const Value* ctx = args.find("context"); ctx && ctx->is_dict()) f.context = ctx->dict_ptr();
    // Named arguments become variables; positional ones ("$0") only map onto
    // the parameters below (the reference keeps no "$0" variable).
    for (const auto& [k, v] : args)
      if (!is_system_argument(k) && !k.empty() && k[0] != '$') f.context->set(k, v);
    for (size_t i = 0;; ++i) {
      const Value* v = args.find("$" + std::to_string(i));
      if (!v) break;
      if (i >= config.parameters.size())
        throw EvalError("ColangValueError",
                        "too many positional arguments for flow '" + f.flow_id + "'");
      f.context->set(config.parameters[i].name, *v);
    }
    for (const auto& p : config.parameters) {
      if (f.context->contains(p.name)) continue;
      f.context->set(p.name,
                    p.default_value ? eval_in_flow(s_, f, *p.default_value) : Value());
    }
  }

  Event restart_event(const FlowState& f, const std::vector<double>& scores) {
    Event e;
    e.cls = Event::Class::kInternal;
    e.name = "StartFlow";
    for (const auto& a : f.arguments)
      if (const Value* v = f.context->find(a)) e.args->set(a, *v);
    e.args->set("flow_id", f.flow_id);
    e.args->set("flow_instance_uid", "(" + f.flow_id + ")" + s_.new_uuid());
    e.args->set("flow_hierarchy_position", f.hierarchy_position);
    if (!f.parent_uid.empty()) {
      e.args->set("source_flow_instance_uid", f.parent_uid);
      e.args->set("source_head_uid", f.parent_head_uid);
    }
    e.args->set("activated", static_cast<int64_t>(f.activated));
    e.matching_scores = scores;
    return e;
  }

  void stop_actions(FlowState& f) {
    for (const auto& uid : f.action_uids) {
      auto it = s_.actions.find(uid);
      if (it == s_.actions.end()) continue;
      stop_action(it->second);
    }
  }

  void stop_action(Action& a) {
    if (a.status != ActionStatus::kStarting && a.status != ActionStatus::kStarted) return;
    if (--a.flow_scope_count > 0) return;
    Event stop;
    stop.cls = Event::Class::kAction;
    stop.name = "Stop" + a.name;
    stop.action_uid = a.uid;
    a.status = ActionStatus::kStopping;
    emit(stop);
  }

  void end_children(FlowState& f, const std::vector<double>& scores) {
    std::vector<std::string> children = f.child_flow_uids;
    for (const auto& c : children) {
      FlowState* child = s_.flow(c);
      if (child && is_listening(*child) && child->activated == 0) abort_flow(*child, scores);
    }
  }

  void reset_main(FlowState& f) {
    FlowHead h;
    h.uid = s_.new_head_uid();
    h.flow_uid = f.uid;
    f.heads.emplace(h.uid, std::move(h));
    f.status = FlowStatus::kWaiting;
  }

  void push_intent_logs(const FlowState& f, const std::vector<double>& scores) {
    const FlowConfig& c = *f.config;
    auto log = [&](const char* name) {
      Event e = flow_event(name, f, scores);
      push(std::move(e));
    };
    if (c.meta_user_intent) log("UserIntentLog");
    if (c.meta_bot_intent) log("BotIntentLog");
    if (c.meta_user_action) log("UserActionLog");
    if (c.meta_bot_action) log("BotActionLog");
  }

  // What follows a flow's end, finished or failed: main waits for the host
  // to start it again; other flows leave the live list, and an activated one
  // restarts (unless deactivated, or a new instance already started early).
  void after_end(FlowState& f, const std::vector<double>& scores, bool deactivate) {
    if (deactivate) f.activated = 0;
    if (f.uid == s_.main_flow_uid) {
      reset_main(f);
      return;
    }
    drop_from_live(f);
    if (f.activated > 0 && !f.new_instance_started) {
      f.new_instance_started = true;
      push_front(restart_event(f, scores));
    }
  }

  // Scores are taken by value: callers pass a head's scores and the head dies here.
  void finish_flow(FlowState& f, std::vector<double> scores, bool deactivate = false) {
    if (!is_listening(f)) return;
    if (f.status == FlowStatus::kStarting) {
      // Parents wait for FlowStarted before anything else.
      f.status = FlowStatus::kStarted;
      push(flow_event("FlowStarted", f, scores));
    }
    end_children(f, scores);
    stop_actions(f);
    f.heads.clear();
    f.head_fork_uids.clear();
    f.status = FlowStatus::kFinished;
    Event done = flow_event("FlowFinished", f, scores);
    if (const Value* rv = f.context->find("_return_value")) done.args->set("return_value", *rv);
    push(std::move(done));
    push_intent_logs(f, scores);
    after_end(f, scores, deactivate);
  }

  void abort_flow(FlowState& f, std::vector<double> scores, bool deactivate = false) {
    if (!is_listening(f) && f.status != FlowStatus::kStopping) return;
    // An activated flow that fails before it ever waited (an error in its
    // first statements) would fail again on every restart, forever: it is
    // not restarted (docs/colang-divergences.md).
    if (f.activated > 0 && (f.status == FlowStatus::kStarting || f.status == FlowStatus::kWaiting))
      f.new_instance_started = true;
    end_children(f, scores);
    stop_actions(f);
    f.heads.clear();
    f.head_fork_uids.clear();
    f.status = FlowStatus::kStopped;
    push(flow_event("FlowFailed", f, scores));
    after_end(f, scores, deactivate);
  }

  // ------------------------------------------------------------ system events
  bool args_subset_of_flow(const Dict& args, const FlowState& f) {
    for (const auto& [k, v] : args) {
      if (is_system_argument(k)) continue;
      std::string key = k;
      if (key.size() > 1 && key[0] == '$') {  // positional: the parameter at that index
        size_t i = std::strtoul(key.c_str() + 1, nullptr, 10);
        if (i >= f.config->parameters.size()) return false;
        key = f.config->parameters[i].name;
      }
      const Value* fv = f.context->find(key);
      if (!fv || !(*fv == v)) return false;
    }
    return true;
  }

  FlowState* activated_instance(const std::string& flow_id, const FlowConfig& config,
                                const Dict& args) {
    auto it = s_.flow_id_states.find(flow_id);
    if (it == s_.flow_id_states.end()) return nullptr;
    for (const auto& uid : it->second) {
      FlowState* f = s_.flow(uid);
      if (!f || f->activated == 0 || !is_listening(*f) || f->new_instance_started) continue;
      bool same = true;
      for (size_t i = 0; i < config.parameters.size() && same; ++i) {
        const Value* v = args.find(config.parameters[i].name);
        if (!v) v = args.find("$" + std::to_string(i));
        const Value* current = f->context->find(config.parameters[i].name);
        Value given = v ? *v : Value();
        if (!v && config.parameters[i].default_value) continue;  // default on both sides
        same = current ? *current == given : given.is_none();
      }
      if (same) return f;
    }
    return nullptr;
  }

  // Handles StartFlow/FinishFlow/StopFlow. Returns the interaction loops in
  // which the event counts as handled: those of the flows a FinishFlow or
  // StopFlow ended, and kAllLoops for a StartFlow of a defined flow (also
  // when it only re-activates an existing instance). Only a StartFlow of an
  // undefined flow stays unhandled.
  static constexpr const char* kAllLoops = "\x01all";
  std::set<std::string> process_system_event(const Event& e) {
    std::set<std::string> handled;
    const Dict& args = *e.args;
    if (e.name == "StartFlow") {
      const Value* id = args.find("flow_id");
      if (!id || !id->is_str() || id->as_str() == "main") return handled;
      std::shared_ptr<const FlowConfig> config = s_.library->find_shared(id->as_str());
      if (!config) return handled;
      handled.insert(kAllLoops);
      const Value* act = args.find("activated");
      if (act && act->truthy()) {
        if (FlowState* existing = activated_instance(id->as_str(), *config, args)) {
          // Activation is idempotent per (flow, arguments): count it and let
          // the activating flow proceed.
          existing->activated += 1;
          Event started = flow_event("FlowStarted", *existing, e.matching_scores);
          if (const Value* inst = args.find("flow_instance_uid"))
            started.args->set("flow_instance_uid", *inst);
          push(std::move(started));
          return handled;
        }
      }
      const Value* inst = args.find("flow_instance_uid");
      std::string uid = inst && inst->is_str() ? inst->as_str()
                                               : "(" + config->id + ")" + s_.new_uuid();
      if (s_.flow(uid)) return handled;  // already exists
      create_instance(config, uid);
    } else if (e.name == "FinishFlow" || e.name == "StopFlow") {
      bool finish = e.name == "FinishFlow";
      const Value* deact = args.find("deactivate");
      bool deactivate = deact && deact->truthy();
      std::vector<FlowState*> targets;
      if (const Value* inst = args.find("flow_instance_uid"); inst && inst->is_str()) {
        if (FlowState* f = s_.flow(inst->as_str())) targets.push_back(f);
      } else if (const Value* id = args.find("flow_id"); id && id->is_str()) {
        auto it = s_.flow_id_states.find(id->as_str());
        if (it != s_.flow_id_states.end())
          for (const auto& uid : it->second)
            if (FlowState* f = s_.flow(uid); f && is_listening(*f) && args_subset_of_flow(args, *f))
              targets.push_back(f);
      }
      for (FlowState* f : targets) {
        if (!is_listening(*f) || f->status == FlowStatus::kWaiting) continue;
        handled.insert(f->loop_id);
        if (finish) finish_flow(*f, e.matching_scores, deactivate);
        else abort_flow(*f, e.matching_scores, deactivate);
      }
    }
    return handled;
  }

  // ------------------------------------------------------------ matching
  std::string waiting_event_name(FlowState& f, const FlowHead& h) {
    const Element* el = element_at(f, h);
    if (!el || el->kind != ElementKind::kMatch) return "";
    if (!el->event_name.empty()) return el->event_name;
    try {
      return match_event_name(s_, f, el->spec);
    } catch (const std::exception&) {
      return "";
    }
  }

  std::vector<HeadRef> candidates(const Event& e) {
    struct Cand {
      HeadRef ref;
      int loop_priority;
      const std::string* position;
    };
    std::vector<Cand> out;
    bool finished = e.name == "FlowFinished", failed = e.name == "FlowFailed";
    for (FlowState* f : s_.live_flows) {
      if (!is_listening(*f)) continue;
      for (auto& [hu, h] : f->heads) {
        if (h.status == HeadStatus::kInactive) continue;
        std::string name = waiting_event_name(*f, h);
        if (name.empty()) continue;
        bool ok = name == e.name ||
                  (finished && (name == "FlowStarted" || name == "FlowFailed")) ||
                  (failed && (name == "FlowStarted" || name == "FlowFinished"));
        if (ok) out.push_back({{f, hu}, f->config->loop_priority, &f->hierarchy_position});
      }
    }
    std::stable_sort(out.begin(), out.end(), [](const Cand& a, const Cand& b) {
      if (a.loop_priority != b.loop_priority) return a.loop_priority > b.loop_priority;
      return *a.position < *b.position;
    });
    std::vector<HeadRef> refs;
    refs.reserve(out.size());
    for (auto& c : out) refs.push_back(std::move(c.ref));
    return refs;
  }

  void bind_capture(FlowState& f, const Element& el, const Event& e) {
    const std::string& name = el.spec.capture;
    if (name.empty()) return;
    // The event itself (`$e.arguments.return_value`); members such as
    // `$e.Finished()` still reach its action or flow (matching.cc).
    colang::EventValue ev;
    ev.name = e.name;
    ev.arguments = std::make_shared<Dict>(*e.args);
    if (e.cls == Event::Class::kAction && !e.action_uid.empty() && !ev.arguments->contains("action_uid"))
      ev.arguments->set("action_uid", e.action_uid);
    ev.flow_uid = e.flow_uid;
    assign_variable(s_, f, name, Value(std::move(ev)));
  }

  void update_action(const Event& e) {
    auto it = s_.actions.find(e.action_uid);
    if (it == s_.actions.end()) return;
    Action& a = it->second;
    if (e.name.size() <= a.name.size() || e.name.compare(0, a.name.size(), a.name) != 0) return;
    std::string_view suffix = std::string_view(e.name).substr(a.name.size());
    if (suffix == "Started") {
      a.status = ActionStatus::kStarted;
    } else if (suffix == "Finished") {
      a.status = ActionStatus::kFinished;
    } else if (suffix.size() < 7 || suffix.substr(suffix.size() - 7) != "Updated") {
      return;
    }
    for (const auto& [k, v] : *e.args)
      if (k != "action_arguments") a.context.set(k, v);
  }

  std::vector<HeadRef> process_event(Event& e) {
    std::set<std::string> loops;
    for (const FlowState* f : s_.live_flows)
      if (is_listening(*f)) loops.insert(f->loop_id);

    if (e.name == "ContextUpdate")
      if (const Value* data = e.args->find("data"); data && data->is_dict())
        for (const auto& [k, v] : data->as_dict()) s_.globals.set(k, v);

    std::set<std::string> handled = process_system_event(e);

    std::vector<std::pair<HeadRef, FlowState*>> matching;
    std::vector<HeadRef> failing;
    bool all_loops = handled.count(kAllLoops) > 0;
    for (const auto& r : candidates(e)) {
      FlowState* f = r.flow;
      FlowHead* h = head(r);
      if (!f || !h || !is_listening(*f)) continue;
      const Element* el = element_at(*f, *h);
      if (!el || el->kind != ElementKind::kMatch) continue;
      double score;
      try {
        score = matching_score(s_, *f, *h, e);
      } catch (const EvalError& ex) {
        push_colang_error(ex.type(), ex.what(), h->matching_scores);
        abort_flow(*f, h->matching_scores);
        continue;
      }
      if (s_.options.trace)
        trace("score " + e.name + " -> " + f->flow_id + "@" + std::to_string(h->position) + " = " +
              std::to_string(score) + " chain " + scores_str(e.matching_scores));
      if (score > 0.0) {
        h->matching_scores = e.matching_scores;
        h->matching_scores.push_back(score);
        matching.emplace_back(r, f);
        if (e.name == "StartFlow") all_loops = true;
        else handled.insert(f->loop_id);
      } else if (score < 0.0) {
        failing.push_back(r);
      }
    }

    if (!all_loops && e.name != "UnhandledEvent") {
      List unhandled;
      for (const auto& l : loops)
        if (!handled.count(l)) unhandled.emplace_back(l);
      if (!unhandled.empty()) {
        Event u;
        u.cls = Event::Class::kInternal;
        u.name = "UnhandledEvent";
        *u.args = *e.args;
        u.args->set("event", e.name);
        u.args->set("loop_ids", Value::make_set(std::move(unhandled)));
        u.matching_scores = e.matching_scores;
        push(std::move(u));
      }
    }

    std::stable_sort(matching.begin(), matching.end(), [&](const auto& a, const auto& b) {
      return scores_greater(head(a.first)->matching_scores, head(b.first)->matching_scores);
    });

    std::vector<HeadRef> to_advance;
    for (auto& [r, f] : matching) {
      FlowHead* h = head(r);
      if (!h) continue;
      const Element& el = f->config->elements[h->position];
      bind_capture(*f, el, e);
      if (e.name == "StartFlow" && h->position == 0) {
        const Value* id = e.args->find("flow_id");
        if (id && id->is_str() && id->as_str() == f->flow_id) {
          try {
            start_flow(*f, *e.args);
          } catch (const EvalError& ex) {
            push_colang_error(ex.type(), ex.what(), h->matching_scores);
            abort_flow(*f, h->matching_scores);
            continue;
          }
        }
      } else if (e.name == "FlowStarted") {
        for (const auto& scope : h->scope_uids) {
          auto it = f->scopes.find(scope);
          if (it != f->scopes.end()) it->second.flow_uids.push_back(e.flow_uid);
        }
      }
      to_advance.push_back(r);
    }

    if (e.cls == Event::Class::kAction && !e.action_uid.empty()) update_action(e);

    for (const auto& r : failing) {
      FlowState* f = r.flow;
      FlowHead* h = head(r);
      if (!f || !h || !is_listening(*f)) continue;
      if (!h->catch_labels.empty()) {
        h->position = f->config->labels.at(h->catch_labels.back());
        to_advance.push_back(r);
      } else {
        abort_flow(*f, h->matching_scores);
      }
    }
    return advance(to_advance);
  }

  // ------------------------------------------------------------ advancing
  bool all_heads_waiting(const FlowState& f) const {
    for (const auto& [uid, h] : f.heads) {
      if (h.status == HeadStatus::kInactive) continue;
      if (h.status == HeadStatus::kMerging) return false;
      const Element* el = element_at(f, h);
      if (!el) continue;
      bool waits = (el->kind == ElementKind::kMatch && !el->internal_match) ||
                   el->kind == ElementKind::kWaitForHeads;
      if (!waits) return false;
    }
    return true;
  }

  std::vector<HeadRef> advance(const std::vector<HeadRef>& heads) {
    std::vector<HeadRef> actionable;
    for (const auto& r : heads) {
      FlowState* f = r.flow;
      FlowHead* h = head(r);
      if (!f || !h || h->status == HeadStatus::kInactive) continue;
      if (!is_listening(*f) && f->status != FlowStatus::kStopping) continue;
      if (h->status == HeadStatus::kMerging && !s_.internal_events.empty()) {
        append_unique(actionable, {r});
        continue;
      }
      if (h->status == HeadStatus::kActive) h->position += 1;
      if (f->status == FlowStatus::kWaiting) f->status = FlowStatus::kStarting;

      bool flow_done = false;
      try {
        std::vector<HeadRef> forked = slide(*f, r);
        if (!forked.empty()) append_unique(actionable, advance(forked));
        h = head(r);
        if (h && h->status == HeadStatus::kMerging) append_unique(actionable, {r});
        if (h && h->position >= static_cast<int>(f->config->elements.size()) &&
            (is_listening(*f) || f->status == FlowStatus::kStopping)) {
          flow_done = true;
          if (f->status == FlowStatus::kStopping) {
            abort_flow(*f, h->matching_scores);
          } else if (f->activated > 0 && f->status == FlowStatus::kStarting) {
            // An activated flow that ends before it ever waits would restart
            // forever; it stays started with an inactive head instead.
            f->status = FlowStatus::kStarted;
            h->status = HeadStatus::kInactive;
            push(flow_event("FlowStarted", *f, h->matching_scores));
          } else {
            finish_flow(*f, h->matching_scores);
          }
        }
      } catch (const EvalError& ex) {
        FlowHead* hh = head(r);
        std::vector<double> scores = hh ? hh->matching_scores : std::vector<double>{};
        push_colang_error(ex.type(), std::string(ex.what()) + " (flow '" + f->flow_id + "')",
                          scores);
        abort_flow(*f, scores);
        flow_done = true;
      }
      if (flow_done || !is_listening(*f)) continue;
      h = head(r);
      if (f->status == FlowStatus::kStarting && all_heads_waiting(*f)) {
        f->status = FlowStatus::kStarted;
        push(flow_event("FlowStarted", *f, h ? h->matching_scores : std::vector<double>{}));
      } else if (h && h->status == HeadStatus::kActive && is_actionable(*f, *h)) {
        append_unique(actionable, {r});
      }
    }
    return actionable;
  }

  std::vector<std::string> descendants(const FlowState& f, const std::string& parent) {
    std::vector<std::string> out;
    std::vector<std::string> frontier = {parent};
    while (!frontier.empty()) {
      std::string p = frontier.back();
      frontier.pop_back();
      for (const auto& [uid, h] : f.heads)
        if (h.fork_parent == p) {
          out.push_back(uid);
          frontier.push_back(uid);
        }
    }
    return out;
  }

  // Slides one head over non-blocking elements. Returns heads created by a
  // fork (or the parent head that continues after a merge); the caller
  // advances them.
  std::vector<HeadRef> slide(FlowState& f, const HeadRef& r) {
    std::vector<HeadRef> new_heads;
    const FlowConfig& c = *f.config;
    const int end = static_cast<int>(c.elements.size());
    for (int steps = 0;; ++steps) {
      if (steps > s_.options.max_slide_steps)
        throw EvalError("RuntimeError", "flow '" + f.flow_id + "' ran " +
                                            std::to_string(s_.options.max_slide_steps) +
                                            " steps without waiting for an event (an endless loop?)");
      FlowHead* h = head(r);
      if (!h || h->position >= end || h->status == HeadStatus::kInactive) break;
      if (!is_listening(f) && f.status != FlowStatus::kStopping) break;
      const Element& el = c.elements[h->position];
      switch (el.kind) {
        case ElementKind::kMatch:
          return new_heads;
        case ElementKind::kSend: {
          Event ev = event_from_element(s_, f, el.spec);
          if (!is_internal_event_name(ev.name)) return new_heads;  // actionable
          if (ev.name == "StartFlow")
            ev.args->set("flow_hierarchy_position",
                         f.hierarchy_position + "." + std::to_string(h->position));
          ev.args->set("source_flow_instance_uid", f.uid);
          ev.args->set("source_head_uid", h->uid);
          ev.cls = Event::Class::kInternal;
          ev.matching_scores = h->matching_scores;
          push(std::move(ev));
          h->position += 1;
          break;
        }
        case ElementKind::kNewActionInstance: {
          Action a;
          a.uid = s_.new_uuid();
          a.name = el.spec.name;
          a.flow_uid = f.uid;
          FlowEvalHost host(s_, f);
          for (const auto& arg : el.spec.args)
            a.start_event_arguments.set(arg.name, evaluate(*arg.value, host));
          a.context = a.start_event_arguments;  // `$action.context.script` reads them
          std::string uid = a.uid;
          s_.actions.emplace(uid, std::move(a));
          f.action_uids.push_back(uid);
          for (const auto& scope : h->scope_uids) f.scopes[scope].action_uids.push_back(uid);
          assign_variable(s_, f, el.name, Value(colang::ActionRef{uid}));
          h->position += 1;
          break;
        }
        case ElementKind::kLabel:
          if (el.name == "start_new_flow_instance" && f.status == FlowStatus::kStarted &&
              !f.new_instance_started) {
            f.new_instance_started = true;
            push_front(restart_event(f, h->matching_scores));
          }
          h->position += 1;
          break;
        case ElementKind::kGoto:
          if (!el.expr || eval_in_flow(s_, f, *el.expr).truthy())
            h->position = c.labels.at(el.name);
          else
            h->position += 1;
          break;
        case ElementKind::kForkHead: {
          h->status = HeadStatus::kInactive;
          f.head_fork_uids[el.fork_id] = h->uid;
          FlowHead parent = *h;
          for (const auto& l : el.labels) {
            FlowHead nh;
            nh.uid = s_.new_head_uid();
            nh.flow_uid = f.uid;
            nh.position = c.labels.at(l);
            nh.matching_scores = parent.matching_scores;
            nh.scope_uids = parent.scope_uids;
            nh.catch_labels = parent.catch_labels;
            nh.fork_parent = parent.uid;
            new_heads.push_back({&f, nh.uid});
            f.heads.emplace(nh.uid, std::move(nh));
          }
          return new_heads;
        }
        case ElementKind::kMergeHeads: {
          auto fork = f.head_fork_uids.find(el.fork_id);
          if (fork == f.head_fork_uids.end() || !f.heads.count(fork->second)) {
            h->position += 1;
            break;
          }
          if (h->status != HeadStatus::kMerging) {
            h->status = HeadStatus::kMerging;  // merges wait for an empty queue
            return new_heads;
          }
          std::string parent_uid = fork->second;
          std::vector<std::string> family = descendants(f, parent_uid);
          std::vector<FlowHead*> arrived;
          for (const auto& uid : family) {
            FlowHead& x = f.heads.at(uid);
            const Element* at = element_at(f, x);
            if (x.status == HeadStatus::kMerging && at && at->kind == ElementKind::kMergeHeads &&
                at->fork_id == el.fork_id)
              arrived.push_back(&x);
          }
          // The best-scored arriving head continues (score chains compare as
          // Python lists: an equal prefix makes the longer chain greater);
          // exact ties are broken by the seeded generator (spec B.7).
          FlowHead* picked = h;
          std::vector<FlowHead*> best;
          for (FlowHead* x : arrived) {
            if (best.empty() || scores_greater(x->matching_scores, best[0]->matching_scores)) {
              best = {x};
            } else if (!scores_greater(best[0]->matching_scores, x->matching_scores)) {
              best.push_back(x);
            }
          }
          if (!best.empty())
            picked = best[std::min(best.size() - 1,
                                   static_cast<size_t>(s_.random() * static_cast<double>(best.size())))];
          FlowHead& parent = f.heads.at(parent_uid);
          parent.position = picked->position;
          parent.status = HeadStatus::kActive;
          parent.matching_scores = picked->matching_scores;
          parent.catch_labels = picked->catch_labels;
          parent.scope_uids = picked->scope_uids;
          for (const auto& uid : family) f.heads.erase(uid);
          f.head_fork_uids.erase(el.fork_id);
          new_heads.push_back({&f, parent_uid});
          return new_heads;
        }
        case ElementKind::kWaitForHeads: {
          std::vector<std::string> here;
          for (const auto& [uid, x] : f.heads)
            if (x.status != HeadStatus::kInactive && x.position == h->position) here.push_back(uid);
          if (static_cast<int>(here.size()) < el.count) return new_heads;
          for (const auto& uid : here)
            if (uid != h->uid) f.heads.erase(uid);
          h = head(r);
          h->position += 1;
          break;
        }
        case ElementKind::kAssignment:
          assign_variable(s_, f, el.name, eval_in_flow(s_, f, *el.expr));
          h->position += 1;
          break;
        case ElementKind::kReturn:
          f.context->set("_return_value", el.expr ? eval_in_flow(s_, f, *el.expr) : Value());
          h->position = end;
          break;
        case ElementKind::kAbort:
          if (!h->catch_labels.empty()) {
            h->position = c.labels.at(h->catch_labels.back());
          } else {
            f.status = FlowStatus::kStopping;
            h->position = end;
          }
          break;
        case ElementKind::kBreak:
        case ElementKind::kContinue:
          h->position = c.labels.at(el.name);
          break;
        case ElementKind::kGlobal:
          f.context->set("_global_" + el.name, Value());
          if (!s_.globals.contains(el.name)) s_.globals.set(el.name, Value());
          h->position += 1;
          break;
        case ElementKind::kLog:
        case ElementKind::kPrint: {
          Value v = eval_in_flow(s_, f, *el.expr);
          if (s_.options.on_print)
            s_.options.on_print(el.kind == ElementKind::kLog ? "log" : "print",
                                colang::to_python_str(v));
          h->position += 1;
          break;
        }
        case ElementKind::kPriority: {
          Value v = eval_in_flow(s_, f, *el.expr);
          if (!v.is_float() || v.as_float() < 0.0 || v.as_float() > 1.0)
            throw EvalError("ColangValueError",
                            "priority must be a float number between 0.0 and 1.0, got " +
                                colang::to_python_repr(v));
          f.priority = v.as_float();
          h->position += 1;
          break;
        }
        case ElementKind::kCatchPatternFailure:
          if (el.name.empty()) {
            if (!h->catch_labels.empty()) h->catch_labels.pop_back();
          } else {
            h->catch_labels.push_back(el.name);
          }
          h->position += 1;
          break;
        case ElementKind::kBeginScope:
          if (std::find(h->scope_uids.begin(), h->scope_uids.end(), el.name) ==
              h->scope_uids.end())
            h->scope_uids.push_back(el.name);
          f.scopes[el.name];
          h->position += 1;
          break;
        case ElementKind::kEndScope: {
          auto it = std::find(h->scope_uids.begin(), h->scope_uids.end(), el.name);
          if (it != h->scope_uids.end()) h->scope_uids.erase(it);
          FlowScope scope = f.scopes[el.name];
          f.scopes.erase(el.name);
          std::vector<double> scores = h->matching_scores;
          h->position += 1;
          for (const auto& uid : scope.flow_uids)
            if (FlowState* child = s_.flow(uid); child && is_listening(*child))
              abort_flow(*child, scores);
          for (const auto& uid : scope.action_uids)
            if (auto a = s_.actions.find(uid); a != s_.actions.end()) stop_action(a->second);
          break;
        }
        case ElementKind::kNoop:
          h->position += 1;
          break;
      }
    }
    return new_heads;
  }

  // ------------------------------------------------------------ conflicts
  void replace_action(FlowState& f, const std::string& from, const std::string& to) {
    for (auto& [k, v] : f.context->entries())
      if (v.kind() == Value::Kind::kActionRef && v.as_action_ref().uid == from)
        v = Value(colang::ActionRef{to});
    for (auto& uid : f.action_uids)
      if (uid == from) uid = to;
    for (auto& [name, scope] : f.scopes)
      for (auto& uid : scope.action_uids)
        if (uid == from) uid = to;
  }

  void mark_sent(const Event& ev) {
    if (ev.cls != Event::Class::kAction || ev.action_uid.empty()) return;
    auto it = s_.actions.find(ev.action_uid);
    if (it == s_.actions.end()) return;
    if (ev.name == "Start" + it->second.name) it->second.status = ActionStatus::kStarting;
    else if (ev.name == "Stop" + it->second.name) it->second.status = ActionStatus::kStopping;
  }

  std::vector<HeadRef> resolve_conflicts(const std::vector<HeadRef>& heads) {
    std::vector<HeadRef> winners;
    std::vector<std::string> loop_order;
    std::map<std::string, std::vector<HeadRef>> groups;
    for (const auto& r : heads) {
      const FlowState* f = r.flow;
      if (!groups.count(f->loop_id)) loop_order.push_back(f->loop_id);
      groups[f->loop_id].push_back(r);
    }
    for (const auto& loop : loop_order) {
      std::vector<HeadRef> group = groups[loop];
      size_t max_len = 0;
      for (const auto& r : group) max_len = std::max(max_len, head(r)->matching_scores.size());
      auto padded = [&](const HeadRef& r) {
        std::vector<double> s = head(r)->matching_scores;
        s.resize(max_len, 1.0);
        return s;
      };
      std::stable_sort(group.begin(), group.end(), [&](const HeadRef& a, const HeadRef& b) {
        return scores_greater(padded(a), padded(b));
      });
      size_t ties = 1;
      while (ties < group.size() &&
             head(group[ties])->matching_scores == head(group[0])->matching_scores)
        ++ties;
      size_t pick = std::min(ties - 1, static_cast<size_t>(s_.random() * static_cast<double>(ties)));
      if (s_.options.trace)
        for (const auto& r : group)
          trace("actionable " + r.flow->uid + " " + scores_str(head(r)->matching_scores));
      HeadRef winner = group[pick];
      group.erase(group.begin() + static_cast<long>(pick));

      FlowState* wf = winner.flow;
      FlowHead* wh = head(winner);
      Event wev;
      try {
        wev = event_from_element(s_, *wf, wf->config->elements[wh->position].spec);
      } catch (const EvalError& ex) {
        push_colang_error(ex.type(), ex.what(), wh->matching_scores);
        abort_flow(*wf, wh->matching_scores);
        continue;
      }
      emit(wev);
      mark_sent(wev);
      winners.push_back(winner);

      for (const auto& r : group) {
        FlowState* f = r.flow;
        FlowHead* h = head(r);
        if (!f || !h || !is_listening(*f)) continue;
        Event ev;
        try {
          ev = event_from_element(s_, *f, f->config->elements[h->position].spec);
        } catch (const EvalError& ex) {
          push_colang_error(ex.type(), ex.what(), h->matching_scores);
          abort_flow(*f, h->matching_scores);
          continue;
        }
        if (ev.name == wev.name && Value(ev.args) == Value(wev.args)) {
          // Co-winner: the same action is shared, not started twice.
          if (!ev.action_uid.empty() && !wev.action_uid.empty() &&
              ev.action_uid != wev.action_uid) {
            s_.actions.at(wev.action_uid).flow_scope_count += 1;
            replace_action(*f, ev.action_uid, wev.action_uid);
            s_.actions.erase(ev.action_uid);
          }
          winners.push_back(r);
        } else if (!h->catch_labels.empty()) {
          h->position = f->config->labels.at(h->catch_labels.back());
          winners.push_back(r);
        } else {
          abort_flow(*f, h->matching_scores);
        }
      }
    }
    return winners;
  }
};

}  // namespace

std::unique_ptr<State> new_state(std::shared_ptr<const FlowLibrary> library, StateOptions options) {
  if (!library) throw std::invalid_argument("no flow library");
  std::shared_ptr<const FlowConfig> main = library->find_shared("main");
  if (!main) throw std::invalid_argument("the flows define no 'main' flow");
  auto state = std::make_unique<State>(library, std::move(options));
  auto f = std::make_unique<FlowState>();
  f->uid = "(main)" + state->new_uuid();
  f->flow_id = "main";
  f->config = main;
  f->hierarchy_position = "0";
  f->activated = 1;
  f->loop_id = main->loop_type == FlowConfig::LoopType::kNamed ? main->loop_id
                                                                : "main" + state->new_uuid();
  FlowHead h;
  h.uid = state->new_head_uid();
  h.flow_uid = f->uid;
  f->heads.emplace(h.uid, std::move(h));
  for (const auto& p : main->parameters) f->arguments.push_back(p.name);
  state->main_flow_uid = f->uid;
  state->live_flows.push_back(f.get());
  state->flow_id_states["main"].push_back(f->uid);
  state->flow_states[f->uid] = std::move(f);
  return state;
}

Dict start_flow_event(const std::string& flow_id, bool activated) {
  Dict d;
  d.set("type", "StartFlow");
  d.set("flow_id", flow_id);
  if (activated) d.set("activated", true);
  return d;
}

bool has_active_match(State& state, const Dict& event) {
  Event probe = from_umim(event);
  for (FlowState* f : state.live_flows) {
    if (!is_listening(*f)) continue;
    for (const auto& [uid, h] : f->heads) {
      if (h.status == HeadStatus::kInactive || h.position >= static_cast<int>(f->config->elements.size()))
        continue;
      const Element& el = f->config->elements[h.position];
      if (el.kind != ElementKind::kMatch || el.internal_match) continue;
      Event copy = probe;
      copy.args = std::make_shared<Dict>(*probe.args);
      try {
        if (matching_score(state, *f, h, copy) > 0.0) return true;
      } catch (const EvalError&) {
        // A pattern that cannot be evaluated does not match.
      }
    }
  }
  return false;
}

const std::vector<Dict>& run_to_completion(State& state, const Dict& event) {
  Event input = from_umim(event);
  if (input.name == "UtteranceUserActionFinished")
    if (const Value* t = input.args->find("final_transcript"); t && t->is_str())
      state.last_user_message = t->as_str();
  Machine(state).run(std::move(input));
  return state.outgoing_events;
}

}  // namespace rg::runtime
