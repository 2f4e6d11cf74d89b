// The DynamoDB CleanStore: table `StockCleanedData` and its bars in `stockpipe-candles` (see
// dynamodb_options.h for the schemas).
//
// Upsert writes with BatchWriteItem, 25 puts a call, a few calls in flight at once. Ticks with
// one (symbol, timestamp) collapse to the last price before sending (DynamoDB rejects duplicate
// keys in one call). `UnprocessedItems` are resent, with the client's RetryPolicy (full-jitter
// backoff, at most `max_attempts` rounds), until written; if some are still refused after that
// Upsert fails, so the caller retries the batch and nothing is lost (puts are idempotent).
// Durable when it returns OK.
//
// Bars, exactly once without a transaction. Upsert writes the ticks first, then the bars they
// touch. It reads those bars (one consistent BatchGetItem per 100; the newest bar of each series
// is remembered between batches when `remember_bars`, so a feed in time order reads none) and
// compares each tick with its bar's [first, last], the event times of the bar's first and last
// tick: a tick outside it cannot be in the bar, so it is merged (`AddTick`); a tick inside it may
// be a re-sent or corrected point the bar already counts, so the bar is recomputed from the tick
// table (a consistent Query of its time range). A crash (or a failed call) between the tick
// write and the bar write leaves bars that miss some of the batch's ticks; the stream replays the
// batch, and then each of its ticks falls outside [first, last] of a bar that missed it (merged
// once) or inside one that has it (recomputed): the bars equal CandlesFrom over the ticks again.
// The same holds for a bar written by half of the batch's calls. The bar write goes through the
// same batched loop as the ticks (25 puts a call, unprocessed items resent). A missing candles
// table is an error naming it, after the ticks are written: the replay completes the bars once
// the table exists.
//
// Candles(query) is one Query of the series newest first (`Limit`), returned oldest first.
// RebuildCandles reads a symbol's ticks once (paginated, consistent), writes its bars, then
// deletes the stored bars of the range that no tick makes any more. Run it while ingest of those
// symbols is stopped: a batch ingested during the rebuild can be overwritten by the bar computed
// before it (the next rebuild, or the next tick inside that bar, repairs it).
//
// Symbols come from a registry in the state table. Upsert registers symbols it has not seen
// (known ones are cached, loaded lazily with one Query) and packs those registry puts into the
// same calls as the ticks where there is room, so in steady state N ticks cost exactly
// ceil(N / 25) write calls. A symbol is cached as known only after the Upsert that registered it
// succeeded. A tick table this store did not create may hold symbols no registry lists (the
// reference pipeline's ingest keeps none): the first Symbols() without the state item
// `symbols/registry_complete` rebuilds the registry from one paginated Scan of the symbol
// attribute, warns, and writes that item, so it happens once per table.
//
// LastN reads newest first with a strongly consistent Query and returns the points oldest first,
// the newest by time whatever the form of their timestamps: text order is time order only to the
// second across the forms other programs wrote (`...Z`, `...+00:00`, `.ffffffZ`, naive = UTC), so
// it reads to the end of the n-th item's second and orders by parsed time, one point per instant.
// Items that cannot be points (price not a positive number, missing, a non-numeric string;
// timestamp not a time) are skipped, counted (Skipped()) and logged with their reason, never fed
// to a rule. Prices are written as the shortest decimal that reads back as the same double.
//
// A missing table is an error naming it and how to create it (`stockpipe init --store dynamodb`).
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "aws/client.h"
#include "core/clean_store.h"
#include "store/dynamodb/dynamodb_options.h"

namespace stockpipe {

class DynamoDbCleanStore final : public CleanStore {
 public:
  explicit DynamoDbCleanStore(DynamoDbOptions options);

  // Creates the tick table, the candles table and the state table unless they exist; waits until
  // they are ACTIVE. The names of the tables it created are appended to `created`. A candles table
  // made beside a tick table that already existed is empty: a warning says to run
  // `stockpipe candles rebuild`.
  Status CreateTablesIfMissing(std::vector<std::string>* created = nullptr);

