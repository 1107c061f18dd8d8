// What a DialogRailsV1 shares with the actions of its turns (internal).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "colang/v1/document.h"
#include "llm/model_router.h"
#include "rails/config/rails_config.h"
#include "rails/dialog/rails_v1.h"
#include "rails/dialog/security_actions.h"
#include "rails/embeddings/config_indexes.h"
#include "rails/prompts/task_prompt_renderer.h"
#include "rails/prompts/template/template.h"
#include "retrieval/kb_chunker.h"
#include "retrieval/search_index.h"

namespace rg::rails::dialog {

struct DialogRailsV1::Shared {
  std::shared_ptr<const config::RailsConfig> config;
  std::shared_ptr<llm::ModelRouter> llms;
  // The instance these belong to (streaming output rails check each chunk
  // through it); set by build(), lives as long as it.
  const DialogRailsV1* owner = nullptr;
  DialogOptions options;

  // intent -> variants; the config's first, then the library's.
  std::map<std::string, std::vector<colang::v1::BotMessage>, std::less<>> bot_messages;
  // Compiled bot message templates, by text.
  std::map<std::string, std::shared_ptr<const prompts::Template>, std::less<>> bot_templates;
  bool has_user_messages = false;
  std::shared_ptr<const embeddings::ConfigIndexer> indexer;
  std::optional<float> dialog_threshold;  // core.embedding_search_provider search_threshold
  std::optional<float> kb_threshold;      // knowledge_base.embedding_search_provider search_threshold
  std::unique_ptr<retrieval::SearchIndex> user_index;   // example -> intent
  std::unique_ptr<retrieval::SearchIndex> bot_index;    // intent -> text
  std::unique_ptr<retrieval::SearchIndex> flows_index;  // flow line -> flow source
  std::unique_ptr<retrieval::KnowledgeBase> kb;

  std::shared_ptr<const prompts::TaskPromptRenderer> renderer;
  // Detectors of the rails that need no LLM (PII, injection, jailbreak); never null.
  std::shared_ptr<const SecurityRails> security;

  std::string general_instructions;
  mutable std::mutex rng_mu;
  mutable std::mt19937_64 rng;
};

}  // namespace rg::rails::dialog
