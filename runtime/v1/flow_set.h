// The Colang 1.0 flows a conversation can run (spec/colang.md A.6).
//
// A FlowConfig is one compiled flow plus the event types that may advance it.
// A FlowSet keeps them in definition order (the order in which new flows are
// tried and next steps are tied) with a by-id index. It is immutable once
// built and shared by every conversation of a config; a conversation that
// adds flows at run time (multi-step generation's `start_flow`) extends a
// copy of its own.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "colang/v1/document.h"

namespace rg::runtime::v1 {

struct FlowConfig {
  std::string id;
  std::vector<colang::v1::Element> elements;
  double priority = 1.0;
  bool is_extension = false;
  bool is_interruptible = true;
  bool is_subflow = false;
  bool allow_multiple = false;
  bool is_system_flow = false;
  // UserIntent, BotIntent, run_action, InternalSystemActionFinished, plus every
  // event type the flow itself creates with `create event`.
  std::vector<std::string> trigger_event_types;
  std::string source_code;
  colang::v1::SourceRef source;

  bool triggered_by(std::string_view event_type) const;
};

// Builds the runtime form of a parsed flow: trigger types, and the
// expressions of `do $var` steps parsed once.
std::shared_ptr<const FlowConfig> make_flow_config(const colang::v1::Flow& flow,
                                                   bool is_system_flow);

class FlowSet {
 public:
  // Adds a flow unless one with the same id exists (the first definition
  // wins, as in the reference). Returns false when it was a duplicate.
  bool add(std::shared_ptr<const FlowConfig> flow);
  const FlowConfig* find(std::string_view id) const;
  std::shared_ptr<const FlowConfig> find_shared(std::string_view id) const;
  const std::vector<std::shared_ptr<const FlowConfig>>& ordered() const { return flows_; }
  size_t size() const { return flows_.size(); }

 private:
  std::vector<std::shared_ptr<const FlowConfig>> flows_;
  std::unordered_map<std::string, size_t> by_id_;
};

}  // namespace rg::runtime::v1
