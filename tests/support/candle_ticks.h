// Test helpers of the candle tests (core, SQLite and DynamoDB stores): a tick in one line, and an
// interval list from its names.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/candles.h"
#include "core/record.h"

namespace stockpipe::testing {

inline constexpr Micros kT0 = 1'755'129'600'000'000;  // 2025-08-14T00:00:00Z

inline Tick T(std::string symbol, Micros t, double price,
              std::optional<double> volume = std::nullopt) {
  Tick tick;
  tick.symbol = std::move(symbol);
  tick.timestamp = t;
  tick.price = price;
  tick.volume = volume;
  return tick;
}

inline std::vector<Interval> Intervals(std::vector<std::string> names) {
  auto intervals = ParseIntervals(names);
  EXPECT_TRUE(intervals.ok()) << intervals.error();
  return *intervals;
}

}  // namespace stockpipe::testing
