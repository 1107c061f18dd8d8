#include "colang/value_json.h"

#include <re2/re2.h>

#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rg::colang {
namespace {

using Out = nlohmann::ordered_json;

// ORDER Matcher::Op
constexpr std::string_view kMatcherOpNames[] = {
    "less_than", "equal_less_than", "greater_than", "equal_greater_than", "not_equal_to"};

std::string_view matcher_op_name(Matcher::Op op) {
  return kMatcherOpNames[static_cast<size_t>(op)];
}

Matcher::Op matcher_op_from_name(std::string_view name) {
  for (size_t i = 0; i < std::size(kMatcherOpNames); ++i) {
    if (kMatcherOpNames[i] == name) return static_cast<Matcher::Op>(i);
  }
  throw std::invalid_argument("unknown matcher op '" + std::string(name) + "' in $matcher");
}

Out list_to_json(const List& items) {
  Out out = Out::array();
  for (const Value& item : items) out.push_back(to_json(item));
  return out;
}

// ---------------------------------------------------------------- from JSON
// Written once for both nlohmann::json and nlohmann::ordered_json.

template <typename J>
Value value_from(const J& j);

template <typename J>
Dict dict_from(const J& j) {
  if (!j.is_object()) {
    throw std::invalid_argument(std::string("expected a JSON object, got ") + j.type_name());
  }
  Dict out;
  for (auto it = j.begin(); it != j.end(); ++it) out.set(it.key(), value_from(it.value()));
  return out;
}

template <typename J>
List list_from(const J& array) {
  List out;
  out.reserve(array.size());
  for (const auto& item : array) out.push_back(value_from(item));
  return out;
}

// True when `j` is an object holding exactly `tag` and, when given, `second`.
template <typename J>
bool is_tagged(const J& j, const char* tag, const char* second = nullptr) {
  size_t expected = second == nullptr ? 1 : 2;
  if (j.size() != expected || !j.contains(tag)) return false;
  return second == nullptr || j.contains(second);
}

template <typename J>
const std::string& tag_string(const J& j, const char* tag) {
  const J& v = j.at(tag);
  if (!v.is_string()) throw std::invalid_argument(std::string(tag) + " must be a string");
  return v.template get_ref<const std::string&>();
}

template <typename J>
Value object_from(const J& j) {
  if (is_tagged(j, "$flow_ref")) return Value(FlowRef{tag_string(j, "$flow_ref")});
  if (is_tagged(j, "$action_ref")) return Value(ActionRef{tag_string(j, "$action_ref")});
  if (is_tagged(j, "$regex")) {
    const std::string& pattern = tag_string(j, "$regex");
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(pattern, options);
    if (!re->ok()) {
      throw std::invalid_argument("bad $regex '" + pattern + "': " + re->error());
    }
    return Value(Regex{pattern, std::move(re)});
  }
  if (is_tagged(j, "$set")) {
    const J& items = j.at("$set");
    if (!items.is_array()) throw std::invalid_argument("$set must be an array");
    return Value::make_set(list_from(items));
  }
  if (is_tagged(j, "$matcher", "value")) {
    Matcher m{matcher_op_from_name(tag_string(j, "$matcher")),
              std::make_shared<const Value>(value_from(j.at("value")))};
    return Value(std::move(m));
  }
  bool event_with_flow = j.size() == 3 && j.contains("$event") && j.contains("arguments") &&
                         j.contains("flow_uid");
  if (is_tagged(j, "$event", "arguments") || event_with_flow) {
    EventValue e;
    e.name = tag_string(j, "$event");
    e.arguments = std::make_shared<Dict>(dict_from(j.at("arguments")));
    if (event_with_flow) e.flow_uid = tag_string(j, "flow_uid");
    return Value(std::move(e));
  }
  return Value(dict_from(j));
}

template <typename J>
Value value_from(const J& j) {
  using T = typename J::value_t;
  switch (j.type()) {
    case T::null:
    case T::discarded:
      return Value();
    case T::boolean:
      return Value(j.template get<bool>());
    case T::number_integer:
      return Value(j.template get<int64_t>());
    case T::number_unsigned: {
      uint64_t u = j.template get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Value(static_cast<int64_t>(u));
      }
      return Value(static_cast<double>(u));
    }
    case T::number_float:
      return Value(j.template get<double>());
    case T::string:
      return Value(j.template get<std::string>());
    case T::array:
      return Value(list_from(j));
    case T::object:
      return object_from(j);
    case T::binary:
      throw std::invalid_argument("binary JSON values have no Colang equivalent");
  }
  return Value();
}

}  // namespace

// ---------------------------------------------------------------- to JSON

Out to_json(const Dict& dict) {
  Out out = Out::object();
  for (const auto& [key, value] : dict) out[key] = to_json(value);
  return out;
}

Out to_json(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kNone:
      return nullptr;
    case Value::Kind::kBool:
      return value.as_bool();
    case Value::Kind::kInt:
      return value.as_int();
    case Value::Kind::kFloat: {
      double d = value.as_float();
      if (!std::isfinite(d)) return nullptr;
      return d;
    }
    case Value::Kind::kStr:
      return value.as_str();
    case Value::Kind::kList:
      return list_to_json(value.as_list());
    case Value::Kind::kDict:
      return to_json(value.as_dict());
    case Value::Kind::kSet: {
      Out out = Out::object();
      out["$set"] = list_to_json(value.as_list());
      return out;
    }
    case Value::Kind::kRegex: {
      Out out = Out::object();
      out["$regex"] = value.as_regex().pattern;
      return out;
    }
    case Value::Kind::kMatcher: {
      const Matcher& m = value.as_matcher();
      Out out = Out::object();
      out["$matcher"] = std::string(matcher_op_name(m.op));
      out["value"] = m.operand ? to_json(*m.operand) : Out(nullptr);
      return out;
    }
    case Value::Kind::kFlowRef: {
      Out out = Out::object();
      out["$flow_ref"] = value.as_flow_ref().uid;
      return out;
    }
    case Value::Kind::kActionRef: {
      Out out = Out::object();
      out["$action_ref"] = value.as_action_ref().uid;
      return out;
    }
    case Value::Kind::kEvent: {
      const EventValue& e = value.as_event();
      Out out = Out::object();
      out["$event"] = e.name;
      out["arguments"] = e.arguments ? to_json(*e.arguments) : Out::object();
      if (!e.flow_uid.empty()) out["flow_uid"] = e.flow_uid;
      return out;
    }
  }
  return nullptr;
}

Value from_json(const nlohmann::json& json) { return value_from(json); }
Value from_json(const nlohmann::ordered_json& json) { return value_from(json); }
Dict dict_from_json(const nlohmann::json& json) { return dict_from(json); }
Dict dict_from_json(const nlohmann::ordered_json& json) { return dict_from(json); }

}  // namespace rg::colang
