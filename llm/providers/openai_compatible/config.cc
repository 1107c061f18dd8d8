#include "llm/providers/openai_compatible/config.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace rg::llm::openai_compatible {

namespace {

using json = nlohmann::json;

struct EngineDefaults {
  const char* engine;
  const char* base_url;  // "" = must be given
  const char* key_env;   // "" = no key needed
};

constexpr EngineDefaults kEngines[] = {
    {"openai", "https://api.openai.com/v1", "OPENAI_API_KEY"},
    {"nim", "https://integrate.api.nvidia.com/v1", "NVIDIA_API_KEY"},
    {"nvidia_ai_endpoints", "https://integrate.api.nvidia.com/v1", "NVIDIA_API_KEY"},
    {"vllm_openai", "", ""},
    {"ollama", "http://localhost:11434/v1", ""},
};

Error bad(std::string_view engine, const std::string& field, const std::string& what) {
  return Error{ErrorCode::kBadConfig, std::string(engine) + ": parameters." + field + ": " + what,
               std::string(engine) + " parameters." + field};
}

// Reads parameters[key] into `out` when present; returns an error text
// ("" when fine).
std::string read_string(const json& v, std::string& out) {
  if (!v.is_string()) return "expected a string, got " + v.dump();
  out = v.get<std::string>();
  return "";
}

std::string read_ms(const json& v, long& out, double scale = 1.0) {
  if (!v.is_number() || v.get<double>() < 0) return "expected a non-negative number, got " + v.dump();
  out = static_cast<long>(std::llround(v.get<double>() * scale));
  return "";
}

}  // namespace

Result<Options> parse_options(std::string_view engine, const ProviderSettings& settings) {
  const EngineDefaults* defaults = nullptr;
  for (const EngineDefaults& e : kEngines)
    if (engine == e.engine) defaults = &e;
  if (!defaults)
    return Error{ErrorCode::kBadConfig,
                 "engine '" + std::string(engine) + "' is not OpenAI-compatible", ""};

  Options o;
  o.engine = std::string(engine);
  o.model = settings.model;
  o.base_url = defaults->base_url;
  if (!settings.base_url.empty()) o.base_url = settings.base_url;
  std::string key_env = defaults->key_env;
  std::string mode;

  const json& params = settings.parameters;
  if (!params.is_null() && !params.is_object())
    return Error{ErrorCode::kBadConfig,
                 std::string(engine) + ": parameters must be a mapping, got " + params.dump(),
                 std::string(engine) + " parameters"};
  if (params.is_object()) {
    for (const auto& [key, v] : params.items()) {
      std::string err;
      if (key == "base_url" || key == "openai_api_base" || key == "api_base") {
        err = read_string(v, o.base_url);
      } else if (key == "api_key") {
        err = read_string(v, o.api_key);
      } else if (key == "api_key_env") {
        err = read_string(v, key_env);
      } else if (key == "mode") {
        err = read_string(v, mode);
        if (err.empty() && mode != "chat" && mode != "completion")
          err = "expected \"chat\" or \"completion\", got \"" + mode + "\"";
      } else if (key == "model" || key == "model_name") {
        std::string m;
        err = read_string(v, m);
        if (o.model.empty()) o.model = m;
      } else if (key == "temperature") {
        if (!v.is_number()) err = "expected a number, got " + v.dump();
        else o.defaults.temperature = v.get<double>();
      } else if (key == "max_tokens" || key == "n") {
        if (!v.is_number_integer() || v.get<long>() < 1)
          err = "expected a positive integer, got " + v.dump();
        else if (key == "n") o.defaults.n = v.get<int>();
        else o.defaults.max_tokens = v.get<int>();
      } else if (key == "stop") {
        if (v.is_string()) {
          o.defaults.stop = {v.get<std::string>()};
        } else if (v.is_array()) {
          for (const json& s : v) {
            if (!s.is_string()) { err = "expected strings, got " + s.dump(); break; }
            o.defaults.stop.push_back(s.get<std::string>());
          }
        } else {
          err = "expected a string or a list of strings, got " + v.dump();
        }
      } else if (key == "connect_timeout_ms") {
        err = read_ms(v, o.connect_timeout_ms);
      } else if (key == "read_timeout_ms") {
        err = read_ms(v, o.read_timeout_ms);
      } else if (key == "timeout" || key == "request_timeout") {
        err = read_ms(v, o.read_timeout_ms, 1000.0);
      } else if (key == "retry_base_delay_ms") {
        err = read_ms(v, o.retry_base_delay_ms);
      } else if (key == "retry_max_delay_ms") {
        err = read_ms(v, o.retry_max_delay_ms);
      } else if (key == "max_retries") {
        if (!v.is_number_integer() || v.get<long>() < 0)
          err = "expected a non-negative integer, got " + v.dump();
        else o.max_retries = v.get<int>();
      } else {
        o.extra_body[key] = v;
      }
      if (!err.empty()) return bad(engine, key, err);
    }
  }

  if (o.base_url.empty())
    return Error{ErrorCode::kBadConfig,
                 std::string(engine) + ": a base URL is required (base_url or parameters.base_url)",
                 std::string(engine) + " base_url"};
  while (!o.base_url.empty() && o.base_url.back() == '/') o.base_url.pop_back();
  if (o.model.empty())
    return Error{ErrorCode::kBadConfig, std::string(engine) + ": no model named (model: ...)",
                 std::string(engine) + " model"};

  if (o.api_key.empty() && !key_env.empty()) {
    const char* k = std::getenv(key_env.c_str());
    if (k && *k) o.api_key = k;
    else if (!std::string_view(defaults->key_env).empty() || params.contains("api_key_env"))
      return Error{ErrorCode::kBadConfig,
                   std::string(engine) + ": no API key: set " + key_env +
                       " in the environment (or parameters.api_key_env)",
                   std::string(engine) + " api_key"};
  }

  if (!mode.empty()) {
    o.chat = mode == "chat";
  } else if (engine == "openai") {
    o.chat = (o.model.find("gpt-3.5") != std::string::npos ||
              o.model.find("gpt-4") != std::string::npos) &&
             o.model.find("instruct") == std::string::npos;
  } else {
    o.chat = engine != "vllm_openai";
  }
  return o;
}

}  // namespace rg::llm::openai_compatible
