// ReplayProvider: canned completions handed out strictly in order, one per
// call whatever the task (the reference test suite's FakeLLM). Used by tests
// and the conformance runner.
//
//   ReplayProvider llm({"express greeting", "Hello there!"});
//   llm.complete("generate_user_intent", prompt, {});  // "express greeting"
//   llm.complete("general", prompt, {});                // "Hello there!"
//   llm.complete("general", prompt, {});                // Error: no responses left for LLM
//                                                       //        call number 3
//   llm.calls();  // [{task, prompt}, ...] every call, the failed one too
//
// n > 1 takes n responses (one per choice). Streaming hands the answer over
// as one chunk. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "llm/provider.h"

namespace rg::llm {

class ReplayProvider final : public Provider {
 public:
  struct Call {
    std::string task;
    std::string prompt;  // the prompt, or the flattened messages of a chat
  };

  explicit ReplayProvider(std::vector<std::string> responses, std::string model = "replay");

  std::string_view engine() const override { return "replay"; }

  std::vector<Call> calls() const;   // a copy, in call order
  size_t responses_left() const;

 protected:
  Result<Completion> call(const LlmRequest& request, int n, const ChunkCallback& on_chunk) override;

 private:
  const std::vector<std::string> responses_;
  const std::string model_;
  mutable std::mutex mu_;
  size_t next_ = 0;         // guarded by mu_
  std::vector<Call> calls_;  // guarded by mu_
};

// The registry's factory for engine "replay": parameters.responses (a list of
// strings) are the canned answers; `model` names the model in the log.
Result<std::shared_ptr<Provider>> make_replay(std::string_view engine,
                                              const ProviderSettings& settings);

}  // namespace rg::llm
