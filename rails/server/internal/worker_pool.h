// Not for use outside rails/server/.
//
// A fixed set of threads running queued tasks in order of arrival; the HTTP
// core runs ApiService::handle on it so that a request waiting on an LLM
// never holds an I/O thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace rg::rails::server::internal {

class WorkerPool {
 public:
  explicit WorkerPool(size_t threads);
  // Joins (after the queue runs dry) unless abandon() was called.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(std::function<void()> task);
  // Lets the threads finish the queue and end; waits for them.
  void join();
  // Shutdown past its grace period: tasks not started are dropped and the
  // threads detached, so a task that never returns does not keep the
  // process from exiting.
  void abandon();

 private:
  // Shared with the threads, so that abandoned ones outlive the pool safely.
  struct Queue {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<std::function<void()>> tasks;
    bool closing = false;
  };
  static void loop(const std::shared_ptr<Queue>& queue);
  void close();

  std::shared_ptr<Queue> queue_ = std::make_shared<Queue>();
  std::vector<std::thread> threads_;
};

}  // namespace rg::rails::server::internal
