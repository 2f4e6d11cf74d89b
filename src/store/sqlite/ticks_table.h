// `ticks` as SQLite sees it, read from the tick chunks (store/sqlite/tick_chunks.h).
//
//   CREATE VIRTUAL TABLE ticks USING stockpipe_ticks
//     -> symbol TEXT, timestamp TEXT, price REAL, volume REAL, open REAL, high REAL, low REAL
//
// CLEAN's ticks are stored as a few chunks per symbol; everything that reads CLEAN with SQL (the
// query engine's `clean.ticks`, the dashboard, `stockpipe check`, tests) keeps reading a table
// named `ticks` with the columns and values of the row table it replaces: timestamps as canonical
// text (core/timestamp.h), volume / open / high / low NULL where a tick has none. The table
// stores nothing itself: it reads `tick_chunks` of the schema it is declared in (`main`, or
// `clean` when the file is attached), through statements on the same connection, so a query sees
// the snapshot of the transaction it runs in. It is read-only (SQLite refuses writes to it).
//
// Plans: a full scan returns rows ordered by (symbol, timestamp) like the old primary key;
// `symbol = ?` reads that symbol's chunks only, oldest or newest first as the ORDER BY asks (so
// `ORDER BY timestamp DESC LIMIT n` decodes one chunk); bounds on `timestamp` (=, <, <=, >, >=,
// compared as text as SQL does for the column) skip whole chunks and the rows of a chunk outside
// them. SQLite re-checks every constraint on every row, so pruning only narrows the work.
//
// Every connection that reads a file declaring the table registers the module first (before the
// schema is read), or SQLite reports "no such module: stockpipe_ticks".
#pragma once

#include <sqlite3.h>

#include <cstdint>

#include "core/result.h"

namespace stockpipe {

// What the tables of one registration read, for tests and benchmarks to check a plan's work.
struct TicksTableStats {
  std::uint64_t chunks_listed = 0;  // index entries of tick_chunks looked at
  std::uint64_t chunks_read = 0;    // chunk BLOBs read and decoded
};

// Registers the module `stockpipe_ticks` on `db`. `stats`, when given, must outlive the
// connection's tables (counted as they read; not thread-safe, like the connection).
Status RegisterTicksTable(sqlite3* db, TicksTableStats* stats = nullptr);

}  // namespace stockpipe
