#include "llm/model_router.h"

#include <utility>

#include "llm/registry.h"

namespace rg::llm {

Result<std::shared_ptr<ModelRouter>> ModelRouter::create(const std::vector<ModelConfig>& models) {
  std::map<std::string, std::shared_ptr<LlmClient>, std::less<>> by_type;
  for (size_t i = 0; i < models.size(); ++i) {
    const ModelConfig& m = models[i];
    if (m.type == "embeddings" && models.size() > 1) continue;
    Result<std::shared_ptr<Provider>> p = make_provider(m.engine, m.settings);
    if (!p.ok()) {
      Error e = p.error();
      e.where = "models[" + std::to_string(i) + "] (type " + m.type + ")" +
                (e.where.empty() ? "" : ": " + e.where);
      return e;
    }
    const std::string type = models.size() == 1 ? "main" : m.type;
    by_type.emplace(type, std::move(p.value()));  // the first entry of a type wins
  }
  return std::make_shared<ModelRouter>(std::move(by_type));
}

ModelRouter::ModelRouter(std::map<std::string, std::shared_ptr<LlmClient>, std::less<>> by_type)
    : by_type_(std::move(by_type)) {}

LlmClient* ModelRouter::client_for(std::string_view task) const {
  if (auto it = by_type_.find(task); it != by_type_.end()) return it->second.get();
  if (auto it = by_type_.find("main"); it != by_type_.end()) return it->second.get();
  return nullptr;
}

Result<Completion> ModelRouter::complete(std::string_view task, std::string_view prompt,
                                         const LlmParams& params) {
  LlmClient* client = client_for(task);
  if (!client) return NoLlmConfigured().complete(task, prompt, params);
  return client->complete(task, prompt, params);
}

Result<Completion> ModelRouter::generate(const LlmRequest& request, const ChunkCallback& on_chunk) {
  LlmClient* client = client_for(request.task);
  if (!client) return NoLlmConfigured().complete(request.task, request.prompt, request.params);
  return client->generate(request, on_chunk);
}

}  // namespace rg::llm
