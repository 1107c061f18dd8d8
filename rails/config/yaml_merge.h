// Reading and merging the YAML files of a config folder (spec product.md 1.2).
//
// Every *.yml / *.yaml under the folder (any depth; hidden entries and names
// matching .railsignore skipped) is read in **sorted path order** — the
// reference uses file-system order, which differs between machines — and
// merged key by key:
//   user_messages, bot_messages            dict-merge, later file wins per key
//   instructions, flows, models, prompts,  lists, concatenated
//   docs
//   import_paths                           list, appended without duplicates
//   actions_server_url                     the first non-null value
//   any other known key                    replaced whole, the last file wins
//   unknown top-level keys                 merged into custom_data
// Problems (bad YAML, a key of the wrong type) become diagnostics naming the
// file, the key and the line; nothing is dropped silently.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "colang/diagnostic.h"
#include "colang/value.h"

namespace rg::rails::config {

// Where a setting was written.
struct YamlLocation {
  std::string file;
  int line = 0, column = 0;  // 1-based
};

struct MergedYaml {
  colang::Dict data;                              // the merged config
  std::vector<std::filesystem::path> files;       // the files read, in merge order
  std::vector<colang::Diagnostic> diagnostics;
  // Every key path of `data` -> where its value was written (the file that
  // won). Paths: "rails.input.flows", "rails.input.flows[1]",
  // "models[0].engine"; list indexes count across concatenated files.
  std::map<std::string, YamlLocation> locations;
  const YamlLocation* location(const std::string& path) const;
  bool ok() const { return !colang::has_errors(diagnostics); }
};

// Glob patterns of the first .railsignore found walking up from `dir`
// (non-empty lines not starting with '#'); they match file basenames.
std::vector<std::string> railsignore_patterns(const std::filesystem::path& dir);

// The YAML files of a config folder in merge order (sorted paths).
std::vector<std::filesystem::path> find_yaml_files(const std::filesystem::path& dir,
                                                   const std::vector<std::string>& ignore);

// Reads and merges `files` in the order given.
MergedYaml merge_yaml_files(const std::vector<std::filesystem::path>& files);

// Merges YAML given as text (`name` is used in diagnostics), as one file.
MergedYaml merge_yaml_text(const std::string& name, const std::string& text);

// find_yaml_files + merge_yaml_files for a config folder.
MergedYaml load_config_yaml(const std::filesystem::path& dir);

}  // namespace rg::rails::config
