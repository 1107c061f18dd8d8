#include "llm/providers/openai_compatible/prompt_logprobs_client.h"

#include <utility>

#include "llm/providers/openai_compatible/response_util.h"

namespace rg::llm {

namespace {

using json = nlohmann::json;
namespace oc = openai_compatible;

// Python len(): code points of UTF-8 text (continuation bytes not counted).
size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// Reads choices[0].logprobs into `out`; "" when fine, else what is wrong.
// `prompt_chars` >= 0: drop tokens whose text_offset is at or past it (the
// generated ones, when max_tokens > 0 had to be sent).
std::string read_logprobs(const json& body, long long prompt_chars, PromptLogprobs& out) {
  auto choices = body.find("choices");
  if (choices == body.end() || !choices->is_array() || choices->empty())
    return "response has no choices";
  const json& c0 = (*choices)[0];
  if (!c0.is_object()) return "choices[0] is not an object";
  auto lp = c0.find("logprobs");
  if (lp == c0.end() || !lp->is_object())
    return "response has no choices[0].logprobs (does the server support echo + logprobs on "
           "/completions?)";
  auto tl = lp->find("token_logprobs");
  if (tl == lp->end() || !tl->is_array())
    return "response has no choices[0].logprobs.token_logprobs";
  size_t n = tl->size();
  if (prompt_chars >= 0) {
    auto offsets = lp->find("text_offset");
    if (offsets == lp->end() || !offsets->is_array() || offsets->size() != n)
      return "response has no choices[0].logprobs.text_offset for every token (needed to tell "
             "prompt tokens from generated ones when max_tokens > 0)";
    size_t keep = 0;
    for (const json& o : *offsets) {
      if (!o.is_number_integer()) return "choices[0].logprobs.text_offset holds a non-integer: " +
                                         oc::excerpt(o.dump(), 40);
      if (o.get<long long>() >= prompt_chars) break;
      ++keep;
    }
    n = keep;
  }
  out.token_logprobs.clear();
  out.token_logprobs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const json& x = (*tl)[i];
    if (x.is_null()) {
      out.token_logprobs.push_back(std::nullopt);
    } else if (x.is_number()) {
      out.token_logprobs.push_back(x.get<double>());
    } else {
      return "choices[0].logprobs.token_logprobs[" + std::to_string(i) +
             "] is not a number: " + oc::excerpt(x.dump(), 40);
    }
  }
  out.tokens.clear();
  if (auto t = lp->find("tokens"); t != lp->end() && t->is_array() && t->size() >= n) {
    for (size_t i = 0; i < n; ++i)
      out.tokens.push_back((*t)[i].is_string() ? (*t)[i].get<std::string>() : std::string());
  }
  return "";
}

}  // namespace

OpenAiPromptLogprobsClient::OpenAiPromptLogprobsClient(oc::Options options)
    : options_(std::move(options)) {}

Result<PromptLogprobs> OpenAiPromptLogprobsClient::prompt_logprobs(std::string_view text) const {
  const oc::Options& o = options_;
  const std::string url = o.base_url + "/completions";
  auto fail = [&](ErrorCode code, const std::string& what) { return oc::endpoint_error(o, url, code, what); };

  json body = o.extra_body;
  body["model"] = o.model;
  body["prompt"] = std::string(text);
  if (!body.contains("echo")) body["echo"] = true;
  if (!body.contains("logprobs")) body["logprobs"] = 0;
  const int max_tokens = o.defaults.max_tokens.value_or(0);
  body["max_tokens"] = max_tokens;
  if (max_tokens > 0 && !body.contains("temperature")) body["temperature"] = 0;
  const long long prompt_chars = max_tokens > 0 ? static_cast<long long>(code_points(text)) : -1;

  Result<json> answer = oc::post_json_with_retries(o, url, body);
  if (!answer.ok()) return answer.error();
  PromptLogprobs out;
  std::string what = read_logprobs(answer.value(), prompt_chars, out);
  if (!what.empty()) return fail(ErrorCode::kBadResponse, what);
  return out;
}

Result<std::unique_ptr<OpenAiPromptLogprobsClient>> make_openai_prompt_logprobs(
    std::string_view engine, const ProviderSettings& settings) {
  Result<oc::Options> options = oc::parse_options(engine, settings);
  if (!options.ok()) return options.error();
  if (options.value().model.empty())
    return Error{ErrorCode::kBadConfig,
                 std::string(engine) + ": a perplexity model needs a `model`",
                 std::string(engine) + " model"};
  return std::make_unique<OpenAiPromptLogprobsClient>(std::move(options.value()));
}

}  // namespace rg::llm
