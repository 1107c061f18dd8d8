#include "rails/actions/rail_actions.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "rails/config/rails_config.h"
#include "rails/dialog/v1_actions.h"
#include "rails/prompts/output_parsers.h"
#include "rails/prompts/task_prompt_renderer.h"
#include "runtime/state.h"

namespace rg::rails {

using colang::Dict;
using colang::List;
using colang::Value;
using runtime::ActionContext;
using runtime::ActionError;
using runtime::ActionOutcome;

namespace {

const Dict& setting(const config::RailsConfig& c, std::string_view key, bool* present) {
  static const Dict kEmpty;
  const Value* v = c.rails.config.find(key);
  *present = v != nullptr && !v->is_none();
  return v && v->is_dict() ? v->as_dict() : kEmpty;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Python truthiness of a value (None, "", [], {} are false).
bool truthy(const Value& v) {
  if (v.is_none()) return false;
  if (v.is_str()) return !trim(v.as_str()).empty();
  if (v.is_list()) return !v.as_list().empty();
  if (v.is_dict()) return !v.as_dict().empty();
  return v.truthy();
}

Value global(const runtime::State& state, std::string_view name) {
  const Value* v = state.globals.find(name);
  return v ? *v : Value();
}

// A text argument, or a global when the argument is absent. Lists of strings
// ($relevant_chunks as a list) are joined by newlines.
std::string text_of(const Value& v, std::string_view action, std::string_view what) {
  if (v.is_none()) return "";
  if (v.is_str()) return v.as_str();
  if (v.is_list()) {
    std::string joined;
    for (const Value& x : v.as_list())
      if (x.is_str()) joined += (joined.empty() ? "" : "\n") + x.as_str();
    return joined;
  }
  throw ActionError(std::string(action) + ": " + std::string(what) + " must be a string, got " +
                    std::string(v.type_name()));
}

std::string text_argument(const Dict& args, const ActionContext& ctx, std::string_view action, const char* arg,
                          std::string_view fallback_global) {
  if (const Value* v = args.find(arg)) return text_of(*v, action, std::string("'") + arg + "'");
  if (fallback_global.empty()) throw ActionError(std::string(action) + ": missing argument '" + arg + "'");
  return text_of(global(ctx.state, fallback_global), action, "$" + std::string(fallback_global));
}

safety::Source source_argument(const Dict& args, std::string_view action) {
  const Value* v = args.find("source");
  std::string name = v && v->is_str() ? v->as_str() : "";
  safety::Source s;
  if (!safety::parse_source(name, &s))
    throw ActionError(std::string(action) + ": source must be input, output or retrieval, got '" + name + "'");
  return s;
}

struct Shared {
  std::shared_ptr<llm::LlmClient> llm;
  std::shared_ptr<const prompts::TaskPromptRenderer> renderer;
  std::string model;
  std::shared_ptr<const config::RailsConfig> config;
  std::shared_ptr<const RailDetectors> detectors;

  double lowest_temperature() const { return config ? config->lowest_temperature : 0.001; }

  // "engine/model" of the model of `type`, else the main model.
  std::string model_for(const std::string& type) const {
    if (config)
      for (const auto& m : config->models)
        if (m.type == type) return m.engine + (m.model.empty() ? "" : "/" + m.model);
    return model;
  }

  bool has_model_type(const std::string& type) const {
    if (!config) return false;
    for (const auto& m : config->models)
      if (m.type == type) return true;
    return false;
  }
};

struct LlmAnswer {
  std::string text;  // the completion; the parser's string when it gives one
  Value parsed;      // the parser's value (the completion when the prompt has none)
};

// Renders `task`'s prompt, sends it and parses the answer. `model_type`:
// the model that serves the task when it is not the task name itself.
LlmAnswer call_llm(const Shared& sh, const std::string& action, const std::string& task, Dict vars,
                   llm::LlmParams params, const std::string& model_type = "") {
  const std::string routed = model_type.empty() ? task : model_type;
  const std::string model = sh.model_for(routed);
  if (!sh.renderer->find_prompt(task, model.empty() ? "unknown" : model))
    throw ActionError(action + ": no prompt for task '" + task + "': define one under `prompts:` in config.yml (- task: " +
                      task + ")");
  if (!vars.contains("history")) vars.set("history", Value(List{}));
  auto rendered = sh.renderer->render(task, model.empty() ? "unknown" : model, vars);
  if (!rendered.ok()) throw ActionError(action + ": prompt for task '" + task + "': " + rendered.error().to_string());
  const prompts::RenderedPrompt& p = rendered.value();
  llm::LlmRequest request;
  request.task = routed;
  request.params = std::move(params);
  if (request.params.stop.empty()) request.params.stop = p.stop;
  // The prompt's max_tokens wins over the action's default.
  if (p.max_tokens) request.params.max_tokens = static_cast<int>(*p.max_tokens);
  if (p.is_chat)
    request.messages = p.messages;
  else
    request.prompt = p.prompt;
  auto result = sh.llm->generate(request);
  if (!result.ok())
    throw ActionError(action + ": LLM call for task " + task + " failed: " + result.error().message);
  LlmAnswer out;
  out.text = result.value().text;
  out.parsed = Value(out.text);
  if (!p.output_parser.empty()) {
    auto parsed = sh.renderer->parse_output(p, out.text);
    if (!parsed.ok()) throw ActionError(action + ": task " + task + ": " + parsed.error().to_string());
    out.parsed = parsed.value();
    if (out.parsed.is_str()) out.text = out.parsed.as_str();
  }
  return out;
}

// allowed from a self check answer: the parser's verdict dict / bool, else
// is_content_safe on the text.
bool allowed_of(const LlmAnswer& a) {
  if (a.parsed.is_dict())
    if (const Value* v = a.parsed.as_dict().find("allowed"); v && v->is_bool()) return v->as_bool();
  if (a.parsed.is_bool()) return a.parsed.as_bool();
  return prompts::is_content_safe(a.text).allowed;
}

ActionOutcome self_check(const Shared& sh, const ActionContext& ctx, bool output) {
  const std::string action = output ? "SelfCheckOutputAction" : "SelfCheckInputAction";
  const std::string task = output ? "self_check_output" : "self_check_input";
  Dict vars;
  vars.set("user_input", global(ctx.state, "user_message"));
  if (output) vars.set("bot_response", global(ctx.state, "bot_message"));
  llm::LlmParams params;
  params.temperature = sh.lowest_temperature();
  params.max_tokens = 3;
  return ActionOutcome{Value(allowed_of(call_llm(sh, action, task, std::move(vars), params))), {}};
}

ActionOutcome llama_guard_check(const Shared& sh, const ActionContext& ctx, bool output) {
  const std::string action = output ? "LlamaGuardCheckOutputAction" : "LlamaGuardCheckInputAction";
  const std::string task = output ? "llama_guard_check_output" : "llama_guard_check_input";
  Dict vars;
  vars.set("user_input", global(ctx.state, "user_message"));
  if (output) vars.set("bot_response", global(ctx.state, "bot_message"));
  llm::LlmParams params;
  params.temperature = 0.0;
  LlmAnswer a = call_llm(sh, action, task, std::move(vars), params, "llama_guard");
  return ActionOutcome{Value(dialog::parse_llama_guard_response(a.text)), {}};
}

ActionOutcome content_safety_check(const Shared& sh, const Dict& args, const ActionContext& ctx, bool output) {
  const std::string action = output ? "ContentSafetyCheckOutputAction" : "ContentSafetyCheckInputAction";
  const char* rail = output ? "content safety check output" : "content safety check input";
  std::string type;
  if (const Value* v = args.find("model_name"); v && v->is_str()) type = v->as_str();
  if (type.empty())
    throw ActionError(action + ": needs a model type: call the rail as `" + rail + " $model=\"<type>\"`");
  if (sh.config && !sh.has_model_type(type))
    throw ActionError(action + ": no model of type '" + type + "' in `models:`");
  const std::string task =
      std::string(output ? "content_safety_check_output" : "content_safety_check_input") + " $model=" + type;
  Dict vars;
  vars.set("user_input", global(ctx.state, "user_message"));
  if (output) vars.set("bot_response", global(ctx.state, "bot_message"));
  llm::LlmParams params;
  params.temperature = 1e-20;
  params.max_tokens = 3;  // the prompt's max_tokens wins
  LlmAnswer a = call_llm(sh, action, task, std::move(vars), params, type);
  Dict verdict;
  const Value* allowed = a.parsed.is_dict() ? a.parsed.as_dict().find("allowed") : nullptr;
  if (allowed && allowed->is_bool()) {
    verdict.set("allowed", *allowed);
    const Value* pv = a.parsed.as_dict().find("policy_violations");
    verdict.set("policy_violations", pv && pv->is_list() ? *pv : Value(List{}));
  } else if (a.parsed.is_bool()) {
    verdict.set("allowed", a.parsed);
    verdict.set("policy_violations", Value(List{}));
  } else {
    // No verdict from the parser (none, or a text parser): fail closed.
    verdict.set("allowed", false);
    List note;
    note.push_back(Value("unparsable safety verdict: the prompt's output parser gave no allowed/blocked answer"));
    verdict.set("policy_violations", Value(std::move(note)));
  }
  return ActionOutcome{Value(std::move(verdict)), {}};
}


ActionOutcome self_check_facts(const Shared& sh, const ActionContext& ctx) {
  Value evidence = global(ctx.state, "relevant_chunks");
  // Nothing to check the answer against: it counts as accurate.
  if (!truthy(evidence)) return ActionOutcome{Value(1.0), {}};
  Dict vars;
  vars.set("evidence", evidence);
  vars.set("response", global(ctx.state, "bot_message"));
  llm::LlmParams params;
  params.temperature = sh.lowest_temperature();
  params.max_tokens = 3;
  // As for 1.0 (spec 2, QUIRK): the prompt rendered is the task fact_checking.
  LlmAnswer a = call_llm(sh, "SelfCheckFactsAction", "fact_checking", std::move(vars), params);
  std::vector<std::string> words = prompts::leading_words(a.text);
  bool entailed = std::find(words.begin(), words.end(), "yes") != words.end();
  return ActionOutcome{Value(entailed ? 1.0 : 0.0), {}};
}

ActionOutcome self_check_hallucination(const Shared& sh, const ActionContext& ctx) {
  const std::string action = "SelfCheckHallucinationAction";
  Value bot_message = global(ctx.state, "bot_message");
  Value last_prompt = global(ctx.state, "_last_bot_prompt");
  // Without the prompt that produced the message there is nothing to sample.
  if (!truthy(bot_message) || !last_prompt.is_str() || last_prompt.as_str().empty())
    return ActionOutcome{Value(false), {}};
  constexpr int kExtraSamples = 2;
  llm::LlmRequest request;
  request.task = "generate_bot_message";
  request.prompt = last_prompt.as_str();
  request.params.temperature = 1.0;
  request.params.n = kExtraSamples;
  auto extra = sh.llm->generate(request);
  if (!extra.ok()) throw ActionError(action + ": LLM call for task generate_bot_message failed: " + extra.error().message);
  std::vector<std::string> samples = extra.value().choices;
  if (samples.empty() && !extra.value().text.empty()) samples.push_back(extra.value().text);
  std::string paragraph;
  int taken = 0;
  for (const std::string& s : samples) {
    if (taken == kExtraSamples) break;
    paragraph += (taken ? ". " : "") + dialog::strip_quotes(dialog::multiline_response(s));
    ++taken;
  }
  if (taken == 0) return ActionOutcome{Value(false), {}};
  Dict vars;
  vars.set("statement", text_of(bot_message, action, "$bot_message"));
  vars.set("paragraph", paragraph);
  llm::LlmParams params;
  params.temperature = sh.lowest_temperature();
  std::string agreement = lower(trim(call_llm(sh, action, "self_check_hallucination", std::move(vars), params).text));
  // "no" means the samples disagree; an answer with neither is unreadable and
  // fails closed.
  bool hallucination = agreement.find("no") != std::string::npos || agreement.find("yes") == std::string::npos;
  return ActionOutcome{Value(hallucination), {}};
}

}  // namespace

std::shared_ptr<const RailDetectors> RailDetectors::create(const config::RailsConfig& c, std::string* error) {
  auto out = std::make_shared<RailDetectors>();
  bool present = false;
  const Dict& sd_settings = setting(c, "sensitive_data_detection", &present);
  if (present) {
    std::string why;
    safety::SensitiveDataConfig sd = safety::parse_sensitive_data_config(sd_settings, &why);
    if (!why.empty()) {
      *error = "rails.config." + why;
      return nullptr;
    }
    out->sensitive_data = safety::SensitiveDataDetector::create(sd, &why);
    if (!out->sensitive_data) {
      *error = "rails.config.sensitive_data_detection: " + why;
      return nullptr;
    }
  }
  const Dict& ic_settings = setting(c, "injection_detection", &present);
  if (present) {
    std::string why;
    auto ic = safety::parse_injection_config(ic_settings, &why, c.dir);
    if (!ic) {
      *error = "rails.config.injection_detection: " + why;
      return nullptr;
    }
    out->injection = safety::InjectionDetector::create(*ic, &why);
    if (!out->injection) {
      *error = "rails.config.injection_detection: " + why;
      return nullptr;
    }
  }
  // The config fills in default jailbreak settings, so they are always
  // there: a detector that cannot be made is only an error when the rail
  // runs (jailbreak_error).
  const Dict& jd = setting(c, "jailbreak_detection", &present);
  if (std::string why = safety::validate_jailbreak_config(jd, c.models); !why.empty()) {
    out->jailbreak_error = why;
  } else {
    auto made = safety::JailbreakDetector::create(jd, c.models);
    if (made.ok())
      out->jailbreak = made.value();
    else
      out->jailbreak_error = "rails.config.jailbreak_detection: " + made.error().message;
  }
  return out;
}

void register_rail_actions(ActionRegistry& registry, std::shared_ptr<llm::LlmClient> llm, RailActionsOptions options) {
  auto sh = std::make_shared<Shared>();
  sh->llm = std::move(llm);
  if (!sh->llm) sh->llm = std::make_shared<llm::NoLlmConfigured>();
  sh->renderer = std::move(options.renderer);
  if (!sh->renderer) {
    auto created = prompts::TaskPromptRenderer::create(prompts::PromptsConfig{});
    if (!created.ok()) throw std::logic_error("built-in prompts: " + created.error().to_string());
    sh->renderer = created.value();
  }
  sh->config = std::move(options.config);
  sh->model = options.model;
  if (sh->model.empty() && sh->config)
    if (const config::ModelConfig* m = sh->config->main_model())
      sh->model = m->engine + (m->model.empty() ? "" : "/" + m->model);
  if (sh->model.empty()) sh->model = "unknown";
  sh->detectors = std::move(options.detectors);
  if (!sh->detectors && sh->config) {
    std::string why;
    sh->detectors = RailDetectors::create(*sh->config, &why);
    if (!sh->detectors) throw std::runtime_error(why);
  }
  if (!sh->detectors) sh->detectors = std::make_shared<RailDetectors>();

  registry.add("SelfCheckInputAction", [sh](const Dict&, const ActionContext& ctx) { return self_check(*sh, ctx, false); });
  registry.add("SelfCheckOutputAction", [sh](const Dict&, const ActionContext& ctx) { return self_check(*sh, ctx, true); });
  registry.add("SelfCheckFactsAction", [sh](const Dict&, const ActionContext& ctx) { return self_check_facts(*sh, ctx); });
  registry.add("SelfCheckHallucinationAction",
               [sh](const Dict&, const ActionContext& ctx) { return self_check_hallucination(*sh, ctx); });
  registry.add("LlamaGuardCheckInputAction",
               [sh](const Dict&, const ActionContext& ctx) { return llama_guard_check(*sh, ctx, false); });
  registry.add("LlamaGuardCheckOutputAction",
               [sh](const Dict&, const ActionContext& ctx) { return llama_guard_check(*sh, ctx, true); });
  registry.add("ContentSafetyCheckInputAction", [sh](const Dict& args, const ActionContext& ctx) {
    return content_safety_check(*sh, args, ctx, false);
  });
  registry.add("ContentSafetyCheckOutputAction", [sh](const Dict& args, const ActionContext& ctx) {
    return content_safety_check(*sh, args, ctx, true);
  });

  registry.add("DetectSensitiveDataAction", [sh](const Dict& args, const ActionContext& ctx) {
    const char* action = "DetectSensitiveDataAction";
    safety::Source source = source_argument(args, action);
    std::string text = text_argument(args, ctx, action, "text", "");
    const auto& d = sh->detectors->sensitive_data;
    return ActionOutcome{Value(d != nullptr && d->contains(source, text)), {}};
  });
  registry.add("MaskSensitiveDataAction", [sh](const Dict& args, const ActionContext& ctx) {
    const char* action = "MaskSensitiveDataAction";
    safety::Source source = source_argument(args, action);
    std::string text = text_argument(args, ctx, action, "text", "");
    const auto& d = sh->detectors->sensitive_data;
    return ActionOutcome{Value(d ? d->mask(source, text) : text), {}};
  });
  registry.add("JailbreakDetectionHeuristicsAction", [sh](const Dict& args, const ActionContext& ctx) {
    const char* action = "JailbreakDetectionHeuristicsAction";
    if (!sh->detectors->jailbreak)
      throw ActionError(std::string(action) + ": " +
                        (sh->detectors->jailbreak_error.empty()
                             ? std::string("rails.config.jailbreak_detection is not set (a server_endpoint or a scorer model)")
                             : sh->detectors->jailbreak_error));
    std::string text = text_argument(args, ctx, action, "text", "user_message");
    return ActionOutcome{Value(sh->detectors->jailbreak->check(text).jailbreak), {}};
  });
  registry.add("InjectionDetectionAction", [sh](const Dict& args, const ActionContext& ctx) {
    const char* action = "InjectionDetectionAction";
    if (!sh->detectors->injection)
      throw ActionError(std::string(action) +
                        ": rails.config.injection_detection is not set (injections: [code, sqli, template, xss])");
    std::string text = text_argument(args, ctx, action, "text", "bot_message");
    safety::InjectionResult r = sh->detectors->injection->apply(text);
    Dict d;
    d.set("blocked", r.blocked);
    d.set("text", r.text);
    List detections;
    for (const auto& f : r.findings) detections.push_back(Value(f.type + ":" + f.rule));
    d.set("detections", Value(std::move(detections)));
    return ActionOutcome{Value(std::move(d)), {}};
  });
}

}  // namespace rg::rails
