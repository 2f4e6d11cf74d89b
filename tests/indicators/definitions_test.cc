// The indicators' definitions on inputs small enough to work out by hand, their warm-up
// boundaries, flat and monotone series, rejected parameters, and the whole-series functions
// being the streaming path.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <optional>
#include <vector>

#include "indicators/bollinger.h"
#include "indicators/ema.h"
#include "indicators/macd.h"
#include "indicators/percent_change.h"
#include "indicators/rolling_extreme.h"
#include "indicators/rsi.h"
#include "indicators/sma.h"
#include "indicators/vwap.h"
#include "indicators/walks.h"
#include "rules/pct_sma_rule.h"

namespace stockpipe::indicators {
namespace {

using Values = std::vector<std::optional<double>>;
const std::nullopt_t kNone = std::nullopt;

// Index of the first output that has a value, or -1.
template <typename T>
int FirstValue(const std::vector<std::optional<T>>& outputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i]) return static_cast<int>(i);
  }
  return -1;
}

TEST(IndicatorDefinitions, SmaIsTheMeanOfTheNewestN) {
  auto out = SmaSeries(std::vector<double>{1, 2, 3, 4, 5, 10}, {.period = 3});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, (Values{kNone, kNone, 2.0, 3.0, 4.0, 19.0 / 3}));
}

TEST(IndicatorDefinitions, EmaSeededBySmaOrByTheFirstValue) {
  // alpha = 2 / (3 + 1) = 0.5. SMA seed: (1 + 2 + 3) / 3 = 2, then 0.5 * 4 + 0.5 * 2 = 3.
  auto sma_seeded = EmaSeries(std::vector<double>{1, 2, 3, 4}, {.period = 3});
  ASSERT_TRUE(sma_seeded.ok());
  EXPECT_EQ(*sma_seeded, (Values{kNone, kNone, 2.0, 3.0}));
  // First-value seed: 1, 1.5, 2.25 (reported from the 3rd input on), 3.125.
  auto first_seeded =
      EmaSeries(std::vector<double>{1, 2, 3, 4}, {.period = 3, .seed = EmaSeed::kFirstValue});
  ASSERT_TRUE(first_seeded.ok());
  EXPECT_EQ(*first_seeded, (Values{kNone, kNone, 2.25, 3.125}));
}

TEST(IndicatorDefinitions, RsiUsesWilderSmoothingAfterASimpleSeed) {
  // Moves +1 +1 -1 +3. Seed over 2 moves: gain 1, loss 0 -> 100. Then gain (1*1 + 0)/2 = 0.5,
  // loss (0*1 + 1)/2 = 0.5 -> 50. Then gain (0.5 + 3)/2 = 1.75, loss 0.25 -> 87.5.
  auto out = RsiSeries(std::vector<double>{1, 2, 3, 2, 5}, {.period = 2});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, (Values{kNone, kNone, 100.0, 50.0, 87.5}));
}

TEST(IndicatorDefinitions, RsiOfPeriodOneIsTheDirectionOfTheLastMove) {
  // With n = 1 Wilder's averages are the last gain and loss.
  auto out = RsiSeries(std::vector<double>{5, 6, 6, 4, 4.5}, {.period = 1});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, (Values{kNone, 100.0, 50.0, 0.0, 100.0}));
}

TEST(IndicatorDefinitions, RsiOfFlatRisingAndFallingSeries) {
  const std::vector<double> flat(30, 42.5);
  auto flat_rsi = RsiSeries(flat, {.period = 14});
  ASSERT_TRUE(flat_rsi.ok());
  EXPECT_EQ(FirstValue(*flat_rsi), 14);
  for (std::size_t i = 14; i < flat.size(); ++i) EXPECT_EQ((*flat_rsi)[i], 50.0) << i;

  std::vector<double> rising;
  for (int i = 0; i < 30; ++i) rising.push_back(10 + i * 0.5);
  std::vector<double> falling(rising.rbegin(), rising.rend());
  auto up = RsiSeries(rising, {.period = 14});
  auto down = RsiSeries(falling, {.period = 14});
  for (std::size_t i = 14; i < rising.size(); ++i) {
    EXPECT_EQ((*up)[i], 100.0) << i;
    EXPECT_EQ((*down)[i], 0.0) << i;
  }
}

