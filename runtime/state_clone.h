// A deep copy of a conversation State: a snapshot that continues on its own.
//
// Hosts use it to start many conversations from one prepared state (the
// server copies a config's state after `main` and the @active flows have
// started, instead of starting them again for every request). Flow
// variables shared between flows (`context=$self.context`) stay shared in
// the copy; other values are copied so that nothing the copy does can reach
// the original. The flow library and `$system.config` are immutable and
// shared.
#pragma once

#include <memory>

#include "runtime/state.h"

namespace rg::runtime {

std::unique_ptr<State> clone_state(const State& state);

}  // namespace rg::runtime
