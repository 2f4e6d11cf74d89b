#include "sqlite/database.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

namespace stockpipe::sqlite {
namespace {

// Waiting for another process's lock: retry every 200 us (SQLite's own busy timeout sleeps in
// steps up to 100 ms, which stalls a producer long after the lock is free), for up to 30 s.
constexpr useconds_t kBusyWaitMicros = 200;
constexpr int kBusyAttempts = 30'000'000 / kBusyWaitMicros;

std::atomic<bool> writers_in_process{false};

}  // namespace

void SetWritersInProcess() {
  writers_in_process = true;
}

bool IsImmutableUri(std::string_view uri) {
  return uri.ends_with("?immutable=1");
}

std::string ReadOnlyUri(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool wal = fs::exists(path + "-wal", ec);
  const bool shm = fs::exists(path + "-shm", ec);
  const auto wal_size = wal ? fs::file_size(path + "-wal", ec) : 0;
  const char* query = writers_in_process               ? "?mode=ro"
                      : wal && shm                     ? "?mode=ro&readonly_shm=1"
                      : !wal || (wal_size == 0 && !ec) ? "?immutable=1"
                                                       : "?mode=ro";
  // Escape what URIs reserve, so any file name opens as itself.
  std::string uri = "file:";
  for (char c : fs::absolute(path, ec).string()) {
    if (c == '%' || c == '?' || c == '#') {
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      uri += c;
    }
  }
  return uri + query;
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, bool create, Sync sync,
                                                 bool read_only, int page_size) {
  if (!read_only) return OpenOnce(path, create, sync, false, page_size);
  // ReadOnlyUri chooses by the `-wal` / `-shm` files it sees; a writer closing (which deletes
  // them) or starting between that look and the first read makes the read fail with
  // SQLITE_CANTOPEN. Then the choice is made again. A few tries: the race lasts microseconds, and
  // a lasting CANTOPEN (a log no reader may open on a read-only folder) is reported soon.
  constexpr int kReadOnlyAttempts = 50;
  for (int attempt = 1;; ++attempt) {
    auto database = OpenOnce(path, create, sync, true, 0);
    if (!database) return database;
    const int rc = sqlite3_exec((*database)->handle(), "SELECT count(*) FROM sqlite_schema",
                                nullptr, nullptr, nullptr);
    if ((rc & 0xFF) != SQLITE_CANTOPEN || attempt >= kReadOnlyAttempts) {
      if (Status s = (*database)->Check(rc, "read the schema"); !s.ok()) return s;
      return database;
    }
    ::usleep(kBusyWaitMicros);
  }
}

Result<std::unique_ptr<Database>> Database::OpenOnce(const std::string& path, bool create,
                                                     Sync sync, bool read_only, int page_size) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= read_only ? SQLITE_OPEN_READONLY | SQLITE_OPEN_URI : SQLITE_OPEN_READWRITE;
  if (create && !read_only) flags |= SQLITE_OPEN_CREATE;
  const std::string name = read_only ? ReadOnlyUri(path) : path;
  const int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = fmt::format("cannot open database {}: {}", path,
                                      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return Status::Error(std::move(message));
  }
  std::unique_ptr<Database> database(new Database(db, path));
  database->immutable_ = read_only && IsImmutableUri(name);
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
    // Only a file with no page yet takes a page size, and only before the switch to WAL.
    if (page_size != 0) {
      const std::string pragma = fmt::format("PRAGMA page_size={}", page_size);
      if (Status s = database->Exec(pragma); !s.ok()) return s;
    }
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
  if (read_only) return database;  // synchronous is about writes
  const char* sync_pragma =
      sync == Sync::kFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (Status s = database->Exec(sync_pragma); !s.ok()) return s;
  return database;
}

Result<Sync> Database::sync() {
  auto q = Prepare("PRAGMA synchronous");
  if (!q) return q.status();
  const int rc = q->Step();
  if (rc != SQLITE_ROW) {
    if (Status s = Check(rc, "read PRAGMA synchronous"); !s.ok()) return s;
    return Status::Error("PRAGMA synchronous returned no row");
  }
  return q->Int(0) >= 2 ? Sync::kFull : Sync::kNormal;  // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
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