TEST(IndicatorDefinitions, MacdIsTheDifferenceOfEmasWithItsSignal) {
  const testing::Walk walk = testing::RandomWalk({.seed = 7, .length = 300});
  auto macd = MacdSeries(walk.prices, {.fast = 12, .slow = 26, .signal = 9});
  auto fast = EmaSeries(walk.prices, {.period = 12});
  auto slow = EmaSeries(walk.prices, {.period = 26});
  ASSERT_TRUE(macd.ok() && fast.ok() && slow.ok());
  EXPECT_EQ(FirstValue(*macd), 26 + 9 - 2);
  std::vector<double> line;
  for (std::size_t i = 25; i < walk.prices.size(); ++i) line.push_back(*(*fast)[i] - *(*slow)[i]);
  auto signal = EmaSeries(line, {.period = 9});
  for (std::size_t i = 33; i < walk.prices.size(); ++i) {
    const MacdValue& m = *(*macd)[i];
    EXPECT_EQ(m.macd, line[i - 25]) << i;
    EXPECT_EQ(m.signal, *(*signal)[i - 25]) << i;
    EXPECT_EQ(m.histogram, m.macd - m.signal) << i;
  }
}

TEST(IndicatorDefinitions, BollingerUsesThePopulationDeviation) {
  auto out = BollingerSeries(std::vector<double>{1, 2, 3}, {.period = 3, .k = 2});
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(FirstValue(*out), 2);
  const Bands& b = *(*out)[2];
  const double sd = std::sqrt(2.0 / 3.0);  // deviations -1, 0, 1 over n = 3
  EXPECT_DOUBLE_EQ(b.middle, 2.0);
  EXPECT_DOUBLE_EQ(b.stddev, sd);
  EXPECT_DOUBLE_EQ(b.upper, 2.0 + 2 * sd);
  EXPECT_DOUBLE_EQ(b.lower, 2.0 - 2 * sd);
}

TEST(IndicatorDefinitions, FlatStretchesComeOutExact) {
  // A volatile walk, then one price for longer than the window: the running sums still hold the
  // rounding of the moves, but the outputs must be the flat price and a deviation of exactly 0.
  testing::Walk walk = testing::RandomWalk({.seed = 3, .length = 517, .flat_chance = 0});
  const double flat = walk.prices.back() * 1.1;
  for (int i = 0; i < 25; ++i) walk.prices.push_back(flat);
  auto bands = BollingerSeries(walk.prices, {.period = 20});
  auto sma = SmaSeries(walk.prices, {.period = 20});
  ASSERT_TRUE(bands.ok() && sma.ok());
  for (std::size_t i = walk.prices.size() - 6; i < walk.prices.size(); ++i) {
    EXPECT_EQ((*sma)[i], flat) << i;
    EXPECT_EQ((*bands)[i]->middle, flat) << i;
    EXPECT_EQ((*bands)[i]->stddev, 0.0) << i;
    EXPECT_EQ((*bands)[i]->upper, flat) << i;
    EXPECT_EQ((*bands)[i]->lower, flat) << i;
  }
  // One tick before the window is all flat it still holds a move: the deviation is not 0.
  EXPECT_GT((*bands)[walk.prices.size() - 7]->stddev, 0.0);
}

TEST(IndicatorDefinitions, RollingMinMaxMatchAScanOfTheWindow) {
  // Prices rounded to a coarse grid so ties are frequent (ties are where deques go wrong).
  testing::Walk walk = testing::RandomWalk({.seed = 11, .length = 3000, .step_sd = 0.02});
  for (double& p : walk.prices) p = std::round(p / 2) * 2;
  for (int n : {1, 2, 3, 7, 20, 64}) {
    auto mins = RollingMinSeries(walk.prices, {.period = n});
    auto maxs = RollingMaxSeries(walk.prices, {.period = n});
    ASSERT_TRUE(mins.ok() && maxs.ok());
    for (std::size_t i = 0; i < walk.prices.size(); ++i) {
      if (i + 1 < static_cast<std::size_t>(n)) {
        ASSERT_FALSE((*mins)[i] || (*maxs)[i]) << "n " << n << " i " << i;
        continue;
      }
      double lo = walk.prices[i], hi = walk.prices[i];
      for (std::size_t j = i + 1 - n; j <= i; ++j) {
        lo = std::min(lo, walk.prices[j]);
        hi = std::max(hi, walk.prices[j]);
      }
      ASSERT_EQ((*mins)[i], lo) << "n " << n << " i " << i;
      ASSERT_EQ((*maxs)[i], hi) << "n " << n << " i " << i;
    }
  }
}

TEST(IndicatorDefinitions, PercentChangeOverNTicks) {
  auto out = PercentChangeSeries(std::vector<double>{100, 50, 110, 0, 10, 20}, {.period = 2});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, (Values{kNone, kNone, 10.0, -100.0, (10.0 - 110.0) / 110.0 * 100.0, kNone}));
  // The last reference was 0: no value, but the warm-up is over.
  Result<PercentChange> change = PercentChange::Create({.period = 2});
  for (double p : {100.0, 50.0, 0.0, 7.0, 3.0}) change->Update(p);
  EXPECT_TRUE(change->Ready());
  EXPECT_FALSE(change->Value());
}

