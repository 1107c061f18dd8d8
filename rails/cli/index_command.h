// `railguard index --config DIR [--cache-dir DIR]`: builds every embedding
// index of a config (Colang 1.0: user messages, bot messages, flow lines;
// 2.x: user examples, flows, instruction flows; the knowledge base) with the
// config's embedder and saves them, so `railguard server` and `chat` start
// without embedding anything. Prints one line per index: what it holds,
// which embedder, whether it was already saved, where the file is.
#pragma once

namespace rg::cli {

// argv[0] is "index". 0 on success, 1 when the config or an index fails,
// 2 on a usage error.
int index_command(int argc, char** argv);

}  // namespace rg::cli
