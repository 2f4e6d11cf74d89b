// CleanStore: one clean price series per symbol, keyed by (symbol, timestamp).
//
// `Upsert` is idempotent: writing the same tick twice leaves one row (the last price wins), so a
// replayed batch changes nothing. Timestamps are canonical text, so text order is time order.
//
// Implementations: SQLite and DynamoDB (`StockCleanedData`).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"
#include "core/result.h"

namespace stockpipe {

struct PricePoint {
  Micros timestamp = 0;
  double price = 0;
};

struct SymbolSummary {
  std::string symbol;
  std::uint64_t rows = 0;
  Micros newest = 0;
};

class CleanStore {
 public:
  virtual ~CleanStore() = default;
  // Durable when it returns.
  virtual Status Upsert(std::span<const Tick> ticks) = 0;
  // The newest `n` points of `symbol`, oldest first (the order the rule reads them).
  virtual Result<std::vector<PricePoint>> LastN(std::string_view symbol, std::size_t n) = 0;
  virtual Result<std::vector<std::string>> Symbols() = 0;
};

}  // namespace stockpipe