  Status Upsert(std::span<const Tick> ticks) override;
  Result<std::vector<PricePoint>> LastN(std::string_view symbol, std::size_t n) override;
  Result<std::vector<std::string>> Symbols() override;
  const std::vector<Interval>& CandleIntervals() const override { return options_.intervals; }
  Result<std::vector<Candle>> Candles(const CandleQuery& query) override;
  Result<std::uint64_t> RebuildCandles(const CandleRebuild& scope) override;

  aws::Client& client() { return client_; }

  // Items LastN skipped since this object was made, by reason.
  std::map<std::string, std::uint64_t> Skipped() const;

 private:
  // The registry's symbols, sorted (one paginated Query); fills the known set.
  Result<std::vector<std::string>> LoadRegistry();
  // Every symbol of the tick table (one paginated Scan of `symbol`); `items` counts what it read.
  Result<std::set<std::string, std::less<>>> ScanSymbols(std::size_t& items);
  // Registers the scanned symbols missing from `registered` and marks the registry complete;
  // every symbol, sorted.
  Result<std::vector<std::string>> RebuildRegistry(const std::vector<std::string>& registered);
  // `status`, naming the table when it says one does not exist.
  Status Explained(Status status);
  // Symbols of `ticks` missing from the registry (loading it on first use).
  Result<std::vector<std::string>> NewSymbols(std::span<const Tick* const> ticks);
  // `status` from a bar operation, naming the candles (or tick) table when one does not exist.
  Status ExplainedBars(Status status);
  void CountSkipped(std::string_view why, std::uint64_t count);

  // Bars (dynamodb_candles.cc). Brings the bars of `ticks` (one per key, written already) up to
  // date, as the header says.
  Status UpdateBars(std::span<const Tick* const> ticks);
  // The stored bars at `keys` ({series, start} items), by "series\tstart"; none for an item that
  // is not a readable bar.
  Result<std::map<std::string, std::optional<Candle>>> ReadBars(
      const std::vector<nlohmann::json>& keys);
  // The bar of `symbol` at `interval` starting at `start`, computed from the tick table; none
  // when the range holds no tick.
  Result<std::optional<Candle>> ComputeBar(const std::string& symbol, const Interval& interval,
                                           Micros start);
  // Feeds `sink` the ticks of `symbol` with event times in [from, to) (either bound open), in
  // time order, one per instant (a consistent, paginated Query).
  Status ReadTicks(const std::string& symbol, std::optional<Micros> from, std::optional<Micros> to,
                   const std::function<Status(Tick&)>& sink);
  // Feeds `sink` the items of bar series `series` starting in [from, to) (either bound open),
  // oldest or newest first, until it returns false (a consistent, paginated Query); `keys_only`
  // reads the start alone.
  Status ReadSeries(const std::string& series, std::optional<Micros> from, std::optional<Micros> to,
                    bool newest_first, bool keys_only,
                    const std::function<bool(const nlohmann::json&)>& sink);
  // Puts `bars` and deletes the bars at `stale` ({series, start text}) in batched calls.
  Status WriteBars(const std::vector<Candle>& bars,
                   const std::vector<std::pair<std::string, std::string>>& stale = {});
  // Recomputes the bars of `symbol` starting in [from, to) at every interval; counts writes.
  Status RebuildSymbol(const std::string& symbol, std::optional<Micros> from,
                       std::optional<Micros> to, std::uint64_t& written);

  DynamoDbOptions options_;
  aws::Client client_;
  mutable std::mutex known_mutex_;  // guards the three below and skipped_
  bool known_loaded_ = false;
  bool registry_complete_ = false;
  std::set<std::string, std::less<>> known_;
  std::map<std::string, std::uint64_t> skipped_;
  // The newest bar written per series ("AAPL#1m"), when `remember_bars`.
  std::mutex bars_mutex_;
  std::map<std::string, Candle, std::less<>> newest_bars_;
};

}  // namespace stockpipe
