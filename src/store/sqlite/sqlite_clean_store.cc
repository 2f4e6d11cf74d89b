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
CREATE TRIGGER IF NOT EXISTS ticks_count AFTER INSERT ON ticks BEGIN
  INSERT INTO symbols(symbol, rows, newest) VALUES(new.symbol, 1, new.timestamp)
  ON CONFLICT(symbol) DO UPDATE SET rows = rows + 1, newest = max(newest, new.timestamp);
END;
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
  auto upsert = (*db)->Prepare(
      "INSERT INTO ticks(symbol, timestamp, price) VALUES(?, ?, ?) "
      "ON CONFLICT(symbol, timestamp) DO UPDATE SET price = excluded.price "
      "WHERE price IS NOT excluded.price");
  if (!upsert) return upsert.status();
  std::unique_ptr<SqliteCleanStore> store(new SqliteCleanStore(std::move(*db)));
  store->upsert_ = std::move(*upsert);
  return store;
}

Status SqliteCleanStore::Upsert(std::span<const Tick> ticks) {
  sqlite::Database& d = *db_;
  return sqlite::Transaction(d, [&]() -> Status {
    char timestamp[kCanonicalTimestampSize];
    for (const Tick& t : ticks) {
      FormatCanonical(t.timestamp, timestamp);
      upsert_.Reset();
      upsert_.BindStatic(1, t.symbol)
          .BindStatic(2, std::string_view(timestamp, sizeof timestamp))
          .Bind(3, t.price);
      if (Status s = d.Check(upsert_.Step(), "upsert tick"); !s.ok()) return s;
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
