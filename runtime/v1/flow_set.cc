#include "runtime/v1/flow_set.h"

#include <algorithm>

#include "colang/parse.h"

namespace rg::runtime::v1 {

using colang::v1::ElementType;

bool FlowConfig::triggered_by(std::string_view event_type) const {
  return std::find(trigger_event_types.begin(), trigger_event_types.end(), event_type) !=
         trigger_event_types.end();
}

std::shared_ptr<const FlowConfig> make_flow_config(const colang::v1::Flow& flow,
                                                   bool is_system_flow) {
  auto config = std::make_shared<FlowConfig>();
  config->id = flow.id;
  config->elements = flow.elements;
  config->priority = flow.priority;
  config->is_extension = flow.is_extension;
  config->is_interruptible = flow.is_interruptible;
  config->is_subflow = flow.is_subflow;
  config->allow_multiple = flow.allow_multiple;
  config->is_system_flow = is_system_flow || flow.is_system_flow;
  config->source_code = flow.source_text;
  config->source = flow.source;
  config->trigger_event_types = {"UserIntent", "BotIntent", "run_action",
                                 "InternalSystemActionFinished"};
  for (auto& element : config->elements) {
    if (element.type == ElementType::kRunAction && element.action_name == "create_event") {
      if (const colang::Value* event = element.action_params.find("event");
          event && event->is_dict()) {
        if (const colang::Value* type = event->as_dict().find("_type"); type && type->is_str()) {
          config->trigger_event_types.push_back(type->as_str());
        }
      }
    }
    // `do $rails[$i]`: the flow name is an expression, parsed once here.
    if (element.type == ElementType::kFlow && !element.flow_name.empty() &&
        element.flow_name[0] == '$' && !element.expression) {
      std::vector<colang::Diagnostic> diagnostics;
      element.expression = colang::parse_expression(element.flow_name, &diagnostics,
                                                    element.source.file);
      // A parse failure leaves expression null; the engine reports it when
      // the step is reached.
    }
  }
  return config;
}

bool FlowSet::add(std::shared_ptr<const FlowConfig> flow) {
  if (by_id_.count(flow->id)) return false;
  by_id_.emplace(flow->id, flows_.size());
  flows_.push_back(std::move(flow));
  return true;
}

const FlowConfig* FlowSet::find(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : flows_[it->second].get();
}

std::shared_ptr<const FlowConfig> FlowSet::find_shared(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : flows_[it->second];
}

}  // namespace rg::runtime::v1
