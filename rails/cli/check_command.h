// `railguard check PATH...`: parses Colang files and config folders, builds
// their flow libraries, prints every diagnostic and a summary.
#pragma once

namespace rg::cli {

// argv[0] is "check". Returns 0 when there are no errors, 1 when there are,
// 2 on a usage error.
int check_command(int argc, char** argv);

}  // namespace rg::cli
