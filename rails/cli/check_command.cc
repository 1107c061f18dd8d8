#include "rails/cli/check_command.h"

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "colang/v1/parse_v1.h"
#include "rails/cli/colang_loader.h"
#include "rails/config/rails_config.h"
#include "rails/dialog/rails_v1.h"
#include "rails/embeddings/embedder_pool.h"
#include "rails/embeddings/embedding_settings.h"
#include "runtime/flow_library.h"

namespace rg::cli {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kUsage =
    "usage: railguard check PATH...\n"
    "\n"
    "Each PATH is a .co file or a config folder. A folder is loaded as a config\n"
    "(YAML merged and validated, every .co parsed with the parser of its\n"
    "colang_version, what it imports); a file is parsed alone. Prints every\n"
    "diagnostic on stderr and, when there is no error, `ok: N files, M flows`.\n";

bool read_text(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// The Colang 1.0 files of PATH (the file itself, or the .co files under a
// folder) that look like 1.0 (colang/v1/parse_v1.h); the 2.x loader skips
// them, so they are parsed here with the 1.0 front end.
void check_v1(const std::string& path, size_t* files, size_t* flows, size_t* errors,
              std::vector<std::string>* checked) {
  std::vector<fs::path> candidates;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().extension() == ".co") candidates.push_back(it->path());
    }
  } else if (fs::path(path).extension() == ".co") {
    candidates.emplace_back(path);
  }
  for (const fs::path& p : candidates) {
    std::string text;
    if (!read_text(p, &text) || !colang::v1::looks_like_colang_v1(text)) continue;
    colang::v1::ParseResult r = colang::v1::parse_colang_v1(text, p.string());
    checked->push_back(p.string());
    ++*files;
    *flows += r.document.flows.size();
    for (const colang::Diagnostic& d : r.diagnostics) {
      if (d.severity == colang::Diagnostic::Severity::kError) ++*errors;
      std::cerr << d.render() << "\n";
    }
  }
}

bool is_v1_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return false;
  std::string text;
  return read_text(path, &text) && colang::v1::looks_like_colang_v1(text);
}

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
  auto report = [&](const colang::Diagnostic& d) {
    if (d.severity == colang::Diagnostic::Severity::kError) ++errors;
    std::cerr << d.render() << "\n";
  };
  for (const std::string& path : paths) {
    std::error_code ec;
    bool folder = fs::is_directory(path, ec);
    if (!folder && is_v1_file(path)) {
      std::vector<std::string> v1_files;
      check_v1(path, &files, &flows, &errors, &v1_files);
      continue;
    }
    bool v2 = true;
    if (folder) {
      // The whole config: YAML validation (engines, types, rail flows that no
      // file defines) and, for 1.0, every .co with the 1.0 parser.
      rails::config::LoadOptions config_options;
      config_options.library_flows = rails::dialog::library_v1_flow_names();
      config_options.colang = options;
      rails::config::LoadResult config = rails::config::load_rails_config(path, config_options);
      v2 = config.config->colang_version != "1.0";
      for (const colang::Diagnostic& d : config.diagnostics) {
        // For 2.x the loader below reports the .co files.
        if (v2 && fs::path(d.file).extension() == ".co") continue;
        report(d);
      }
      // Embedding settings (spec 4): fields and engine names, without
      // loading any model.
      if (config.ok()) {
        for (auto purpose : {rails::embeddings::IndexPurpose::kDialog, rails::embeddings::IndexPurpose::kKnowledgeBase}) {
          auto settings = rails::embeddings::embedding_settings_for(*config.config, purpose);
          std::string why = settings.settings ? rails::embeddings::check_embedding_engine(*settings.settings)
                                              : settings.error;
          if (why.empty()) continue;
          colang::Diagnostic d;
          d.file = (fs::path(path) / "config.yml").string();
          // A `models:` entry at fault: point at it.
          for (size_t i = 0; i < config.config->models.size(); ++i) {
            const auto& src = config.config->models[i].source;
            if (why.rfind("models[" + std::to_string(i) + "]", 0) == 0 && !src.file.empty()) {
              d.file = src.file;
              d.line = src.line;
              d.column = src.column;
            }
          }
          d.code = "config";
          d.message = why;
          report(d);
          break;  // the same models entry would be reported twice
        }
      }
      if (!v2) {
        files += config.config->colang_files.size();
        flows += config.config->v1.flows.size();
        continue;
      }
    }
    LoadedColang loaded = folder ? load_config_dir(path, options) : load_colang_file(path, options);
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
      // YAML problems were reported with the config above.
      if (folder && fs::path(d.file).extension() != ".co" && !d.file.empty()) continue;
      report(d);
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
