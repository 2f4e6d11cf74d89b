// The local StateStore: a key/value table in an SQLite file (WAL).
#pragma once

#include <memory>
#include <string>

#include "core/state_store.h"
#include "sqlite/database.h"

namespace stockpipe {

class SqliteStateStore final : public StateStore {
 public:
  static Result<std::unique_ptr<SqliteStateStore>> Open(const std::string& path);

  Result<std::optional<std::string>> Get(std::string_view key) override;
  Status Put(std::string_view key, std::string_view value) override;

 private:
  explicit SqliteStateStore(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace stockpipe
