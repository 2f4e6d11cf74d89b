// The four rules on series built so the decision is known by hand: each signal, the point before
// it (no repeat while a condition lasts), exact thresholds, too few points, and that only the
// newest Needed() points are read.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "rules/bollinger_rule.h"
#include "rules/pct_sma_rule.h"
#include "rules/rsi_rule.h"
#include "rules/sma_cross_rule.h"

namespace stockpipe::rules {
namespace {

double NumberOf(const Decision& d, std::string_view name) {
  for (const Number& n : d.Numbers()) {
    if (n.name == name) return n.value;
  }
  ADD_FAILURE() << "no number " << name;
  return 0;
}

// --- sma_cross (fast 2, slow 4: Needed 5) -------------------------------------------------------

TEST(SmaCrossRule, GoldenCrossOnThePointFastMovesAboveSlow) {
  const SmaCrossRule rule({2, 4});
  ASSERT_EQ(rule.Needed(), 5u);
  // Before: fast = slow = 10. Now: fast (10 + 14) / 2 = 12 > slow (10 + 10 + 10 + 14) / 4 = 11.
  const Decision d = rule.Evaluate(std::vector<double>{10, 10, 10, 10, 14});
  ASSERT_TRUE(d.action);
  EXPECT_EQ(*d.action, Action::kBuy);
  EXPECT_EQ(d.reason, "golden_cross");
  EXPECT_EQ(d.last, 14);
  EXPECT_EQ(NumberOf(d, "fast_sma"), 12);
  EXPECT_EQ(NumberOf(d, "slow_sma"), 11);
  EXPECT_EQ(NumberOf(d, "prev_fast_sma"), 10);
  EXPECT_EQ(NumberOf(d, "prev_slow_sma"), 10);
}

TEST(SmaCrossRule, DeathCrossOnThePointFastMovesBelowSlow) {
  const SmaCrossRule rule({2, 4});
  const Decision d = rule.Evaluate(std::vector<double>{10, 10, 10, 10, 6});
  ASSERT_TRUE(d.action);
  EXPECT_EQ(*d.action, Action::kSell);
  EXPECT_EQ(d.reason, "death_cross");
  EXPECT_EQ(NumberOf(d, "fast_sma"), 8);
  EXPECT_EQ(NumberOf(d, "slow_sma"), 9);
}

TEST(SmaCrossRule, StayingAboveIsNoNewCross) {
  const SmaCrossRule rule({2, 4});
  // Before: 12.5 > 11.5; now: 13.5 > 12.5: the cross happened earlier.
  const Decision d = rule.Evaluate(std::vector<double>{10, 11, 12, 13, 14});
  EXPECT_FALSE(d.action);
  EXPECT_EQ(d.reason, "no_cross");
}

TEST(SmaCrossRule, TouchingIsNotACrossTheNextPointPastIs) {
  const SmaCrossRule rule({2, 4});
  // Before: fast 11 > slow 10.5; now: fast (12 + 8) / 2 = 10 == slow 40 / 4 = 10.
  const Decision touch = rule.Evaluate(std::vector<double>{10, 10, 10, 12, 8});
  EXPECT_FALSE(touch.action);
  EXPECT_EQ(NumberOf(touch, "fast_sma"), NumberOf(touch, "slow_sma"));
  // From the touch (10 == 10) to fast 7 < slow 9: the death cross.
  const Decision past = rule.Evaluate(std::vector<double>{10, 10, 10, 12, 8, 6});
  ASSERT_TRUE(past.action);
  EXPECT_EQ(*past.action, Action::kSell);
}

TEST(SmaCrossRule, TooFewPointsAndOnlyTheNewestAreRead) {
  const SmaCrossRule rule({2, 4});
  const Decision few = rule.Evaluate(std::vector<double>{10, 10, 10, 14});
  EXPECT_FALSE(few.action);
  EXPECT_EQ(few.reason, kTooFewPoints);
  EXPECT_EQ(few.Numbers().size(), 0u);
  const Decision more = rule.Evaluate(std::vector<double>{1000, 0, 10, 10, 10, 10, 14});
  ASSERT_TRUE(more.action);
  EXPECT_EQ(NumberOf(more, "slow_sma"), 11);
}

TEST(SmaCrossRule, ValidatesItsParameters) {
  EXPECT_TRUE(SmaCrossParams({10, 50}).validate().ok())
      << SmaCrossParams({10, 50}).validate().message();
  EXPECT_FALSE(SmaCrossParams({0, 50}).validate().ok());
  EXPECT_EQ(SmaCrossParams({50, 50}).validate().message(),
            "fast must be smaller than slow, got fast=50 slow=50");
  EXPECT_FALSE(SmaCrossParams({60, 50}).validate().ok());
}

// --- rsi (period 2: window 4 = two RSI values) -------------------------------------------------

RsiRuleParams Rsi2(double lower = 30, double upper = 70) {
  return {2, lower, upper, 4};
}

TEST(RsiRule, EnteringOversoldIsABuy) {
  const RsiRule rule(Rsi2());
  // Moves +1, +1: seed gain 1, loss 0 -> RSI 100. Move -7: gain (1 + 0) / 2 = 0.5,
  // loss (0 + 7) / 2 = 3.5 -> RSI 100 * 0.5 / 4 = 12.5.
  const Decision d = rule.Evaluate(std::vector<double>{10, 11, 12, 5});
  ASSERT_TRUE(d.action);
  EXPECT_EQ(*d.action, Action::kBuy);
  EXPECT_EQ(d.reason, "entered_oversold");
  EXPECT_EQ(NumberOf(d, "prev_rsi"), 100);
  EXPECT_EQ(NumberOf(d, "rsi"), 12.5);
}

TEST(RsiRule, StayingOversoldDoesNotFireAgain) {
  const RsiRule rule(Rsi2());
  // Window 11, 12, 5, 4: seed from +1, -7 -> 12.5; move -1: gain 0.25, loss 2.25 -> RSI 10.
  const Decision d = rule.Evaluate(std::vector<double>{10, 11, 12, 5, 4});
  EXPECT_FALSE(d.action);
  EXPECT_EQ(d.reason, "no_cross");
  EXPECT_EQ(NumberOf(d, "prev_rsi"), 12.5);
  EXPECT_EQ(NumberOf(d, "rsi"), 10);
}

TEST(RsiRule, EnteringOverboughtIsASell) {
  const RsiRule rule(Rsi2());
  // Moves -1, -1 -> RSI 0; move +7: gain 3.5, loss 0.5 -> RSI 87.5.
  const Decision d = rule.Evaluate(std::vector<double>{10, 9, 8, 15});
  ASSERT_TRUE(d.action);
  EXPECT_EQ(*d.action, Action::kSell);
  EXPECT_EQ(d.reason, "entered_overbought");
  EXPECT_EQ(NumberOf(d, "rsi"), 87.5);
}

TEST(RsiRule, ExactlyAtTheThresholdIsInsideTheNormalZone) {
  // RSI lands on 12.5 exactly: not below a lower threshold of 12.5.
  EXPECT_FALSE(RsiRule(Rsi2(12.5)).Evaluate(std::vector<double>{10, 11, 12, 5}).action);
  // From exactly 12.5 to 10: that is the entry.
  const Decision d = RsiRule(Rsi2(12.5)).Evaluate(std::vector<double>{10, 11, 12, 5, 4});
  ASSERT_TRUE(d.action);
  EXPECT_EQ(*d.action, Action::kBuy);
  // RSI 87.5 with upper 87.5: not above.
  EXPECT_FALSE(RsiRule(Rsi2(30, 87.5)).Evaluate(std::vector<double>{10, 9, 8, 15}).action);
}

TEST(RsiRule, TooFewPoints) {
  const Decision d = RsiRule(Rsi2()).Evaluate(std::vector<double>{10, 11, 12});
  EXPECT_FALSE(d.action);
  EXPECT_EQ(d.reason, kTooFewPoints);
}

TEST(RsiRule, ValidatesItsParameters) {
  EXPECT_TRUE(RsiRuleParams{}.validate().ok()) << RsiRuleParams{}.validate().message();
  EXPECT_FALSE(RsiRuleParams({14, 70, 30, 100}).validate().ok());
  EXPECT_FALSE(RsiRuleParams({14, 30, 101, 100}).validate().ok());
  EXPECT_EQ(RsiRuleParams({14, 30, 70, 15}).validate().message(),
            "window must be 16..1000000 (period + 2 or more), got 15");
}

// --- bollinger ----------------------------------------------------------------------------------

TEST(BollingerRule, BreakAboveIsABuyInMomentumModeAndASellInReversion) {
  // Before: four 10s, sd 0, upper 10, prev 10 on the band. Now 10, 10, 10, 20: mean 12.5,
  // sd sqrt(75 / 4) = 4.33, upper (k = 1) 16.83 < 20.
  const std::vector<double> prices{10, 10, 10, 10, 20};
  const Decision momentum = BollingerRule({4, 1.0, BollingerMode::kMomentum}).Evaluate(prices);
  ASSERT_TRUE(momentum.action);
  EXPECT_EQ(*momentum.action, Action::kBuy);
  EXPECT_EQ(momentum.reason, "broke_above_upper");
  EXPECT_EQ(NumberOf(momentum, "middle"), 12.5);
  EXPECT_DOUBLE_EQ(NumberOf(momentum, "upper"), 12.5 + std::sqrt(18.75));
  const Decision reversion = BollingerRule({4, 1.0, BollingerMode::kReversion}).Evaluate(prices);
  ASSERT_TRUE(reversion.action);
  EXPECT_EQ(*reversion.action, Action::kSell);
  // With k = 2 the upper band is 12.5 + 8.66 = 21.16 > 20: inside.
  EXPECT_FALSE(BollingerRule({4, 2.0, BollingerMode::kMomentum}).Evaluate(prices).action);
}

TEST(BollingerRule, BreakBelow) {
  const std::vector<double> prices{10, 10, 10, 10, 0};
  const Decision momentum = BollingerRule({4, 1.0, BollingerMode::kMomentum}).Evaluate(prices);
  ASSERT_TRUE(momentum.action);
  EXPECT_EQ(*momentum.action, Action::kSell);
  EXPECT_EQ(momentum.reason, "broke_below_lower");
  const Decision reversion = BollingerRule({4, 1.0, BollingerMode::kReversion}).Evaluate(prices);
  ASSERT_TRUE(reversion.action);
  EXPECT_EQ(*reversion.action, Action::kBuy);
}

TEST(BollingerRule, OnTheBandIsInside) {
  // Period 2, k 1: the band of [10, 12] is 11 +- 1, so 12 sits exactly on the upper band.
  const Decision on =
      BollingerRule({2, 1.0, BollingerMode::kMomentum}).Evaluate(std::vector<double>{10, 10, 12});
  EXPECT_FALSE(on.action);
  EXPECT_EQ(on.reason, "inside_bands");
  EXPECT_EQ(NumberOf(on, "upper"), 12);
  // k 0.5: upper 11.5 < 12.
  EXPECT_TRUE(BollingerRule({2, 0.5, BollingerMode::kMomentum})
                  .Evaluate(std::vector<double>{10, 10, 12})
                  .action);
}

TEST(BollingerRule, StayingAboveDoesNotFireAgainAndTooFewPoints) {
  const BollingerRule rule({2, 0.5, BollingerMode::kMomentum});
  // Before: [10, 12] upper 11.5 and prev 12 above it already.
  EXPECT_FALSE(rule.Evaluate(std::vector<double>{10, 10, 12, 14}).action);
  EXPECT_EQ(rule.Evaluate(std::vector<double>{10, 12}).reason, kTooFewPoints);
  EXPECT_FALSE(BollingerRuleParams({1, 2.0, BollingerMode::kMomentum}).validate().ok());
  EXPECT_FALSE(BollingerRuleParams({20, 0.0, BollingerMode::kMomentum}).validate().ok());
}

// --- pct_sma: the reference, unchanged -----------------------------------------------------------

TEST(PctSmaRule, IsTheReferenceEvaluation) {
  const PctSmaParams params;  // 1.5 / 15 / 20 / 20 / 0.2
  const PctSmaRule rule(params);
  EXPECT_EQ(rule.Needed(), 20u);
  for (double step : {0.99, 1.01, 1.0001}) {
    std::vector<double> prices;
    double price = 100;
    for (int i = 0; i < 25; ++i, price *= step) prices.push_back(price);
    const Evaluation e = EvaluatePctSma(prices, params);
    const Decision d = rule.Evaluate(prices);
    EXPECT_EQ(d.action, e.action) << step;
    EXPECT_EQ(NumberOf(d, "delta_pct"), e.delta_pct);
    EXPECT_EQ(NumberOf(d, "sma"), e.sma);
    EXPECT_EQ(d.last, e.last);
  }
  std::vector<double> falling;
  for (double p = 100; falling.size() < 25; p *= 0.99) falling.push_back(p);
  const Decision buy = rule.Evaluate(falling);
  ASSERT_TRUE(buy.action);
  EXPECT_EQ(*buy.action, Action::kBuy);
  EXPECT_EQ(buy.reason, "drop_below_sma");
  EXPECT_EQ(rule.Evaluate(std::span(falling).first(19)).reason, kTooFewPoints);
}

}  // namespace
}  // namespace stockpipe::rules
