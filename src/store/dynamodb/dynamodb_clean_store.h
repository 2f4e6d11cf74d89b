// The DynamoDB CleanStore: table `StockCleanedData` (see dynamodb_options.h for the schema).
//
// Upsert writes with BatchWriteItem, 25 puts a call, a few calls in flight at once. Ticks with
// one (symbol, timestamp) collapse to the last price before sending (DynamoDB rejects duplicate
// keys in one call). `UnprocessedItems` are resent, with the client's RetryPolicy (full-jitter
// backoff, at most `max_attempts` rounds), until written; if some are still refused after that
// Upsert fails, so the caller retries the batch and nothing is lost (puts are idempotent).
// Durable when it returns OK.
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
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "aws/client.h"
#include "core/clean_store.h"
#include "store/dynamodb/dynamodb_options.h"

namespace stockpipe {

class DynamoDbCleanStore final : public CleanStore {
 public:
  explicit DynamoDbCleanStore(DynamoDbOptions options);

  // Creates the tick table and the state table unless they exist; waits until they are ACTIVE.
  // The names of the tables it created are appended to `created`.
  Status CreateTablesIfMissing(std::vector<std::string>* created = nullptr);

  Status Upsert(std::span<const Tick> ticks) override;
  Result<std::vector<PricePoint>> LastN(std::string_view symbol, std::size_t n) override;
  Result<std::vector<std::string>> Symbols() override;
  // TODO(candles on DynamoDB): bars are not kept on DynamoDB yet; these say so.
  const std::vector<Interval>& CandleIntervals() const override { return intervals_; }
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
  // Sends one BatchWriteItem body, then its unprocessed items until none are left.
  Status WriteBatch(std::string body);

  DynamoDbOptions options_;
  aws::Client client_;
  std::vector<Interval> intervals_ = DefaultIntervals();
  mutable std::mutex known_mutex_;  // guards the three below and skipped_
  bool known_loaded_ = false;
  bool registry_complete_ = false;
  std::set<std::string, std::less<>> known_;
  std::map<std::string, std::uint64_t> skipped_;
};

}  // namespace stockpipe
