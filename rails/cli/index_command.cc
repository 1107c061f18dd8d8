#include "rails/cli/index_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "rails/actions/action_registry.h"
#include "rails/actions/llm_actions.h"
#include "rails/config/rails_config.h"
#include "llm/model_router.h"
#include "rails/dialog/rails_v1.h"
#include "rails/embeddings/config_indexes.h"

namespace rg::cli {

namespace {

constexpr const char* kUsage =
    "usage: railguard index --config DIR [--cache-dir DIR]\n"
    "\n"
    "Builds and saves every embedding index of the config (intents, bot messages,\n"
    "flows, knowledge base) with the embedder its config.yml selects, so that\n"
    "`railguard server` and `railguard chat` load them instead of embedding.\n"
    "\n"
    "  --config DIR      the config folder (config.yml, *.co, kb/)\n"
    "  --cache-dir DIR   where indexes are saved (default: $RAILGUARD_INDEX_CACHE,\n"
    "                    else ./.cache/railguard; the server must be started with\n"
    "                    the same setting and working directory to find them)\n";

}  // namespace

int index_command(int argc, char** argv) {
  std::string config_dir;
  std::optional<std::filesystem::path> cache_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if ((a == "--config" || a == "--cache-dir") && i + 1 < argc) {
      if (a == "--config") config_dir = argv[++i];
      else cache_dir = std::filesystem::path(argv[++i]);
      continue;
    }
    std::cerr << "railguard index: unexpected argument '" << a << "'\n" << kUsage;
    return 2;
  }
  if (config_dir.empty()) {
    std::cerr << "railguard index: --config DIR is required\n" << kUsage;
    return 2;
  }

  rails::config::LoadOptions load_options;
  load_options.library_flows = rails::dialog::library_v1_flow_names();
  load_options.llm_supplied_externally = true;  // indexing calls no LLM
  rails::config::LoadResult loaded = rails::config::load_rails_config(config_dir, load_options);
  for (const auto& d : loaded.diagnostics) std::cerr << d.render() << "\n";
  if (!loaded.ok()) return 1;
  const auto& config = loaded.config;

  rails::embeddings::IndexingOptions indexing;
  indexing.save_all = true;
  indexing.cache_dir = cache_dir;
  std::vector<rails::embeddings::IndexReport> reports;
  indexing.on_built = [&](const rails::embeddings::IndexReport& r) { reports.push_back(r); };

  const auto start = std::chrono::steady_clock::now();
  auto pool = std::make_shared<rails::embeddings::EmbedderPool>();
  std::string error;
  if (config->colang_version == "1.0") {
    rails::dialog::DialogOptions options;
    options.embedder_pool = pool;
    options.indexing = indexing;
    // Building the indexes calls no LLM: an empty router (no API keys needed).
    auto router = std::make_shared<llm::ModelRouter>(std::map<std::string, std::shared_ptr<llm::LlmClient>, std::less<>>{});
    if (!rails::dialog::DialogRailsV1::create(config, router, options, &error)) {
      std::cerr << "railguard index: " << error << "\n";
      return 1;
    }
  } else {
    auto indexer = rails::embeddings::ConfigIndexer::create(*config, *pool, indexing, &error);
    if (!indexer) {
      std::cerr << "railguard index: " << error << "\n";
      return 1;
    }
    try {
      rails::ActionRegistry registry;
      rails::LlmActionsOptions llm_options;
      llm_options.config = config;
      llm_options.indexer = indexer;
      rails::register_llm_actions(registry, nullptr, llm_options);  // builds the flow indexes
      if (!config->kb_docs.empty()) {
        std::vector<retrieval::KbDocument> docs;
        for (const auto& d : config->kb_docs) docs.push_back({d.path, d.content});
        indexer->build_kb(docs);
      }
    } catch (const std::exception& e) {
      std::cerr << "railguard index: " << e.what() << "\n";
      return 1;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (reports.empty()) {
    std::cout << "nothing to index in " << config_dir << " (no examples, flows or kb/)\n";
    return 0;
  }
  for (const auto& r : reports) {
    std::printf("%-18s %6zu items  %-26s %-8s %s\n", r.label.c_str(), r.items, r.embedder.c_str(),
                r.loaded ? "cached" : (r.saved ? "built" : "not saved"), r.file.string().c_str());
  }
  std::printf("%zu indexes in %.2f s\n", reports.size(), seconds);
  std::fflush(stdout);
  return 0;
}

}  // namespace rg::cli
