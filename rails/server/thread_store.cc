#include "rails/server/thread_store.h"

#include <sqlite3.h>

#include <filesystem>
#include <system_error>

namespace rg::rails::server {
namespace {

// Finalizes a prepared statement on every path.
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() {
    if (stmt) sqlite3_finalize(stmt);
  }
};

bool exec(sqlite3* db, const char* sql, std::string* error) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    if (error) *error = std::string("sqlite: ") + (message ? message : sqlite3_errmsg(db));
    sqlite3_free(message);
    return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<ThreadStore> ThreadStore::open(const std::string& path, std::string* error) {
  std::filesystem::path file(path);
  if (file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      if (error) *error = "cannot create " + file.parent_path().string() + ": " + ec.message();
      return nullptr;
    }
  }
  std::unique_ptr<ThreadStore> store(new ThreadStore());
  int rc = sqlite3_open_v2(path.c_str(), &store->db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    if (error) {
      *error = "cannot open " + path + ": " + (store->db_ ? sqlite3_errmsg(store->db_) : "out of memory");
    }
    return nullptr;
  }
  sqlite3_busy_timeout(store->db_, 5000);
  if (!exec(store->db_, "PRAGMA journal_mode=WAL", error) ||
      !exec(store->db_, "PRAGMA synchronous=FULL", error) ||
      !exec(store->db_,
            "CREATE TABLE IF NOT EXISTS thread_messages ("
            " thread_id TEXT NOT NULL, seq INTEGER NOT NULL, message TEXT NOT NULL,"
            " PRIMARY KEY (thread_id, seq))",
            error) ||
      // A Colang 1.0 thread's dialog state (its events), so that flow
      // positions and variables survive a restart, not only the messages.
      !exec(store->db_,
            "CREATE TABLE IF NOT EXISTS thread_state (thread_id TEXT PRIMARY KEY, state TEXT NOT NULL)",
            error)) {
    if (error) *error = path + ": " + *error;
    return nullptr;
  }
  return store;
}

ThreadStore::~ThreadStore() {
  if (db_) sqlite3_close_v2(db_);
}

ThreadStore::Lock ThreadStore::lock(const std::string& thread_id) {
  constexpr size_t kPruneAbove = 4096;
  std::shared_ptr<std::mutex> mu;
  {
    std::lock_guard<std::mutex> guard(locks_mu_);
    if (locks_.size() > kPruneAbove) {
      // Only the map refers to these: no request holds or waits on them.
      for (auto it = locks_.begin(); it != locks_.end();) {
        it = it->second.use_count() == 1 ? locks_.erase(it) : std::next(it);
      }
    }
    auto& slot = locks_[thread_id];
    if (!slot) slot = std::make_shared<std::mutex>();
    mu = slot;
  }
  Lock lock;
  lock.held = std::unique_lock<std::mutex>(*mu);
  lock.mutex = std::move(mu);
  return lock;
}

