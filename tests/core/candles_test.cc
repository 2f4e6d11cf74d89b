// Candles: interval parsing and its errors, UTC alignment, and CandlesFrom against a computation
// written here the plain way (a map of the last tick per key, then one pass per bar).
#include "core/candles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>

#include "support/candle_ticks.h"

namespace stockpipe {
namespace {

using ::testing::HasSubstr;
using testing::kT0;
using testing::T;

constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kDay = 86'400 * kSecond;

TEST(ParseInterval, AcceptsWholeUnits) {
  const std::pair<std::string, Micros> cases[] = {
      {"1s", kSecond},      {"30s", 30 * kSecond}, {"1m", kMinute}, {"5m", 5 * kMinute},
      {"1h", 60 * kMinute}, {"4h", 240 * kMinute}, {"1d", kDay},    {"7d", 7 * kDay}};
  for (const auto& [text, length] : cases) {
    auto interval = ParseInterval(text);
    ASSERT_TRUE(interval.ok()) << text << ": " << interval.error();
    EXPECT_EQ(interval->name, text);
    EXPECT_EQ(interval->length, length) << text;
  }
}

TEST(ParseInterval, RefusesWhatIsNotAnInterval) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "is empty"},
      {"0m", "is zero"},
      {"-5m", "is negative"},
      {"5x", "no known unit"},
      {"m", "whole number"},
      {"1.5h", "whole number"},
      {"5 m", "whole number"},
      {"400d", "longer than a year"},
      {"99999999999999999999s", "longer than a year"}};
  for (const auto& [text, why] : cases) {
    auto interval = ParseInterval(text);
    ASSERT_FALSE(interval.ok()) << text;
    EXPECT_THAT(interval.error(), HasSubstr(why)) << text;
    EXPECT_THAT(interval.error(), HasSubstr("\"1m\"")) << "says what is accepted";
  }
}

TEST(ParseIntervals, SortsAndLimits) {
  const std::vector<std::string> texts = {"1d", "1m", "5m"};
  auto intervals = ParseIntervals(texts);
  ASSERT_TRUE(intervals.ok()) << intervals.error();
  ASSERT_EQ(intervals->size(), 3U);
  EXPECT_EQ((*intervals)[0].name, "1m");
  EXPECT_EQ((*intervals)[1].name, "5m");
  EXPECT_EQ((*intervals)[2].name, "1d");

  const std::vector<std::string> nine = {"1m", "2m", "3m", "4m", "5m", "6m", "7m", "8m", "9m"};
  auto too_many = ParseIntervals(nine);
  ASSERT_FALSE(too_many.ok());
  EXPECT_THAT(too_many.error(), HasSubstr("at most 8"));

  const std::vector<std::string> same = {"60m", "1h"};
  auto duplicate = ParseIntervals(same);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_THAT(duplicate.error(), HasSubstr("same length"));

  EXPECT_FALSE(ParseIntervals(std::vector<std::string>{}).ok());
  const std::vector<std::string> bad = {"1m", "0h"};
  EXPECT_THAT(ParseIntervals(bad).error(), HasSubstr("is zero"));
}

TEST(FindInterval, NamesTheKeptOnes) {
  const auto kept = DefaultIntervals();
  EXPECT_EQ(FindInterval(kept, "1h")->length, 3600 * kSecond);
  auto missing = FindInterval(kept, "5m");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error(), HasSubstr("1m, 1h, 1d"));
}

TEST(BarStart, AlignsToUtcBoundaries) {
  const Micros t = kT0 + 13 * 3600 * kSecond + 37 * kMinute + 5 * kSecond + 123;
  EXPECT_EQ(FormatCanonical(BarStart(t, kMinute)), "2025-08-14T13:37:00.000000Z");
  EXPECT_EQ(FormatCanonical(BarStart(t, 5 * kMinute)), "2025-08-14T13:35:00.000000Z");
  EXPECT_EQ(FormatCanonical(BarStart(t, 3600 * kSecond)), "2025-08-14T13:00:00.000000Z");
  EXPECT_EQ(FormatCanonical(BarStart(t, kDay)), "2025-08-14T00:00:00.000000Z");
  EXPECT_EQ(BarStart(kT0, kDay), kT0) << "a boundary starts its own bar";
  EXPECT_EQ(BarStart(-1, kMinute), -kMinute) << "floor, not truncation";
}

TEST(CandlesFrom, OpenHighLowCloseByEventTimeNotArrival) {
  const std::vector<Tick> ticks = {T("A", kT0 + 30 * kSecond, 11, 5),
                                   T("A", kT0 + 10 * kSecond, 10, 1),  // late: still the open
                                   T("A", kT0 + 50 * kSecond, 9),      // no volume
                                   T("A", kT0 + 20 * kSecond, 14, 2),
                                   T("A", kT0 + 20 * kSecond, 12, 3)};  // re-sent: this one wins
  const Interval minute{"1m", kMinute};
  const auto bars = CandlesFrom(ticks, std::span(&minute, 1));
  ASSERT_EQ(bars.size(), 1U);
  const Candle& bar = bars[0];
  EXPECT_EQ(bar.start, kT0);
  EXPECT_EQ(bar.open, 10);
  EXPECT_EQ(bar.high, 12) << "the rewritten 14 is gone";
  EXPECT_EQ(bar.low, 9);
  EXPECT_EQ(bar.close, 9);
  EXPECT_EQ(bar.volume, 9.0);
  EXPECT_EQ(bar.ticks, 4U);
  EXPECT_EQ(bar.first, kT0 + 10 * kSecond);
  EXPECT_EQ(bar.last, kT0 + 50 * kSecond);
}

