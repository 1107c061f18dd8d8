// DialogRailsV1: a Colang 1.0 config, ready to answer (spec product.md 3.5).
//
// Built once per config and then shared read-only by every request thread:
// the flows (the config's, then the built-in pipeline and rail library), the
// intent, bot-message and flow indexes, the knowledge base and the prompts.
// Each generate() call runs one turn on its own Conversation, so calls on
// different conversations never block each other.
//
//   auto rails = DialogRailsV1::create(config, llms, {}, &error);
//   GenerationResult r = rails->generate({{"user", "hi"}}, {});
//   r.message.content  // "Hello there!"
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "colang/value.h"
#include "llm/model_router.h"
#include "rails/config/rails_config.h"
#include "rails/dialog/generation.h"
#include "rails/embeddings/config_indexes.h"
#include "rails/prompts/task_prompt.h"
#include "retrieval/kb_chunker.h"
#include "retrieval/search_index.h"
#include "runtime/v1/conversation.h"
#include "runtime/v1/flow_set.h"

namespace rg::rails::dialog {

struct DialogOptions {
  // Seed of uids and of the random choice among bot message variants; 0
  // takes one from the clock.
  uint64_t seed = 0;
  // Always say the first variant of a predefined bot message (tests; the
  // reference does this under pytest).
  bool first_bot_message_variant = false;
  std::function<std::string()> now;  // event timestamps
  size_t history_cache_entries = 4096;
  // Called after every LLM call (railguard chat --verbose).
  std::function<void(const LlmCallInfo&)> on_llm_call;
  // Called for every event of the turn (railguard chat --verbose).
  std::function<void(const colang::Dict&)> on_event;
  // Embedders shared with other configs of the process (the server's); null:
  // this config gets its own.
  std::shared_ptr<embeddings::EmbedderPool> embedder_pool;
  // Where indexes are saved, progress, where notices go (config_indexes.h).
  embeddings::IndexingOptions indexing;
};

// The built-in Colang 1.0 flows (rails/library/v1/*.co) as (file name, text).
const std::vector<std::pair<std::string, std::string>>& library_v1_sources();
// The names of the flows and subflows those files define (for config validation).
std::vector<std::string> library_v1_flow_names();

class DialogRailsV1 {
 public:
  // Errors (a library or prompt that does not parse, a bad prompts list)
  // come back in `error` with a null result.
  static std::shared_ptr<const DialogRailsV1> create(std::shared_ptr<const config::RailsConfig> config,
                                                     std::shared_ptr<llm::ModelRouter> llms,
                                                     DialogOptions options, std::string* error);

  // One turn: `messages` is the whole conversation so far, its last message
  // the new one. Never throws for LLM or flow trouble: the turn fails closed
  // (GenerationResult::error says why).
  GenerationResult generate(const std::vector<ChatMessage>& messages,
                            const GenerationOptions& options) const;

  // The config as written (with rails.input.parallel, every input rail).
  const config::RailsConfig& config() const { return declared_config_ ? *declared_config_ : *config_; }
  const runtime::v1::FlowSet& flows() const { return *flows_; }

  // Internal state shared with the turn's action runner.
  struct Shared;

 private:
  DialogRailsV1() = default;
  static std::shared_ptr<DialogRailsV1> build(std::shared_ptr<const config::RailsConfig> config,
                                              std::shared_ptr<llm::ModelRouter> llms, DialogOptions options,
                                              std::string* error);
  // rails.input.parallel: runs the checking input rails concurrently, each
  // on its own one-rail instance; nullopt when none blocked (the turn goes
  // on), else the blocking rail's result.
  GenerationResult generate_turn(const std::vector<ChatMessage>& messages, const GenerationOptions& options) const;
  std::optional<GenerationResult> race_input_rails(const std::vector<ChatMessage>& messages,
                                                   const GenerationOptions& options,
                                                   std::vector<ActivatedRail>* passed,
                                                   std::vector<LlmCallInfo>* calls) const;
  std::shared_ptr<const runtime::v1::Conversation> cached(const std::vector<ChatMessage>& messages,
                                                          size_t* prefix) const;
  void cache(const std::vector<ChatMessage>& messages,
             std::shared_ptr<const runtime::v1::Conversation> conversation) const;

  std::shared_ptr<const config::RailsConfig> config_;           // what this instance runs
  std::shared_ptr<const config::RailsConfig> declared_config_;  // set when it differs (parallel input rails)
  std::shared_ptr<const runtime::v1::FlowSet> flows_;
  // rails.input.parallel: one instance per checking input rail (its config
  // lists only that rail); this instance then runs only the input rails
  // that rewrite the message (mask ...), after the race.
  std::vector<std::pair<std::string, std::shared_ptr<const DialogRailsV1>>> parallel_input_rails_;
  std::shared_ptr<Shared> shared_;
  DialogOptions options_;
  mutable std::atomic<uint64_t> turn_counter_{0};

  // The conversation after each message prefix seen, so that a client that
  // resends the whole history continues the same dialog state without a
  // replay (bounded, least recently used dropped first).
  using CacheEntry = std::pair<std::shared_ptr<const runtime::v1::Conversation>, std::list<uint64_t>::iterator>;
  mutable std::mutex cache_mu_;
  mutable std::list<uint64_t> cache_order_;
  mutable std::unordered_map<uint64_t, CacheEntry> cache_;

  // Input rails still running after a race was decided (a blocking rail
  // does not wait for the others; their answers are dropped). Waited for
  // when this instance goes away.
  mutable std::mutex racers_mu_;
  mutable std::list<std::future<void>> racers_;

 public:
  ~DialogRailsV1();
};

}  // namespace rg::rails::dialog
