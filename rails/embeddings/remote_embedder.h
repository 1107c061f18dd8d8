// RemoteEmbedder: a retrieval::Embedder over an OpenAI-compatible
// `/embeddings` endpoint (llm::OpenAiEmbeddingsClient), for the engines
// openai, nim, nvidia_ai_endpoints, vllm_openai and ollama.
//
// The dimension is the endpoint's: learnt from the first answer (a one-text
// probe when dimension() is asked before any embed()). Vectors are
// L2-normalised here, since not every server sends unit vectors. A failed
// request throws retrieval::EmbeddingError with the client's message
// ("openai: POST https://.../embeddings: HTTP 401: ..."): at load time the
// config is refused with it, during a turn the turn fails closed.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "llm/providers/openai_compatible/embeddings_client.h"
#include "retrieval/embedder.h"

namespace rg::rails::embeddings {

class RemoteEmbedder final : public retrieval::Embedder {
 public:
  explicit RemoteEmbedder(std::unique_ptr<llm::OpenAiEmbeddingsClient> client);

  std::string name() const override;
  std::size_t dimension() const override;
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override;

 private:
  std::unique_ptr<llm::OpenAiEmbeddingsClient> client_;
  mutable std::size_t dimension_ = 0;  // 0 until the first answer; guarded by dimension_mu_
  mutable std::mutex dimension_mu_;
};

}  // namespace rg::rails::embeddings
