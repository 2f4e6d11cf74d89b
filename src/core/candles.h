// Candles (OHLCV bars): what every charting site and bar-based rule reads, computed from CLEAN.
//
// A bar covers [start, start + interval) with `start` a multiple of the interval since the Unix
// epoch, so bars of whole minutes, hours and days begin on UTC boundaries (UTC has no DST).
// Its open is the price of the first tick by event time, its close that of the last, high and low
// the extremes, `ticks` the number of CLEAN points in it and `volume` the sum of their volumes
// (none when no tick carried one). A tick read from a bar file carries its bar's open, high and
// low (core/record.h `TickBar`): they take the place of its price for the open, high and low, so
// the bars of such ticks at the file's interval are the file's bars.
//
// Bars are always equal to computing them afresh from CLEAN (`CandlesFrom` over every point):
// stores keep them in the same commit as the ticks and merge a new tick with `AddTick`, and
// recompute a bar from its points when a tick rewrote one of them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"
#include "core/result.h"
#include "core/timestamp.h"

namespace stockpipe {

// A bar length with its name as the user wrote it: "30s", "1m", "5m", "1h", "1d".
struct Interval {
  std::string name;
  Micros length = 0;

  friend bool operator==(const Interval&, const Interval&) = default;
};

inline constexpr std::size_t kMaxIntervals = 8;

// "<n>s", "<n>m", "<n>h" or "<n>d" with n a positive integer; anything else is an error that
// says what is accepted. The name is kept as written ("60m" and "1h" are the same length).
Result<Interval> ParseInterval(std::string_view text);
// 1 to kMaxIntervals intervals of distinct lengths, returned shortest first.
Result<std::vector<Interval>> ParseIntervals(std::span<const std::string> texts);
// The `[candles] intervals` default.
std::vector<Interval> DefaultIntervals();
// The interval named `name` among `intervals`, or an error naming the ones there are.
Result<Interval> FindInterval(std::span<const Interval> intervals, std::string_view name);

// The start of the bar of `length` holding `t` (floor, also for times before the epoch).
inline Micros BarStart(Micros t, Micros length) {
  const Micros q = t / length;
  return (q - (t % length < 0 ? 1 : 0)) * length;
}

struct Candle {
  std::string symbol;
  std::string interval;  // Interval::name
  Micros start = 0;
  double open = 0, high = 0, low = 0, close = 0;
  std::optional<double> volume;
  std::uint64_t ticks = 0;
  // Event times of the first and last tick: which tick an incoming one comes before or after.
  Micros first = 0, last = 0;

  friend bool operator==(const Candle&, const Candle&) = default;
};

// A bar holding only `tick` (start from `interval`).
Candle CandleOf(const Tick& tick, const Interval& interval);
// Merges `tick`, a point the bar does not hold yet, into `bar` (same symbol and bar).
void AddTick(Candle& bar, const Tick& tick);

// The bars of `ticks` at each of `intervals`, computed afresh: of two ticks with one (symbol,
// timestamp) the later in the span wins, as in CleanStore::Upsert. Sorted by (symbol, interval
// in the order given, start).
std::vector<Candle> CandlesFrom(std::span<const Tick> ticks, std::span<const Interval> intervals);

// Which bars to read: those of `symbol` at `interval` starting in [from, to) (either bound open),
// the newest `limit` of them, oldest first.
struct CandleQuery {
  std::string symbol;
  std::string interval;
  std::optional<Micros> from, to;
  std::size_t limit = 1000;
};

}  // namespace stockpipe
