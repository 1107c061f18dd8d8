// Runs Colang 2.x conversation cases (colang2_chat_*.jsonl) as
// ../shared/conformance/README.md section 3 defines them: the whole config
// with the standard library, a fake LLM that hands out the recorded
// completions in order, and the TestChat host loop.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tests/conformance/colang2_cases.h"

namespace rg::conformance {

CaseResult run_colang2_chat_case(const nlohmann::json& record, const std::string& conformance_dir);

}  // namespace rg::conformance
