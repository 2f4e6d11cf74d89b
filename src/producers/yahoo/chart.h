// The Yahoo Finance chart API response (`/v8/finance/chart/{SYMBOL}?interval=1m&range=1d`) as
// plain values: the instrument's meta (currency, price precision, the current regular session)
// and its bars. Parsing never throws: a body that is not the documented shape is an error naming
// what is missing.
//
// Minutes without trades come with `null` prices; they are left out of `bars` and counted in
// `null_bars`, so a caller can say how many there were.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace stockpipe::yahoo {

// A trading session in epoch seconds, [start, end).
struct TradingPeriod {
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::string timezone;        // the short name Yahoo gives ("EST"), for messages
  std::int64_t gmtoffset = 0;  // seconds east of UTC, for messages in exchange time
  bool Contains(std::int64_t t) const { return t >= start && t < end; }
};

struct ChartMeta {
  std::string symbol;
  std::string currency;
  std::string exchange_name;
  std::string exchange_timezone;  // IANA name, e.g. America/New_York
  int price_hint = 2;             // decimals Yahoo quotes the instrument with
  std::int64_t granularity_s = 60;
  std::optional<TradingPeriod> regular;  // absent for some instruments: treated as always open
};

struct ChartBar {
  std::int64_t time = 0;  // epoch seconds, as Yahoo sent it (the bar's start, or a live tick)
  double close = 0;
  std::optional<std::int64_t> volume;
};

struct Chart {
  ChartMeta meta;
  std::vector<ChartBar> bars;   // in the response's order
  std::size_t null_bars = 0;    // timestamps whose close was null
  bool has_timestamps = false;  // false: Yahoo answered with no data at all (an "empty" chart)
};

// The API's own error object (`chart.error`), when there is one.
struct ChartError {
  std::string code;         // e.g. "Not Found"
  std::string description;  // e.g. "No data found, symbol may be delisted"
};

// Parses a 200 body. Errors: not JSON, `chart.error` set, no `chart.result[0]`, or arrays of
// different lengths.
Result<Chart> ParseChart(std::string_view body);

// The `chart.error` of any body (4xx bodies carry one), or nullopt when there is none.
std::optional<ChartError> ParseChartError(std::string_view body);

}  // namespace stockpipe::yahoo
