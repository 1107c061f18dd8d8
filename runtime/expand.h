// Expansion of a parsed flow into basic elements (spec/colang.md B.5).
#pragma once

#include <stdexcept>
#include <string>

#include "colang/ast.h"
#include "runtime/flow_config.h"

namespace rg::runtime {

// A statement that cannot be compiled (`stop`, `start` of an event, `match`
// of a bare flow name, ...). Carries the position of the statement.
class ExpandError : public std::runtime_error {
 public:
  ExpandError(const std::string& message, colang::SourceLoc loc)
      : std::runtime_error(message), loc_(loc) {}
  colang::SourceLoc loc() const { return loc_; }

 private:
  colang::SourceLoc loc_;
};

// Compiles one flow. Label and temporary-variable names are derived from a
// per-flow counter, so the result is deterministic. Throws ExpandError.
FlowConfig expand_flow(const colang::Flow& flow);

}  // namespace rg::runtime
