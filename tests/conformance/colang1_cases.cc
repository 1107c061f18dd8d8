#include "tests/conformance/colang1_cases.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <vector>

#include "colang/value_json.h"
#include "llm/model_router.h"
#include "llm/providers/replay/replay_provider.h"
#include "rails/config/rails_config.h"
#include "rails/dialog/rails_v1.h"

namespace rg::conformance {

namespace fs = std::filesystem;
using json = nlohmann::json;

CaseResult run_colang1_case(const json& record, const std::string& conformance_dir) {
  CaseResult result;
  try {
    rails::config::LoadOptions options;
    // The suite's fake LLM replaces every model of the YAML.
    options.llm_supplied_externally = true;
    options.library_flows = rails::dialog::library_v1_flow_names();
    if (record.contains("config_overrides")) {
      for (const auto& o : record["config_overrides"]) {
        options.overrides.emplace_back(o.at("path").get<std::string>(),
                                       colang::from_json(o.at("value")));
      }
    }
    rails::config::LoadResult loaded;
    if (record.contains("config_dir") && record["config_dir"].is_string()) {
      loaded = rails::config::load_rails_config(
          fs::path(conformance_dir) / record["config_dir"].get<std::string>(), options);
    } else {
      std::string colang = record.value("colang_raw", json()).is_string()
                               ? record["colang_raw"].get<std::string>()
                               : std::string();
      std::string yaml = record.value("yaml", json()).is_string() ? record["yaml"].get<std::string>()
                                                                  : std::string();
      loaded = rails::config::rails_config_from_content(colang, yaml, options);
    }
    if (!loaded.ok()) {
      for (const auto& d : loaded.diagnostics) {
        if (d.severity == colang::Diagnostic::Severity::kError) {
          result.detail = "config: " + d.render();
          return result;
        }
      }
    }

    std::vector<std::string> completions;
    for (const auto& c : record.value("llm_completions", json::array())) {
      completions.push_back(c.get<std::string>());
    }
    std::map<std::string, std::shared_ptr<llm::LlmClient>, std::less<>> by_type;
    by_type["main"] = std::make_shared<llm::ReplayProvider>(completions);
    // `<type>_llm` action parameters: an independent fake per model type.
    if (record.contains("action_param_llms")) {
      for (auto it = record["action_param_llms"].begin(); it != record["action_param_llms"].end(); ++it) {
        std::string type = it.key();
        if (type.size() > 4 && type.compare(type.size() - 4, 4, "_llm") == 0) type.resize(type.size() - 4);
        std::vector<std::string> answers;
        for (const auto& a : it.value()) answers.push_back(a.get<std::string>());
        by_type[type] = std::make_shared<llm::ReplayProvider>(answers);
      }
    }
    auto router = std::make_shared<llm::ModelRouter>(std::move(by_type));

    rails::dialog::DialogOptions dialog_options;
    dialog_options.seed = 1;
    dialog_options.first_bot_message_variant = true;  // what the reference does under pytest
    // The LLM calls of the latest generation (what `chat.app.explain()` shows),
    // for the optional `llm_call_checks` of local cases.
    auto last_calls = std::make_shared<std::vector<rails::dialog::LlmCallInfo>>();
    const bool print_events = std::getenv("RG_CONFORMANCE_EVENTS") != nullptr;
    if (print_events) {
      dialog_options.on_event = [](const colang::Dict& e) {
        std::fprintf(stderr, "event %s\n", colang::to_json(e).dump().c_str());
      };
    }
    dialog_options.on_llm_call = [last_calls, print_events](const rails::dialog::LlmCallInfo& c) {
      last_calls->push_back(c);
      if (print_events) {
        std::fprintf(stderr, "llm %s -> %s\n", c.task.c_str(), json(c.completion).dump().c_str());
      }
    };
    std::string error;
    auto rails = rails::dialog::DialogRailsV1::create(loaded.config, router, dialog_options, &error);
    if (!rails) {
      result.detail = "rails: " + error;
      return result;
    }
    std::vector<rails::dialog::ChatMessage> messages;
    size_t turn_no = 0;
    for (const auto& turn : record.at("turns")) {
      ++turn_no;
      if (turn.contains("user")) messages.push_back({"user", turn["user"].get<std::string>()});
      if (!turn.contains("bot")) continue;
      last_calls->clear();
      rails::dialog::GenerationResult r = rails->generate(messages, {});
      if (!r.error.empty()) {
        result.detail = "turn " + std::to_string(turn_no) + ": " + r.error;
        return result;
      }
      std::string want = turn["bot"].get<std::string>();
      if (!r.message.content.is_str() || r.message.content.as_str() != want) {
        result.detail = "turn " + std::to_string(turn_no) + ": expected " + json(want).dump() +
                        ", got " + colang::to_json(r.message.content).dump();
        return result;
      }
      messages.push_back(r.message);
    }
    // Optional (local corpus only): {"count": N, "calls": [{"index": i,
    // "prompt_contains": [...], "prompt_not_contains": [...]}]} over the LLM
    // calls of the last generation.
    if (record.contains("llm_call_checks")) {
      const json& checks = record["llm_call_checks"];
      if (checks.contains("count") && checks["count"].get<size_t>() != last_calls->size()) {
        result.detail = "llm_call_checks: expected " + checks["count"].dump() + " LLM calls, got " +
                        std::to_string(last_calls->size());
        return result;
      }
      for (const auto& c : checks.value("calls", json::array())) {
        size_t i = c.at("index").get<size_t>();
        if (i >= last_calls->size()) {
          result.detail = "llm_call_checks: no LLM call #" + std::to_string(i);
          return result;
        }
        const std::string& prompt = (*last_calls)[i].prompt;
        for (const auto& t : c.value("prompt_contains", json::array())) {
          if (prompt.find(t.get<std::string>()) == std::string::npos) {
            result.detail = "llm_call_checks: prompt #" + std::to_string(i) + " lacks " + t.dump();
            return result;
          }
        }
        for (const auto& t : c.value("prompt_not_contains", json::array())) {
          if (prompt.find(t.get<std::string>()) != std::string::npos) {
            result.detail = "llm_call_checks: prompt #" + std::to_string(i) + " contains " + t.dump();
            return result;
          }
        }
      }
    }
    result.passed = true;
  } catch (const std::exception& e) {
    result.detail = std::string("exception: ") + e.what();
  }
  return result;
}

}  // namespace rg::conformance
