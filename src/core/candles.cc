#include "core/candles.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <tuple>

namespace stockpipe {
namespace {

constexpr Micros kSecond = 1'000'000;

// One year of bars is the longest interval: beyond it "aligned to the epoch" stops meaning much.
constexpr Micros kMaxLength = 366 * 86'400 * kSecond;

Status BadInterval(std::string_view text, std::string_view why) {
  return Status::Error(fmt::format(
      "candle interval \"{}\" {}: write a positive whole number and a unit, s, m, h or d "
      "(\"30s\", \"1m\", \"5m\", \"1h\", \"1d\")",
      text, why));
}

}  // namespace

Result<Interval> ParseInterval(std::string_view text) {
  if (text.empty()) return BadInterval(text, "is empty");
  Micros unit = 0;
  switch (text.back()) {
    case 's':
      unit = kSecond;
      break;
    case 'm':
      unit = 60 * kSecond;
      break;
    case 'h':
      unit = 3600 * kSecond;
      break;
    case 'd':
      unit = 86'400 * kSecond;
      break;
    default:
      return BadInterval(text, "has no known unit");
  }
  const std::string_view number = text.substr(0, text.size() - 1);
  if (number.starts_with('-')) return BadInterval(text, "is negative");
  std::int64_t count = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), count);
  if (number.empty() || ec == std::errc::invalid_argument || end != number.data() + number.size()) {
    return BadInterval(text, "is not a whole number of a unit");
  }
  if (ec == std::errc::result_out_of_range || count > kMaxLength / unit) {
    return BadInterval(text, "is longer than a year");
  }
  if (count == 0) return BadInterval(text, "is zero");
  return Interval{std::string(text), count * unit};
}

Result<std::vector<Interval>> ParseIntervals(std::span<const std::string> texts) {
  if (texts.empty()) return Status::Error("candles.intervals is empty: give at least one interval");
  if (texts.size() > kMaxIntervals) {
    return Status::Error(fmt::format("candles.intervals has {} intervals; at most {} are kept",
                                     texts.size(), kMaxIntervals));
  }
  std::vector<Interval> out;
  for (const std::string& text : texts) {
    auto interval = ParseInterval(text);
    if (!interval) return interval.status();
    for (const Interval& seen : out) {
      if (seen.length == interval->length) {
        return Status::Error(fmt::format("candles.intervals has \"{}\" and \"{}\": the same length",
                                         seen.name, interval->name));
      }
    }
    out.push_back(*std::move(interval));
  }
  std::sort(out.begin(), out.end(),
            [](const Interval& a, const Interval& b) { return a.length < b.length; });
  return out;
}

std::vector<Interval> DefaultIntervals() {
  return {{"1m", 60 * kSecond}, {"1h", 3600 * kSecond}, {"1d", 86'400 * kSecond}};
}

Result<Interval> FindInterval(std::span<const Interval> intervals, std::string_view name) {
  std::string names;
  for (const Interval& interval : intervals) {
    if (interval.name == name) return interval;
    names += names.empty() ? interval.name : ", " + interval.name;
  }
  return Status::Error(
      fmt::format("no candles at interval \"{}\": [candles] intervals keeps {}", name, names));
}

Candle CandleOf(const Tick& tick, const Interval& interval) {
  Candle bar;
  bar.symbol = tick.symbol;
  bar.interval = interval.name;
  bar.start = BarStart(tick.timestamp, interval.length);
  bar.open = tick.bar ? tick.bar->open : tick.price;
  bar.high = tick.bar ? tick.bar->high : tick.price;
  bar.low = tick.bar ? tick.bar->low : tick.price;
  bar.close = tick.price;
  bar.volume = tick.volume;
  bar.ticks = 1;
  bar.first = bar.last = tick.timestamp;
  return bar;
}

void AddTick(Candle& bar, const Tick& tick) {
  const double open = tick.bar ? tick.bar->open : tick.price;
  bar.high = std::max(bar.high, tick.bar ? tick.bar->high : tick.price);
  bar.low = std::min(bar.low, tick.bar ? tick.bar->low : tick.price);
  if (tick.timestamp < bar.first) {
    bar.first = tick.timestamp;
    bar.open = open;
  }
  if (tick.timestamp > bar.last) {
    bar.last = tick.timestamp;
    bar.close = tick.price;
  }
  if (tick.volume) bar.volume = bar.volume.value_or(0) + *tick.volume;
  ++bar.ticks;
}

std::vector<Candle> CandlesFrom(std::span<const Tick> ticks, std::span<const Interval> intervals) {
  // The last tick of each (symbol, timestamp), in key order.
  std::vector<const Tick*> order(ticks.size());
  for (std::size_t i = 0; i < ticks.size(); ++i) order[i] = &ticks[i];
  std::stable_sort(order.begin(), order.end(), [](const Tick* a, const Tick* b) {
    return std::tie(a->symbol, a->timestamp) < std::tie(b->symbol, b->timestamp);
  });
  std::vector<const Tick*> points;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const bool superseded = i + 1 < order.size() && order[i + 1]->symbol == order[i]->symbol &&
                            order[i + 1]->timestamp == order[i]->timestamp;
    if (!superseded) points.push_back(order[i]);
  }
  std::vector<Candle> out;
  std::size_t run = 0;
  while (run < points.size()) {
    std::size_t run_end = run;
    while (run_end < points.size() && points[run_end]->symbol == points[run]->symbol) ++run_end;
    for (const Interval& interval : intervals) {
      for (std::size_t i = run; i < run_end; ++i) {
        const Tick& tick = *points[i];
        if (out.empty() || out.back().symbol != tick.symbol ||
            out.back().interval != interval.name ||
            out.back().start != BarStart(tick.timestamp, interval.length)) {
          out.push_back(CandleOf(tick, interval));
        } else {
          AddTick(out.back(), tick);
        }
      }
    }
    run = run_end;
  }
  return out;
}

}  // namespace stockpipe
