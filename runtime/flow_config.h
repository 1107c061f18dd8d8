// FlowConfig: one compiled flow, a flat list of basic elements.
//
// Compound statements (if/while/when, and/or groups, start/await/activate)
// are expanded once at load time (runtime/expand.cc, spec B.5) into the
// small instruction set below, which the state machine interprets with flow
// heads (runtime/state_machine.cc). A FlowConfig is immutable after build and
// shared by every conversation.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "colang/ast.h"

namespace rg::runtime {

// ORDER ElementKind: keep element_kind_name() in expand.cc in step.
enum class ElementKind {
  kMatch,               // spec: wait until an event matches the pattern
  kSend,                // spec: emit an event (internal events are queued at
                        //   once; others are actions that go through conflict
                        //   resolution and leave the runtime)
  kNewActionInstance,   // spec (an action) + name: create an Action object
                        //   bound to $name, not yet started
  kAssignment,          // name = expr (global when declared `global $name`)
  kLabel,               // name: a jump target; `start_new_flow_instance`
                        //   restarts an activated flow early
  kGoto,                // name: target label; expr: condition (null: always)
  kForkHead,            // labels: one new head per label; fork_id
  kMergeHeads,          // fork_id: the best-scored arriving head continues
  kWaitForHeads,        // count: pass once `count` heads sit here
  kCatchPatternFailure, // name: push a failure label (empty: pop)
  kBeginScope,          // name: flows/actions started inside are owned by it
  kEndScope,            // name: abort the scope's flows, stop its actions
  kReturn,              // expr (may be null): end the flow with a value
  kAbort,               // fail the flow (or jump to the catch label)
  kBreak,               // name: loop end label
  kContinue,            // name: loop begin label
  kGlobal,              // name: the variable refers to the global context
  kLog,                 // expr
  kPrint,               // expr
  kPriority,            // expr: a float in [0, 1] scaling later match scores
  kNoop,                // docstrings and other statements with no effect
};

struct Element {
  ElementKind kind = ElementKind::kNoop;
  colang::SourceLoc loc;
  colang::Spec spec;            // kMatch, kSend, kNewActionInstance
  std::string name;             // see ElementKind
  colang::ExprPtr expr;         // see ElementKind
  std::vector<std::string> labels;  // kForkHead
  std::string fork_id;          // kForkHead, kMergeHeads
  int count = 0;                // kWaitForHeads
  // kMatch: this wait belongs to the `start` machinery (FlowStarted of a
  // child); a flow whose heads sit only on such matches has not started yet.
  bool internal_match = false;
  // kMatch on a flow, action or event spec: the name of the event it waits
  // for, fixed at build time ("" for references, resolved at run time).
  std::string event_name;
};

struct FlowParam {
  std::string name;  // without '$'
  colang::ExprPtr default_value;
};

struct FlowConfig {
  std::string id;
  std::vector<Element> elements;
  std::vector<FlowParam> parameters;
  std::vector<FlowParam> return_members;
  std::vector<colang::Decorator> decorators;
  std::map<std::string, int, std::less<>> labels;  // label name -> element index

  // From decorators.
  bool active = false;                 // @active
  enum class LoopType { kParent, kNew, kNamed };
  LoopType loop_type = LoopType::kParent;  // @loop
  std::string loop_id;                 // kNamed
  int loop_priority = 0;               // @loop(id, priority)
  bool meta_user_intent = false;       // @meta(user_intent=True)
  bool meta_bot_intent = false;
  bool meta_user_action = false;
  bool meta_bot_action = false;
  bool exclude_from_llm = false;

  std::string source_code;
  std::string file;
  colang::SourceLoc loc;
};

std::string_view element_kind_name(ElementKind kind);

}  // namespace rg::runtime
