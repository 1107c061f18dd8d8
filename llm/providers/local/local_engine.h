// LocalEngine: one model loaded for in-process generation. It is what the
// `local` provider and `railguard generate` share: the model files (kept
// mapped), the decoder on its back end, the tokenizer, the chat template, and
// a small pool of sessions; generate() runs one sequence from prompt ids to a
// stop.
//
//   auto engine = LocalEngine::open(settings);            // loads once
//   auto ids = engine.value()->encode_chat({{"user", "Hi"}});
//   GenerateOptions o;  o.max_tokens = 64;
//   auto r = engine.value()->generate(ids.value(), o, [](std::string_view s) { std::cout << s; });
//
// Thread-safe: the model, tokenizer and template are immutable; each
// generate() takes a session of its own from the pool (a GPU session owns a
// KV cache, so idle ones are kept for the next call rather than freed).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/decoder.h"
#include "llm/llm_client.h"
#include "llm/local/chat_template.h"
#include "llm/local/model_loader.h"
#include "llm/local/tokenizer/tokenizer.h"
#include "llm/providers/local/local_settings.h"

namespace rg::llm::local {

struct GenerateOptions {
  int max_tokens = 256;
  kernels::SamplingParams sampling;
  std::vector<std::string> stop;  // stop strings, trimmed from the text
};

struct Generation {
  std::string text;
  int prompt_tokens = 0;
  int completion_tokens = 0;  // tokens sampled, a final stop token included
  // "stop" (a stop token or string), "length" (max_tokens or the context full).
  std::string finish_reason;
  double prefill_seconds = 0;  // prompt in, first token out
  double decode_seconds = 0;   // every later token
};

// Receives text as it is generated (valid UTF-8, stop strings never shown).
using TextCallback = std::function<void(std::string_view text)>;
// A one-line notice for the operator (the CPU fallback); default: stderr.
using NoticeCallback = std::function<void(const std::string& line)>;

class LocalEngine {
 public:
  // Loads the model and puts it on its device. kBadConfig errors name the
  // model path: missing path, load errors, device unavailable, a context
  // larger than the model's max_positions.
  static Result<std::shared_ptr<LocalEngine>> open(const LocalSettings& settings,
                                                   const NoticeCallback& notice = {});
  ~LocalEngine();
  LocalEngine(const LocalEngine&) = delete;
  LocalEngine& operator=(const LocalEngine&) = delete;

  // A completion prompt as is (BOS and special tokens per the tokenizer).
  Result<std::vector<std::int32_t>> encode_prompt(std::string_view prompt) const;
  // A conversation through the chat template, with the assistant's turn
  // opened. kBadConfig when the model has no usable template.
  Result<std::vector<std::int32_t>> encode_chat(const std::vector<Message>& messages) const;

  // Prefill, then decode until max_tokens, a stop id (the tokenizer's and the
  // template's), a stop string, or a full context. A prompt that does not fit
  // the context is a kProvider error naming both numbers. An exception thrown
  // by on_text leaves generate() unchanged (it stops the generation).
  Result<Generation> generate(const std::vector<std::int32_t>& prompt, const GenerateOptions& options,
                              const TextCallback& on_text = {});

  const LocalSettings& settings() const { return settings_; }
  const std::string& model_path() const { return settings_.model_path; }
  // The back end: "cpu (...)" or "cuda:0 (...)" (DecoderModel::describe()).
  std::string describe() const { return decoder_->describe(); }
  int context() const { return context_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const ChatTemplate& chat_template() const { return model_->chat_template; }

 private:
  LocalEngine() = default;
  std::unique_ptr<kernels::DecoderSession> acquire_session();
  void release_session(std::unique_ptr<kernels::DecoderSession> session);
  Error error(ErrorCode code, const std::string& what) const;

  LocalSettings settings_;
  // Declared before decoder_ so it is destroyed after it: the weights are
  // views into these maps. The back ends copy what they keep today, but the
  // maps are cheap (clean, reclaimable pages) and keeping them spares every
  // back end from having to.
  std::unique_ptr<LoadedModel> model_;
  std::unique_ptr<kernels::DecoderModel> decoder_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::vector<std::int32_t> stop_ids_;  // sorted
  int context_ = 0;

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<kernels::DecoderSession>> idle_;  // guarded by pool_mu_
};

}  // namespace rg::llm::local