TEST(IndicatorDefinitions, VwapCumulativeWithSessionResetAndRolling) {
  Vwap vwap;
  EXPECT_EQ(vwap.Update(10, 0), kNone);  // no weight yet
  EXPECT_EQ(vwap.Update(10, 1), 10.0);
  EXPECT_EQ(vwap.Update(20, 3), 17.5);  // (10 + 60) / 4
  EXPECT_EQ(vwap.Update(99, 0), 17.5);  // a zero-volume tick changes nothing
  vwap.Reset();
  EXPECT_FALSE(vwap.Ready());
  EXPECT_EQ(vwap.Update(30, 2), 30.0);

  auto rolling = RollingVwapSeries(std::vector<double>{10, 20, 30, 40, 50},
                                   std::vector<double>{1, 3, 0, 0, 2}, {.period = 2});
  ASSERT_TRUE(rolling.ok());
  // (10 + 60)/4, (60 + 0)/3, no volume in the window, (0 + 100)/2.
  EXPECT_EQ(*rolling, (Values{kNone, 17.5, 20.0, kNone, 50.0}));
}

TEST(IndicatorDefinitions, WarmUpEndsExactlyWhereEachDefinitionSays) {
  const testing::Walk walk = testing::RandomWalk({.seed = 5, .length = 200, .flat_chance = 0});
  for (int n : {1, 2, 5, 20}) {
    SCOPED_TRACE(n);
    EXPECT_EQ(FirstValue(*SmaSeries(walk.prices, {.period = n})), n - 1);
    EXPECT_EQ(FirstValue(*EmaSeries(walk.prices, {.period = n})), n - 1);
    EXPECT_EQ(FirstValue(*EmaSeries(walk.prices, {.period = n, .seed = EmaSeed::kFirstValue})),
              n - 1);
    EXPECT_EQ(FirstValue(*RsiSeries(walk.prices, {.period = n})), n);
    EXPECT_EQ(FirstValue(*BollingerSeries(walk.prices, {.period = n})), n - 1);
    EXPECT_EQ(FirstValue(*RollingMinSeries(walk.prices, {.period = n})), n - 1);
    EXPECT_EQ(FirstValue(*RollingMaxSeries(walk.prices, {.period = n})), n - 1);
    EXPECT_EQ(FirstValue(*PercentChangeSeries(walk.prices, {.period = n})), n);
    EXPECT_EQ(
        FirstValue(*RollingVwapSeries(walk.prices, std::vector<double>(200, 1.0), {.period = n})),
        n - 1);
    EXPECT_EQ(FirstValue(*MacdSeries(walk.prices, {.fast = n, .slow = n + 3, .signal = n})),
              n + 3 + n - 2);
    // Ready() flips on the same tick, and Value() is what Update returned.
    Result<Rsi> rsi = Rsi::Create({.period = n});
    for (int i = 0; i < 40; ++i) {
      const std::optional<double> out = rsi->Update(walk.prices[static_cast<std::size_t>(i)]);
      EXPECT_EQ(rsi->Ready(), i >= n) << i;
      EXPECT_EQ(rsi->Value(), out) << i;
    }
  }
}

TEST(IndicatorDefinitions, BadParametersAreRejectedWithTheReason) {
  auto message = [](const auto& result) { return result.ok() ? std::string() : result.error(); };
  EXPECT_EQ(message(Sma::Create({.period = 0})), "SMA period must be between 1 and 1000000, got 0");
  EXPECT_NE(message(Sma::Create({.period = kMaxPeriod + 1})), "");
  EXPECT_TRUE(Sma::Create({.period = kMaxPeriod}).ok());
  EXPECT_NE(message(Ema::Create({.period = -3})).find("EMA period"), std::string::npos);
  EXPECT_NE(message(Rsi::Create({.period = 0})).find("RSI period"), std::string::npos);
  EXPECT_NE(message(Macd::Create({.fast = 26, .slow = 12})).find("shorter"), std::string::npos);
  EXPECT_NE(message(Macd::Create({.fast = 12, .slow = 12})).find("shorter"), std::string::npos);
  EXPECT_NE(message(Macd::Create({.signal = 0})).find("signal period"), std::string::npos);
  EXPECT_NE(message(Bollinger::Create({.k = -1})).find("k must be"), std::string::npos);
  EXPECT_NE(message(Bollinger::Create({.k = std::nan("")})).find("k must be"), std::string::npos);
  EXPECT_NE(message(RollingMin::Create({.period = 0})).find("period"), std::string::npos);
  EXPECT_NE(message(PercentChange::Create({.period = 0})).find("period"), std::string::npos);
  EXPECT_NE(message(RollingVwap::Create({.period = 0})).find("period"), std::string::npos);
  // The whole-series functions return the same errors, and check their inputs.
  EXPECT_EQ(message(SmaSeries(std::vector<double>{1, 2}, {.period = 0})),
            "SMA period must be between 1 and 1000000, got 0");
  EXPECT_NE(
      message(VwapSeries(std::vector<double>{1, 2}, std::vector<double>{1})).find("one volume"),
      std::string::npos);
  EXPECT_NE(message(VwapSeries(std::vector<double>{1, 2}, std::vector<double>{1, -1}))
                .find("got -1 at index 1"),
            std::string::npos);
}

