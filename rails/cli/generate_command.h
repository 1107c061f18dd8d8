// `railguard generate --model M --prompt P [--chat] ...`: a quick check of a
// local model (engine `local`): streams the generated text to stdout as it
// comes, then one line of numbers to stderr (prompt and generated tokens,
// prefill and decode tok/s, the device).
#pragma once

namespace rg::cli {

// argv[0] is "generate". 0 on success, 1 when loading or generating fails,
// 2 on a usage error.
int generate_command(int argc, char** argv);

}  // namespace rg::cli
