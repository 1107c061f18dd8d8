// Finding, reading and parsing the Colang files of a config, with imports.
//
// A config is a folder: every `.co` file under it (recursively, in sorted
// path order; names starting with '.' are skipped) plus an optional
// `config.yml`. Each `import` names a module that is resolved against, in
// order: the config folder, each folder of $COLANGPATH (colon-separated), and
// the standard library folder (runtime/stdlib/, or $RG_STDLIB_DIR).
//
//   import a.b      -> <root>/a/b.co, else every .co under the folder <root>/a/b/
//   import "x/y.co" -> <root>/x/y.co (a quoted path; absolute paths are used as is)
//
// Every file is loaded once, however often it is imported, so import cycles
// are harmless. Problems never throw: they come back as Diagnostics.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "colang/ast.h"
#include "colang/diagnostic.h"

namespace rg::rails::config {

struct LoaderOptions {
  std::vector<std::filesystem::path> search_path;  // from $COLANGPATH, in order
  std::filesystem::path stdlib_dir;                 // searched last
};

// $COLANGPATH, and $RG_STDLIB_DIR or the stdlib folder compiled in.
LoaderOptions loader_options_from_env();

struct ImportPath {
  std::string path;  // as written in config.yml
  std::string file;  // config.yml, for diagnostics
  int line = 0, column = 0;
};

struct LoadedColang {
  std::filesystem::path root;             // the config folder (a single file: its folder)
  std::vector<ImportPath> import_paths;   // config.yml `import_paths`, in order
  std::string colang_version = "2.x";     // from config.yml
  std::vector<colang::File> files;        // parsed files, config files first, then imports
  std::vector<bool> file_ok;              // per entry of `files`: parsed without errors
  std::vector<colang::Diagnostic> diagnostics;
  bool ok() const { return !colang::has_errors(diagnostics); }
  // The files that parsed without errors (what a FlowLibrary can be built from).
  std::vector<colang::File> good_files() const;
};

// Loads a config folder: config.yml (colang_version "2.x"; "1.0" is refused
// for now; import_paths), every .co under it and under each import path, and
// everything they import.
LoadedColang load_config_dir(const std::filesystem::path& dir, const LoaderOptions& options);

// Parses Colang 2.x `files` and `sources` (name, text) and everything they
// import, resolved against `root`, then options.search_path, then the stdlib.
// With `skip_v1_files`, a file that looks like Colang 1.0 (the reference's
// version sniffing, product.md 1.1) is skipped with a warning. Used by
// rails_config.h; colang_version and import_paths are the caller's business.
LoadedColang load_colang_v2(const std::filesystem::path& root,
                            const std::vector<std::filesystem::path>& files,
                            const std::vector<std::pair<std::string, std::string>>& sources,
                            const LoaderOptions& options, bool skip_v1_files);

// Loads one .co file and everything it imports (resolved from its folder).
LoadedColang load_colang_file(const std::filesystem::path& file, const LoaderOptions& options);

// The files that `module` names under the first root that has it, or an empty
// list when no root does. Exposed for tests.
std::vector<std::filesystem::path> resolve_import(const std::string& module,
                                                  const std::vector<std::filesystem::path>& roots);

// Every .co file under `dir`, recursively, sorted by path; hidden entries skipped.
std::vector<std::filesystem::path> find_colang_files(const std::filesystem::path& dir);

}  // namespace rg::rails::config
