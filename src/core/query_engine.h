// QueryEngine: SQL over the history (the RAW archive, the quarantine and the CLEAN store).
//
// `Run` executes one read-only statement and streams its result to a `RowSink`: the column names
// once, then one call per row. Cells are views valid only during the `Row` call, so a sink that
// keeps them copies them; nothing is buffered by the engine. Statements that would change
// anything (writes, ATTACH, PRAGMA changes, extension loading) are refused before they run.
// Errors come back as values: the outcome says what failed and why, in SQLite's (or Athena's)
// words, with the position in the SQL text when the engine knows it.
//
// Implementations: SQLite over the local data folder (src/query), Athena (later).
// One engine serves one thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace stockpipe {

// One value of a result row: NULL, an integer, a real or text (blobs come as their bytes).
struct Cell {
  enum class Type : std::uint8_t { kNull, kInteger, kReal, kText };
  Type type = Type::kNull;
  std::int64_t integer = 0;
  double real = 0;
  std::string_view text;
};

class RowSink {
 public:
  virtual ~RowSink() = default;
  // Called once, before any row, even for an empty result.
  virtual Status Columns(std::span<const std::string> names) = 0;
  // A failed Status stops the query and becomes its error.
  virtual Status Row(std::span<const Cell> cells) = 0;
};

enum class QueryFailure : std::uint8_t {
  kNone,
  kInvalid,   // the SQL does not parse or names something that does not exist
  kRefused,   // read-only: the statement would change something
  kTimedOut,  // ran past the engine's time limit
  kTooLarge,  // a value or the statement's memory went past the engine's limits
  kFailed,    // anything else (unreadable object, sink error, ...)
};

struct QueryStats {
  std::uint64_t rows = 0;                   // rows handed to the sink
  std::uint64_t records_scanned = 0;        // archive records read (RAW + rejected)
  std::uint64_t bytes_scanned = 0;          // compressed bytes of the objects read
  std::vector<std::string> objects_opened;  // archive keys read, in the order read
  double seconds = 0;
};

struct QueryOutcome {
  Status status;
  QueryFailure failure = QueryFailure::kNone;
  QueryStats stats;
  bool ok() const { return status.ok(); }
};

class QueryEngine {
 public:
  virtual ~QueryEngine() = default;
  virtual QueryOutcome Run(std::string_view sql, RowSink& sink) = 0;
};

}  // namespace stockpipe
