// ConfigRegistry: the server's configs, loaded once and shared read-only.
//
// `root` is either one config (config.yml|yaml at its root: single-config
// mode, the id is the folder's name) or a folder of configs (every sub-folder
// not starting with '.' or '_' that holds a config.yml|yaml; the id is the
// sub-folder's name). A config is loaded the first time it is asked for and
// then cached; with auto_reload, its files' mtimes are checked at most once a
// second and a changed config is loaded again and swapped in atomically.
// Requests holding the old one keep it; a config that fails to reload keeps
// the old one (the reason is logged on stderr).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "llm/model_router.h"
#include "rails/actions/llm_actions.h"
#include "rails/actions/rail_actions.h"
#include "rails/embeddings/embedder_pool.h"
#include "rails/config/rails_config.h"
#include "rails/dialog/rails_v1.h"
#include "runtime/flow_library.h"
#include "runtime/state.h"

namespace rg::rails::server {

// One config, ready to answer. Immutable once built.
struct LoadedConfig {
  std::string id;
  std::filesystem::path dir;
  std::shared_ptr<const config::RailsConfig> config;
  std::shared_ptr<llm::ModelRouter> router;
  bool v2 = false;  // colang_version 2.x
  // Colang 1.0: the turn pipeline.
  std::shared_ptr<const dialog::DialogRailsV1> v1;
  // Colang 2.x: the flows and the LLM actions' settings (a Session per request).
  std::shared_ptr<const runtime::FlowLibrary> library;
  LlmActionsOptions llm_options;
  RailActionsOptions rail_options;  // the rails library's actions (detectors built once)
  std::string model_id;  // "engine/model" of the main model ("unknown" when none)

  // Colang 2.x: the state once `main` and the @active flows have started,
  // with what they said. Made by the first request that starts a
  // conversation and copied (runtime::clone_state) by every later one:
  // starting the flows again per request cost as much as the turn itself.
  struct Started {
    std::unique_ptr<runtime::State> state;
    std::vector<std::string> said;
  };
  mutable std::mutex started_mu;
  mutable std::shared_ptr<const Started> started;  // guarded by started_mu
};

// Builds a config from its folder; null with `error` when it does not load.
// `base_dirs` are configs combined under it (config_ids: the earlier ids),
// whose settings and flows the config's own override.
std::shared_ptr<const LoadedConfig> load_config(const std::string& id, const std::filesystem::path& dir,
                                                std::string* error,
                                                const std::vector<std::filesystem::path>& base_dirs = {},
                                                std::shared_ptr<embeddings::EmbedderPool> embedders = nullptr);

class ConfigRegistry {
 public:
  ConfigRegistry(std::filesystem::path root, bool auto_reload);

  // True when `root` itself holds a config.
  bool single_config() const { return single_; }
  // The id of single-config mode ("" in multi-config mode).
  const std::string& single_id() const { return single_id_; }
  // The config ids available now, sorted (the folder is listed on each call).
  std::vector<std::string> ids() const;

  // The config `id`. On failure null, with `status` 400 (the id is not a
  // plain name), 404 (no such config) or 500 (it does not load) and `error`.
  std::shared_ptr<const LoadedConfig> get(const std::string& id, int* status, std::string* error);
  // Several configs combined in order (`config_ids`), later ones winning;
  // cached under the whole list.
  std::shared_ptr<const LoadedConfig> get(const std::vector<std::string>& ids, int* status, std::string* error);

  // An id that may name a folder: not empty, no '/', '\\' or "..".
  static bool valid_id(const std::string& id);

 private:
  struct Entry {
    std::mutex mu;       // guards current, stamp, checked
    std::mutex load_mu;  // one (re)load at a time
    std::shared_ptr<const LoadedConfig> current;
    uint64_t stamp = 0;  // of the files `current` was loaded from
    std::chrono::steady_clock::time_point checked;
  };
  std::filesystem::path dir_of(const std::string& id) const;
  Entry& entry(const std::string& id);

  std::filesystem::path root_;
  bool auto_reload_;
  bool single_ = false;
  std::string single_id_;
  std::mutex entries_mu_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  // Embedders shared by every config (a model or the word vectors load once).
  std::shared_ptr<embeddings::EmbedderPool> embedders_ = std::make_shared<embeddings::EmbedderPool>();
};

// A cheap fingerprint of a folder's files (paths, sizes, mtimes).
uint64_t files_stamp(const std::filesystem::path& dir);

}  // namespace rg::rails::server
