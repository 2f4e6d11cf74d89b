// The local CleanStore: table `ticks(symbol, timestamp, price)` keyed by (symbol, timestamp) in
// one SQLite file (WAL), the same shape as DynamoDB's `StockCleanedData`. A `symbols` table, kept
// in the same transaction as the ticks, answers Symbols() and Summary() without a table scan.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/clean_store.h"
#include "sqlite/database.h"

namespace stockpipe {

class SqliteCleanStore final : public CleanStore {
 public:
  static Result<std::unique_ptr<SqliteCleanStore>> Open(const std::string& path,
                                                        sqlite::Sync sync = sqlite::Sync::kNormal);

  Status Upsert(std::span<const Tick> ticks) override;
  Result<std::vector<PricePoint>> LastN(std::string_view symbol, std::size_t n) override;
  Result<std::vector<std::string>> Symbols() override;

  // Row count and newest tick per symbol, for `stockpipe health`.
  Result<std::vector<SymbolSummary>> Summary();
  // Points of `symbol` in [from, to], oldest first (`to` = 0 means no upper bound).
  Result<std::vector<PricePoint>> Range(std::string_view symbol, Micros from, Micros to);

 private:
  explicit SqliteCleanStore(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
  static constexpr std::size_t kRowsPerInsert = 64;
  // The multi-row INSERT for `rows` rows, prepared on first use.
  Result<sqlite::Statement*> InsertRows(std::size_t rows);

  std::unique_ptr<sqlite::Database> db_;
  std::map<std::size_t, sqlite::Statement> inserts_;
  sqlite::Statement update_, summarise_;
  std::vector<const Tick*> order_;
  std::string stamps_;  // canonical timestamps of order_, fixed width, back to back
};

}  // namespace stockpipe
