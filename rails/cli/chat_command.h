// `railguard chat --config DIR [--verbose] [--seed N]`: an interactive (or
// piped) conversation with a Colang 2.x config.
//
// With stdin a terminal: a libedit prompt with history, bot lines printed as
// `bot> text`, a line ending in `\` continues on the next line. With stdin a
// pipe or file: one user utterance per line and each bot utterance printed on
// its own line with no decoration, so tests can compare stdout exactly.
// Lines starting with `!` are debug commands (`!help` lists them).
#pragma once

namespace rg::cli {

// argv[0] is "chat". Returns the process exit status.
int chat_command(int argc, char** argv);

}  // namespace rg::cli
