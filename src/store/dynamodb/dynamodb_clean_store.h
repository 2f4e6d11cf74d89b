// The DynamoDB CleanStore: table `StockCleanedData` (see dynamodb_options.h for the schema).
//
// Upsert writes with BatchWriteItem, 25 puts a call, a few calls in flight at once. Ticks with
// one (symbol, timestamp) collapse to the last price before sending (DynamoDB rejects duplicate
// keys in one call). `UnprocessedItems` are resent, with the client's RetryPolicy (full-jitter
// backoff, at most `max_attempts` rounds), until written; if some are still refused after that
// Upsert fails, so the caller retries the batch and nothing is lost (puts are idempotent).
// Durable when it returns OK.
//
// Symbols come from a registry in the state table, never from a scan of the tick table. Upsert
// registers symbols it has not seen (known ones are cached, loaded lazily with one Query) and
// packs those registry puts into the same calls as the ticks where there is room, so in steady
// state N ticks cost exactly ceil(N / 25) write calls. A symbol is cached as known only after the
// Upsert that registered it succeeded.
//
// LastN reads newest first with a strongly consistent Query and returns the points oldest first.
// Prices are written as the shortest decimal that reads back as the same double.
//
// Thread-safe.
#pragma once

#include <mutex>
#include <set>
#include <string>

#include "aws/client.h"
#include "core/clean_store.h"
#include "store/dynamodb/dynamodb_options.h"

namespace stockpipe {

class DynamoDbCleanStore final : public CleanStore {
 public:
  explicit DynamoDbCleanStore(DynamoDbOptions options);

  // Creates the tick table and the state table unless they exist; waits until they are ACTIVE.
  Status CreateTablesIfMissing();

  Status Upsert(std::span<const Tick> ticks) override;
  Result<std::vector<PricePoint>> LastN(std::string_view symbol, std::size_t n) override;
  Result<std::vector<std::string>> Symbols() override;

  aws::Client& client() { return client_; }

 private:
  // Symbols of `ticks` missing from the registry (loading it on first use).
  Result<std::vector<std::string>> NewSymbols(std::span<const Tick* const> ticks);
  // Sends one BatchWriteItem body, then its unprocessed items until none are left.
  Status WriteBatch(std::string body);

  DynamoDbOptions options_;
  aws::Client client_;
  std::mutex known_mutex_;
  bool known_loaded_ = false;
  std::set<std::string, std::less<>> known_;
};

}  // namespace stockpipe
