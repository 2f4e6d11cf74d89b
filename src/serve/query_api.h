// /api/query: one read-only SQL statement over the data folder (SqliteQueryEngine, the same as
// `stockpipe query`), answered as one JSON document with at most `max_rows` rows and at most
// about `max_bytes` of row text: the row that would pass either cap stops the statement, the
// answer says `"truncated": true` and its `note` names the cap. Values over 16 MiB and
// statements that need more than SQLite's heap cap fail (SqliteQueryEngine), so neither the
// server's memory nor the answer grows with what the SQL asks for.
//
// Failures keep the engine's words and map to the API's codes: SQL that does not parse or names
// nothing known 400 `invalid_sql`, a statement that would change something 403 `read_only` (it
// never runs), past the time limit 408 `query_timeout`, SQL text over 64 KiB, a value over
// 16 MiB or a statement over the memory cap 413 `too_large`.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "serve/dashboard.h"

namespace stockpipe::serve {

inline constexpr std::size_t kMaxSqlBytes = 64 * 1024;

struct QueryLimits {
  std::string data_dir;
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_rows = 1'000;
  std::size_t max_bytes = 8 << 20;  // 8 MiB of rows in one answer
};

// `{"columns": [...], "rows": [[...]], "row_count", "truncated", "seconds", "records_scanned"}`
// (+ `note` when truncated);
// `limit` is capped at `limits.max_rows`.
ApiResult<std::string> RunQueryApi(const QueryLimits& limits, std::string_view sql,
                                   std::size_t limit);

}  // namespace stockpipe::serve
