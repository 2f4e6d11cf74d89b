#include "store/sqlite/sqlite_state_store.h"

namespace stockpipe {

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::Open(const std::string& path) {
  auto db = sqlite::Database::Open(path, true);
  if (!db) return db.status();
  if (Status s = (*db)->Exec(
          "CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      !s.ok()) {
    return s;
  }
  return std::unique_ptr<SqliteStateStore>(new SqliteStateStore(std::move(*db)));
}

Result<std::optional<std::string>> SqliteStateStore::Get(std::string_view key) {
  auto q = db_->Prepare("SELECT value FROM state WHERE key=?");
  if (!q) return q.status();
  q->Bind(1, key);
  const int rc = q->Step();
  if (rc == SQLITE_ROW) return std::optional<std::string>(std::string(q->Text(0)));
  if (Status s = db_->Check(rc, "read state"); !s.ok()) return s;
  return std::optional<std::string>();
}

Status SqliteStateStore::Put(std::string_view key, std::string_view value) {
  auto q = db_->Prepare("INSERT OR REPLACE INTO state(key, value) VALUES(?, ?)");
  if (!q) return q.status();
  q->Bind(1, key).Bind(2, value);
  return db_->Check(q->Step(), "write state");
}

}  // namespace stockpipe
