// /api/query: one read-only SQL statement over the data folder (SqliteQueryEngine, the same as
// `stockpipe query`), answered as one JSON document with at most `max_rows` rows.
//
// Failures keep the engine's words and map to the API's codes: SQL that does not parse or names
// nothing known 400 `invalid_sql`, a statement that would change something 403 `read_only` (it
// never runs), past the time limit 408 `query_timeout`, SQL text over 64 KiB 413 `too_large`.
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
};

// `{"columns": [...], "rows": [[...]], "row_count", "truncated", "seconds", "records_scanned"}`;
// `limit` is capped at `limits.max_rows`.
ApiResult<std::string> RunQueryApi(const QueryLimits& limits, std::string_view sql,
                                   std::size_t limit);

}  // namespace stockpipe::serve
