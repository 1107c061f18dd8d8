#include "llm/providers/local/local_provider.h"

#include <utility>

#include <nlohmann/json.hpp>

namespace rg::llm {

LocalProvider::LocalProvider(std::shared_ptr<local::LocalEngine> engine) : engine_(std::move(engine)) {}

Result<Completion> LocalProvider::call(const LlmRequest& request, int n, const ChunkCallback& on_chunk) {
  Result<std::vector<std::int32_t>> prompt =
      request.messages.empty() ? engine_->encode_prompt(request.prompt)
                               : engine_->encode_chat(request.messages);
  if (!prompt.ok()) return prompt.error();

  const local::LocalSettings& s = engine_->settings();
  local::GenerateOptions options;
  options.max_tokens = request.params.max_tokens.value_or(s.max_tokens);
  options.sampling = s.sampling;
  if (request.params.temperature)
    options.sampling.temperature = static_cast<float>(*request.params.temperature);
  options.stop = request.params.stop;

  Completion c;
  c.model = s.model_path;
  for (int i = 0; i < n; ++i) {
    // Distinct seeds, so n sampled answers differ (greedy ones cannot).
    options.sampling.seed = s.sampling.seed + static_cast<std::uint64_t>(i);
    Result<local::Generation> r =
        engine_->generate(prompt.value(), options, i == 0 ? on_chunk : ChunkCallback{});
    if (!r.ok()) return r.error();
    const local::Generation& g = r.value();
    if (i == 0) {
      c.text = g.text;
      c.prompt_tokens = g.prompt_tokens;
      c.raw_response = nlohmann::json{{"device", engine_->describe()},
                                      {"finish_reason", g.finish_reason},
                                      {"prefill_ms", g.prefill_seconds * 1e3},
                                      {"decode_ms", g.decode_seconds * 1e3}}
                           .dump();
    }
    c.completion_tokens += g.completion_tokens;
    c.choices.push_back(g.text);
  }
  return c;
}

Result<std::shared_ptr<Provider>> make_local(std::string_view /*engine*/, const ProviderSettings& settings) {
  Result<local::LocalSettings> s = local::parse_local_settings(settings);
  if (!s.ok()) return s.error();
  Result<std::shared_ptr<local::LocalEngine>> engine = local::LocalEngine::open(s.value());
  if (!engine.ok()) return engine.error();
  return std::shared_ptr<Provider>(std::make_shared<LocalProvider>(std::move(engine.value())));
}

}  // namespace rg::llm
