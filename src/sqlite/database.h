// A thin RAII layer over SQLite shared by the local stream, the CLEAN store and the state store.
//
// Every database is opened in WAL mode with a busy timeout, so a producer process, an ingest
// process and readers like `stockpipe health` can use it at once. Errors come back as values with
// SQLite's own message and the file name.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace stockpipe::sqlite {

// How hard a commit works to be durable. kNormal survives a killed process (WAL); kFull also
// survives power loss at the cost of an fsync per commit.
enum class Sync { kNormal, kFull };

class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement& operator=(Statement&& other) noexcept {
    std::swap(stmt_, other.stmt_);
    return *this;
  }
  ~Statement() { sqlite3_finalize(stmt_); }

  Statement& Bind(int index, std::int64_t v) {
    sqlite3_bind_int64(stmt_, index, v);
    return *this;
  }
  Statement& Bind(int index, double v) {
    sqlite3_bind_double(stmt_, index, v);
    return *this;
  }
  Statement& Bind(int index, std::optional<double> v) {
    if (v) return Bind(index, *v);
    sqlite3_bind_null(stmt_, index);
    return *this;
  }
  Statement& Bind(int index, std::string_view v) {
    sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& BindStatic(int index, std::string_view v) {
    sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Statement& BindBlob(int index, std::string_view v) {
    sqlite3_bind_blob(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string_view Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string_view();
  }
  std::string_view Blob(int col) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string_view();
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// The URI a reader opens `path` with so that it leaves no trace: no file created, none written
// (`stockpipe health`, `check`, `query` and the dashboard only look).
//  - `<path>-wal` and `<path>-shm` exist (a writer is attached, or one was killed): `mode=ro`
//    with `readonly_shm=1`, so the reader joins the WAL protocol through the existing files
//    without writing to them (SQLite reads a log no writer holds from heap memory).
//  - no `-wal` (or an empty one without `-shm`): every committed page is in the main file, so
//    `immutable=1` reads it without creating the `-wal` / `-shm` companions a plain `mode=ro`
//    connection would leave behind. A writer starting during the read may checkpoint under it:
//    a caller that must not be fooled by that (`check`) reads again once a `-wal` shows up.
//  - a non-empty `-wal` without `-shm`: `mode=ro`; SQLite must build the `-shm` to read that
//    log (the one case a reader creates a file; it fails where the folder is not writable).
// A process that also writes the stores (`stockpipe run`, whose dashboard reads them) calls this
// first: SQLite shares one shared-memory mapping per file within a process, and a read-only one
// opened by a reader would break the writers. Its readers then open plain `mode=ro` (the writers
// create the `-wal` / `-shm` files anyway).
void SetWritersInProcess();
std::string ReadOnlyUri(const std::string& path);
// True when `uri` (from ReadOnlyUri) reads the main file only (`immutable=1`).
bool IsImmutableUri(std::string_view uri);

// The page size of a file that holds mostly large BLOBs (the local stream's chunks of thousands of
// records): SQLite writes, checkpoints and reads a BLOB in a sixteenth of the calls its default
// 4 KB pages take. Files of small rows changed a few at a time keep the default.
inline constexpr int kBlobPageSize = 65536;

class Database {
 public:
  // Opens (creating when `create`) `path` in WAL mode. `read_only` opens it for queries only,
  // through ReadOnlyUri: it never creates or changes a file. `page_size` (a power of two from 512
  // to 65536; 0 is SQLite's 4096) applies to a file created here; one that exists keeps its own.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, bool create,
                                                Sync sync = Sync::kNormal, bool read_only = false,
                                                int page_size = 0);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  // Turns an SQLite return code of the last call into a Status naming `what`.
  Status Check(int rc, std::string_view what);

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  // How this connection commits, as SQLite reports it (`PRAGMA synchronous`): FULL or above is
  // kFull.
  Result<Sync> sync();
  // Opened read-only with `immutable=1`: blind to writers. Reopen once `<path>-wal` exists.
  bool immutable() const { return immutable_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  static Result<std::unique_ptr<Database>> OpenOnce(const std::string& path, bool create, Sync sync,
                                                    bool read_only, int page_size);
  sqlite3* db_;
  std::string path_;
  bool immutable_ = false;
};

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT (the write lock taken up front, so two writers
// queue instead of deadlocking); rolls back when body fails. `begin` = "BEGIN" gives a read
// transaction: one consistent snapshot that blocks no writer.
template <typename Body>
Status Transaction(Database& db, Body&& body, std::string_view begin = "BEGIN IMMEDIATE") {
  if (Status s = db.Exec(begin); !s.ok()) return s;
  Status s = body();
  if (!s.ok()) {
    (void)db.Exec("ROLLBACK");
    return s;
  }
  return db.Exec("COMMIT");
}

}  // namespace stockpipe::sqlite
