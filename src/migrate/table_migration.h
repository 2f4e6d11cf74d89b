// `stockpipe migrate dynamodb`: a `StockCleanedData` table the reference pipeline filled, rewritten
// to stockpipe's form in place.
//
// The reference stored timestamps as it received them (`...Z`, `...+00:00`, no fraction, naive)
// and prices unchecked (numbers, numeric strings, zero, negative, text). stockpipe keys every tick
// by its canonical timestamp (`2025-08-14T14:38:12.000000Z`, so text order is time order) with a
// positive numeric price, and lists symbols from a registry in the state table. The migration
// scans the table page by page and for each item:
// - canonical already (timestamp and numeric price): left as it is;
// - a valid tick in another form: written under its canonical key (every other attribute kept)
//   unless that key already holds the instant (stockpipe's replay, or the reference's other form
//   of it: the canonical item is kept and a differing price is reported), then the old item is
//   deleted. Puts are durable before any delete is sent, so a kill loses nothing; a rerun finds
//   the canonical items and finishes the deletes: the same table either way;
// - a bad item (no symbol, a timestamp no parser reads, a price that is not a finite positive
//   number): reported with its reason and left untouched, never deleted.
// Then the symbol registry is completed (the DynamoDB store's one-time rebuild, which also marks it
// complete), so trends and a read-only dashboard never scan the tick table. Counts add up: every
// item the scan returned is canonical, rewritten, merged into its canonical twin, bad, or one this
// run wrote itself.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "aws/client.h"
#include "core/result.h"

namespace stockpipe::migrate {

struct TableMigrationOptions {
  std::string table = "StockCleanedData";
  std::string state_table = "stockpipe-state";
  bool dry_run = false;  // scan and count; write nothing
  int page_size = 1000;  // items per Scan call
};

struct TableMigrationCounts {
  std::uint64_t scanned = 0;          // items the scan returned
  std::uint64_t canonical = 0;        // already in stockpipe's form
  std::uint64_t rewritten = 0;        // moved to their canonical key
  std::uint64_t merged = 0;           // their canonical key already held the instant
  std::uint64_t bad = 0;              // reported, left in the table
  std::uint64_t written_by_run = 0;   // canonical items this run wrote and the scan met again
  std::uint64_t price_conflicts = 0;  // of `merged`: the dropped form had another price
  std::uint64_t symbols = 0;          // in the registry afterwards
};

// One item the migration did not simply keep or move: bad, or a merge that dropped a price.
struct TableMigrationReport {
  std::string symbol;     // as stored (may be empty)
  std::string timestamp;  // as stored
  std::string price;      // as stored, as text
  std::string reason;     // `missing_symbol`, `invalid_timestamp`, `invalid_price`, ... or
                          // `price_conflict`
  std::string action;     // "left in the table" / "deleted; <canonical> keeps price P"
};

using TableReportSink = std::function<void(const TableMigrationReport&)>;
using TableProgress = std::function<void(const TableMigrationCounts&)>;

Result<TableMigrationCounts> MigrateTable(aws::Client& client, const TableMigrationOptions& options,
                                          const TableReportSink& report,
                                          const TableProgress& progress = {});

}  // namespace stockpipe::migrate
