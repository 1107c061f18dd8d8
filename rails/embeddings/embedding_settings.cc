#include "rails/embeddings/embedding_settings.h"

#include "colang/value_json.h"
#include "retrieval/vector_index.h"

namespace rg::rails::embeddings {

namespace {

using colang::Dict;
using colang::Value;

struct Reader {
  std::string prefix;  // "core.embedding_search_provider"
  std::string error;

  bool fail(const std::string& field, const std::string& what, const Value* got) {
    if (error.empty()) {
      error = prefix + "." + field + ": " + what;
      if (got) error += ", got " + colang::to_json(*got).dump();
    }
    return false;
  }
  bool string(const Dict& d, const char* key, const std::string& field, std::string& out) {
    const Value* v = d.find(key);
    if (!v || v->is_none()) return true;
    if (!v->is_str()) return fail(field, "expected a string", v);
    out = v->as_str();
    return true;
  }
  bool boolean(const Dict& d, const char* key, const std::string& field, bool& out) {
    const Value* v = d.find(key);
    if (!v || v->is_none()) return true;
    if (!v->is_bool()) return fail(field, "expected true or false", v);
    out = v->as_bool();
    return true;
  }
  bool number(const Dict& d, const char* key, const std::string& field, double& out) {
    const Value* v = d.find(key);
    if (!v || v->is_none()) return true;
    if (!v->is_number() || v->is_bool()) return fail(field, "expected a number", v);
    out = v->as_number();
    return true;
  }
};

}  // namespace

SettingsResult embedding_settings_for(const config::RailsConfig& config, IndexPurpose purpose) {
  const bool kb = purpose == IndexPurpose::kKnowledgeBase;
  const Dict& esp = kb ? config.knowledge_base_esp : config.core_esp;
  Reader r{kb ? "knowledge_base.embedding_search_provider" : "core.embedding_search_provider", ""};
  EmbeddingSettings s;

  // The config's embeddings model, if any (the last one, as the reference's
  // loop leaves it).
  for (size_t i = 0; i < config.models.size(); ++i) {
    const config::ModelConfig& m = config.models[i];
    if (m.type != "embeddings") continue;
    s.engine = m.engine;
    s.model = m.model;
    s.parameters = nlohmann::json(colang::to_json(Value(m.parameters)));
    if (s.model.empty()) {
      for (const char* key : {"model", "model_name"})
        if (s.parameters.contains(key) && s.parameters[key].is_string()) s.model = s.parameters[key];
    }
    s.source = "models[" + std::to_string(i) + "]";
  }

  r.string(esp, "name", "name", s.provider);
  if (s.provider.empty()) s.provider = "default";
  if (s.provider != "default")
    r.fail("name", "unknown embedding search provider '" + s.provider +
                       "' (railguard has only 'default'; custom providers are Python classes in the reference)",
           nullptr);

  const Value* params = esp.find("parameters");
  if (params && !params->is_none() && !params->is_dict()) r.fail("parameters", "expected a mapping", params);
  if (params && params->is_dict()) {
    const Dict& p = params->as_dict();
    std::string engine, model;
    r.string(p, "embedding_engine", "parameters.embedding_engine", engine);
    r.string(p, "embedding_model", "parameters.embedding_model", model);
    if (!engine.empty() || !model.empty()) {
      if (!engine.empty()) s.engine = engine;
      if (!model.empty()) s.model = model;
      s.source = r.prefix + ".parameters";
    }
    if (const Value* ep = p.find("embedding_parameters"); ep && !ep->is_none()) {
      if (!ep->is_dict()) r.fail("parameters.embedding_parameters", "expected a mapping", ep);
      else s.parameters = nlohmann::json(colang::to_json(*ep));
    }
    double threshold = -1;
    if (p.contains("search_threshold") && r.number(p, "search_threshold", "parameters.search_threshold", threshold) &&
        threshold >= 0 && p.find("search_threshold")->is_number())
      s.search_threshold = static_cast<float>(threshold);
    r.boolean(p, "use_batching", "parameters.use_batching", s.use_batching);
    if (r.string(p, "index", "parameters.index", s.index_spec) && !s.index_spec.empty()) {
      std::string why;
      if (!retrieval::make_vector_index(s.index_spec, 4, &why)) r.fail("parameters.index", why, nullptr);
    }
    double batch = s.max_batch_size;
    if (r.number(p, "max_batch_size", "parameters.max_batch_size", batch)) {
      if (batch < 1 || batch != static_cast<int>(batch))
        r.fail("parameters.max_batch_size", "expected a positive integer", p.find("max_batch_size"));
      else s.max_batch_size = static_cast<int>(batch);
    }
    if (r.number(p, "max_batch_hold", "parameters.max_batch_hold", s.max_batch_hold_s) && s.max_batch_hold_s < 0)
      r.fail("parameters.max_batch_hold", "expected a non-negative number of seconds", p.find("max_batch_hold"));
  }

  const Value* cache = esp.find("cache");
  if (cache && !cache->is_none() && !cache->is_dict()) r.fail("cache", "expected a mapping", cache);
  if (cache && cache->is_dict()) {
    const Dict& c = cache->as_dict();
    r.boolean(c, "enabled", "cache.enabled", s.cache.enabled);
    r.string(c, "key_generator", "cache.key_generator", s.cache.key_generator);
    r.string(c, "store", "cache.store", s.cache.store);
    if (s.cache.key_generator != "md5" && s.cache.key_generator != "sha256" && s.cache.key_generator != "hash")
      r.fail("cache.key_generator", "expected md5, sha256 or hash", c.find("key_generator"));
    if (s.cache.store == "redis")
      r.fail("cache.store", "the redis store is not supported by railguard (use filesystem or in_memory)", nullptr);
    else if (s.cache.store != "filesystem" && s.cache.store != "in_memory")
      r.fail("cache.store", "expected filesystem or in_memory", c.find("store"));
    if (const Value* sc = c.find("store_config"); sc && !sc->is_none()) {
      if (!sc->is_dict()) r.fail("cache.store_config", "expected a mapping", sc);
      else r.string(sc->as_dict(), "cache_dir", "cache.store_config.cache_dir", s.cache.cache_dir);
    }
  }

  if (!r.error.empty()) return {std::nullopt, r.error};
  return {std::move(s), ""};
}

}  // namespace rg::rails::embeddings
