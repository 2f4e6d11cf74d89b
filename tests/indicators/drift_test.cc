// Long streams do not drift: after 1M ticks the rolling and cumulative sums still agree with a
// fresh computation over the same values. The tolerances sit below what a plain running sum
// reaches on these walks (checked below for the SMA), so a regression to one fails here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "indicators/bollinger.h"
#include "indicators/sma.h"
#include "indicators/vwap.h"
#include "indicators/walks.h"

namespace stockpipe::indicators {
namespace {

constexpr std::size_t kTicks = 1'000'000;
constexpr int kWindow = 50;

// A walk that wanders over a wide range of prices (0.3% steps, occasional 20% jumps): a plain
// running sum keeps the rounding of the highs while the price is low, which is what drift looks
// like.
testing::Walk LongWalk() {
  return testing::RandomWalk(
      {.seed = 99, .length = kTicks, .step_sd = 0.003, .jump_chance = 0.002, .flat_chance = 0.001});
}

double RelativeError(double value, long double exact) {
  return static_cast<double>(std::fabs((static_cast<long double>(value) - exact) / exact));
}

TEST(IndicatorDrift, RollingMeanAndDeviationMatchAFreshComputationAfter1MTicks) {
  const testing::Walk walk = LongWalk();
  Sma sma = *Sma::Create({.period = kWindow});
  Bollinger bands = *Bollinger::Create({.period = kWindow});
  double naive_sum = 0;  // what Sma would be without its periodic recomputation
  double worst_sma = 0, worst_sd = 0, worst_naive = 0;
  double lowest = HUGE_VAL, highest = 0;
  for (std::size_t i = 0; i < kTicks; ++i) {
    const double p = walk.prices[i];
    const double sma_value = sma.Update(p).value_or(0.0);
    const std::optional<Bands> b = bands.Update(p);
    naive_sum += p;
    if (i >= kWindow) naive_sum -= walk.prices[i - kWindow];
    // Checked on every 997th tick of the second half and the last (a fresh pass per tick would
    // be 50M adds).
    if (i < kTicks / 2 || (i % 997 != 0 && i != kTicks - 1)) continue;
    long double sum = 0;
    for (std::size_t j = i + 1 - kWindow; j <= i; ++j) sum += walk.prices[j];
    const long double mean = sum / kWindow;
    long double m2 = 0;
    for (std::size_t j = i + 1 - kWindow; j <= i; ++j) {
      m2 += (walk.prices[j] - mean) * (walk.prices[j] - mean);
    }
    const long double sd = std::sqrt(m2 / kWindow);
    worst_sma = std::max(worst_sma, RelativeError(sma_value, mean));
    worst_naive = std::max(worst_naive, RelativeError(naive_sum / kWindow, mean));
    lowest = std::min(lowest, p);
    highest = std::max(highest, p);
    // In units of the mean: the bands' accuracy (sd itself is less accurate, relatively, when
    // it is tiny next to the price).
    worst_sd = std::max(worst_sd, static_cast<double>(std::fabs(b->stddev - sd) / mean));
  }
  RecordProperty("worst_sma_relative_error", std::to_string(worst_sma));
  RecordProperty("worst_naive_relative_error", std::to_string(worst_naive));
  RecordProperty("worst_sd_relative_error", std::to_string(worst_sd));
  std::printf(
      "prices %.3g..%.3g: SMA relative error %.3g (plain running sum %.3g), deviation %.3g of the "
      "mean\n",
      lowest, highest, worst_sma, worst_naive, worst_sd);
  EXPECT_LT(worst_sma, 1e-14);
  EXPECT_LT(worst_sd, 1e-13);
  // The walk is hard enough that the plain running sum is caught by the SMA tolerance.
  EXPECT_GT(worst_naive, 1e-14);
}

TEST(IndicatorDrift, SessionVwapMatchesAnExtendedPrecisionSumAfter1MTicks) {
  const testing::Walk walk = LongWalk();
  Vwap vwap;
  RollingVwap rolling = *RollingVwap::Create({.period = kWindow});
  long double pv = 0, volume = 0;
  double naive_pv = 0, naive_volume = 0;
  double worst_rolling = 0;
  for (std::size_t i = 0; i < kTicks; ++i) {
    const double p = walk.prices[i], v = walk.volumes[i];
    vwap.Update(p, v);
    const std::optional<double> r = rolling.Update(p, v);
    pv += static_cast<long double>(p * v);
    volume += v;
    naive_pv += p * v;
    naive_volume += v;
    if (i < kTicks / 2 || (i % 997 != 0 && i != kTicks - 1) || !r) continue;
    long double window_pv = 0, window_volume = 0;
    for (std::size_t j = i + 1 - kWindow; j <= i; ++j) {
      window_pv += static_cast<long double>(walk.prices[j] * walk.volumes[j]);
      window_volume += walk.volumes[j];
    }
    worst_rolling = std::max(worst_rolling, RelativeError(*r, window_pv / window_volume));
  }
  const double session = RelativeError(*vwap.Value(), pv / volume);
  const double naive = RelativeError(naive_pv / naive_volume, pv / volume);
  RecordProperty("session_vwap_relative_error", std::to_string(session));
  RecordProperty("naive_session_vwap_relative_error", std::to_string(naive));
  EXPECT_LT(session, 1e-15);
  EXPECT_LT(worst_rolling, 1e-14);
  std::printf("session VWAP relative error %.3g (plain sums %.3g), rolling %.3g\n", session, naive,
              worst_rolling);
}

}  // namespace
}  // namespace stockpipe::indicators
