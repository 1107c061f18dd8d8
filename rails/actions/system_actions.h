// The runtime's own system actions, which need no model: checks on the flows
// and on the waiting heads of the conversation.
#pragma once

#include "rails/actions/action_registry.h"

namespace rg::rails {

// CheckFlowDefinedAction(flow_id) -> bool: the flow exists in the config.
// CheckForActiveEventMatchAction(event_name, **arguments) -> bool: some flow
//   waits for such an event right now.
void register_system_actions(ActionRegistry& registry);

}  // namespace rg::rails
