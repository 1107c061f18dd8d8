#include "rails/cli/check_command.h"

#include <cstddef>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "rails/cli/colang_loader.h"
#include "runtime/flow_library.h"

namespace rg::cli {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kUsage =
    "usage: railguard check PATH...\n"
    "\n"
    "Each PATH is a .co file or a config folder. Parses every file (and what it\n"
    "imports), builds the flow library of each PATH, prints every diagnostic on\n"
    "stderr and, when there is no error, `ok: N files, M flows` on stdout.\n";

}  // namespace

int check_command(int argc, char** argv) {
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      std::cerr << "railguard check: unknown option '" << arg << "'\n" << kUsage;
      return 2;
    }
    paths.emplace_back(arg);
  }
  if (paths.empty()) {
    std::cerr << "railguard check: no PATH given\n" << kUsage;
    return 2;
  }

  LoaderOptions options = loader_options_from_env();
  size_t files = 0;
  size_t flows = 0;
  size_t errors = 0;
  for (const std::string& path : paths) {
    std::error_code ec;
    LoadedColang loaded = fs::is_directory(path, ec) ? load_config_dir(path, options)
                                                      : load_colang_file(path, options);
    files += loaded.files.size();
    std::vector<colang::Diagnostic> diagnostics = std::move(loaded.diagnostics);
    // Build from the files that parsed, so naming problems (duplicates,
    // keywords) show up alongside syntax errors elsewhere.
    std::vector<colang::File> good = loaded.good_files();
    if (!good.empty()) {
      runtime::FlowLibrary::BuildResult built = runtime::FlowLibrary::build(good);
      for (auto& d : built.diagnostics) diagnostics.push_back(std::move(d));
      if (built.library != nullptr) flows += built.library->flow_ids().size();
    }
    for (const colang::Diagnostic& d : diagnostics) {
      if (d.severity == colang::Diagnostic::Severity::kError) ++errors;
      std::cerr << d.render() << "\n";
    }
  }
  if (errors > 0) {
    std::cerr << "failed: " << errors << (errors == 1 ? " error" : " errors") << "\n";
    return 1;
  }
  std::cout << "ok: " << files << (files == 1 ? " file, " : " files, ") << flows
            << (flows == 1 ? " flow" : " flows") << "\n";
  return 0;
}

}  // namespace rg::cli
