// `railguard eval --config DIR --dataset FILE.jsonl`: runs a config's input
// (or output) rails over labelled examples and prints how well they separate
// them, what they cost, and which items they get wrong — the tool to tune a
// config with. Colang 1.0 configs.
//
// Dataset lines: {"text": "...", "label": "block" | "allow", "rail": "input" | "output"}
// ("rail" defaults to input; instead of "label", an "entities" list marks
// the line block when non-empty, so PII sets with spans work as they are).
// An input item is one user message with only the input rails on; an
// output item is an assistant message checked by the output rails alone.
// An item counts as blocked when a rail of that kind stopped the turn.
#pragma once

namespace rg::cli {

// argv[0] is "eval". 0 on success, 1 when the config or dataset is bad,
// 2 on a usage error.
int eval_command(int argc, char** argv);

}  // namespace rg::cli