TEST(CandlesFrom, VolumeIsNoneWhenNoTickHasOne) {
  const std::vector<Tick> ticks = {T("A", kT0, 10), T("A", kT0 + kSecond, 11)};
  const Interval minute{"1m", kMinute};
  EXPECT_EQ(CandlesFrom(ticks, std::span(&minute, 1)).at(0).volume, std::nullopt);
}

TEST(CandlesFrom, BarTicksGiveTheirBars) {
  Tick day1 = T("A", kT0, 102, 1000);
  day1.bar = TickBar{100, 105, 99};
  Tick day2 = T("A", kT0 + kDay, 101, 500);
  day2.bar = TickBar{103, 104, 98};
  const std::vector<Tick> ticks = {day1, day2};
  const Interval day{"1d", kDay};
  const auto daily = CandlesFrom(ticks, std::span(&day, 1));
  ASSERT_EQ(daily.size(), 2U);
  EXPECT_EQ(std::tie(daily[0].open, daily[0].high, daily[0].low, daily[0].close),
            std::make_tuple(100.0, 105.0, 99.0, 102.0));
  EXPECT_EQ(daily[1].volume, 500.0);
  const Interval week{"7d", 7 * kDay};
  const auto weekly = CandlesFrom(ticks, std::span(&week, 1));
  ASSERT_EQ(weekly.size(), 1U);
  EXPECT_EQ(std::tie(weekly[0].open, weekly[0].high, weekly[0].low, weekly[0].close),
            std::make_tuple(100.0, 105.0, 98.0, 101.0));
  EXPECT_EQ(weekly[0].volume, 1500.0);
}

// The plain way: last tick per key, then bars keyed by (symbol, interval, start).
std::vector<Candle> Naive(const std::vector<Tick>& ticks, const std::vector<Interval>& intervals) {
  std::map<std::pair<std::string, Micros>, const Tick*> last;
  for (const Tick& tick : ticks) last[{tick.symbol, tick.timestamp}] = &tick;
  std::vector<Candle> out;
  for (const std::string& symbol : {std::string("A"), std::string("B")}) {
    for (const Interval& interval : intervals) {
      std::map<Micros, Candle> bars;
      for (const auto& [key, tick] : last) {  // key order: time order within a symbol
        if (key.first != symbol) continue;
        const Micros start = tick->timestamp - (tick->timestamp % interval.length);
        auto [it, fresh] = bars.try_emplace(start);
        Candle& bar = it->second;
        if (fresh) {
          bar = {symbol,      interval.name, start, tick->price,     tick->price,    tick->price,
                 tick->price, tick->volume,  0,     tick->timestamp, tick->timestamp};
        }
        bar.high = std::max(bar.high, tick->price);
        bar.low = std::min(bar.low, tick->price);
        bar.close = tick->price;
        bar.last = tick->timestamp;
        if (!fresh && tick->volume) bar.volume = bar.volume.value_or(0) + *tick->volume;
        ++bar.ticks;
      }
      for (auto& [start, bar] : bars) out.push_back(bar);
    }
  }
  return out;
}

TEST(CandlesFrom, EqualsThePlainComputationOnRandomTicks) {
  std::mt19937_64 rng(20261207);
  const auto intervals = *ParseIntervals(std::vector<std::string>{"1m", "5m", "1h", "1d"});
  for (int round = 0; round < 20; ++round) {
    std::vector<Tick> ticks;
    const int n = 1 + static_cast<int>(rng() % 3000);
    for (int i = 0; i < n; ++i) {
      // Three days with gaps, many re-sent seconds, arrival order shuffled.
      const Micros t = kT0 + static_cast<Micros>(rng() % (3 * 86'400)) / 97 * 97 * kSecond;
      const double price = 1 + static_cast<double>(rng() % 10'000) / 100;
      std::optional<double> volume;
      if (rng() % 3 != 0) volume = static_cast<double>(rng() % 1000);
      ticks.push_back(T(rng() % 2 ? "A" : "B", t, price, volume));
      if (rng() % 10 == 0) ticks.push_back(T(ticks.back().symbol, t, price + 1, std::nullopt));
    }
    std::shuffle(ticks.begin(), ticks.end(), rng);
    EXPECT_EQ(CandlesFrom(ticks, intervals), Naive(ticks, intervals)) << "round " << round;
  }
}

}  // namespace
}  // namespace stockpipe
