#include "rails/embeddings/remote_embedder.h"

#include <cmath>
#include <utility>

namespace rg::rails::embeddings {

RemoteEmbedder::RemoteEmbedder(std::unique_ptr<llm::OpenAiEmbeddingsClient> client)
    : client_(std::move(client)) {}

std::string RemoteEmbedder::name() const {
  return client_->options().engine + ":" + client_->options().model;
}

std::size_t RemoteEmbedder::dimension() const {
  {
    std::lock_guard<std::mutex> lock(dimension_mu_);
    if (dimension_ != 0) return dimension_;
  }
  embed({"dimension probe"});
  std::lock_guard<std::mutex> lock(dimension_mu_);
  return dimension_;
}

std::vector<std::vector<float>> RemoteEmbedder::embed(const std::vector<std::string>& texts) const {
  if (texts.empty()) return {};
  auto r = client_->embed(texts);
  if (!r.ok()) throw retrieval::EmbeddingError(r.error().message);
  std::vector<std::vector<float>> out = std::move(r.value());
  {
    std::lock_guard<std::mutex> lock(dimension_mu_);
    if (dimension_ == 0) dimension_ = out.front().size();
    if (out.front().size() != dimension_)
      throw retrieval::EmbeddingError(name() + ": the endpoint changed its dimension from " +
                                      std::to_string(dimension_) + " to " +
                                      std::to_string(out.front().size()));
  }
  for (auto& v : out) {
    double n2 = 0;
    for (float x : v) n2 += double(x) * x;
    if (n2 > 0) {
      const float inv = static_cast<float>(1.0 / std::sqrt(n2));
      for (float& x : v) x *= inv;
    }
  }
  return out;
}

}  // namespace rg::rails::embeddings
