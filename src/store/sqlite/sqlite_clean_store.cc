#include "store/sqlite/sqlite_clean_store.h"

#include <algorithm>
#include <charconv>

namespace stockpipe {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS ticks(
  symbol TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  price REAL NOT NULL,
  PRIMARY KEY(symbol, timestamp)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS symbols(
  symbol TEXT PRIMARY KEY,
  rows INTEGER NOT NULL DEFAULT 0,
  newest TEXT NOT NULL) WITHOUT ROWID;
)sql";

// A bigger page cache than SQLite's 2 MB default keeps the B-tree's hot pages in memory while a
// batch is written; WAL checkpoints every ~16 MB instead of 4 MB cut the copying back into the
// main file.
constexpr std::string_view kTuning = R"sql(
PRAGMA cache_size=-32768;
PRAGMA wal_autocheckpoint=4096;
PRAGMA temp_store=MEMORY;
)sql";

Micros ParseCanonical(std::string_view text) {
  return ParseTimestampText(text).value_or(0);
}

}  // namespace

Result<std::unique_ptr<SqliteCleanStore>> SqliteCleanStore::Open(const std::string& path,
                                                                 sqlite::Sync sync) {
  auto db = sqlite::Database::Open(path, true, sync);
  if (!db) return db.status();
  if (Status s = (*db)->Exec(kSchema); !s.ok()) return s;
  if (Status s = (*db)->Exec(kTuning); !s.ok()) return s;
  auto update = (*db)->Prepare("UPDATE ticks SET price=?3 WHERE symbol=?1 AND timestamp=?2");
  auto summarise = (*db)->Prepare(
      "INSERT INTO symbols(symbol, rows, newest) VALUES(?1, ?2, ?3) ON CONFLICT(symbol) "
      "DO UPDATE SET rows = rows + ?2, newest = max(newest, ?3)");
  for (const auto* statement : {&update, &summarise}) {
    if (!*statement) return statement->status();
  }
  std::unique_ptr<SqliteCleanStore> store(new SqliteCleanStore(std::move(*db)));
  store->update_ = std::move(*update);
  store->summarise_ = std::move(*summarise);
  return store;
}

Result<sqlite::Statement*> SqliteCleanStore::InsertRows(std::size_t rows) {
  sqlite::Statement& cached = inserts_[rows];
  if (cached.get() == nullptr) {
    std::string sql = "INSERT INTO ticks(symbol, timestamp, price) VALUES";
    for (std::size_t i = 0; i < rows; ++i) sql += i == 0 ? "(?,?,?)" : ",(?,?,?)";
    sql += " ON CONFLICT DO NOTHING";
    auto statement = db_->Prepare(sql);
    if (!statement) return statement.status();
    cached = std::move(*statement);
  }
  return &cached;
}

