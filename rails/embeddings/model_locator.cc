#include "rails/embeddings/model_locator.h"

#include <algorithm>
#include <cstdlib>
#include <system_error>

namespace rg::rails::embeddings {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string last_part(const std::string& name) {
  std::string n = name;
  while (!n.empty() && n.back() == '/') n.pop_back();
  size_t slash = n.rfind('/');
  return slash == std::string::npos ? n : n.substr(slash + 1);
}

fs::path hf_hub_cache() {
  if (std::string d = env("HF_HUB_CACHE"); !d.empty()) return d;
  if (std::string d = env("HF_HOME"); !d.empty()) return fs::path(d) / "hub";
  if (std::string home = env("HOME"); !home.empty()) return fs::path(home) / ".cache" / "huggingface" / "hub";
  return {};
}

}  // namespace

bool is_encoder_folder(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "config.json", ec) && fs::is_regular_file(dir / "model.safetensors", ec) &&
         fs::is_regular_file(dir / "tokenizer.json", ec);
}

bool names_a_path(const std::string& name) {
  return !name.empty() && (name[0] == '/' || name[0] == '.' || name[0] == '~' || name.back() == '/');
}

ModelSearch locate_encoder_model(const std::string& name, const fs::path& config_dir) {
  ModelSearch out;
  if (name.empty()) return out;
  auto try_dir = [&](const fs::path& dir) {
    if (out.found) return;
    out.looked_in.push_back(dir.string());
    if (is_encoder_folder(dir)) out.found = dir;
  };
  const std::string base = last_part(name);

  std::string as_path = name;
  if (as_path[0] == '~') as_path = env("HOME") + as_path.substr(1);
  if (fs::path(as_path).is_absolute()) {
    try_dir(as_path);
  } else {
    if (!config_dir.empty()) try_dir(config_dir / as_path);
    try_dir(fs::current_path() / as_path);
  }
  if (names_a_path(name)) return out;  // a path means that place only

  std::string list = env("RAILGUARD_MODELS");
  for (size_t start = 0; start <= list.size() && !list.empty();) {
    size_t colon = list.find(':', start);
    std::string dir = list.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty()) {
      try_dir(fs::path(dir) / name);
      if (base != name) try_dir(fs::path(dir) / base);
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (!config_dir.empty()) try_dir(config_dir / "models" / base);

  if (fs::path hub = hf_hub_cache(); !hub.empty()) {
    std::string org_name = name.find('/') == std::string::npos ? "sentence-transformers/" + name : name;
    std::string hub_name = "models--";
    for (char c : org_name) hub_name += (c == '/') ? std::string("--") : std::string(1, c);
    fs::path snapshots = hub / hub_name / "snapshots";
    out.looked_in.push_back(snapshots.string() + "/*");
    std::error_code ec;
    if (!out.found && fs::is_directory(snapshots, ec)) {
      // The newest snapshot that is complete.
      std::vector<fs::directory_entry> revs;
      for (const auto& e : fs::directory_iterator(snapshots, ec)) revs.push_back(e);
      std::sort(revs.begin(), revs.end(), [](const auto& a, const auto& b) {
        std::error_code e1, e2;
        return fs::last_write_time(a.path(), e1) > fs::last_write_time(b.path(), e2);
      });
      for (const auto& r : revs)
        if (is_encoder_folder(r.path())) {
          out.found = r.path();
          break;
        }
    }
  }
  if (std::string home = env("HOME"); !home.empty())
    try_dir(fs::path(home) / ".cache" / "railguard" / "models" / base);
  return out;
}

}  // namespace rg::rails::embeddings
