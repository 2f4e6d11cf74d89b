// What the dashboard reads, wherever the pipeline keeps it: the embedded data folder
// (serve/dashboard_stores.h) or an AWS deployment (serve/aws/aws_dashboard_data.h). The dashboard
// (serve/dashboard.h) builds every API answer from these calls only, so its pages and JSON are
// the same over both. Nothing here writes. Not thread-safe: the Dashboard serialises calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/outbox/outbox.h"
#include "core/candles.h"
#include "core/clean_store.h"
#include "core/ingest_counts.h"
#include "core/result.h"
#include "core/timestamp.h"

namespace stockpipe::serve {

// The numbers `stockpipe health` reads from stream.db, for one consumer.
struct StreamNumbers {
  std::size_t shards = 0;
  std::uint64_t lag_records = 0;  // written but not committed by the consumer
  Micros oldest_pending = 0;      // arrival of the oldest uncommitted chunk; 0 = none
  Micros last_put = 0;            // 0 = never
  IngestCounts counts;            // committed by the consumer
};

// How many symbols CLEAN holds and their rows together (what /api/status shows).
struct SymbolTotals {
  std::size_t symbols = 0;
  std::uint64_t rows = 0;
};

struct AlertDelivery {
  std::string channel;
  std::string state;  // pending, delivered, given_up
  std::int64_t attempts = 0;
};

struct AlertRow {
  std::int64_t id = 0;
  std::string kind;
  std::string subject;
  std::string body;
  Micros created = 0;
  std::vector<AlertDelivery> deliveries;
};

class DashboardData {
 public:
  virtual ~DashboardData() = default;

  // The stream's numbers for `consumer`.
  virtual Result<StreamNumbers> Stream(std::string_view consumer) = 0;
  // Rows and newest point per symbol, sorted by symbol.
  virtual Result<std::vector<SymbolSummary>> Symbols() = 0;
  // Symbols() counted and summed, and whether it holds `symbol`: a source that keeps its
  // summaries between calls answers these without copying them (the defaults call Symbols()).
  virtual Result<SymbolTotals> Totals();
  virtual Result<bool> HasSymbol(std::string_view symbol);
  virtual Result<std::optional<double>> LastPrice(std::string_view symbol) = 0;
  // The newest `n` points in [from, to] (either bound open), oldest first.
  virtual Result<std::vector<PricePoint>> Newest(std::string_view symbol,
                                                 std::optional<Micros> from,
                                                 std::optional<Micros> to, std::size_t n) = 0;
  // The newest `n` points in [from, before) (`from` open when absent), oldest first.
  virtual Result<std::vector<PricePoint>> Before(std::string_view symbol, Micros before,
                                                 std::optional<Micros> from, std::size_t n) = 0;
  // The intervals bars are kept at, shortest first.
  virtual Result<std::vector<Interval>> CandleIntervals() = 0;
  // Bars as `query` asks (core/candles.h), oldest first; none for a symbol with no bars.
  virtual Result<std::vector<Candle>> Candles(const CandleQuery& query) = 0;
  // A state key's value (the last trends run, the watchdog), none when absent.
  virtual Result<std::optional<std::string>> State(std::string_view key) = 0;
  // The newest `limit` alert messages with id > after_id, newest first, with deliveries.
  virtual Result<std::vector<AlertRow>> Alerts(std::size_t limit, std::int64_t after_id) = 0;
  virtual Result<std::int64_t> NewestAlertId() = 0;  // 0 = none
  // Each channel's deliveries as `ReadOutboxHealth` reports them (`configured` first, then any
  // other channel still holding undelivered rows).
  virtual Result<std::vector<ChannelHealth>> Channels(
      const std::vector<std::string>& configured) = 0;
  // Ok when the stores can be read (GET /healthz, which probes may call often): a source that
  // can tell without reading rows should. The default reads Symbols() and NewestAlertId().
  virtual Status Readable();
};

}  // namespace stockpipe::serve