bool ThreadStore::load(const std::string& thread_id, std::vector<nlohmann::ordered_json>* messages,
                       std::string* error, nlohmann::ordered_json* state) {
  std::lock_guard<std::mutex> guard(db_mu_);
  if (state) {
    *state = nullptr;
    Statement st;
    if (sqlite3_prepare_v2(db_, "SELECT state FROM thread_state WHERE thread_id = ?", -1, &st.stmt, nullptr) !=
        SQLITE_OK) {
      if (error) *error = std::string("sqlite: ") + sqlite3_errmsg(db_);
      return false;
    }
    sqlite3_bind_text(st.stmt, 1, thread_id.data(), static_cast<int>(thread_id.size()), SQLITE_TRANSIENT);
    int rc = sqlite3_step(st.stmt);
    if (rc == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(st.stmt, 0);
      int n = sqlite3_column_bytes(st.stmt, 0);
      auto parsed = nlohmann::ordered_json::parse(
          std::string(reinterpret_cast<const char*>(text ? text : reinterpret_cast<const unsigned char*>("")), n),
          nullptr, false);
      if (parsed.is_discarded()) {
        if (error) *error = "thread " + thread_id + ": the saved state is not JSON";
        return false;
      }
      *state = std::move(parsed);
    } else if (rc != SQLITE_DONE) {
      if (error) *error = std::string("sqlite: ") + sqlite3_errmsg(db_);
      return false;
    }
  }
  Statement s;
  if (sqlite3_prepare_v2(db_, "SELECT message FROM thread_messages WHERE thread_id = ? ORDER BY seq", -1,
                         &s.stmt, nullptr) != SQLITE_OK) {
    if (error) *error = std::string("sqlite: ") + sqlite3_errmsg(db_);
    return false;
  }
  sqlite3_bind_text(s.stmt, 1, thread_id.data(), static_cast<int>(thread_id.size()), SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(s.stmt, 0);
    int n = sqlite3_column_bytes(s.stmt, 0);
    auto parsed = nlohmann::ordered_json::parse(
        std::string(reinterpret_cast<const char*>(text ? text : reinterpret_cast<const unsigned char*>("")), n),
        nullptr, false);
    if (parsed.is_discarded()) {
      if (error) *error = "thread " + thread_id + ": a stored message is not JSON";
      return false;
    }
    messages->push_back(std::move(parsed));
  }
  if (rc != SQLITE_DONE) {
    if (error) *error = std::string("sqlite: ") + sqlite3_errmsg(db_);
    return false;
  }
  return true;
}

bool ThreadStore::append(const std::string& thread_id, const std::vector<nlohmann::ordered_json>& messages,
                         std::string* error, const nlohmann::ordered_json* state) {
  if (messages.empty() && !state) return true;
  std::lock_guard<std::mutex> guard(db_mu_);
  if (!exec(db_, "BEGIN IMMEDIATE", error)) return false;
  auto fail = [&](const std::string& why) {
    if (error) *error = why;
    exec(db_, "ROLLBACK", nullptr);
    return false;
  };
  long long next = 0;
  {
    Statement s;
    if (sqlite3_prepare_v2(db_, "SELECT COALESCE(MAX(seq) + 1, 0) FROM thread_messages WHERE thread_id = ?",
                           -1, &s.stmt, nullptr) != SQLITE_OK) {
      return fail(std::string("sqlite: ") + sqlite3_errmsg(db_));
    }
    sqlite3_bind_text(s.stmt, 1, thread_id.data(), static_cast<int>(thread_id.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(s.stmt) != SQLITE_ROW) return fail(std::string("sqlite: ") + sqlite3_errmsg(db_));
    next = sqlite3_column_int64(s.stmt, 0);
  }
  Statement s;
  if (sqlite3_prepare_v2(db_, "INSERT INTO thread_messages (thread_id, seq, message) VALUES (?, ?, ?)", -1,
                         &s.stmt, nullptr) != SQLITE_OK) {
    return fail(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  for (const auto& message : messages) {
    std::string text = message.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    sqlite3_reset(s.stmt);
    sqlite3_bind_text(s.stmt, 1, thread_id.data(), static_cast<int>(thread_id.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(s.stmt, 2, next++);
    sqlite3_bind_text(s.stmt, 3, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(s.stmt) != SQLITE_DONE) return fail(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  if (state) {
    Statement st;
    if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO thread_state (thread_id, state) VALUES (?, ?)", -1,
                           &st.stmt, nullptr) != SQLITE_OK) {
      return fail(std::string("sqlite: ") + sqlite3_errmsg(db_));
    }
    std::string text = state->dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    sqlite3_bind_text(st.stmt, 1, thread_id.data(), static_cast<int>(thread_id.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(st.stmt, 2, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st.stmt) != SQLITE_DONE) return fail(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  if (!exec(db_, "COMMIT", error)) return fail(error ? *error : "sqlite: commit failed");
  return true;
}

void ThreadStore::flush() {
  std::lock_guard<std::mutex> guard(db_mu_);
  if (db_) sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

}  // namespace rg::rails::server
