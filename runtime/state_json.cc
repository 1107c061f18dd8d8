// State <-> JSON. Every field that run_to_completion reads is kept, so a
// state restored from JSON continues exactly where the original left off.
#include "runtime/state_json.h"

#include <stdexcept>

#include "colang/value_json.h"
#include "runtime/runtime.h"

namespace rg::runtime {

using json = nlohmann::ordered_json;
using colang::dict_from_json;
using colang::to_json;

namespace {

// Reads field `key` of `j` as T; errors name the field's path ("flows[2].status").
template <typename T>
T field(const json& j, const char* key, const std::string& path) {
  std::string where = path.empty() ? key : path + "." + key;
  if (!j.is_object()) throw std::invalid_argument("state JSON: '" + (path.empty() ? std::string("(top)") : path) + "' is not an object");
  auto it = j.find(key);
  if (it == j.end()) throw std::invalid_argument("state JSON: field '" + where + "' is missing");
  try {
    return it->template get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument("state JSON: field '" + where + "' has the wrong type (" +
                                std::string(it->type_name()) + ")");
  }
}

const json& node(const json& j, const char* key, const std::string& path) {
  std::string where = path.empty() ? key : path + "." + key;
  if (!j.is_object() || !j.contains(key))
    throw std::invalid_argument("state JSON: field '" + where + "' is missing");
  return j.at(key);
}

colang::Dict dict_field(const json& j, const char* key, const std::string& path) {
  try {
    return dict_from_json(node(j, key, path));
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception& e) {
    throw std::invalid_argument("state JSON: field '" + (path.empty() ? std::string(key) : path + "." + key) +
                                "': " + e.what());
  }
}

template <typename E, size_t N>
E enum_from(const json& j, const char* key, const std::string& path,
            const std::array<std::string_view, N>& names) {
  std::string s = field<std::string>(j, key, path);
  for (size_t i = 0; i < N; ++i)
    if (names[i] == s) return static_cast<E>(i);
  throw std::invalid_argument("state JSON: field '" + path + "." + key + "' has an unknown value '" + s + "'");
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
              {"fork_parent", h.fork_parent}};
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
              {"system_config", to_json(s.system_config)},
              {"last_user_message", s.last_user_message},
              {"library_changes", s.library_changes},
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
  if (!j.is_object()) throw std::invalid_argument("state JSON: the state is not an object");
  if (field<int>(j, "version", "") != 1)
    throw std::invalid_argument("state JSON: field 'version' must be 1");
  options.seed = field<uint64_t>(j, "seed", "");
  auto s = std::make_unique<State>(library, std::move(options));
  s->main_flow_uid = field<std::string>(j, "main_flow_uid", "");
  s->uid_counter = field<uint64_t>(j, "uid_counter", "");
  s->rng_state = field<uint64_t>(j, "rng_state", "");
  s->globals = dict_field(j, "globals", "");
  if (j.contains("system_config")) s->system_config = colang::from_json(j.at("system_config"));
  s->last_user_message = field<std::string>(j, "last_user_message", "");
  s->library_changes =
      field<std::vector<std::pair<std::string, std::string>>>(j, "library_changes", "");
  // Flows added at run time come back before flow ids are resolved.
  library = replay_library_changes(*s);
  const json& flows = node(j, "flows", "");
  if (!flows.is_array()) throw std::invalid_argument("state JSON: field 'flows' is not a list");
  for (size_t fi = 0; fi < flows.size(); ++fi) {
    const json& fj = flows[fi];
    std::string path = "flows[" + std::to_string(fi) + "]";
    auto f = std::make_unique<FlowState>();
    f->uid = field<std::string>(fj, "uid", path);
    f->flow_id = field<std::string>(fj, "flow_id", path);
    f->config = library->find_shared(f->flow_id);
    if (!f->config)
      throw std::invalid_argument("state JSON: field '" + path + ".flow_id' names flow '" +
                                  f->flow_id + "', which the config does not define");
    f->loop_id = field<std::string>(fj, "loop_id", path);
    f->hierarchy_position = field<std::string>(fj, "hierarchy_position", path);
    const json& heads = node(fj, "heads", path);
    for (size_t hi = 0; hi < heads.size(); ++hi) {
      const json& hj = heads[hi];
      std::string hp = path + ".heads[" + std::to_string(hi) + "]";
      FlowHead h;
      h.uid = field<std::string>(hj, "uid", hp);
      h.flow_uid = f->uid;
      h.position = field<int>(hj, "position", hp);
      if (h.position < 0 || h.position > static_cast<int>(f->config->elements.size()))
        throw std::invalid_argument("state JSON: field '" + hp + ".position' is out of range");
      h.status = enum_from<HeadStatus>(hj, "status", hp, kHeadStatus);
      h.matching_scores = field<std::vector<double>>(hj, "matching_scores", hp);
      h.scope_uids = field<std::vector<std::string>>(hj, "scope_uids", hp);
      h.catch_labels = field<std::vector<std::string>>(hj, "catch_labels", hp);
      h.fork_parent = field<std::string>(hj, "fork_parent", hp);
      f->heads.emplace(h.uid, std::move(h));
    }
    f->head_fork_uids = field<std::map<std::string, std::string>>(fj, "head_fork_uids", path);
    for (const auto& [name, sc] : node(fj, "scopes", path).items()) {
      std::string sp = path + ".scopes." + name;
      f->scopes[name] = FlowScope{field<std::vector<std::string>>(sc, "flow_uids", sp),
                                  field<std::vector<std::string>>(sc, "action_uids", sp)};
    }
    f->action_uids = field<std::vector<std::string>>(fj, "action_uids", path);
    f->context = std::make_shared<colang::Dict>(dict_field(fj, "context", path));
    f->priority = field<double>(fj, "priority", path);
    f->arguments = field<std::vector<std::string>>(fj, "arguments", path);
    f->parent_uid = field<std::string>(fj, "parent_uid", path);
    f->parent_head_uid = field<std::string>(fj, "parent_head_uid", path);
    f->child_flow_uids = field<std::vector<std::string>>(fj, "child_flow_uids", path);
    f->status = enum_from<FlowStatus>(fj, "status", path, kFlowStatus);
    f->activated = field<int>(fj, "activated", path);
    f->new_instance_started = field<bool>(fj, "new_instance_started", path);
    s->flow_states[f->uid] = std::move(f);
  }
  for (const auto& uid : field<std::vector<std::string>>(j, "live_flows", "")) {
    FlowState* f = s->flow(uid);
    if (!f) throw std::invalid_argument("state JSON: field 'live_flows' names unknown flow '" + uid + "'");
    s->live_flows.push_back(f);
  }
  const json& actions = node(j, "actions", "");
  for (size_t ai = 0; ai < actions.size(); ++ai) {
    const json& aj = actions[ai];
    std::string path = "actions[" + std::to_string(ai) + "]";
    Action a;
    a.uid = field<std::string>(aj, "uid", path);
    a.name = field<std::string>(aj, "name", path);
    a.flow_uid = field<std::string>(aj, "flow_uid", path);
    a.status = enum_from<ActionStatus>(aj, "status", path, kActionStatus);
    a.start_event_arguments = dict_field(aj, "start_event_arguments", path);
    a.context = dict_field(aj, "context", path);
    a.flow_scope_count = field<int>(aj, "flow_scope_count", path);
    s->actions.emplace(a.uid, std::move(a));
  }
  if (!s->flow(s->main_flow_uid))
    throw std::invalid_argument("state JSON: field 'main_flow_uid' names no flow of the state");
  return s;
}

}  // namespace rg::runtime
