// LocalProvider: engine `local`, a model run in this process (llm/local/ for
// the model files and tokenizers, kernels/decoder.h for the forward pass).
// Parameters: llm/providers/local/local_settings.h.
//
// The model is loaded once, when the provider is made (so a config with a
// bad model path fails at start-up), and shared by every call; each call runs
// on a session of its own, so calls from many threads proceed at once.
//
// Chat requests go through the model's chat template (or
// parameters.chat_template); completion requests encode the prompt as is.
// LlmParams: max_tokens and temperature override the parameters; stop
// strings are trimmed from the answer (and never streamed); n > 1 gives n
// sequences with seeds seed, seed + 1, ... Completion.raw_response is a small
// JSON record: device, finish_reason, prefill_ms, decode_ms.
#pragma once

#include <memory>
#include <string_view>

#include "llm/provider.h"
#include "llm/providers/local/local_engine.h"

namespace rg::llm {

class LocalProvider final : public Provider {
 public:
  explicit LocalProvider(std::shared_ptr<local::LocalEngine> engine);

  std::string_view engine() const override { return "local"; }
  const local::LocalEngine& local_engine() const { return *engine_; }

 protected:
  bool supports_n() const override { return true; }
  Result<Completion> call(const LlmRequest& request, int n, const ChunkCallback& on_chunk) override;

 private:
  std::shared_ptr<local::LocalEngine> engine_;
};

// The registry's factory for engine "local": parses the parameters and loads
// the model (kBadConfig errors name the path and the parameter).
Result<std::shared_ptr<Provider>> make_local(std::string_view engine, const ProviderSettings& settings);

}  // namespace rg::llm
