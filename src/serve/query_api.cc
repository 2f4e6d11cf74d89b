#include "serve/query_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "query/sqlite_query_engine.h"

namespace stockpipe::serve {
namespace {

using nlohmann::json;

// Keeps the first `cap` rows; the one after them stops the statement (no need to compute the
// rest) and marks the answer truncated.
class CappedJsonSink final : public RowSink {
 public:
  explicit CappedJsonSink(std::size_t cap) : cap_(cap) {}

  Status Columns(std::span<const std::string> names) override {
    columns_ = json::array();
    for (const std::string& name : names) columns_.push_back(name);
    return Status::Ok();
  }

  Status Row(std::span<const Cell> cells) override {
    if (rows_.size() >= cap_) {
      truncated_ = true;
      return Status::Error("row cap reached");
    }
    json row = json::array();
    for (const Cell& cell : cells) {
      switch (cell.type) {
        case Cell::Type::kNull:
          row.push_back(nullptr);
          break;
        case Cell::Type::kInteger:
          row.push_back(cell.integer);
          break;
        case Cell::Type::kReal:
          // JSON has no NaN or infinity.
          if (std::isfinite(cell.real)) {
            row.push_back(cell.real);
          } else {
            row.push_back(nullptr);
          }
          break;
        case Cell::Type::kText:
          row.push_back(std::string(cell.text));
          break;
      }
    }
    rows_.push_back(std::move(row));
    return Status::Ok();
  }

  json columns_ = json::array();
  json rows_ = json::array();
  bool truncated_ = false;

 private:
  std::size_t cap_;
};

}  // namespace

ApiResult<std::string> RunQueryApi(const QueryLimits& limits, std::string_view sql,
                                   std::size_t limit) {
  if (sql.size() > kMaxSqlBytes) {
    return ApiError{
        413, "too_large",
        fmt::format("sql: {} bytes, more than the {} allowed", sql.size(), kMaxSqlBytes)};
  }
  // Each request gets its own engine: one engine serves one thread at a time.
  auto engine =
      SqliteQueryEngine::Open({.data_dir = limits.data_dir, .time_limit = limits.timeout});
  if (!engine) {
    return ApiError{500, "internal", fmt::format("query engine: {}", engine.error())};
  }
  CappedJsonSink sink(std::min(limit, limits.max_rows));
  const QueryOutcome outcome = (*engine)->Run(sql, sink);
  if (!outcome.ok() && !(outcome.failure == QueryFailure::kFailed && sink.truncated_)) {
    switch (outcome.failure) {
      case QueryFailure::kInvalid:
        return ApiError{400, "invalid_sql", outcome.status.message()};
      case QueryFailure::kRefused:
        return ApiError{403, "read_only", outcome.status.message()};
      case QueryFailure::kTimedOut:
        return ApiError{408, "query_timeout", outcome.status.message()};
      default:
        return ApiError{500, "internal", outcome.status.message()};
    }
  }
  const std::size_t row_count = sink.rows_.size();
  json doc = {{"columns", std::move(sink.columns_)},
              {"rows", std::move(sink.rows_)},
              {"row_count", row_count},
              {"truncated", sink.truncated_},
              {"seconds", outcome.stats.seconds},
              {"records_scanned", outcome.stats.records_scanned}};
  // Archive text need not be valid UTF-8: replace bad bytes instead of failing the answer.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace stockpipe::serve
