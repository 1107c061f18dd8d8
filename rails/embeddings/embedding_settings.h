// Which embedder and which index options a config asks for (spec 4), read
// from its `models:` entry of type `embeddings` and the two
// `embedding_search_provider` sections (`core.` for the dialog indexes,
// `knowledge_base.` for the kb), resolved the reference's way:
//
//   engine/model: esp.parameters.embedding_engine / embedding_model, else the
//                 `type: embeddings` model's engine / model, else none given
//                 (railguard then uses its built-in embedder; the reference
//                 would download FastEmbed all-MiniLM-L6-v2).
//   parameters:   esp.parameters.embedding_parameters, else that model's
//                 parameters.
//   search_threshold, use_batching, max_batch_size, max_batch_hold, index:
//                 from esp.parameters; cache: esp.cache.
//
// Errors name the field: "core.embedding_search_provider.parameters.
// max_batch_size: expected a positive integer, got 'x'".
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "rails/config/rails_config.h"

namespace rg::rails::embeddings {

enum class IndexPurpose { kDialog, kKnowledgeBase };

struct EmbeddingCacheSettings {
  bool enabled = false;
  std::string key_generator = "md5";  // "md5" | "sha256" | "hash"
  std::string store = "filesystem";   // "filesystem" | "in_memory" (redis: refused)
  std::string cache_dir;              // store_config.cache_dir; "" = the store's default
};

struct EmbeddingSettings {
  std::string provider = "default";  // esp.name; only "default" exists here
  std::string engine;                // "" = none given: the built-in embedder
  std::string model;                 // "" = the engine's default
  nlohmann::json parameters = nlohmann::json::object();  // engine parameters
  std::optional<float> search_threshold;
  bool use_batching = false;
  int max_batch_size = 10;
  double max_batch_hold_s = 0.01;
  EmbeddingCacheSettings cache;
  // parameters.index (railguard's own): the FAISS structure, a
  // retrieval::make_vector_index string ("auto" = exact up to 20,000
  // vectors then HNSW, "auto:<n>", "Flat", "HNSW32,efSearch=256"); "" = auto.
  std::string index_spec;
  std::string source;  // where engine/model came from, for messages ("models[1]", ...)
};

struct SettingsResult {
  std::optional<EmbeddingSettings> settings;  // set when error is empty
  std::string error;
};

SettingsResult embedding_settings_for(const config::RailsConfig& config, IndexPurpose purpose);

}  // namespace rg::rails::embeddings
