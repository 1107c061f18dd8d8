#include "rails/config/colang_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include "colang/parse.h"

#ifndef RG_STDLIB_DIR
#error "RG_STDLIB_DIR must be defined by the build (rails/CMakeLists.txt)"
#endif

namespace rg::rails::config {
namespace fs = std::filesystem;

namespace {

colang::Diagnostic error_at(std::string file, int line, int column, std::string code,
                            std::string message) {
  colang::Diagnostic d;
  d.severity = colang::Diagnostic::Severity::kError;
  d.file = std::move(file);
  d.line = line;
  d.column = column;
  d.code = std::move(code);
  d.message = std::move(message);
  return d;
}

bool has_hidden_name(const fs::path& p) {
  std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

// The identity of a file for "load each file once".
std::string file_key(const fs::path& p) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(p, ec);
  return (ec ? fs::absolute(p) : canonical).lexically_normal().string();
}

bool read_file(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return false;
  *out = std::move(buffer).str();
  return true;
}

bool regular_file_at(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool directory_at(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// The reference's version sniffing (product.md 1.1): a line starting with
// `define` and none starting with `import` means Colang 1.0.
bool looks_like_v1(std::string_view text) {
  bool define = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    size_t first = line.find_first_not_of(" \t");
    if (first != std::string_view::npos) {
      line.remove_prefix(first);
      if (line.substr(0, 7) == "import " || line.substr(0, 7) == "import\t") return false;
      if (line.substr(0, 7) == "define " || line.substr(0, 7) == "define\t") define = true;
    }
    pos = end + 1;
  }
  return define;
}

// Reads colang_version from <dir>/config.yml (or config.yaml) when present.
void read_config_yaml(const fs::path& dir, LoadedColang* loaded) {
  fs::path config = dir / "config.yml";
  if (!regular_file_at(config)) config = dir / "config.yaml";
  if (!regular_file_at(config)) return;
  std::string display = config.lexically_normal().string();
  YAML::Node root;
  try {
    root = YAML::LoadFile(config.string());
  } catch (const YAML::Exception& e) {
    loaded->diagnostics.push_back(error_at(display, e.mark.is_null() ? 0 : e.mark.line + 1,
                                           e.mark.is_null() ? 0 : e.mark.column + 1, "config",
                                           "invalid YAML: " + e.msg));
    return;
  }
  if (!root || root.IsNull()) return;  // an empty config.yml is fine
  if (!root.IsMap()) {
    loaded->diagnostics.push_back(
        error_at(display, 1, 1, "config", "config.yml must be a mapping of settings"));
    return;
  }
  // import_paths: folders whose .co files belong to this config too.
  if (YAML::Node paths = root["import_paths"]) {
    int pl = paths.Mark().is_null() ? 0 : paths.Mark().line + 1;
    int pc = paths.Mark().is_null() ? 0 : paths.Mark().column + 1;
    if (!paths.IsSequence()) {
      loaded->diagnostics.push_back(
          error_at(display, pl, pc, "config", "import_paths must be a list of folders"));
    } else {
      for (size_t i = 0; i < paths.size(); ++i) {
        const YAML::Node& entry = paths[i];
        int el = entry.Mark().is_null() ? pl : entry.Mark().line + 1;
        int ec = entry.Mark().is_null() ? pc : entry.Mark().column + 1;
        if (!entry.IsScalar()) {
          loaded->diagnostics.push_back(error_at(display, el, ec, "config",
                                                 "import_paths[" + std::to_string(i) +
                                                     "] must be a folder path"));
          continue;
        }
        loaded->import_paths.push_back({entry.Scalar(), display, el, ec});
      }
    }
  }
  YAML::Node version = root["colang_version"];
  if (!version) return;
  int line = version.Mark().is_null() ? 0 : version.Mark().line + 1;
  int column = version.Mark().is_null() ? 0 : version.Mark().column + 1;
  if (!version.IsScalar()) {
    loaded->diagnostics.push_back(
        error_at(display, line, column, "config", "colang_version must be \"1.0\" or \"2.x\""));
    return;
  }
  std::string value = version.Scalar();
  if (value == "2.x") {
    loaded->colang_version = value;
  } else if (value == "1.0" || value == "1") {
    loaded->colang_version = "1.0";
    loaded->diagnostics.push_back(
        error_at(display, line, column, "config", "Colang 1.0 is not supported yet (issue 3)"));
  } else {
    loaded->colang_version = value;
    loaded->diagnostics.push_back(error_at(display, line, column, "config",
                                           "unknown colang_version '" + value +
                                               "' (expected \"1.0\" or \"2.x\")"));
  }
}

// Parses files and follows their imports breadth-first.
class Loader {
 public:
  Loader(LoadedColang* out, std::vector<fs::path> roots) : out_(out), roots_(std::move(roots)) {}

  void add(const fs::path& path) {
    if (!seen_.insert(file_key(path)).second) return;
    std::string display = path.lexically_normal().string();
    std::string source;
    if (!read_file(path, &source)) {
      out_->diagnostics.push_back(error_at(display, 0, 0, "io", "cannot read file"));
      return;
    }
    if (skip_v1_files_ && looks_like_v1(source)) {
      colang::Diagnostic d = error_at(display, 0, 0, "config",
                                      "skipped: the file looks like Colang 1.0, the config is 2.x");
      d.severity = colang::Diagnostic::Severity::kWarning;
      out_->diagnostics.push_back(std::move(d));
      return;
    }
    add_source(display, source);
  }

  void set_skip_v1_files(bool skip) { skip_v1_files_ = skip; }

  void add_source(const std::string& display, const std::string& source) {
    colang::ParseResult parsed = colang::parse_colang(source, display);
    for (auto& d : parsed.diagnostics) out_->diagnostics.push_back(std::move(d));
    bool ok = parsed.ok();
    for (const colang::Import& import : parsed.file.imports) {
      pending_.push_back({import, display});
    }
    out_->files.push_back(std::move(parsed.file));
    out_->file_ok.push_back(ok);
  }

  void follow_imports() {
    while (!pending_.empty()) {
      auto [import, importer] = std::move(pending_.front());
      pending_.pop_front();
      if (!modules_.insert(import.module).second) continue;  // each module once
      std::vector<fs::path> found = resolve_import(import.module, roots_);
      if (found.empty()) {
        out_->diagnostics.push_back(error_at(importer, import.loc.line, import.loc.column, "import",
                                             "cannot find module '" + import.module +
                                                 "' (searched " + describe_roots() + ")"));
        continue;
      }
      for (const fs::path& file : found) add(file);
    }
  }

 private:
  std::string describe_roots() const {
    std::string s;
    for (const fs::path& root : roots_) {
      if (!s.empty()) s += ", ";
      s += root.string();
    }
    return s;
  }

  struct Pending {
    colang::Import import;
    std::string importer;  // the importing file, for the diagnostic
  };
  LoadedColang* out_;
  bool skip_v1_files_ = false;
  std::vector<fs::path> roots_;
  std::set<std::string> seen_;
  std::set<std::string> modules_;
  std::deque<Pending> pending_;
};

std::vector<fs::path> search_roots(const fs::path& first, const LoaderOptions& options) {
  std::vector<fs::path> roots{first};
  for (const fs::path& p : options.search_path) roots.push_back(p);
  if (!options.stdlib_dir.empty()) roots.push_back(options.stdlib_dir);
  return roots;
}

}  // namespace

std::vector<colang::File> LoadedColang::good_files() const {
  std::vector<colang::File> good;
  for (size_t i = 0; i < files.size(); ++i) {
    if (file_ok[i]) good.push_back(files[i]);
  }
  return good;
}

LoaderOptions loader_options_from_env() {
  LoaderOptions options;
  if (const char* colangpath = std::getenv("COLANGPATH")) {
    std::string_view rest = colangpath;
    while (!rest.empty()) {
      size_t colon = rest.find(':');
      std::string_view entry = rest.substr(0, colon);
      if (!entry.empty()) options.search_path.emplace_back(std::string(entry));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  const char* stdlib = std::getenv("RG_STDLIB_DIR");
  options.stdlib_dir = (stdlib != nullptr && *stdlib != '\0') ? fs::path(stdlib)
                                                               : fs::path(RG_STDLIB_DIR);
  return options;
}

std::vector<fs::path> find_colang_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    if (has_hidden_name(entry.path())) {
      if (entry.is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (entry.is_regular_file(ec) && entry.path().extension() == ".co") {
      files.push_back(entry.path().lexically_normal());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<fs::path> resolve_import(const std::string& module,
                                     const std::vector<fs::path>& roots) {
  if (module.empty()) return {};
  bool path_like = module.find('/') != std::string::npos ||
                   (module.size() > 3 && module.compare(module.size() - 3, 3, ".co") == 0);
  fs::path relative;
  if (path_like) {
    relative = fs::path(module);
  } else {
    std::string with_slashes = module;
    std::replace(with_slashes.begin(), with_slashes.end(), '.', '/');
    relative = fs::path(with_slashes);
  }

  auto try_at = [&](const fs::path& base) -> std::vector<fs::path> {
    if (path_like && base.extension() == ".co" && regular_file_at(base)) return {base};
    fs::path as_file = base;
    as_file += ".co";
    if (regular_file_at(as_file)) return {as_file.lexically_normal()};
    if (directory_at(base)) return find_colang_files(base);
    return {};
  };

  if (relative.is_absolute()) return try_at(relative.lexically_normal());
  for (const fs::path& root : roots) {
    std::vector<fs::path> found = try_at((root / relative).lexically_normal());
    if (!found.empty()) return found;
  }
  return {};
}

LoadedColang load_config_dir(const fs::path& dir, const LoaderOptions& options) {
  LoadedColang loaded;
  loaded.root = dir;
  std::string display = dir.lexically_normal().string();
  if (!directory_at(dir)) {
    loaded.diagnostics.push_back(error_at(display, 0, 0, "config", "not a folder"));
    return loaded;
  }
  read_config_yaml(dir, &loaded);
  if (loaded.colang_version != "2.x") return loaded;  // reported above

  std::vector<fs::path> files = find_colang_files(dir);
  // import_paths entries: absolute, or relative to the working directory,
  // the config folder, then each $COLANGPATH folder (first that exists).
  for (const auto& ip : loaded.import_paths) {
    std::vector<fs::path> bases = {fs::current_path(), dir};
    bases.insert(bases.end(), options.search_path.begin(), options.search_path.end());
    fs::path found;
    if (fs::path(ip.path).is_absolute()) {
      if (directory_at(ip.path)) found = ip.path;
    } else {
      for (const fs::path& base : bases)
        if (directory_at(base / ip.path)) {
          found = (base / ip.path).lexically_normal();
          break;
        }
    }
    if (found.empty()) {
      loaded.diagnostics.push_back(error_at(ip.file, ip.line, ip.column, "config",
                                            "import_paths: no folder '" + ip.path +
                                                "' (looked in the working directory, the config "
                                                "folder and $COLANGPATH)"));
      continue;
    }
    for (const fs::path& f : find_colang_files(found)) files.push_back(f);
  }
  if (files.empty() && loaded.import_paths.empty()) {
    loaded.diagnostics.push_back(error_at(display, 0, 0, "config", "no .co files in this folder"));
    return loaded;
  }
  Loader loader(&loaded, search_roots(dir, options));
  for (const fs::path& file : files) loader.add(file);
  loader.follow_imports();
  return loaded;
}

LoadedColang load_colang_v2(const fs::path& root, const std::vector<fs::path>& files,
                            const std::vector<std::pair<std::string, std::string>>& sources,
                            const LoaderOptions& options, bool skip_v1_files) {
  LoadedColang loaded;
  loaded.root = root;
  Loader loader(&loaded, search_roots(root, options));
  loader.set_skip_v1_files(skip_v1_files);
  for (const auto& [name, text] : sources) loader.add_source(name, text);
  for (const fs::path& file : files) loader.add(file);
  loader.follow_imports();
  return loaded;
}

LoadedColang load_colang_file(const fs::path& file, const LoaderOptions& options) {
  LoadedColang loaded;
  fs::path folder = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  loaded.root = folder;
  if (!regular_file_at(file)) {
    loaded.diagnostics.push_back(
        error_at(file.lexically_normal().string(), 0, 0, "io", "no such file"));
    return loaded;
  }
  Loader loader(&loaded, search_roots(folder, options));
  loader.add(file);
  loader.follow_imports();
  return loaded;
}

}  // namespace rg::rails::config
