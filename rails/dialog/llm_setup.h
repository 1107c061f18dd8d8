// The config's `models:` list as LLM clients (spec product.md 1.3): one
// provider per entry through llm/registry.h, routed by model type (a task
// goes to the model of the same type, else to `main`).
#pragma once

#include <memory>

#include "llm/model_router.h"
#include "rails/config/rails_config.h"
#include "rails/prompts/task_prompt_renderer.h"

namespace rg::rails::dialog {

// Errors name the models entry, its file and line ("config.yml:4: models[0]
// (type main): openai: ..."). A config without models gives a router that
// answers every call with "no LLM configured for task X".
llm::Result<std::shared_ptr<llm::ModelRouter>> make_model_router(const config::RailsConfig& config);

// What the task prompts need from a config: its first `general`
// instruction, sample conversation, prompting mode and `prompts:` list.
prompts::PromptsConfig prompts_config_for(const config::RailsConfig& config);

}  // namespace rg::rails::dialog
