// ThreadStore: the messages of `thread_id` conversations, in one SQLite file
// (WAL mode, synchronous=FULL), so that a turn acknowledged to the client
// survives a restart, even kill -9.
//
//   std::string error;
//   auto store = ThreadStore::open("./.railguard/threads.db", &error);
//   {
//     auto lock = store->lock("my-thread-id-0001");   // one request per thread
//     auto messages = store->load("my-thread-id-0001", &error);
//     ...
//     store->append("my-thread-id-0001", new_messages, &error);  // committed on return
//   }
//
// Thread-safe. Requests on one thread are serialised by lock(); different
// threads run in parallel (the database calls themselves are short and
// serialised on one connection).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3;

namespace rg::rails::server {

class ThreadStore {
 public:
  // Creates the file (and its folder) when missing. Null with `error` set
  // when SQLite cannot open or set it up.
  static std::unique_ptr<ThreadStore> open(const std::string& path, std::string* error);
  ~ThreadStore();
  ThreadStore(const ThreadStore&) = delete;
  ThreadStore& operator=(const ThreadStore&) = delete;

  // Held for the whole request on `thread_id` (requests on one thread are
  // serialised). Default-constructed: holds nothing.
  struct Lock {
    // Declared first so that it is destroyed last: the mutex outlives the lock.
    std::shared_ptr<std::mutex> mutex;
    std::unique_lock<std::mutex> held;
    // Unlocks, then lets go of the mutex (in that order).
    void release() {
      if (held.owns_lock()) held.unlock();
      held = {};
      mutex.reset();
    }
  };
  Lock lock(const std::string& thread_id);

  // The thread's messages in order (each a {"role", "content", ...} object);
  // empty for a thread never seen. False on a database error.
  // `state`, when given, receives the thread's saved dialog state (null when
  // none was saved).
  bool load(const std::string& thread_id, std::vector<nlohmann::ordered_json>* messages,
            std::string* error, nlohmann::ordered_json* state = nullptr);
  // Appends messages (and replaces the saved dialog state, when `state` is
  // given) in one transaction, committed before it returns.
  bool append(const std::string& thread_id, const std::vector<nlohmann::ordered_json>& messages,
              std::string* error, const nlohmann::ordered_json* state = nullptr);
  // WAL checkpoint (shutdown).
  void flush();

 private:
  ThreadStore() = default;
  sqlite3* db_ = nullptr;
  std::mutex db_mu_;  // one statement at a time on the connection
  std::mutex locks_mu_;
  // Per-thread mutexes. Entries nobody holds are dropped when the map grows
  // past a limit, so a server that sees millions of threads stays small.
  std::unordered_map<std::string, std::shared_ptr<std::mutex>> locks_;
};

}  // namespace rg::rails::server
