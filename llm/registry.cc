#include "llm/registry.h"

#include <algorithm>

#include "llm/providers/local/local_provider.h"
#include "llm/providers/openai_compatible/openai_compatible_provider.h"
#include "llm/providers/replay/replay_provider.h"

namespace rg::llm {

namespace {

using Factory = Result<std::shared_ptr<Provider>> (*)(std::string_view engine,
                                                      const ProviderSettings& settings);

struct Entry {
  const char* engine;
  Factory make;
};

// The catalogue. To add a provider: its folder under providers/, then one line here.
constexpr Entry kProviders[] = {
    {"openai", make_openai_compatible},
    {"nim", make_openai_compatible},
    {"nvidia_ai_endpoints", make_openai_compatible},
    {"vllm_openai", make_openai_compatible},
    {"ollama", make_openai_compatible},
    {"replay", make_replay},
    {"local", make_local},
};

}  // namespace

Result<std::shared_ptr<Provider>> make_provider(std::string_view engine,
                                                const ProviderSettings& settings) {
  for (const Entry& e : kProviders)
    if (engine == e.engine) return e.make(engine, settings);
  std::string known;
  for (const std::string& name : known_engines()) known += (known.empty() ? "" : ", ") + name;
  return Error{ErrorCode::kBadConfig,
               "unknown LLM engine '" + std::string(engine) + "' (known: " + known + ")",
               "engine"};
}

std::vector<std::string> known_engines() {
  std::vector<std::string> names;
  for (const Entry& e : kProviders) names.emplace_back(e.engine);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace rg::llm
