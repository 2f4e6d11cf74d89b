#include "serve/query_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "query/sqlite_query_engine.h"

namespace stockpipe::serve {
namespace {

using nlohmann::json;

// Keeps the first `max_rows` rows, as long as their JSON text stays within `max_bytes`; the row
// after them stops the statement (no need to compute the rest) and marks the answer truncated.
// Rows are kept as JSON text, so what is held is what is sent.
class CappedJsonSink final : public RowSink {
 public:
  CappedJsonSink(std::size_t max_rows, std::size_t max_bytes)
      : max_rows_(max_rows), max_bytes_(max_bytes) {}

  Status Columns(std::span<const std::string> names) override {
    columns_ = json::array();
    for (const std::string& name : names) columns_.push_back(name);
    return Status::Ok();
  }

  Status Row(std::span<const Cell> cells) override {
    if (row_count_ >= max_rows_) {
      return Stop(
          fmt::format("stopped at the row limit of {}; add a LIMIT, or pass a smaller "
                      "\"limit\" for a first look",
                      max_rows_));
    }
    const auto over_bytes = [&] {
      return Stop(
          fmt::format("stopped at the {} limit for one answer after {} rows; select "
                      "fewer or shorter columns, or page with LIMIT and OFFSET",
                      max_bytes_ % (1 << 20) == 0 ? fmt::format("{} MiB", max_bytes_ >> 20)
                                                  : fmt::format("{} KiB", max_bytes_ >> 10),
                      row_count_));
    };
    json row = json::array();
    std::size_t raw = 0;
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
          // The text is at least as long as its JSON: stop before copying what cannot fit.
          raw += cell.text.size();
          if (rows_.size() + raw > max_bytes_) return over_bytes();
          row.push_back(std::string(cell.text));
          break;
      }
    }
    // Archive text need not be valid UTF-8: replace bad bytes instead of failing the answer.
    const std::string text = row.dump(-1, ' ', false, json::error_handler_t::replace);
    if (rows_.size() + text.size() + 1 > max_bytes_) return over_bytes();
    if (row_count_ > 0) rows_ += ',';
    rows_ += text;
    ++row_count_;
    return Status::Ok();
  }

  Status Stop(std::string note) {
    truncated_ = true;
    note_ = std::move(note);
    return Status::Error("answer cap reached");
  }

  json columns_ = json::array();
  std::string rows_;  // the rows' JSON, comma-separated, without the brackets
  std::size_t row_count_ = 0;
  bool truncated_ = false;
  std::string note_;

 private:
  std::size_t max_rows_;
  std::size_t max_bytes_;
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
  CappedJsonSink sink(std::min(limit, limits.max_rows), limits.max_bytes);
  const QueryOutcome outcome = (*engine)->Run(sql, sink);
  if (!outcome.ok() && !(outcome.failure == QueryFailure::kFailed && sink.truncated_)) {
    switch (outcome.failure) {
      case QueryFailure::kInvalid:
        return ApiError{400, "invalid_sql", outcome.status.message()};
      case QueryFailure::kRefused:
        return ApiError{403, "read_only", outcome.status.message()};
      case QueryFailure::kTimedOut:
        return ApiError{408, "query_timeout", outcome.status.message()};
      case QueryFailure::kTooLarge:
        return ApiError{413, "too_large", outcome.status.message()};
      default:
        return ApiError{500, "internal", outcome.status.message()};
    }
  }
  json rest = {{"row_count", sink.row_count_},
               {"truncated", sink.truncated_},
               {"seconds", outcome.stats.seconds},
               {"records_scanned", outcome.stats.records_scanned}};
  if (sink.truncated_) rest["note"] = sink.note_;
  // The rows are JSON text already: the document is written around them.
  std::string out = R"({"columns":)";
  out += sink.columns_.dump(-1, ' ', false, json::error_handler_t::replace);
  out += R"(,"rows":[)";
  out += sink.rows_;
  out += "],";
  out += rest.dump().substr(1);  // the other members, without their opening brace
  return out;
}

}  // namespace stockpipe::serve
