#include "tests/conformance/colang2_chat_cases.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <yaml-cpp/yaml.h>

#include "colang/value_json.h"
#include "llm/llm_client.h"
#include "llm/providers/replay/replay_provider.h"
#include "rails/actions/llm_actions.h"
#include "rails/actions/system_actions.h"
#include "rails/cli/colang_loader.h"
#include "rails/config/yaml_value.h"
#include "runtime/session.h"
#include "runtime/eval.h"
#include "runtime/state.h"

namespace rg::conformance {

namespace fs = std::filesystem;
using colang::Dict;
using colang::Value;
using json = nlohmann::json;

namespace {

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  return out;
}

std::string describe_loader_errors(const cli::LoadedColang& loaded) {
  for (const auto& d : loaded.diagnostics)
    if (d.severity == colang::Diagnostic::Severity::kError) return d.render();
  return "?";
}

}  // namespace

CaseResult run_colang2_chat_case(const json& record, const std::string& conformance_dir) {
  CaseResult result;
  fs::path scratch;
  try {
    const fs::path base(conformance_dir);
    std::map<std::string, std::string> path_map;
    if (record.contains("path_map") && record["path_map"].is_object())
      for (auto it = record["path_map"].begin(); it != record["path_map"].end(); ++it)
        path_map[it.key()] = it.value().get<std::string>();

    cli::LoaderOptions options = cli::loader_options_from_env();
    if (record.contains("colang_path_dirs"))
      for (const auto& d : record["colang_path_dirs"]) {
        std::string p = d.get<std::string>();
        if (path_map.count(p)) p = path_map[p];
        options.search_path.push_back(base / p);
      }

    fs::path root;
    std::string yaml_text;
    if (record.contains("config_dir") && record["config_dir"].is_string()) {
      root = base / record["config_dir"].get<std::string>();
      for (const char* name : {"config.yml", "config.yaml"})
        if (fs::exists(root / name)) {
          std::ifstream in(root / name);
          yaml_text.assign(std::istreambuf_iterator<char>(in), {});
        }
    } else {
      char tmpl[] = "/tmp/rg-conformance-XXXXXX";
      if (!mkdtemp(tmpl)) throw std::runtime_error("cannot create a scratch folder");
      scratch = root = tmpl;
      std::ofstream(root / "main.co") << record.at("colang_raw").get<std::string>();
      if (record.contains("yaml") && record["yaml"].is_string()) {
        yaml_text = record["yaml"].get<std::string>();
        std::ofstream(root / "config.yml") << yaml_text;
      }
    }
    // The reference ran from its repository root, where relative YAML
    // import_paths resolve: recreate those folders (path_map) as links under
    // a scratch working directory while loading.
    char cwd_tmpl[] = "/tmp/rg-conformance-cwd-XXXXXX";
    if (!mkdtemp(cwd_tmpl)) throw std::runtime_error("cannot create a scratch folder");
    fs::path work_dir = cwd_tmpl;
    for (const auto& [original, copy] : path_map) {
      fs::create_directories((work_dir / original).parent_path());
      fs::create_directory_symlink(fs::absolute(base / copy), work_dir / original);
    }
    fs::path previous = fs::current_path();
    fs::current_path(work_dir);
    cli::LoadedColang loaded = cli::load_config_dir(root, options);
    fs::current_path(previous);
    fs::remove_all(work_dir);
    if (!loaded.ok()) throw std::runtime_error("load: " + describe_loader_errors(loaded));
    std::vector<colang::File> files = loaded.files;
    if (!scratch.empty()) fs::remove_all(scratch), scratch.clear();

    auto built = runtime::FlowLibrary::build(files);
    if (!built.library) throw std::runtime_error("build: " + built.diagnostics.front().render());

    std::vector<std::string> completions;
    for (const auto& c : record.value("llm_completions", json::array()))
      completions.push_back(c.get<std::string>());
    auto registry = std::make_shared<rails::ActionRegistry>();
    rails::register_system_actions(*registry);
    // The reference suite's FakeLLM: completions in order, whatever the task;
    // running out is an error.
    rails::register_llm_actions(*registry, std::make_shared<llm::ReplayProvider>(completions));
    if (record.contains("custom_actions"))
      for (const auto& a : record["custom_actions"]) {
        Value returns = colang::from_json(a.at("returns"));
        registry->add(a.at("name").get<std::string>(),
                      [returns](const Dict&, const runtime::ActionContext&) {
                        return runtime::ActionOutcome{returns, {}};
                      });
      }
    // The Python test action of with_custom_action_v2_x: param + context["value"].
    registry->add("CustomTestAction", [](const Dict& args, const runtime::ActionContext& ctx) {
      const Value* param = args.find("param");
      const Value* value = ctx.state.globals.find("value");
      if (!param || !value) throw runtime::ActionError("CustomTestAction: needs param and $value");
      return runtime::ActionOutcome{runtime::py::binary("+", *param, *value), {}};
    });

    runtime::SessionOptions session_options;
    session_options.actions = registry;
    if (std::getenv("RG_CONFORMANCE_EVENTS"))  // debugging: every event on stderr
      session_options.on_event = [](std::string_view dir, const Dict& e) {
        std::fprintf(stderr, "%s %s\n", std::string(dir).c_str(), colang::to_json(e).dump().c_str());
      };
    if (!yaml_text.empty()) {
      YAML::Node node = YAML::Load(yaml_text);
      if (node.IsMap()) session_options.system_config = rails::config::yaml_to_value(node);
    }
    runtime::Session session(built.library, session_options);
    session.start();  // TestChat discards what starting produces
    if (record.contains("main_flow_context") && record["main_flow_context"].is_object()) {
      runtime::State& state = session.state();
      runtime::FlowState* main = state.flow(state.main_flow_uid);
      for (auto it = record["main_flow_context"].begin(); it != record["main_flow_context"].end(); ++it)
        main->context->set(it.key(), colang::from_json(it.value()));
    }
    size_t turn_no = 0;
    for (const auto& turn : record.at("turns")) {
      ++turn_no;
      std::vector<std::string> said;
      if (turn.contains("user")) {
        if (turn["user"].is_array()) {
          std::vector<Dict> events;
          for (const auto& u : turn["user"]) {
            Dict e;
            e.set("type", "UtteranceUserActionFinished");
            e.set("final_transcript", u.get<std::string>());
            events.push_back(std::move(e));
          }
          for (auto& e : events) {
            auto part = session.user_said(e.find("final_transcript")->as_str());
            said.insert(said.end(), part.begin(), part.end());
          }
        } else {
          said = session.user_said(turn["user"].get<std::string>());
        }
      }
      if (!turn.contains("bot")) continue;
      std::string got = join(said), want = turn["bot"].get<std::string>();
      if (got != want) {
        result.detail = "turn " + std::to_string(turn_no) + ": expected \"" + want + "\", got \"" +
                        got + "\"";
        return result;
      }
    }
    result.passed = true;
  } catch (const runtime::ActionError& e) {
    result.detail = std::string("action failed: ") + e.what();
  } catch (const std::exception& e) {
    result.detail = std::string("exception: ") + e.what();
  }
  if (!scratch.empty()) fs::remove_all(scratch);
  return result;
}

}  // namespace rg::conformance
