#include "rails/server/internal/worker_pool.h"

#include <utility>

namespace rg::rails::server::internal {

WorkerPool::WorkerPool(size_t threads) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([q = queue_] { loop(q); });
}

WorkerPool::~WorkerPool() { join(); }

void WorkerPool::post(std::function<void()> task) {
  {
    std::lock_guard lock(queue_->mutex);
    queue_->tasks.push_back(std::move(task));
  }
  queue_->cv.notify_one();
}

void WorkerPool::loop(const std::shared_ptr<Queue>& queue) {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(queue->mutex);
      queue->cv.wait(lock, [&] { return queue->closing || !queue->tasks.empty(); });
      if (queue->tasks.empty()) return;
      task = std::move(queue->tasks.front());
      queue->tasks.pop_front();
    }
    task();
  }
}

void WorkerPool::close() {
  {
    std::lock_guard lock(queue_->mutex);
    queue_->closing = true;
  }
  queue_->cv.notify_all();
}

void WorkerPool::join() {
  close();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WorkerPool::abandon() {
  std::deque<std::function<void()>> dropped;  // destroyed outside the lock
  {
    std::lock_guard lock(queue_->mutex);
    dropped.swap(queue_->tasks);
  }
  close();
  for (auto& t : threads_) {
    if (t.joinable()) t.detach();
  }
  threads_.clear();
}

}  // namespace rg::rails::server::internal
