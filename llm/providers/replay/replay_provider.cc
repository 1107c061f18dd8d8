#include "llm/providers/replay/replay_provider.h"

#include <utility>

namespace rg::llm {

ReplayProvider::ReplayProvider(std::vector<std::string> responses, std::string model)
    : responses_(std::move(responses)), model_(std::move(model)) {}

std::vector<ReplayProvider::Call> ReplayProvider::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

size_t ReplayProvider::responses_left() const {
  std::lock_guard<std::mutex> lock(mu_);
  return responses_.size() - next_;
}

Result<Completion> ReplayProvider::call(const LlmRequest& request, int /*n*/,
                                        const ChunkCallback& on_chunk) {
  std::string text;
  {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back({request.task, request.messages.empty()
                                        ? request.prompt
                                        : flatten_messages(request.messages)});
    if (next_ >= responses_.size())
      return Error{ErrorCode::kProvider,
                   "replay: no responses left for LLM call number " +
                       std::to_string(calls_.size()) + " (" + std::to_string(responses_.size()) +
                       " canned)",
                   "replay"};
    text = responses_[next_++];
  }
  if (on_chunk && !text.empty()) on_chunk(text);
  Completion c;
  c.text = text;
  c.choices = {text};
  c.model = model_;
  return c;
}

Result<std::shared_ptr<Provider>> make_replay(std::string_view /*engine*/,
                                              const ProviderSettings& settings) {
  std::vector<std::string> responses;
  if (settings.parameters.is_object() && settings.parameters.contains("responses")) {
    const nlohmann::json& r = settings.parameters["responses"];
    if (!r.is_array())
      return Error{ErrorCode::kBadConfig,
                   "replay: parameters.responses: expected a list of strings, got " + r.dump(),
                   "replay parameters.responses"};
    for (const nlohmann::json& s : r) {
      if (!s.is_string())
        return Error{ErrorCode::kBadConfig,
                     "replay: parameters.responses: expected strings, got " + s.dump(),
                     "replay parameters.responses"};
      responses.push_back(s.get<std::string>());
    }
  }
  return std::shared_ptr<Provider>(std::make_shared<ReplayProvider>(
      std::move(responses), settings.model.empty() ? "replay" : settings.model));
}

}  // namespace rg::llm
