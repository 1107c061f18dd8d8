// Conversion between colang::Value and JSON (nlohmann::json).
//
// Plain Python-like values map to their JSON counterparts (None -> null,
// bool, int, float, str, list -> array, dict -> object, key order kept). The
// runtime's own kinds, which JSON has no type for, become tagged objects:
//
//   FlowRef     {"$flow_ref": "<uid>"}
//   ActionRef   {"$action_ref": "<uid>"}
//   EventValue  {"$event": "<name>", "arguments": {...}}, plus "flow_uid": "<uid>"
//               for flow lifecycle events (omitted when empty)
//   Regex       {"$regex": "<pattern>"}
//   set         {"$set": [...]}
//   Matcher     {"$matcher": "less_than", "value": 5}
//               (op names as the built-ins: less_than, equal_less_than,
//                greater_than, equal_greater_than, not_equal_to)
//
// from_json() turns a tagged object back only when it has exactly these keys,
// so an ordinary dict that happens to hold a "$regex" key next to others
// stays a dict. A float that is NaN or infinite becomes null (JSON has none).
//
// to_json() returns nlohmann::ordered_json because Colang dicts keep insertion
// order (events print "type" first, Python dict order survives a round trip).
// It converts implicitly to nlohmann::json where order does not matter.
#pragma once

#include <nlohmann/json.hpp>

#include "colang/value.h"

namespace rg::colang {

nlohmann::ordered_json to_json(const Value& value);
nlohmann::ordered_json to_json(const Dict& dict);

// Throws std::invalid_argument when a tagged object is malformed (a "$regex"
// that RE2 rejects, an unknown matcher op, a "$set" that is not an array).
Value from_json(const nlohmann::json& json);
Value from_json(const nlohmann::ordered_json& json);
// `json` must be an object; throws std::invalid_argument otherwise.
Dict dict_from_json(const nlohmann::json& json);
Dict dict_from_json(const nlohmann::ordered_json& json);

}  // namespace rg::colang
