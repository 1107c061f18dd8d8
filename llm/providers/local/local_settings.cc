#include "llm/providers/local/local_settings.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "llm/local/chat_template.h"

namespace rg::llm::local {

namespace {

using json = nlohmann::json;

Error bad(const std::string& field, const std::string& what) {
  return Error{ErrorCode::kBadConfig, "local: parameters." + field + ": " + what,
               "local parameters." + field};
}

// Each reader returns "" or what is wrong with the value.
std::string read_int(const json& v, int lo, int& out) {
  if (!v.is_number_integer() || v.get<long long>() < lo ||
      v.get<long long>() > std::numeric_limits<int>::max())
    return "expected an integer >= " + std::to_string(lo) + ", got " + v.dump();
  out = static_cast<int>(v.get<long long>());
  return "";
}

std::string read_float(const json& v, float lo, float& out) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < lo)
    return "expected a number >= " + std::to_string(lo) + ", got " + v.dump();
  out = static_cast<float>(v.get<double>());
  return "";
}

std::string read_string(const json& v, std::string& out) {
  if (!v.is_string()) return "expected a string, got " + v.dump();
  out = v.get<std::string>();
  return "";
}

constexpr const char* kKnown =
    "device, dtype, max_tokens, context, temperature, top_k, top_p, repetition_penalty, seed, "
    "chat_template, threads, model";

}  // namespace

Result<LocalSettings> parse_local_settings(const ProviderSettings& settings) {
  LocalSettings s;
  s.model_path = settings.model;
  const json& params = settings.parameters;
  if (!params.is_null() && !params.is_object())
    return Error{ErrorCode::kBadConfig, "local: parameters must be a mapping, got " + params.dump(),
                 "local parameters"};
  if (params.is_object()) {
    for (const auto& [key, v] : params.items()) {
      std::string err;
      if (key == "device") {
        std::string d;
        err = read_string(v, d);
        if (err.empty()) {
          if (d == "cpu") s.device = Device::kCpu;
          else if (d == "cuda" || d == "gpu") s.device = Device::kCuda;
          else if (d == "auto") s.device = Device::kAuto;
          else err = "expected cpu, cuda or auto, got " + v.dump();
        }
      } else if (key == "dtype") {
        std::string d;
        err = read_string(v, d);
        if (err.empty()) {
          if (d == "auto") s.dtype = GpuDtype::kAuto;
          else if (d == "bfloat16" || d == "bf16") s.dtype = GpuDtype::kBF16;
          else if (d == "float16" || d == "f16" || d == "fp16" || d == "half") s.dtype = GpuDtype::kF16;
          else err = "expected auto, bfloat16 or float16, got " + v.dump();
        }
      } else if (key == "max_tokens") {
        err = read_int(v, 1, s.max_tokens);
      } else if (key == "context") {
        err = read_int(v, 1, s.context);
      } else if (key == "temperature") {
        err = read_float(v, 0.0f, s.sampling.temperature);
      } else if (key == "top_k") {
        err = read_int(v, 0, s.sampling.top_k);
      } else if (key == "top_p") {
        err = read_float(v, 0.0f, s.sampling.top_p);
        if (err.empty() && (s.sampling.top_p <= 0.0f || s.sampling.top_p > 1.0f))
          err = "expected a number in (0, 1], got " + v.dump();
      } else if (key == "repetition_penalty") {
        err = read_float(v, 0.0f, s.sampling.repetition_penalty);
        if (err.empty() && s.sampling.repetition_penalty <= 0.0f)
          err = "expected a number > 0, got " + v.dump();
      } else if (key == "seed") {
        if (!v.is_number_integer() || v.get<long long>() < 0)
          err = "expected a non-negative integer, got " + v.dump();
        else s.sampling.seed = v.get<std::uint64_t>();
      } else if (key == "chat_template") {
        err = read_string(v, s.chat_template);
        if (err.empty() && s.chat_template == "auto") s.chat_template.clear();
        if (err.empty() && !s.chat_template.empty()) {
          const auto names = ChatTemplate::known_names();
          if (std::find(names.begin(), names.end(), s.chat_template) == names.end()) {
            std::string list = "auto";
            for (const auto& n : names) list += ", " + n;
            err = "unknown template " + v.dump() + " (known: " + list + ")";
          }
        }
      } else if (key == "threads") {
        err = read_int(v, 0, s.threads);
      } else if (key == "model" || key == "model_name" || key == "model_path") {
        std::string path;
        err = read_string(v, path);
        if (err.empty() && s.model_path.empty()) s.model_path = path;
      } else {
        err = std::string("unknown parameter (known: ") + kKnown + ")";
      }
      if (!err.empty()) return bad(key, err);
    }
  }
  if (s.model_path.empty())
    return Error{ErrorCode::kBadConfig,
                 "local: no model: set `model` to a .gguf file or a Hugging Face model folder",
                 "local model"};
  return s;
}

}  // namespace rg::llm::local
