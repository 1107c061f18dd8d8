#include "rails/safety/jailbreak_heuristics.h"

#include <cmath>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "colang/value_json.h"
#include "llm/json_service.h"
#include "llm/providers/openai_compatible/response_util.h"

namespace rg::rails::safety {

namespace {

using json = nlohmann::json;
namespace oc = llm::openai_compatible;

constexpr std::string_view kConfigPath = "rails.config.jailbreak_detection";

// Python's str.isspace() for one code point.
bool is_python_space(uint32_t cp) {
  if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F)) return true;
  if (cp < 0x80) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

std::string join_words(const std::vector<std::string_view>& words, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out += ' ';
    out += words[i];
  }
  return out;
}

std::string fmt(double v) {
  json j = v;
  return j.dump();
}

}  // namespace

// ---------------------------------------------------------------- words

std::vector<std::string_view> whitespace_words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0, start = std::string_view::npos;
  while (i < text.size()) {
    size_t at = i;
    uint32_t cp = colang::decode_utf8(text, i);
    if (is_python_space(cp)) {
      if (start != std::string_view::npos) words.push_back(text.substr(start, at - start));
      start = std::string_view::npos;
    } else if (start == std::string_view::npos) {
      start = at;
    }
  }
  if (start != std::string_view::npos) words.push_back(text.substr(start));
  return words;
}

PrefixSuffix prefix_suffix_windows(std::string_view text) {
  PrefixSuffix ps;
  std::vector<std::string_view> words = whitespace_words(text);
  if (words.size() < kPrefixSuffixWords) return ps;
  ps.applies = true;
  // The reference takes words[0:19] and words[-20:-1] (19 words each, the
  // suffix missing the last word); we take the full windows.
  ps.prefix = join_words(words, 0, kPrefixSuffixWords);
  ps.suffix = join_words(words, words.size() - kPrefixSuffixWords, words.size());
  return ps;
}

