// YAML -> colang::Value, reading scalars as YAML 1.1 / Python's
// yaml.safe_load does (true/True/TRUE, null/~, ints, floats; quoted scalars
// stay strings), so `$system.config.x` sees what the reference sees.
#pragma once

#include <yaml-cpp/yaml.h>

#include "colang/value.h"

namespace rg::rails::config {

colang::Value yaml_to_value(const YAML::Node& node);

}  // namespace rg::rails::config
