// A conversation State as JSON, and back (the server stores it per thread).
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "runtime/state.h"

namespace rg::runtime {

nlohmann::ordered_json state_to_json(const State& state);

// Rebuilds a State over `library` (flows are resolved by id). Throws
// std::invalid_argument naming the field when the JSON is malformed or names
// a flow the library does not define.
std::unique_ptr<State> state_from_json(const nlohmann::ordered_json& json,
                                       std::shared_ptr<const FlowLibrary> library,
                                       StateOptions options = {});

}  // namespace rg::runtime
