// CleanStore: one clean price series per symbol, keyed by (symbol, timestamp).
//
// `Upsert` is idempotent: writing the same tick twice leaves one row (the last price wins), so a
// replayed batch changes nothing. Timestamps are canonical text, so text order is time order.
//
// Each store also keeps the ticks' candles (core/candles.h) at the intervals it was opened with,
// written in the same commit as the ticks (locally) or right after them (DynamoDB, where a replay
// of the batch repairs a crash in between), so they always equal CandlesFrom over the ticks.
//
// Implementations: SQLite and DynamoDB (`StockCleanedData`).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/candles.h"
#include "core/record.h"
#include "core/result.h"

namespace stockpipe {

struct PricePoint {
  Micros timestamp = 0;
  double price = 0;
};

// What `stockpipe candles rebuild` recomputes: bars of `symbols` (every symbol when empty) whose
// start is in [from, to) (either bound open), at every interval of the store.
struct CandleRebuild {
  std::vector<std::string> symbols;
  std::optional<Micros> from, to;
  // Called after each symbol with (symbols done, symbols in all): a progress bar.
  std::function<void(std::size_t, std::size_t)> progress;
};

// Whether opening a store brings its stored bars to the configured interval list (the writer:
// ingest, `candles rebuild`) or leaves them as they are (every reader: a command run with another
// list must not drop the bars the pipeline keeps; it reads only the intervals the store has).
enum class CandleIntervalsChange { kApply, kLeave };

struct SymbolSummary {
  std::string symbol;
  std::uint64_t rows = 0;
  Micros newest = 0;
};

class CleanStore {
 public:
  virtual ~CleanStore() = default;
  // Durable when it returns, and seen by this store's reads. A store may keep a batch aside and
  // fold it into its tables with later ones (the local store, for many symbols with few ticks
  // each); what reads its tables another way (SQL) sees such ticks once it settles.
  virtual Status Upsert(std::span<const Tick> ticks) = 0;
  // Folds whatever Upsert kept aside into the tables. Ingest settles when it has caught up with
  // the stream.
  virtual Status Settle() { return Status::Ok(); }
  // The newest `n` points of `symbol`, oldest first (the order the rule reads them).
  virtual Result<std::vector<PricePoint>> LastN(std::string_view symbol, std::size_t n) = 0;
  virtual Result<std::vector<std::string>> Symbols() = 0;

  // The intervals bars are kept at, shortest first.
  virtual const std::vector<Interval>& CandleIntervals() const = 0;
  // Bars as `query` asks, oldest first; an interval the store does not keep is an error naming
  // the ones it does.
  virtual Result<std::vector<Candle>> Candles(const CandleQuery& query) = 0;
  // Recomputes bars from the ticks and replaces the stored ones (bars that have no tick left are
  // removed); returns how many bars it wrote.
  virtual Result<std::uint64_t> RebuildCandles(const CandleRebuild& scope) = 0;
};

// The loop both stores' RebuildCandles share: `rebuild` called for each symbol `scope` names (every
// symbol of `store` when it names none), in order, adding to the count of bars written, and the
// progress reported after each; the first error stops it.
Result<std::uint64_t> RebuildEachSymbol(
    CleanStore& store, const CandleRebuild& scope,
    const std::function<Status(const std::string& symbol, std::uint64_t& written)>& rebuild);

}  // namespace stockpipe
