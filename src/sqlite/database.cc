#include "sqlite/database.h"

#include <fmt/format.h>
#include <unistd.h>

namespace stockpipe::sqlite {
namespace {

// Waiting for another process's lock: retry every 200 us (SQLite's own busy timeout sleeps in
// steps up to 100 ms, which stalls a producer long after the lock is free), for up to 30 s.
constexpr useconds_t kBusyWaitMicros = 200;
constexpr int kBusyAttempts = 30'000'000 / kBusyWaitMicros;

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, bool create, Sync sync,
                                                 bool read_only) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create && !read_only) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = fmt::format("cannot open database {}: {}", path,
                                      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return Status::Error(std::move(message));
  }
  std::unique_ptr<Database> database(new Database(db, path));
  // Writers from other processes wait for each other instead of failing.
  sqlite3_busy_handler(
      db,
      [](void*, int attempts) -> int {
        if (attempts >= kBusyAttempts) return 0;
        ::usleep(kBusyWaitMicros);
        return 1;
      },
      nullptr);
  if (!read_only) {
    // Switching a new file to WAL takes an exclusive lock while holding a shared one; when two
    // processes open a new file at once, SQLite answers BUSY at once instead of calling the
    // busy handler (it could deadlock). Retry on the busy handler's terms: the other one's
    // switch is done in microseconds, and then this one is a no-op.
    int wal = SQLITE_BUSY;
    for (int attempt = 0; wal == SQLITE_BUSY && attempt < kBusyAttempts; ++attempt) {
      if (attempt > 0) ::usleep(kBusyWaitMicros);
      wal = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    }
    if (Status s = database->Check(wal, "switch to WAL"); !s.ok()) return s;
  }
  const char* sync_pragma =
      sync == Sync::kFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (Status s = database->Exec(sync_pragma); !s.ok()) return s;
  return database;
}

Database::~Database() {
  sqlite3_close_v2(db_);
}

Status Database::Exec(std::string_view sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string message = fmt::format("{}: {} (in \"{}\")", path_, error ? error : sqlite3_errstr(rc),
                                    sql.substr(0, 80));
  sqlite3_free(error);
  return Status::Error(std::move(message));
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return Status::Error(fmt::format("{}: {} (in \"{}\")", path_, sqlite3_errmsg(db_), sql));
  }
  return Statement(stmt);
}

Status Database::Check(int rc, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  return Status::Error(fmt::format("{}: {} failed: {}", path_, what, sqlite3_errmsg(db_)));
}

}  // namespace stockpipe::sqlite
