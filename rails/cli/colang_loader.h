// The Colang file loader moved to rails/config/colang_loader.h (the typed
// config loader needs it, and rails/ may not depend on rails/cli/). These
// names keep the CLI, its tests and the benchmarks compiling unchanged.
#pragma once

#include "rails/config/colang_loader.h"

namespace rg::cli {
using rails::config::find_colang_files;
using rails::config::ImportPath;
using rails::config::load_colang_file;
using rails::config::load_colang_v2;
using rails::config::load_config_dir;
using rails::config::LoadedColang;
using rails::config::loader_options_from_env;
using rails::config::LoaderOptions;
using rails::config::resolve_import;
}  // namespace rg::cli
