#include "rails/dialog/security_actions.h"

#include <stdexcept>

namespace rg::rails::dialog {

namespace {

using colang::Dict;
using colang::List;
using colang::Value;

bool lists(const std::vector<std::string>& flows, std::string_view name) {
  for (const auto& f : flows)
    if (f == name) return true;
  return false;
}

bool lists_prefix(const config::RailsConfig& c, std::string_view prefix) {
  for (const auto* flows : {&c.rails.input_flows, &c.rails.output_flows, &c.rails.retrieval_flows})
    for (const auto& f : *flows)
      if (f.rfind(prefix, 0) == 0) return true;
  return false;
}

const Dict& setting(const config::RailsConfig& c, std::string_view key) {
  static const Dict kEmpty;
  const Value* v = c.rails.config.find(key);
  return v && v->is_dict() ? v->as_dict() : kEmpty;
}

std::string text_param(const runtime::v1::ActionCall& call, const char* key) {
  const Value* v = call.params.find(key);
  if (!v || v->is_none()) return "";
  if (v->is_str()) return v->as_str();
  if (v->is_list()) {  // $relevant_chunks_sep style
    std::string joined;
    for (const Value& x : v->as_list())
      if (x.is_str()) joined += (joined.empty() ? "" : "\n") + x.as_str();
    return joined;
  }
  throw std::runtime_error(std::string("parameter '") + key + "' must be a string, got " +
                           std::string(v->type_name()));
}

safety::Source source_param(const runtime::v1::ActionCall& call) {
  std::string name = text_param(call, "source");
  safety::Source s;
  if (!safety::parse_source(name, &s))
    throw std::runtime_error("source must be input, output or retrieval, got '" + name + "'");
  return s;
}

std::string context_text(const Dict& context, std::string_view key) {
  const Value* v = context.find(key);
  return v && v->is_str() ? v->as_str() : std::string();
}

}  // namespace

std::shared_ptr<const SecurityRails> SecurityRails::create(const config::RailsConfig& c, std::string* error) {
  auto rails = std::make_shared<SecurityRails>();
  if (lists_prefix(c, "detect sensitive data on ") || lists_prefix(c, "mask sensitive data on ")) {
    std::string why;
    safety::SensitiveDataConfig sd = safety::parse_sensitive_data_config(setting(c, "sensitive_data_detection"), &why);
    if (!why.empty()) {
      *error = "rails.config." + why;
      return nullptr;
    }
    rails->sensitive_data = safety::SensitiveDataDetector::create(sd, &why);
    if (!rails->sensitive_data) {
      *error = "rails.config.sensitive_data_detection: " + why;
      return nullptr;
    }
  }
  if (lists(c.rails.output_flows, "alignscore check facts")) {
    const Dict& fc = setting(c, "fact_checking");
    const Value* params = fc.find("parameters");
    const Value* endpoint = params && params->is_dict() ? params->as_dict().find("endpoint") : nullptr;
    if (!endpoint || !endpoint->is_str() || endpoint->as_str().empty()) {
      *error = "rails.config.fact_checking.parameters.endpoint: 'alignscore check facts' needs the URL of an "
               "AlignScore server (e.g. http://localhost:5000/alignscore_large)";
      return nullptr;
    }
  }
  if (lists(c.rails.input_flows, "jailbreak detection heuristics")) {
    const Dict& jd = setting(c, "jailbreak_detection");
    if (std::string why = safety::validate_jailbreak_config(jd, c.models); !why.empty()) {
      *error = "rails.config.jailbreak_detection: " + why;
      return nullptr;
    }
    auto made = safety::JailbreakDetector::create(jd, c.models);
    if (!made.ok()) {
      *error = "rails.config.jailbreak_detection: " + made.error().message;
      return nullptr;
    }
    rails->jailbreak = made.value();
  }
  if (lists(c.rails.output_flows, "injection detection") || lists(c.rails.input_flows, "injection detection on input")) {
    std::string why;
    auto ic = safety::parse_injection_config(setting(c, "injection_detection"), &why, c.dir);
    if (!ic) {
      *error = "rails.config.injection_detection: " + why;
      return nullptr;
    }
    rails->injection = safety::InjectionDetector::create(*ic, &why);
    if (!rails->injection) {
      *error = "rails.config.injection_detection: " + why;
      return nullptr;
    }
  }
  return rails;
}

bool is_security_action(std::string_view name) {
  return name == "detect_sensitive_data" || name == "mask_sensitive_data" ||
         name == "jailbreak_detection_heuristics" || name == "injection_detection";
}

runtime::v1::ActionOutcome run_security_action(const SecurityRails& rails, const runtime::v1::ActionCall& call) {
  runtime::v1::ActionOutcome out;
  const std::string& n = call.name;
  if (n == "detect_sensitive_data") {
    safety::Source source = source_param(call);
    std::string text = text_param(call, "text");
    out.return_value = Value(rails.sensitive_data != nullptr && rails.sensitive_data->contains(source, text));
  } else if (n == "mask_sensitive_data") {
    safety::Source source = source_param(call);
    std::string text = text_param(call, "text");
    out.return_value = Value(rails.sensitive_data ? rails.sensitive_data->mask(source, text) : text);
  } else if (n == "jailbreak_detection_heuristics") {
    if (!rails.jailbreak) throw std::runtime_error("jailbreak detection heuristics is not configured");
    std::string text = call.params.contains("text") ? text_param(call, "text") : context_text(call.context, "user_message");
    safety::JailbreakVerdict v = rails.jailbreak->check(text);
    out.return_value = Value(v.jailbreak);
  } else if (n == "injection_detection") {
    std::string text = text_param(call, "text");
    if (!rails.injection) {
      Dict d;
      d.set("blocked", false);
      d.set("text", text);
      d.set("detections", Value(List{}));
      out.return_value = Value(std::move(d));
      return out;
    }
    safety::InjectionResult r = rails.injection->apply(text);
    Dict d;
    d.set("blocked", r.blocked);
    d.set("text", r.text);
    List detections;
    for (const auto& f : r.findings) detections.push_back(Value(f.type + ":" + f.rule));
    d.set("detections", Value(std::move(detections)));
    out.return_value = Value(std::move(d));
  } else {
    throw std::logic_error("not a security action: " + n);
  }
  return out;
}

}  // namespace rg::rails::dialog
