// SQLite virtual tables over the gzip JSON Lines objects of a RawArchive area.
//
//   CREATE VIRTUAL TABLE stock_raw_db.raw USING stockpipe_archive(raw)
//     -> symbol TEXT, timestamp TEXT, price REAL, dt TEXT, extra TEXT HIDDEN, object TEXT HIDDEN,
//        line INTEGER HIDDEN
//   CREATE VIRTUAL TABLE stock_raw_db.rejected USING stockpipe_archive(rejected)
//     -> reason, message, shard, sequence, arrival, record, dt TEXT, extra/object/line HIDDEN
//
// `dt` is the Hive partition (`<area>/dt=YYYY-MM-DD/...`); `extra` holds the members a record has
// beyond the named columns as a JSON object (NULL when none); `object` is the archive key a row
// came from and `line` its place in that object (1 = the first record). An object holds one
// shard's batch in stream order and its name carries the batch's sequence numbers, zero-padded, so
// (`object`, `line`) orders the records of one shard and day as they arrived: what a query needs
// to keep the last of a re-sent tick, as CLEAN does. Constraints on `dt` (=, <, <=, >, >=, IN)
// prune partitions before any object is read: a query on one day opens only that day's objects.
// Only the columns a query uses are parsed, and a query that uses none (count(*)) only counts
// lines. The next objects are inflated and parsed on helper threads while SQLite consumes the
// current one; RawArchive::Get runs on the query thread.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/raw_archive.h"
#include "core/result.h"

namespace stockpipe::query {

// What the archive tables read, for the query's statistics and the pruning proof, and when they
// must stop: a grouped scan reads every object inside one SQLite call, where the progress handler
// never runs, so it checks the deadline itself between objects (SQLITE_INTERRUPT past it).
struct ScanLog {
  std::vector<std::string> objects;    // keys, in the order they were opened
  std::uint64_t bytes = 0;             // compressed bytes read
  std::uint64_t records = 0;           // lines handed to SQLite
  std::uint64_t grouped_scans = 0;     // scans answered in group order (SQLite skipped its sorter)
  std::uint64_t simdjson_objects = 0;  // objects read by simdjson (not the plain reader)
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  void Clear() { *this = ScanLog(); }
};

// Registers the module `stockpipe_archive` on `db`. `archive` and `log` must outlive `db`.
Status RegisterArchiveModule(sqlite3* db, RawArchive& archive, ScanLog& log);

// Non-empty lines of a gzip JSON Lines object: the record count the catalog records. Inflated in
// a stream (bounded memory) up to InflateLimit (codec/gzip.h), as every reader of objects is.
Result<std::uint64_t> CountGzipLines(std::string_view gz);

// Reads one object as a scan of every column of `area` (raw or rejected) does: bounded inflate,
// line split, the plain reader or (with `extra`, or when the plain reader declines) simdjson. The
// row count, or the error with `key` in front. What the object-reader fuzzer drives.
Result<std::uint64_t> DecodeObject(std::string_view key, std::string_view gz, std::string_view area,
                                   bool extra);

// `2025-08-14` from `raw/dt=2025-08-14/shard-...`, empty when the key has no dt= folder.
std::string_view PartitionOf(std::string_view key);

}  // namespace stockpipe::query