Status SqliteCleanStore::Upsert(std::span<const Tick> ticks) {
  // Key order turns scattered B-tree inserts into appends along each symbol's run of pages.
  order_.resize(ticks.size());
  for (std::size_t i = 0; i < ticks.size(); ++i) order_[i] = &ticks[i];
  // Stable, so of two ticks with one key the later one is written last and wins.
  std::stable_sort(order_.begin(), order_.end(), [](const Tick* a, const Tick* b) {
    return a->symbol != b->symbol ? a->symbol < b->symbol : a->timestamp < b->timestamp;
  });
  stamps_.resize(order_.size() * kCanonicalTimestampSize);
  for (std::size_t i = 0; i < order_.size(); ++i) {
    FormatCanonical(order_[i]->timestamp, stamps_.data() + i * kCanonicalTimestampSize);
  }
  const auto stamp = [this](std::size_t i) {
    return std::string_view(stamps_.data() + i * kCanonicalTimestampSize, kCanonicalTimestampSize);
  };
  sqlite::Database& d = *db_;
  return sqlite::Transaction(d, [&]() -> Status {
    std::size_t i = 0;
    while (i < order_.size()) {
      // One symbol's run, in statements of up to kRowsPerInsert rows: SQLite's per-statement
      // cost, not the B-tree, dominates single-row inserts.
      const std::string& symbol = order_[i]->symbol;
      std::size_t run_end = i;
      while (run_end < order_.size() && order_[run_end]->symbol == symbol) ++run_end;
      std::int64_t added = 0;
      for (std::size_t from = i; from < run_end; from += kRowsPerInsert) {
        const std::size_t rows = std::min(kRowsPerInsert, run_end - from);
        auto insert = InsertRows(rows);
        if (!insert) return insert.status();
        sqlite::Statement& statement = **insert;
        statement.Reset();
        for (std::size_t r = 0; r < rows; ++r) {
          const int column = static_cast<int>(r * 3);
          statement.BindStatic(column + 1, symbol)
              .BindStatic(column + 2, stamp(from + r))
              .Bind(column + 3, order_[from + r]->price);
        }
        if (Status s = d.Check(statement.Step(), "insert ticks"); !s.ok()) return s;
        const auto inserted = static_cast<std::size_t>(sqlite3_changes(d.handle()));
        added += static_cast<std::int64_t>(inserted);
        if (inserted == rows) continue;
        // Some keys were stored already (a replay, or a corrected price): the last price wins.
        for (std::size_t r = from; r < from + rows; ++r) {
          update_.Reset();
          update_.BindStatic(1, symbol).BindStatic(2, stamp(r)).Bind(3, order_[r]->price);
          if (Status s = d.Check(update_.Step(), "update tick"); !s.ok()) return s;
        }
      }
      if (added > 0) {
        summarise_.Reset();
        summarise_.BindStatic(1, symbol).Bind(2, added).BindStatic(3, stamp(run_end - 1));
        if (Status s = d.Check(summarise_.Step(), "summarise symbol"); !s.ok()) return s;
      }
      i = run_end;
    }
    return Status::Ok();
  });
}

Result<std::vector<PricePoint>> SqliteCleanStore::LastN(std::string_view symbol, std::size_t n) {
  auto q = db_->Prepare(
      "SELECT timestamp, price FROM ticks WHERE symbol=? ORDER BY timestamp DESC LIMIT ?");
  if (!q) return q.status();
  q->Bind(1, symbol).Bind(2, static_cast<std::int64_t>(n));
  std::vector<PricePoint> points;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) points.push_back({ParseCanonical(q->Text(0)), q->Double(1)});
  if (Status s = db_->Check(rc, "read last points"); !s.ok()) return s;
  std::reverse(points.begin(), points.end());
  return points;
}

Result<std::vector<PricePoint>> SqliteCleanStore::Range(std::string_view symbol, Micros from,
                                                        Micros to) {
  auto q = db_->Prepare(
      "SELECT timestamp, price FROM ticks WHERE symbol=?1 AND timestamp >= ?2 "
      "AND (?3 = '' OR timestamp <= ?3) ORDER BY timestamp");
  if (!q) return q.status();
  q->Bind(1, symbol).Bind(2, FormatCanonical(from)).Bind(3, to ? FormatCanonical(to) : "");
  std::vector<PricePoint> points;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) points.push_back({ParseCanonical(q->Text(0)), q->Double(1)});
  if (Status s = db_->Check(rc, "read range"); !s.ok()) return s;
  return points;
}

Result<std::vector<std::string>> SqliteCleanStore::Symbols() {
  auto q = db_->Prepare("SELECT symbol FROM symbols ORDER BY symbol");
  if (!q) return q.status();
  std::vector<std::string> symbols;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) symbols.emplace_back(q->Text(0));
  if (Status s = db_->Check(rc, "list symbols"); !s.ok()) return s;
  return symbols;
}

Result<std::vector<SymbolSummary>> SqliteCleanStore::Summary() {
  auto q = db_->Prepare("SELECT symbol, rows, newest FROM symbols ORDER BY symbol");
  if (!q) return q.status();
  std::vector<SymbolSummary> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    out.push_back({std::string(q->Text(0)), static_cast<std::uint64_t>(q->Int(1)),
                   ParseCanonical(q->Text(2))});
  }
  if (Status s = db_->Check(rc, "summarise"); !s.ok()) return s;
  return out;
}

}  // namespace stockpipe