// Every whole-series function is the streaming object fed tick by tick: same values, bit for bit.
TEST(IndicatorDefinitions, WholeSeriesEqualsStreaming) {
  const testing::Walk walk = testing::RandomWalk({.seed = 9, .length = 1500});
  auto stream = [&](auto indicator) {
    std::vector<std::optional<typename decltype(indicator)::Output>> out;
    for (double p : walk.prices) out.push_back(indicator.Update(p));
    return out;
  };
  EXPECT_EQ(*SmaSeries(walk.prices, {.period = 20}), stream(*Sma::Create({.period = 20})));
  EXPECT_EQ(*EmaSeries(walk.prices, {.period = 10}), stream(*Ema::Create({.period = 10})));
  EXPECT_EQ(*RsiSeries(walk.prices, {.period = 14}), stream(*Rsi::Create({.period = 14})));
  EXPECT_EQ(*RollingMinSeries(walk.prices, {.period = 20}),
            stream(*RollingMin::Create({.period = 20})));
  EXPECT_EQ(*RollingMaxSeries(walk.prices, {.period = 20}),
            stream(*RollingMax::Create({.period = 20})));
  EXPECT_EQ(*PercentChangeSeries(walk.prices, {.period = 10}),
            stream(*PercentChange::Create({.period = 10})));
  auto macd = *MacdSeries(walk.prices, {});
  auto macd_stream = stream(*Macd::Create({}));
  auto bands = *BollingerSeries(walk.prices, {});
  auto bands_stream = stream(*Bollinger::Create({}));
  auto sma = *SmaSeries(walk.prices, {.period = 20});
  ASSERT_EQ(macd.size(), macd_stream.size());
  for (std::size_t i = 0; i < walk.prices.size(); ++i) {
    ASSERT_EQ(macd[i].has_value(), macd_stream[i].has_value());
    if (macd[i]) {
      EXPECT_EQ(macd[i]->macd, macd_stream[i]->macd);
      EXPECT_EQ(macd[i]->signal, macd_stream[i]->signal);
    }
    ASSERT_EQ(bands[i].has_value(), bands_stream[i].has_value());
    if (bands[i]) {
      EXPECT_EQ(bands[i]->upper, bands_stream[i]->upper);
      EXPECT_EQ(bands[i]->lower, bands_stream[i]->lower);
      // Bollinger's middle is the SMA, kept the same way: equal bit for bit.
      EXPECT_EQ(bands[i]->middle, sma[i]);
    }
  }
  Vwap vwap;
  RollingVwap rolling = *RollingVwap::Create({.period = 20});
  auto vwap_series = *VwapSeries(walk.prices, walk.volumes);
  auto rolling_series = *RollingVwapSeries(walk.prices, walk.volumes, {.period = 20});
  for (std::size_t i = 0; i < walk.prices.size(); ++i) {
    EXPECT_EQ(vwap_series[i], vwap.Update(walk.prices[i], walk.volumes[i])) << i;
    EXPECT_EQ(rolling_series[i], rolling.Update(walk.prices[i], walk.volumes[i])) << i;
  }
}

// The library's SMA against the reference rule's (rules/pct_sma_rule, summed oldest first): equal
// to rounding on every tick, and bit for bit on the ticks where the window wraps and the running
// sum is recomputed in the rule's order.
TEST(IndicatorDefinitions, SmaAgreesWithTheReferenceRule) {
  const testing::Walk walk = testing::RandomWalk({.seed = 21, .length = 1000, .flat_chance = 0});
  const int n = 20;
  auto sma = *SmaSeries(walk.prices, {.period = n});
  PctSmaParams rule;
  rule.sma_window = n;
  rule.min_points = n;
  rule.lookback_points = 1;
  for (std::size_t i = n - 1; i < walk.prices.size(); ++i) {
    const double reference = EvaluatePctSma(std::span(walk.prices).first(i + 1), rule).sma;
    EXPECT_NEAR(*sma[i], reference, 1e-14 * reference) << i;
    if ((i + 1) % n == 0) {
      EXPECT_EQ(*sma[i], reference) << i;
    }
  }
}

}  // namespace
}  // namespace stockpipe::indicators
