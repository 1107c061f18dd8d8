#include "llm/providers/openai_compatible/embeddings_client.h"

#include <utility>

#include "llm/providers/openai_compatible/response_util.h"

namespace rg::llm {

namespace {

using json = nlohmann::json;
namespace oc = openai_compatible;

constexpr size_t kDefaultMaxBatchSize = 64;

// Reads data[*].embedding into `out` (in `index` order); "" when fine, else
// what is wrong.
std::string read_embeddings(const json& body, size_t expected,
                            std::vector<std::vector<float>>& out) {
  auto data = body.find("data");
  if (data == body.end() || !data->is_array()) return "response has no data array";
  if (data->size() != expected)
    return "response has " + std::to_string(data->size()) + " embeddings for " +
           std::to_string(expected) + " inputs";
  out.assign(expected, {});
  std::vector<bool> seen(expected, false);
  size_t position = 0;
  for (const json& item : *data) {
    const std::string where = "data[" + std::to_string(position) + "]";
    if (!item.is_object()) return where + " is not an object";
    size_t index = position++;
    if (auto i = item.find("index"); i != item.end()) {
      if (!i->is_number_integer() || i->get<long long>() < 0 ||
          static_cast<size_t>(i->get<long long>()) >= expected)
        return where + ".index is out of range: " + i->dump();
      index = static_cast<size_t>(i->get<long long>());
    }
    if (seen[index]) return where + ".index " + std::to_string(index) + " is repeated";
    seen[index] = true;
    auto e = item.find("embedding");
    if (e == item.end() || !e->is_array() || e->empty()) return "response has no " + where + ".embedding";
    std::vector<float>& v = out[index];
    v.reserve(e->size());
    for (const json& x : *e) {
      if (!x.is_number()) return where + ".embedding holds a non-number: " + oc::excerpt(x.dump(), 40);
      v.push_back(x.get<float>());
    }
    if (v.size() != out[0].size() && !out[0].empty())
      return where + ".embedding has " + std::to_string(v.size()) + " dimensions, an earlier one " +
             std::to_string(out[0].size());
  }
  const size_t dim = out.empty() ? 0 : out[0].size();
  for (const auto& v : out)
    if (v.size() != dim)
      return "embeddings of different dimensions (" + std::to_string(v.size()) + " and " +
             std::to_string(dim) + ")";
  return "";
}

}  // namespace

OpenAiEmbeddingsClient::OpenAiEmbeddingsClient(oc::Options options, size_t max_batch_size)
    : options_(std::move(options)), max_batch_size_(max_batch_size == 0 ? 1 : max_batch_size) {}

Result<std::vector<std::vector<float>>> OpenAiEmbeddingsClient::embed(
    const std::vector<std::string>& texts) const {
  std::vector<std::vector<float>> all;
  all.reserve(texts.size());
  for (size_t start = 0; start < texts.size(); start += max_batch_size_) {
    const size_t n = std::min(max_batch_size_, texts.size() - start);
    auto batch = embed_batch(texts.data() + start, n);
    if (!batch.ok()) return batch.error();
    if (!all.empty() && !batch.value().empty() && batch.value()[0].size() != all[0].size())
      return Error{ErrorCode::kBadResponse,
                   options_.engine + ": POST " + options_.base_url +
                       "/embeddings: batches came back with different dimensions (" +
                       std::to_string(all[0].size()) + " and " +
                       std::to_string(batch.value()[0].size()) + ")",
                   options_.engine + " " + options_.base_url + "/embeddings"};
    for (auto& v : batch.value()) all.push_back(std::move(v));
  }
  return all;
}

Result<std::vector<std::vector<float>>> OpenAiEmbeddingsClient::embed_batch(const std::string* texts,
                                                                            size_t n) const {
  const oc::Options& o = options_;
  const std::string url = o.base_url + "/embeddings";
  auto fail = [&](ErrorCode code, const std::string& what) { return oc::endpoint_error(o, url, code, what); };

  json body = o.extra_body;
  body["model"] = o.model;
  body["input"] = std::vector<std::string>(texts, texts + n);
  if (!body.contains("encoding_format")) body["encoding_format"] = "float";

  Result<json> answer = oc::post_json_with_retries(o, url, body);
  if (!answer.ok()) return answer.error();
  std::vector<std::vector<float>> out;
  std::string what = read_embeddings(answer.value(), n, out);
  if (!what.empty()) return fail(ErrorCode::kBadResponse, what);
  return out;
}

Result<std::unique_ptr<OpenAiEmbeddingsClient>> make_openai_embeddings(
    std::string_view engine, const ProviderSettings& settings) {
  // max_batch_size is ours, not a request field: take it out before the
  // chat provider's parser sends unknown parameters along in the body.
  ProviderSettings s = settings;
  size_t max_batch = kDefaultMaxBatchSize;
  if (s.parameters.is_object()) {
    auto it = s.parameters.find("max_batch_size");
    if (it != s.parameters.end()) {
      if (!it->is_number_integer() || it->get<long long>() < 1)
        return Error{ErrorCode::kBadConfig,
                     std::string(engine) + ": parameters.max_batch_size: expected a positive integer, got " +
                         it->dump(),
                     std::string(engine) + " parameters.max_batch_size"};
      max_batch = static_cast<size_t>(it->get<long long>());
      s.parameters.erase(it);
    }
  }
  Result<oc::Options> options = oc::parse_options(engine, s);
  if (!options.ok()) return options.error();
  if (options.value().model.empty())
    return Error{ErrorCode::kBadConfig, std::string(engine) + ": an embeddings model needs a `model`",
                 std::string(engine) + " model"};
  return std::make_unique<OpenAiEmbeddingsClient>(std::move(options.value()), max_batch);
}

}  // namespace rg::llm
