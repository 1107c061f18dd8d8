#include "rails/dialog/llm_setup.h"

#include "colang/value_json.h"

namespace rg::rails::dialog {

llm::Result<std::shared_ptr<llm::ModelRouter>> make_model_router(const config::RailsConfig& config) {
  std::vector<llm::ModelConfig> models;
  for (const auto& m : config.models) {
    llm::ModelConfig mc;
    mc.type = m.type;
    mc.engine = m.engine;
    mc.settings.model = m.model;
    mc.settings.parameters = nlohmann::json::parse(colang::to_json(colang::Value(m.parameters)).dump());
    models.push_back(std::move(mc));
  }
  auto router = llm::ModelRouter::create(models);
  if (!router.ok()) {
    llm::Error e = router.error();
    // Point at the entry in the YAML when we know where it is.
    for (size_t i = 0; i < config.models.size(); ++i) {
      std::string tag = "models[" + std::to_string(i) + "]";
      if (e.where.compare(0, tag.size(), tag) == 0 && !config.models[i].source.file.empty()) {
        e.where = config.models[i].source.file + ":" + std::to_string(config.models[i].source.line) +
                  ": " + e.where;
        break;
      }
    }
    return e;
  }
  return router.value();
}

prompts::PromptsConfig prompts_config_for(const config::RailsConfig& config) {
  prompts::PromptsConfig pc;
  for (const auto& ins : config.instructions) {
    if (ins.type == "general") {
      pc.general_instructions = ins.content;
      break;
    }
  }
  pc.sample_conversation = config.sample_conversation;
  pc.prompting_mode = config.prompting_mode;
  pc.prompts = config.prompts;
  return pc;
}

}  // namespace rg::rails::dialog