size_t code_point_length(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// ---------------------------------------------------------------- scorer

double perplexity_from_logprobs(const std::vector<std::optional<double>>& token_logprobs) {
  double sum = 0;
  size_t n = 0;
  for (const auto& lp : token_logprobs) {
    if (!lp) continue;
    sum += *lp;
    ++n;
  }
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return std::exp(-sum / static_cast<double>(n));
}

OpenAiLogprobScorer::OpenAiLogprobScorer(std::shared_ptr<const llm::OpenAiPromptLogprobsClient> client)
    : client_(std::move(client)) {}

llm::Result<double> OpenAiLogprobScorer::perplexity(std::string_view text) const {
  auto lp = client_->prompt_logprobs(text);
  if (!lp.ok()) return lp.error();
  return perplexity_from_logprobs(lp.value().token_logprobs);
}

std::string OpenAiLogprobScorer::name() const {
  return "openai-logprobs " + client_->options().engine + "/" + client_->options().model + " at " +
         client_->options().base_url;
}

// ---------------------------------------------------------------- checks

JailbreakVerdict check_jailbreak_heuristics(const PerplexityScorer& scorer, std::string_view text,
                                            const JailbreakThresholds& thresholds) {
  JailbreakVerdict v;
  if (whitespace_words(text).empty()) return v;
  auto note_error = [&](const char* what, const llm::Error& e) {
    if (!v.error.empty()) v.error += "; ";
    v.error += std::string(what) + ": " + e.message;
    if (!v.error_code) v.error_code = e.code;
  };

  // LP: len(text) / ppl(text). NaN compares false: not flagged.
  auto ppl = scorer.perplexity(text);
  if (ppl.ok()) {
    v.perplexity = ppl.value();
    v.lp_score = static_cast<double>(code_point_length(text)) / ppl.value();
    v.length_per_perplexity = *v.lp_score >= thresholds.length_per_perplexity;
  } else {
    note_error("length per perplexity", ppl.error());
  }

  // PS: texts of >= 20 words; prefix and suffix windows of 20 words.
  PrefixSuffix ps = prefix_suffix_windows(text);
  if (ps.applies) {
    auto pre = scorer.perplexity(ps.prefix);
    if (pre.ok()) v.prefix_perplexity = pre.value();
    else note_error("prefix perplexity", pre.error());
    if (ps.suffix == ps.prefix) {
      if (pre.ok()) v.suffix_perplexity = pre.value();
    } else {
      auto suf = scorer.perplexity(ps.suffix);
      if (suf.ok()) v.suffix_perplexity = suf.value();
      else note_error("suffix perplexity", suf.error());
    }
    v.prefix_suffix_perplexity =
        (v.prefix_perplexity && *v.prefix_perplexity >= thresholds.prefix_suffix_perplexity) ||
        (v.suffix_perplexity && *v.suffix_perplexity >= thresholds.prefix_suffix_perplexity);
  }
  v.jailbreak = v.length_per_perplexity || v.prefix_suffix_perplexity;
  return v;
}

// ---------------------------------------------------------------- server

HeuristicsServerClient::HeuristicsServerClient(Options options) : options_(std::move(options)) {}

JailbreakVerdict HeuristicsServerClient::check(std::string_view prompt,
                                               const JailbreakThresholds& thresholds) const {
  JailbreakVerdict v;
  const std::string& url = options_.endpoint;
  auto fail = [&](llm::ErrorCode code, const std::string& what) {
    v.jailbreak = false;
    v.error = "jailbreak heuristics server: POST " + url + ": " + what;
    v.error_code = code;
    return v;
  };

  json body = {{"prompt", std::string(prompt)},
               {"lp_threshold", thresholds.length_per_perplexity},
               {"ps_ppl_threshold", thresholds.prefix_suffix_perplexity}};
  llm::Result<json> posted =
      llm::post_json({url, std::move(body), options_.connect_timeout_ms, options_.read_timeout_ms});
  if (!posted.ok()) {
    // post_json's message starts "POST <url>: "; keep only what went wrong.
    std::string what = posted.error().message;
    if (what.rfind("POST " + url + ": ", 0) == 0) what = what.substr(url.size() + 7);
    return fail(posted.error().code, what);
  }
  const json& answer = posted.value();
  auto jb = answer.find("jailbreak");
  if (jb == answer.end()) return fail(llm::ErrorCode::kBadResponse, "response has no \"jailbreak\" field");
  if (!jb->is_boolean())
    return fail(llm::ErrorCode::kBadResponse,
                "\"jailbreak\" is not a boolean: " + oc::excerpt(jb->dump(), 40));
  v.jailbreak = jb->get<bool>();
  if (auto lp = answer.find("length_per_perplexity"); lp != answer.end() && lp->is_boolean())
    v.length_per_perplexity = lp->get<bool>();
  if (auto ps = answer.find("prefix_suffix_perplexity"); ps != answer.end() && ps->is_boolean())
    v.prefix_suffix_perplexity = ps->get<bool>();
  return v;
}

// ---------------------------------------------------------------- config

std::optional<JailbreakConfig> parse_jailbreak_config(const colang::Dict& d,
                                                      const std::vector<config::ModelConfig>& models,
                                                      std::string* error) {
  auto bad = [&](const std::string& key, const std::string& what) -> std::optional<JailbreakConfig> {
    if (error) *error = std::string(kConfigPath) + (key.empty() ? "" : "." + key) + ": " + what;
    return std::nullopt;
  };
  JailbreakConfig c;
  auto number = [&](const char* key, double& out) -> bool {
    const colang::Value* v = d.find(key);
    if (!v) return true;
    if (!(v->is_int() || v->is_float())) return false;
    out = v->as_number();
    return std::isfinite(out);
  };
  if (!number("length_per_perplexity_threshold", c.thresholds.length_per_perplexity))
    return bad("length_per_perplexity_threshold", "expected a number");
  if (!number("prefix_suffix_perplexity_threshold", c.thresholds.prefix_suffix_perplexity))
    return bad("prefix_suffix_perplexity_threshold", "expected a number");
  if (const colang::Value* v = d.find("server_endpoint"); v && !v->is_none()) {
    if (!v->is_str()) return bad("server_endpoint", "expected a URL string");
    c.server_endpoint = v->as_str();
    if (!c.server_endpoint.empty() && c.server_endpoint.rfind("http://", 0) != 0 &&
        c.server_endpoint.rfind("https://", 0) != 0)
      return bad("server_endpoint", "expected an http:// or https:// URL, got \"" + c.server_endpoint + "\"");
  }
  double ms = 0;
  if (!number("server_connect_timeout_ms", ms) || ms < 0)
    return bad("server_connect_timeout_ms", "expected a non-negative number");
  if (d.find("server_connect_timeout_ms")) c.server_connect_timeout_ms = static_cast<long>(ms);
  if (!number("server_read_timeout_ms", ms) || ms < 0)
    return bad("server_read_timeout_ms", "expected a non-negative number");
  if (d.find("server_read_timeout_ms")) c.server_read_timeout_ms = static_cast<long>(ms);
  if (!number("server_timeout", ms) || ms < 0)
    return bad("server_timeout", "expected a non-negative number of seconds");
  if (d.find("server_timeout")) c.server_read_timeout_ms = static_cast<long>(ms * 1000.0);

  if (const colang::Value* pm = d.find("perplexity_model"); pm && !pm->is_none()) {
    if (!pm->is_dict()) return bad("perplexity_model", "expected a mapping {engine, model, base_url?, parameters?}");
    for (const auto& [key, value] : pm->as_dict()) {
      if (key == "engine" || key == "model" || key == "base_url") {
        if (!value.is_str()) return bad("perplexity_model." + key, "expected a string");
      } else if (key == "parameters") {
        if (!value.is_dict() && !value.is_none()) return bad("perplexity_model.parameters", "expected a mapping");
      } else {
        return bad("perplexity_model." + key,
                   "unknown key (expected engine, model, base_url, parameters)");
      }
    }
    const colang::Dict& m = pm->as_dict();
    const colang::Value* engine = m.find("engine");
    if (!engine || engine->as_str().empty())
      return bad("perplexity_model.engine", "an engine is required (vllm_openai, openai, nim, ...)");
    c.model_engine = engine->as_str();
    if (const colang::Value* v = m.find("model")) c.model_settings.model = v->as_str();
    if (const colang::Value* v = m.find("base_url")) c.model_settings.base_url = v->as_str();
    if (const colang::Value* v = m.find("parameters"); v && v->is_dict())
      c.model_settings.parameters = json::parse(colang::to_json(*v).dump());
    c.model_source = std::string(kConfigPath) + ".perplexity_model";
  } else {
    for (size_t i = 0; i < models.size(); ++i) {
      if (models[i].type != kJailbreakPerplexityModelType) continue;
      c.model_engine = models[i].engine;
      c.model_settings.model = models[i].model;
      c.model_settings.parameters =
          json::parse(colang::to_json(colang::Value(models[i].parameters)).dump());
      c.model_source = "models[" + std::to_string(i) + "] (type " +
                       std::string(kJailbreakPerplexityModelType) + ")";
      if (c.model_engine.empty()) {
        if (error) *error = c.model_source + ": an engine is required";
        return std::nullopt;
      }
      break;
    }
  }

  if (c.server_endpoint.empty() && c.model_engine.empty())
    return bad("", "jailbreak detection heuristics need a server_endpoint (the heuristics server, "
                   "e.g. http://localhost:1337/heuristics) or a perplexity model "
                   "(perplexity_model: {engine, model, base_url} or a models: entry of type "
                   "jailbreak_perplexity); the reference's in-process gpt2-large is not available");
  return c;
}

std::string validate_jailbreak_config(const colang::Dict& jailbreak_detection,
                                      const std::vector<config::ModelConfig>& models) {
  std::string error;
  auto c = parse_jailbreak_config(jailbreak_detection, models, &error);
  if (!c) return error;
  if (c->server_endpoint.empty()) {
    // No network here: only the settings (engine, base URL, API key).
    auto client = llm::make_openai_prompt_logprobs(c->model_engine, c->model_settings);
    if (!client.ok()) return c->model_source + ": " + client.error().message;
  }
  return "";
}

// ---------------------------------------------------------------- detector

JailbreakDetector::JailbreakDetector(std::shared_ptr<const PerplexityScorer> scorer,
                                     JailbreakThresholds thresholds)
    : scorer_(std::move(scorer)), thresholds_(thresholds) {}

JailbreakDetector::JailbreakDetector(std::shared_ptr<const HeuristicsServerClient> server,
                                     JailbreakThresholds thresholds)
    : server_(std::move(server)), thresholds_(thresholds) {}

llm::Result<std::shared_ptr<const JailbreakDetector>> JailbreakDetector::create(
    const JailbreakConfig& config) {
  if (!config.server_endpoint.empty()) {
    HeuristicsServerClient::Options o;
    o.endpoint = config.server_endpoint;
    o.connect_timeout_ms = config.server_connect_timeout_ms;
    o.read_timeout_ms = config.server_read_timeout_ms;
    return std::shared_ptr<const JailbreakDetector>(std::make_shared<JailbreakDetector>(
        std::make_shared<const HeuristicsServerClient>(o), config.thresholds));
  }
  if (config.model_engine.empty())
    return llm::Error{llm::ErrorCode::kBadConfig,
                      std::string(kConfigPath) + ": neither a server_endpoint nor a perplexity model",
                      std::string(kConfigPath)};
  auto client = llm::make_openai_prompt_logprobs(config.model_engine, config.model_settings);
  if (!client.ok()) {
    llm::Error e = client.error();
    e.message = config.model_source + ": " + e.message;
    return e;
  }
  std::shared_ptr<const llm::OpenAiPromptLogprobsClient> shared(std::move(client.value()));
  return std::shared_ptr<const JailbreakDetector>(std::make_shared<JailbreakDetector>(
      std::make_shared<const OpenAiLogprobScorer>(std::move(shared)), config.thresholds));
}

llm::Result<std::shared_ptr<const JailbreakDetector>> JailbreakDetector::create(
    const colang::Dict& jailbreak_detection, const std::vector<config::ModelConfig>& models) {
  std::string error;
  auto c = parse_jailbreak_config(jailbreak_detection, models, &error);
  if (!c) return llm::Error{llm::ErrorCode::kBadConfig, error, std::string(kConfigPath)};
  return create(*c);
}

JailbreakVerdict JailbreakDetector::check(std::string_view text) const {
  if (server_) return server_->check(text, thresholds_);
  return check_jailbreak_heuristics(*scorer_, text, thresholds_);
}

std::string JailbreakDetector::describe() const {
  if (server_) return "server " + server_->options().endpoint;
  return scorer_->name() + " (lp >= " + fmt(thresholds_.length_per_perplexity) +
         ", ps >= " + fmt(thresholds_.prefix_suffix_perplexity) + ")";
}

}  // namespace rg::rails::safety
