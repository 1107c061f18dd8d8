#include "rails/server/config_registry.h"

#include <algorithm>
#include <iostream>
#include <system_error>

#include "rails/config/colang_loader.h"
#include "rails/dialog/llm_setup.h"
#include "rails/prompts/task_prompt_renderer.h"

namespace rg::rails::server {
namespace fs = std::filesystem;

namespace {

bool has_config_file(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "config.yml", ec) || fs::is_regular_file(dir / "config.yaml", ec);
}

std::string render(const std::vector<colang::Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    if (d.severity != colang::Diagnostic::Severity::kError) continue;
    if (!out.empty()) out += "; ";
    out += d.render();
  }
  return out.empty() ? "the config does not load" : out;
}

}  // namespace

uint64_t files_stamp(const fs::path& dir) {
  // FNV-1a over (path, size, mtime) of every file, in directory order sorted.
  std::vector<std::string> rows;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code e2;
    if (!it->is_regular_file(e2)) continue;
    auto size = it->file_size(e2);
    auto mtime = it->last_write_time(e2).time_since_epoch().count();
    rows.push_back(it->path().string() + "\t" + std::to_string(size) + "\t" + std::to_string(mtime));
  }
  std::sort(rows.begin(), rows.end());
  uint64_t h = 1469598103934665603ull;
  for (const auto& row : rows) {
    for (unsigned char c : row) h = (h ^ c) * 1099511628211ull;
    h = (h ^ '\n') * 1099511628211ull;
  }
  return h;
}

std::shared_ptr<const LoadedConfig> load_config(const std::string& id, const fs::path& dir, std::string* error,
                                                const std::vector<fs::path>& base_dirs,
                                                std::shared_ptr<embeddings::EmbedderPool> embedders) {
  if (!embedders) embedders = std::make_shared<embeddings::EmbedderPool>();
  auto out = std::make_shared<LoadedConfig>();
  out->id = id;
  out->dir = dir;
  config::LoadOptions load_options;
  load_options.library_flows = dialog::library_v1_flow_names();
  load_options.base_configs = base_dirs;
  config::LoadResult loaded = config::load_rails_config(dir, load_options);
  if (!loaded.ok()) {
    *error = render(loaded.diagnostics);
    return nullptr;
  }
  out->config = loaded.config;
  auto router = dialog::make_model_router(*loaded.config);
  if (!router.ok()) {
    *error = (router.error().where.empty() ? "" : router.error().where + ": ") + router.error().message;
    return nullptr;
  }
  out->router = router.value();
  out->model_id = main_model_id(*loaded.config);
  if (loaded.config->colang_version == "1.0") {
    dialog::DialogOptions options;
    options.embedder_pool = embedders;
    std::string why;
    out->v1 = dialog::DialogRailsV1::create(loaded.config, out->router, options, &why);
    if (!out->v1) {
      *error = why;
      return nullptr;
    }
    return out;
  }
  out->v2 = true;
  std::vector<colang::File> files;
  if (base_dirs.empty()) {
    config::LoadedColang colang = config::load_config_dir(dir, config::loader_options_from_env());
    if (!colang.ok()) {
      *error = render(colang.diagnostics);
      return nullptr;
    }
    files = std::move(colang.files);
  } else {
    // Combined configs: the files the config loader gathered from all of them.
    files = loaded.config->v2_files;
  }
  runtime::FlowLibrary::BuildResult built = runtime::FlowLibrary::build(files);
  if (built.library == nullptr || colang::has_errors(built.diagnostics)) {
    *error = render(built.diagnostics);
    return nullptr;
  }
  if (built.library->find("main") == nullptr) {
    *error = "no flow 'main' in " + dir.string();
    return nullptr;
  }
  out->library = built.library;
  prompts::PromptsConfig prompts_config = dialog::prompts_config_for(*loaded.config);
  auto renderer = prompts::TaskPromptRenderer::create(prompts_config);
  if (!renderer.ok()) {
    *error = renderer.error().to_string();
    return nullptr;
  }
  out->llm_options.renderer = renderer.value();
  out->llm_options.model = out->model_id;
  out->llm_options.config = loaded.config;
  std::string why;
  out->llm_options.indexer = embeddings::ConfigIndexer::create(*loaded.config, *embedders, {}, &why);
  if (!out->llm_options.indexer) {
    *error = why;
    return nullptr;
  }
  out->rail_options.renderer = out->llm_options.renderer;
  out->rail_options.model = out->model_id;
  out->rail_options.config = loaded.config;
  out->rail_options.detectors = RailDetectors::create(*loaded.config, &why);
  if (!out->rail_options.detectors) {
    *error = why;
    return nullptr;
  }
  return out;
}

