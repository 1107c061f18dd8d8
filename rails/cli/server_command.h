// `railguard server --config DIR [...]`: the rails server (rails/server/).
// Loads the config(s) through the ApiService, listens, serves until SIGINT /
// SIGTERM, shuts down gracefully. `railguard server --help` lists the flags.
#pragma once

namespace rg::cli {

// argv[0] is "server". Returns the process exit status (0 after a clean
// shutdown, 1 when the service or the socket cannot start, 2 on a usage error).
int server_command(int argc, char** argv);

}  // namespace rg::cli
