// retrieval/batching_embedder.h: coalesces concurrent embed() calls into one
// call of the wrapped embedder (spec 4: `use_batching`, `max_batch_size`,
// `max_batch_hold`). Worth it where one call has a high fixed cost and many
// threads ask for one or two texts each: a remote /embeddings endpoint (one
// HTTP round trip per call) or a GPU encoder (one launch sequence per batch).
//
//   auto batched = std::make_shared<BatchingEmbedder>(inner, /*max_batch_size=*/32,
//                                                     std::chrono::milliseconds(10));
//
// How: the first caller that finds no batch forming becomes its leader. It
// waits until max_batch_size texts are queued or max_hold has passed, takes
// the queue, makes one inner embed() call for all of it and hands every
// caller its own vectors; callers that arrived meanwhile only wait. A call
// with max_batch_size texts or more goes straight through. No thread of its
// own; an exception of the inner call reaches every caller of that batch.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "retrieval/embedder.h"

namespace rg::retrieval {

class BatchingEmbedder final : public Embedder {
 public:
  // max_batch_size >= 1.
  BatchingEmbedder(std::shared_ptr<const Embedder> inner, std::size_t max_batch_size,
                   std::chrono::microseconds max_hold);

  std::string name() const override { return inner_->name(); }
  std::size_t dimension() const override { return inner_->dimension(); }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override;

  const Embedder& inner() const { return *inner_; }

 private:
  struct Request;

  std::shared_ptr<const Embedder> inner_;
  const std::size_t max_batch_size_;
  const std::chrono::microseconds max_hold_;

  mutable std::mutex mu_;
  mutable std::condition_variable queue_changed_;           // wakes the leader
  mutable std::vector<std::shared_ptr<Request>> queue_;     // guarded by mu_
  mutable std::size_t queued_texts_ = 0;                    // guarded by mu_
  mutable bool leader_waiting_ = false;                     // guarded by mu_
};

}  // namespace rg::retrieval
