// Runs Colang 1.0 conversation cases (colang1_*.jsonl) as
// ../shared/conformance/README.md section 2 defines them: the config (from
// content or from its folder), the built-in 1.0 pipeline, a fake main LLM
// that hands out the recorded completions in order (plus the per-rail fake
// LLMs of `action_param_llms`), and TestChat's loop: the whole history goes
// to generate() for every bot turn.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tests/conformance/colang2_cases.h"

namespace rg::conformance {

CaseResult run_colang1_case(const nlohmann::json& record, const std::string& conformance_dir);

}  // namespace rg::conformance