ConfigRegistry::ConfigRegistry(fs::path root, bool auto_reload) : root_(std::move(root)), auto_reload_(auto_reload) {
  single_ = has_config_file(root_);
  if (single_) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(root_, ec);
    if (ec) canonical = root_;
    single_id_ = canonical.filename().string();
    if (single_id_.empty() || single_id_ == ".") single_id_ = canonical.parent_path().filename().string();
  }
}

bool ConfigRegistry::valid_id(const std::string& id) {
  return !id.empty() && id.find('/') == std::string::npos && id.find('\\') == std::string::npos &&
         id.find("..") == std::string::npos && id.find('\0') == std::string::npos;
}

std::vector<std::string> ConfigRegistry::ids() const {
  if (single_) return {single_id_};
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code e2;
    if (!it->is_directory(e2)) continue;
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || name[0] == '_') continue;
    if (has_config_file(it->path())) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

fs::path ConfigRegistry::dir_of(const std::string& id) const {
  if (single_) return id == single_id_ ? root_ : fs::path();
  if (id[0] == '.' || id[0] == '_') return {};
  fs::path dir = root_ / id;
  return has_config_file(dir) ? dir : fs::path();
}

ConfigRegistry::Entry& ConfigRegistry::entry(const std::string& id) {
  std::lock_guard<std::mutex> guard(entries_mu_);
  auto& slot = entries_[id];
  if (!slot) slot = std::make_unique<Entry>();
  return *slot;
}

std::shared_ptr<const LoadedConfig> ConfigRegistry::get(const std::string& id, int* status, std::string* error) {
  return get(std::vector<std::string>{id}, status, error);
}

std::shared_ptr<const LoadedConfig> ConfigRegistry::get(const std::vector<std::string>& ids, int* status,
                                                        std::string* error) {
  std::vector<fs::path> dirs;
  std::string id;
  for (const std::string& one : ids) {
    if (!valid_id(one)) {
      *status = 400;
      *error = "invalid config id '" + one + "': it must be a folder name (no '/', '\\' or '..')";
      return nullptr;
    }
    fs::path d = dir_of(one);
    if (d.empty()) {
      *status = 404;
      *error = "config '" + one + "' not found";
      return nullptr;
    }
    dirs.push_back(d);
    id += (id.empty() ? "" : "+") + one;
  }
  if (dirs.empty()) {
    *status = 400;
    *error = "no config id";
    return nullptr;
  }
  if (ids.size() > 1) {
    // Each config must load on its own, and they must speak the same Colang.
    std::string version;
    for (const std::string& one : ids) {
      auto single = get(std::vector<std::string>{one}, status, error);
      if (!single) return nullptr;
      if (!version.empty() && single->config->colang_version != version) {
        *status = 400;
        *error = "config_ids: '" + one + "' is Colang " + single->config->colang_version + ", '" + ids.front() +
                 "' is Colang " + version + "; configs of different Colang versions cannot be combined";
        return nullptr;
      }
      version = single->config->colang_version;
    }
  }
  fs::path dir = dirs.back();
  std::vector<fs::path> base(dirs.begin(), dirs.end() - 1);
  Entry& e = entry(id);
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> guard(e.mu);
    if (e.current && (!auto_reload_ || now - e.checked < std::chrono::seconds(1))) return e.current;
  }
  // First load, or an auto-reload check is due.
  std::unique_lock<std::mutex> loading(e.load_mu, std::defer_lock);
  {
    std::lock_guard<std::mutex> guard(e.mu);
    if (e.current) {
      // Another thread is checking: answer with the current one.
      if (!loading.try_lock()) return e.current;
    }
  }
  if (!loading.owns_lock()) loading.lock();
  std::shared_ptr<const LoadedConfig> current;
  uint64_t old_stamp;
  {
    std::lock_guard<std::mutex> guard(e.mu);
    current = e.current;
    old_stamp = e.stamp;
    if (current && now - e.checked < std::chrono::seconds(1)) return current;
    e.checked = std::chrono::steady_clock::now();
  }
  uint64_t stamp = files_stamp(dir);
  for (const fs::path& b : base) stamp = stamp * 0x100000001b3ULL ^ files_stamp(b);
  if (current && stamp == old_stamp) return current;
  std::string why;
  auto loaded = load_config(id, dir, &why, base, embedders_);
  std::lock_guard<std::mutex> guard(e.mu);
  if (!loaded) {
    if (e.current) {
      std::cerr << "railguard server: config '" << id << "' changed but does not reload; keeping the old one: "
                << why << "\n";
      e.stamp = stamp;  // do not retry until the files change again
      return e.current;
    }
    *status = 500;
    *error = "config '" + id + "' does not load: " + why;
    return nullptr;
  }
  if (e.current) std::cerr << "railguard server: config '" << id << "' reloaded\n";
  e.current = loaded;
  e.stamp = stamp;
  return loaded;
}

}  // namespace rg::rails::server
