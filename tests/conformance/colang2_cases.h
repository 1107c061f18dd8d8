// Runs Colang 2.x state-machine cases (colang2_*.jsonl) exactly as
// ../shared/conformance/README.md section 1 defines them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rg::conformance {

struct CaseResult {
  bool passed = false;
  std::string detail;  // why it failed
};

// One JSONL record: parse `colang_raw` bare (no standard library), start
// `main`, feed each step's event and compare the outgoing events with
// `expect` (exact count, order, top-level key subset, Python ==).
CaseResult run_colang2_case(const nlohmann::json& record, bool trace = false);

}  // namespace rg::conformance
