// ModelRouter: the config's `models:` list as one LlmClient (spec 1.3).
//
//   models:
//     - {type: main, engine: nim, model: meta/llama-3.1-8b-instruct}
//     - {type: self_check_input, engine: openai, model: gpt-4o-mini}
//
//   auto router = ModelRouter::create({{"main", "nim", {...}}, {"self_check_input", "openai", {...}}});
//   router.value()->complete("self_check_input", p, {});  // the openai model
//   router.value()->complete("general", p, {});           // main
//
// Routing: a task goes to the model whose type equals the task name, else to
// `main`; with no main either it fails with kNotConfigured ("no LLM
// configured for task X"). A list of exactly one model makes it main whatever
// its type. `embeddings` models are not LLMs: they are skipped here (the
// retrieval layer reads them).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "llm/provider.h"

namespace rg::llm {

struct ModelConfig {
  std::string type;    // "main", "self_check_input", ...
  std::string engine;  // a registry name (llm/registry.h)
  ProviderSettings settings;
};

class ModelRouter final : public LlmClient {
 public:
  // Makes every provider through the registry. Errors are the first
  // provider's error, with `where` prefixed by "models[i] (type T): ".
  static Result<std::shared_ptr<ModelRouter>> create(const std::vector<ModelConfig>& models);

  // Routes already-made providers (tests, embedders); keys are model types.
  explicit ModelRouter(std::map<std::string, std::shared_ptr<LlmClient>, std::less<>> by_type);

  // The client serving `task`, or null.
  LlmClient* client_for(std::string_view task) const;

  Result<Completion> complete(std::string_view task, std::string_view prompt,
                              const LlmParams& params) override;
  Result<Completion> generate(const LlmRequest& request, const ChunkCallback& on_chunk = {}) override;

 private:
  std::map<std::string, std::shared_ptr<LlmClient>, std::less<>> by_type_;
};

}  // namespace rg::llm
