// The backtest on a series built so every signal and return is known by hand (sma_cross fast 2,
// slow 4): a golden cross at 14, a death cross at 7, a golden cross at 21 left open and marked at
// 28; the cooldown holding back the second BUY; --from and --to cutting the range. The same
// series as the closes of 5-minute bars of several ticks each gives the same signals at the bars'
// starts, and the newest bar, still open, is never decided.
#include "backtest/backtest.h"

#include <gtest/gtest.h>

#include <vector>

#include "rules/on_bars.h"
#include "rules/sma_cross_rule.h"

namespace stockpipe::backtest {
namespace {

constexpr Micros kMinute = 60'000'000;
constexpr Micros kT0 = 1'755'182'280'000'000;  // 2025-08-14T14:38:00Z

//                                 0   1   2   3   4   5   6   7   8  9 10 11  12  13
const std::vector<double> kPrices{10, 10, 10, 10, 14, 14, 14, 14, 7, 7, 7, 7, 21, 28};

std::vector<PricePoint> Series() {
  std::vector<PricePoint> points;
  for (std::size_t i = 0; i < kPrices.size(); ++i) {
    points.push_back({kT0 + static_cast<Micros>(i) * kMinute, kPrices[i]});
  }
  return points;
}

Micros At(int index) {
  return kT0 + index * kMinute;
}

Options WithCooldown(Micros cooldown) {
  Options options;
  options.cooldown = cooldown;
  return options;
}

Options From(Micros from) {
  Options options;
  options.from = from;
  return options;
}

Options To(Micros to) {
  Options options;
  options.to = to;
  return options;
}

const rules::SmaCrossRule kRule({2, 4});

TEST(Backtest, EverySignalWithItsTimePriceAndReason) {
  const auto points = Series();
  const SymbolReport r = Replay("AAPL", points, kRule, {});
  ASSERT_EQ(r.signals.size(), 3u);
  // Point 4: fast 12 > slow 11 after 10 == 10. Point 8: fast 10.5 < slow 12.25 after 14 == 14.
  // Point 12: fast 14 > slow 10.5 after 7 == 7. In between fast stays on one side.
  EXPECT_EQ(r.signals[0].time, At(4));
  EXPECT_EQ(r.signals[0].action, Action::kBuy);
  EXPECT_EQ(r.signals[0].price, 14);
  EXPECT_EQ(r.signals[0].decision.reason, "golden_cross");
  EXPECT_EQ(r.signals[1].time, At(8));
  EXPECT_EQ(r.signals[1].action, Action::kSell);
  EXPECT_EQ(r.signals[1].price, 7);
  EXPECT_EQ(r.signals[1].decision.reason, "death_cross");
  EXPECT_EQ(r.signals[2].time, At(12));
  EXPECT_EQ(r.signals[2].action, Action::kBuy);
  EXPECT_EQ(r.signals[2].price, 21);
}

TEST(Backtest, SummaryFollowsTheSignalsLongOnly) {
  const auto points = Series();
  const Summary s = Replay("AAPL", points, kRule, {}).summary;
  EXPECT_EQ(s.symbol, "AAPL");
  EXPECT_EQ(s.rule, "sma_cross fast=2 slow=4");
  EXPECT_EQ(s.points, 14u);
  EXPECT_EQ(s.signals, 3u);
  EXPECT_EQ(s.buys, 2u);
  EXPECT_EQ(s.sells, 1u);
  // Bought 14, sold 7 (x 0.5); bought 21, open, marked at 28 (x 4/3): x 2/3.
  EXPECT_EQ(s.trades, 1u);
  EXPECT_TRUE(s.open_position);
  EXPECT_DOUBLE_EQ(s.return_pct, (0.5 * 28.0 / 21.0 - 1) * 100);
  // Without a cooldown every signal is an alert.
  EXPECT_EQ(s.alerted, 3u);
  EXPECT_DOUBLE_EQ(s.alerted_return_pct, s.return_pct);
  // 10 -> 28.
  EXPECT_DOUBLE_EQ(s.buy_and_hold_pct, 180);
  EXPECT_EQ(s.first_price, 10);
  EXPECT_EQ(s.last_price, 28);
}

TEST(Backtest, TheCooldownHoldsBackARepeatedActionOnly) {
  const auto points = Series();
  // The second BUY comes 8 minutes after the first: held back by 10 minutes, not by 8.
  const SymbolReport held = Replay("AAPL", points, kRule, WithCooldown(10 * kMinute));
  ASSERT_EQ(held.signals.size(), 3u);
  EXPECT_TRUE(held.signals[0].alerted);
  EXPECT_TRUE(held.signals[1].alerted);  // a SELL: its own cooldown
  EXPECT_FALSE(held.signals[2].alerted);
  EXPECT_EQ(held.summary.alerted, 2u);
  EXPECT_EQ(held.summary.alerted_trades, 1u);
  EXPECT_DOUBLE_EQ(held.summary.alerted_return_pct, -50);
  // The raw signals are unchanged by the cooldown.
  EXPECT_DOUBLE_EQ(held.summary.return_pct, (0.5 * 28.0 / 21.0 - 1) * 100);
  EXPECT_EQ(Replay("AAPL", points, kRule, WithCooldown(8 * kMinute)).summary.alerted, 3u);
}

TEST(Backtest, FromKeepsEarlierPointsForTheWindowsAndToCutsTheEnd) {
  const auto points = Series();
  // From point 6: the SELL at 8 finds no position; the BUY at 21 is open, marked at 28.
  const SymbolReport from = Replay("AAPL", points, kRule, From(At(6)));
  ASSERT_EQ(from.signals.size(), 2u);
  EXPECT_EQ(from.signals[0].time, At(8));  // its window reached back before `from`
  EXPECT_EQ(from.summary.points, 8u);
  EXPECT_EQ(from.summary.trades, 0u);
  EXPECT_DOUBLE_EQ(from.summary.return_pct, (28.0 / 21.0 - 1) * 100);
  EXPECT_DOUBLE_EQ(from.summary.buy_and_hold_pct, 100);  // 14 -> 28
  // To point 11: one closed trade, nothing open, last price 7.
  const SymbolReport to = Replay("AAPL", points, kRule, To(At(11)));
  EXPECT_EQ(to.signals.size(), 2u);
  EXPECT_FALSE(to.summary.open_position);
  EXPECT_DOUBLE_EQ(to.summary.return_pct, -50);
  EXPECT_DOUBLE_EQ(to.summary.buy_and_hold_pct, -30);
}

TEST(Backtest, TooShortAHistoryHasNoSignals) {
  const auto points = Series();
  const SymbolReport r = Replay("AAPL", std::span(points).first(4), kRule, {});
  EXPECT_TRUE(r.signals.empty());
  EXPECT_EQ(r.summary.points, 4u);
  EXPECT_EQ(r.summary.return_pct, 0);
  EXPECT_FALSE(r.summary.open_position);
}

// --- a rule on bars (rules/on_bars.h) ------------------------------------------------------------

constexpr Micros kBar = 5 * kMinute;
constexpr Micros kBar0 = 1'755'182'100'000'000;  // 2025-08-14T14:35:00Z, a 5-minute boundary

// Three ticks in each 5-minute bar i (at 0:10, 2:00 and 4:59 into it), the last at kPrices[i]
// and the others away from it, then one tick at 99 in a fifteenth bar, which stays open.
std::vector<PricePoint> BarSeries() {
  std::vector<PricePoint> points;
  for (std::size_t i = 0; i < kPrices.size(); ++i) {
    const Micros start = kBar0 + static_cast<Micros>(i) * kBar;
    points.push_back({start + 10'000'000, kPrices[i] * 3});
    points.push_back({start + 2 * kMinute, kPrices[i] / 2});
    points.push_back({start + kBar - 1'000'000, kPrices[i]});
  }
  points.push_back({kBar0 + 14 * kBar + kMinute, 99});
  return points;
}

TEST(Backtest, ARuleOnBarsReadsTheClosesOfClosedBarsAndTimesSignalsAtTheirStart) {
  const rules::OnBars rule(std::make_unique<rules::SmaCrossRule>(rules::SmaCrossParams{2, 4}),
                           Interval{"5m", kBar});
  const auto points = BarSeries();
  const SymbolReport r = Replay("AAPL", points, rule, {});
  ASSERT_EQ(r.signals.size(), 3u);
  EXPECT_EQ(r.signals[0].time, kBar0 + 4 * kBar);
  EXPECT_EQ(r.signals[0].price, 14);
  EXPECT_EQ(r.signals[0].decision.reason, "golden_cross");
  EXPECT_EQ(r.signals[1].time, kBar0 + 8 * kBar);
  EXPECT_EQ(r.signals[1].action, Action::kSell);
  EXPECT_EQ(r.signals[2].time, kBar0 + 12 * kBar);
  EXPECT_EQ(r.summary.rule, "sma_cross fast=2 slow=4 on=5m");
  EXPECT_EQ(r.summary.points, 14u);  // the bar holding 99 is open
  EXPECT_EQ(r.summary.last_price, 28);
  EXPECT_DOUBLE_EQ(r.summary.return_pct, (0.5 * 28.0 / 21.0 - 1) * 100);
  // The cooldown counts in data time between bar starts: 40 minutes between the BUYs.
  Options cooldown = WithCooldown(45 * kMinute);
  EXPECT_FALSE(Replay("AAPL", points, rule, cooldown).signals[2].alerted);
  // `to` inside bar 12: bar 12 is then the open one; `from` keeps bars starting from there.
  const SymbolReport to = Replay("AAPL", points, rule, To(kBar0 + 12 * kBar + 3 * kMinute));
  EXPECT_EQ(to.summary.points, 12u);
  EXPECT_EQ(to.signals.size(), 2u);
  const SymbolReport from = Replay("AAPL", points, rule, From(kBar0 + 5 * kBar + kMinute));
  EXPECT_EQ(from.summary.points, 8u);
  ASSERT_EQ(from.signals.size(), 2u);
  EXPECT_EQ(from.signals[0].time, kBar0 + 8 * kBar);
}

}  // namespace
}  // namespace stockpipe::backtest
