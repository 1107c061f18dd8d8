// State <-> JSON. Every field that run_to_completion reads is kept, so a
// state restored from JSON continues exactly where the original left off.
#include "runtime/state_json.h"

#include <stdexcept>

#include "colang/value_json.h"

namespace rg::runtime {

using json = nlohmann::ordered_json;
using colang::dict_from_json;
using colang::to_json;

namespace {

template <typename E, size_t N>
E enum_from(const json& j, const char* field, const std::array<std::string_view, N>& names) {
  std::string s = j.at(field).get<std::string>();
  for (size_t i = 0; i < N; ++i)
    if (names[i] == s) return static_cast<E>(i);
  throw std::invalid_argument(std::string("state JSON: unknown value '") + s + "' in '" + field + "'");
}

const std::array<std::string_view, 6> kFlowStatus = {"waiting", "starting", "started",
                                                     "stopping", "stopped", "finished"};
const std::array<std::string_view, 3> kHeadStatus = {"active", "inactive", "merging"};
const std::array<std::string_view, 5> kActionStatus = {"initialized", "starting", "started",
                                                       "stopping", "finished"};

std::vector<std::string> live_uids(const State& s) {
  std::vector<std::string> out;
  for (const FlowState* f : s.live_flows) out.push_back(f->uid);
  return out;
}

json head_to_json(const FlowHead& h) {
  return json{{"uid", h.uid},
              {"position", h.position},
              {"status", head_status_name(h.status)},
              {"matching_scores", h.matching_scores},
              {"scope_uids", h.scope_uids},
              {"catch_labels", h.catch_labels},
              {"fork_parent", h.fork_parent},
              {"merge_order", h.merge_order}};
}

}  // namespace

json state_to_json(const State& s) {
  json flows = json::array();
  for (const auto& [uid, f] : s.flow_states) {
    json heads = json::array();
    for (const auto& [hu, h] : f->heads) heads.push_back(head_to_json(h));
    json scopes = json::object();
    for (const auto& [name, sc] : f->scopes)
      scopes[name] = json{{"flow_uids", sc.flow_uids}, {"action_uids", sc.action_uids}};
    flows.push_back(json{{"uid", f->uid},
                         {"flow_id", f->flow_id},
                         {"loop_id", f->loop_id},
                         {"hierarchy_position", f->hierarchy_position},
                         {"heads", heads},
                         {"head_fork_uids", f->head_fork_uids},
                         {"scopes", scopes},
                         {"action_uids", f->action_uids},
                         {"context", to_json(*f->context)},
                         {"priority", f->priority},
                         {"arguments", f->arguments},
                         {"parent_uid", f->parent_uid},
                         {"parent_head_uid", f->parent_head_uid},
                         {"child_flow_uids", f->child_flow_uids},
                         {"status", flow_status_name(f->status)},
                         {"activated", f->activated},
                         {"new_instance_started", f->new_instance_started}});
  }
  json actions = json::array();
  for (const auto& [uid, a] : s.actions)
    actions.push_back(json{{"uid", a.uid},
                           {"name", a.name},
                           {"flow_uid", a.flow_uid},
                           {"status", action_status_name(a.status)},
                           {"start_event_arguments", to_json(a.start_event_arguments)},
                           {"context", to_json(a.context)},
                           {"flow_scope_count", a.flow_scope_count}});
  return json{{"version", 1},
              {"main_flow_uid", s.main_flow_uid},
              {"uid_counter", s.uid_counter},
              {"rng_state", s.rng_state},
              {"seed", s.options.seed},
              {"globals", to_json(s.globals)},
              {"live_flows", live_uids(s)},
              {"flows", flows},
              {"actions", actions}};
}

std::unique_ptr<State> state_from_json(const json& j, std::shared_ptr<const FlowLibrary> library,
                                       StateOptions options) {
  try {
    if (j.at("version").get<int>() != 1)
      throw std::invalid_argument("state JSON: unsupported 'version'");
    options.seed = j.at("seed").get<uint64_t>();
    auto s = std::make_unique<State>(library, std::move(options));
    s->main_flow_uid = j.at("main_flow_uid").get<std::string>();
    s->uid_counter = j.at("uid_counter").get<uint64_t>();
    s->rng_state = j.at("rng_state").get<uint64_t>();
    s->globals = dict_from_json(j.at("globals"));
    for (const auto& fj : j.at("flows")) {
      auto f = std::make_unique<FlowState>();
      f->uid = fj.at("uid").get<std::string>();
      f->flow_id = fj.at("flow_id").get<std::string>();
      f->config = library->find(f->flow_id);
      if (!f->config)
        throw std::invalid_argument("state JSON: flow '" + f->flow_id + "' is not defined");
      f->loop_id = fj.at("loop_id").get<std::string>();
      f->hierarchy_position = fj.at("hierarchy_position").get<std::string>();
      for (const auto& hj : fj.at("heads")) {
        FlowHead h;
        h.uid = hj.at("uid").get<std::string>();
        h.flow_uid = f->uid;
        h.position = hj.at("position").get<int>();
        h.status = enum_from<HeadStatus>(hj, "status", kHeadStatus);
        h.matching_scores = hj.at("matching_scores").get<std::vector<double>>();
        h.scope_uids = hj.at("scope_uids").get<std::vector<std::string>>();
        h.catch_labels = hj.at("catch_labels").get<std::vector<std::string>>();
        h.fork_parent = hj.at("fork_parent").get<std::string>();
        h.merge_order = hj.at("merge_order").get<uint64_t>();
        f->heads.emplace(h.uid, std::move(h));
      }
      f->head_fork_uids = fj.at("head_fork_uids").get<std::map<std::string, std::string>>();
      for (const auto& [name, sc] : fj.at("scopes").items())
        f->scopes[name] = FlowScope{sc.at("flow_uids").get<std::vector<std::string>>(),
                                    sc.at("action_uids").get<std::vector<std::string>>()};
      f->action_uids = fj.at("action_uids").get<std::vector<std::string>>();
      f->context = std::make_shared<colang::Dict>(dict_from_json(fj.at("context")));
      f->priority = fj.at("priority").get<double>();
      f->arguments = fj.at("arguments").get<std::vector<std::string>>();
      f->parent_uid = fj.at("parent_uid").get<std::string>();
      f->parent_head_uid = fj.at("parent_head_uid").get<std::string>();
      f->child_flow_uids = fj.at("child_flow_uids").get<std::vector<std::string>>();
      f->status = enum_from<FlowStatus>(fj, "status", kFlowStatus);
      f->activated = fj.at("activated").get<int>();
      f->new_instance_started = fj.at("new_instance_started").get<bool>();
      s->flow_id_states[f->flow_id].push_back(f->uid);
      s->flow_states[f->uid] = std::move(f);
    }
    for (const auto& uid : j.at("live_flows").get<std::vector<std::string>>()) {
      FlowState* f = s->flow(uid);
      if (!f) throw std::invalid_argument("state JSON: 'live_flows' names unknown flow '" + uid + "'");
      s->live_flows.push_back(f);
    }
    for (const auto& aj : j.at("actions")) {
      Action a;
      a.uid = aj.at("uid").get<std::string>();
      a.name = aj.at("name").get<std::string>();
      a.flow_uid = aj.at("flow_uid").get<std::string>();
      a.status = enum_from<ActionStatus>(aj, "status", kActionStatus);
      a.start_event_arguments = dict_from_json(aj.at("start_event_arguments"));
      a.context = dict_from_json(aj.at("context"));
      a.flow_scope_count = aj.at("flow_scope_count").get<int>();
      s->actions.emplace(a.uid, std::move(a));
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("state JSON: ") + e.what());
  }
}

}  // namespace rg::runtime
