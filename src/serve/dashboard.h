// Dashboard: what `stockpipe serve` shows, read from the embedded pipeline's data folder or from
// an AWS deployment (serve/dashboard_data.h).
//
// Every answer is one JSON document (or Prometheus text) built from what the pipeline keeps
// (locally stream.db, clean.db, state.db, outbox.db; see pipeline/local_stores.h), so the dashboard
// works the same inside `stockpipe run` and as a separate `stockpipe serve` process beside it.
// Nothing here writes: the stores are opened read-only where SQLite allows it, and a missing file
// reads as empty (a pipeline that has not started yet), never as an error.
//
// The JSON shapes are the API's contract and are written down in docs/dashboard.md; the HTTP layer
// (serve/http_server.h) only routes to these calls and turns an `ApiError` into its status code.
// One instance is safe to use from several threads (calls are serialised on its connections).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/config.h"
#include "core/result.h"
#include "core/timestamp.h"
#include "serve/dashboard_data.h"

namespace stockpipe::serve {

// A request the client got wrong (400, 404) or the server could not answer (500, 503). `code`
// is a short machine word ("bad_request", "unknown_symbol", ...), `message` says what to fix.
struct ApiError {
  int http_status = 400;
  std::string code;
  std::string message;
};

template <typename T>
using ApiResult = std::variant<T, ApiError>;

struct SeriesRequest {
  std::string symbol;
  std::optional<Micros> from;  // inclusive; none = the newest `limit` points up to `to`
  std::optional<Micros> to;    // inclusive; none = the newest point
  std::size_t limit = 2'000;   // at most this many points, the newest ones
};

// Bars of one symbol at one interval (GET /api/candles).
inline constexpr std::size_t kMaxCandlesLimit = 10'000;
struct CandlesRequest {
  std::string symbol;
  std::string interval;        // empty = the shortest kept
  std::optional<Micros> from;  // the bar holding `from` and later ones; none = no lower bound
  std::optional<Micros> to;    // bars starting at or before `to`; none = up to the newest
  std::size_t limit = 500;     // at most this many bars (1..kMaxCandlesLimit), the newest ones
};

// The status numbers that change between two looks (for records per second).
struct IngestSample {
  Micros at = 0;
  std::uint64_t received = 0;
};

class Dashboard {
 public:
  // Over the data folder `config.data_dir`.
  static Result<std::unique_ptr<Dashboard>> Open(const Config& config);
  // Over `data` (serve/dashboard_data.h): an AWS deployment, say.
  static Result<std::unique_ptr<Dashboard>> Open(const Config& config,
                                                 std::unique_ptr<DashboardData> data);
  ~Dashboard();

  // GET /api/symbols
  ApiResult<std::string> Symbols();
  // GET /api/series: the symbol's points, its SMA line and the signals its rule gives on them.
  ApiResult<std::string> Series(const SeriesRequest& request);
  // GET /api/candles: the symbol's bars and the signals its rule gives on their span (none for
  // a symbol with no bars; an interval not kept is a 400 naming the kept ones).
  ApiResult<std::string> Candles(const CandlesRequest& request);
  // GET /api/alerts: the newest `limit` alert messages (newest first), only those with an id
  // greater than `after_id` when given.
  ApiResult<std::string> Alerts(std::size_t limit, std::optional<std::int64_t> after_id);
  // GET /api/status at `now`; `rate_since` (an earlier sample) gives records per second.
  ApiResult<std::string> Status(Micros now, const std::optional<IngestSample>& rate_since);
  // The sample Status's rate is computed from.
  ApiResult<IngestSample> Sample(Micros now);
  // GET /metrics (Prometheus text exposition format 0.0.4).
  ApiResult<std::string> Metrics(Micros now);
  // GET /healthz: Ok when the stores can be read. Reads no rows where the source can tell
  // without (the data folder), so a probe may ask as often as it likes.
  stockpipe::Status Health();
  // A cheap fingerprint of what the page shows (each symbol's newest point, the newest alert id):
  // the SSE loop sends `series` / `alert` events when it changes.
  struct Fingerprint {
    std::vector<std::pair<std::string, Micros>> newest_by_symbol;  // sorted by symbol
    std::int64_t newest_alert_id = 0;
  };
  ApiResult<Fingerprint> Look();

 private:
  struct Impl;
  explicit Dashboard(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stockpipe::serve
