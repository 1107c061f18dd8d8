#include "retrieval/batching_embedder.h"

#include <exception>
#include <utility>

namespace rg::retrieval {

struct BatchingEmbedder::Request {
  const std::vector<std::string>* texts = nullptr;
  std::vector<std::vector<float>> vectors;
  std::exception_ptr error;
  bool done = false;  // guarded by the embedder's mu_
  std::condition_variable finished;
};

BatchingEmbedder::BatchingEmbedder(std::shared_ptr<const Embedder> inner, std::size_t max_batch_size,
                                   std::chrono::microseconds max_hold)
    : inner_(std::move(inner)), max_batch_size_(max_batch_size == 0 ? 1 : max_batch_size), max_hold_(max_hold) {}

std::vector<std::vector<float>> BatchingEmbedder::embed(const std::vector<std::string>& texts) const {
  if (texts.empty()) return {};
  if (texts.size() >= max_batch_size_) return inner_->embed(texts);

  auto self = std::make_shared<Request>();
  self->texts = &texts;
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(self);
  queued_texts_ += texts.size();

  if (leader_waiting_) {
    // A leader is collecting: tell it the queue grew, then wait for our part.
    queue_changed_.notify_one();
    self->finished.wait(lock, [&] { return self->done; });
    if (self->error) std::rethrow_exception(self->error);
    return std::move(self->vectors);
  }

  // Lead this batch: hold until it is full or max_hold has passed.
  leader_waiting_ = true;
  const auto deadline = std::chrono::steady_clock::now() + max_hold_;
  queue_changed_.wait_until(lock, deadline, [&] { return queued_texts_ >= max_batch_size_; });
  std::vector<std::shared_ptr<Request>> batch;
  batch.swap(queue_);
  queued_texts_ = 0;
  leader_waiting_ = false;
  lock.unlock();

  std::vector<std::string> all;
  for (const auto& r : batch) all.insert(all.end(), r->texts->begin(), r->texts->end());
  std::vector<std::vector<float>> vectors;
  std::exception_ptr error;
  try {
    vectors = inner_->embed(all);
    if (vectors.size() != all.size())
      throw EmbeddingError(inner_->name() + ": returned " + std::to_string(vectors.size()) + " vectors for " +
                           std::to_string(all.size()) + " texts");
  } catch (...) {
    error = std::current_exception();
  }

  lock.lock();
  std::size_t at = 0;
  for (const auto& r : batch) {
    const std::size_t n = r->texts->size();
    if (error) {
      r->error = error;
    } else {
      r->vectors.assign(std::make_move_iterator(vectors.begin() + at),
                        std::make_move_iterator(vectors.begin() + at + n));
    }
    at += n;
    r->done = true;
    if (r != self) r->finished.notify_one();
  }
  lock.unlock();
  if (error) std::rethrow_exception(error);
  return std::move(self->vectors);
}

}  // namespace rg::retrieval
