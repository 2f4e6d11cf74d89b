// Edge cases of the PCT + SMA rule that the golden vectors do not pin down: zero bases, values
// exactly at the threshold and at EPS, how many points are read, parameter validation.
#include "rules/pct_sma_rule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace stockpipe {
namespace {

// LOOKBACK 1, SMA 2, MIN 2: two points decide, and the numbers are easy to make exact.
PctSmaParams Tiny(double thresh, double eps) {
  return {thresh, 1, 2, 2, eps};
}

TEST(PctSmaRule, NeededIsTheLargestRequirement) {
  EXPECT_EQ((PctSmaParams{1.5, 15, 20, 20, 0.2}).needed(), 20);
  EXPECT_EQ((PctSmaParams{1.5, 30, 20, 20, 0.2}).needed(), 31);
  EXPECT_EQ((PctSmaParams{1.5, 5, 40, 20, 0.2}).needed(), 40);
  EXPECT_EQ((PctSmaParams{1.5, 5, 5, 50, 0.2}).needed(), 50);
}

TEST(PctSmaRule, TooFewPointsGivesNoDecisionAndNoNumbers) {
  const PctSmaParams p{0.3, 5, 5, 5, 0.1};
  const std::vector<double> five{100, 100, 100, 100, 50};  // needs 6 (LOOKBACK + 1)
  const Evaluation e = EvaluatePctSma(five, p);
  EXPECT_FALSE(e.action);
  EXPECT_EQ(NoSignalCode(e.reason), "too_few_points");
  EXPECT_FALSE(e.has_numbers);
  const Evaluation empty = EvaluatePctSma({}, p);
  EXPECT_FALSE(empty.action);
  EXPECT_EQ(NoSignalCode(empty.reason), "too_few_points");
}

TEST(PctSmaRule, MinPointsZeroStillNeedsTheWindowAndLookback) {
  const PctSmaParams p{1, 1, 1, 0, 0};
  EXPECT_EQ(NoSignalCode(EvaluatePctSma(std::vector<double>{5}, p).reason), "too_few_points");
  EXPECT_EQ(EvaluatePctSma(std::vector<double>{10, 5}, p).action, std::nullopt)
      << "last == sma with a window of 1: never below or above it";
}

TEST(PctSmaRule, ZeroSmaGivesNoDecision) {
  const Evaluation e = EvaluatePctSma(std::vector<double>{0, 0}, Tiny(1, 0));
  EXPECT_FALSE(e.action);
  EXPECT_NE(NoSignalCode(e.reason), "too_few_points");
  // A negative and a positive price cancelling to a zero SMA must not divide by zero either.
  const Evaluation cancel = EvaluatePctSma(std::vector<double>{3, -2, 2}, Tiny(1, 0));
  EXPECT_FALSE(cancel.action);
  EXPECT_FALSE(std::isnan(cancel.dev_pct));
}

TEST(PctSmaRule, ZeroReferenceGivesNoDecision) {
  // ref = 0, sma = 5, last = 10: delta would be +inf and SELL without the guard.
  const Evaluation e = EvaluatePctSma(std::vector<double>{0, 10}, Tiny(1, 0));
  EXPECT_FALSE(e.action);
  EXPECT_FALSE(std::isinf(e.delta_pct));
}

TEST(PctSmaRule, BuyExactlyAtMinusThreshold) {
  // ref 1, last 0.5: delta = -50 exactly; sma 0.75, last below it, dev 33.3%.
  const std::vector<double> prices{1, 0.5};
  const Evaluation at = EvaluatePctSma(prices, Tiny(50, 0.2));
  ASSERT_EQ(at.delta_pct, -50.0);
  EXPECT_EQ(at.action, Action::kBuy) << "delta <= -THRESH_PCT includes equality";
  const Evaluation above = EvaluatePctSma(prices, Tiny(std::nextafter(50.0, 100.0), 0.2));
  EXPECT_FALSE(above.action);
  EXPECT_EQ(NoSignalCode(above.reason), "no_signal");
}

TEST(PctSmaRule, SellExactlyAtThreshold) {
  // ref 1, last 2: delta = +100 exactly; sma 1.5, last above it.
  const std::vector<double> prices{1, 2};
  const Evaluation at = EvaluatePctSma(prices, Tiny(100, 0.2));
  ASSERT_EQ(at.delta_pct, 100.0);
  EXPECT_EQ(at.action, Action::kSell) << "delta >= THRESH_PCT includes equality";
  const Evaluation above = EvaluatePctSma(prices, Tiny(std::nextafter(100.0, 200.0), 0.2));
  EXPECT_FALSE(above.action);
  EXPECT_EQ(NoSignalCode(above.reason), "no_signal");
}

TEST(PctSmaRule, DevExactlyEpsIsNotNoise) {
  // sma 4, last 5: dev = 25 exactly; delta = +66.7%.
  const std::vector<double> prices{3, 5};
  const Evaluation at = EvaluatePctSma(prices, Tiny(1, 25));
  ASSERT_EQ(at.dev_pct, 25.0);
  EXPECT_EQ(at.action, Action::kSell) << "only dev < EPS_PCT is noise";
  const Evaluation over = EvaluatePctSma(prices, Tiny(1, std::nextafter(25.0, 50.0)));
  EXPECT_FALSE(over.action);
  EXPECT_EQ(NoSignalCode(over.reason), "near_sma_noise");
  EXPECT_TRUE(over.has_numbers);
}

TEST(PctSmaRule, NoiseWinsOverAStrongMove) {
  // A big move whose last price sits on the SMA is noise, not a signal.
  const PctSmaParams p{1, 2, 2, 3, 0.2};
  const Evaluation e = EvaluatePctSma(std::vector<double>{200, 100, 100}, p);
  EXPECT_LE(e.delta_pct, -50);
  EXPECT_FALSE(e.action);
  EXPECT_EQ(NoSignalCode(e.reason), "near_sma_noise");
}

TEST(PctSmaRule, DropButAboveSmaIsNoSignal) {
  // delta strongly negative but last above the SMA: neither BUY nor SELL.
  const PctSmaParams p{1, 3, 2, 4, 0};
  const Evaluation e = EvaluatePctSma(std::vector<double>{100, 10, 50, 60}, p);
  EXPECT_LT(e.delta_pct, -1);
  EXPECT_GT(e.last, e.sma);
  EXPECT_FALSE(e.action);
  EXPECT_EQ(NoSignalCode(e.reason), "no_signal");
}

TEST(PctSmaRule, OnlyTheNewestNeededPointsAreRead) {
  const PctSmaParams p{0.3, 5, 5, 5, 0.1};
  const std::vector<double> tail{100, 100, 100, 100, 100, 95};
  const Evaluation e = EvaluatePctSma(tail, p);
  ASSERT_EQ(e.action, Action::kBuy);
  std::vector<double> longer{0, 1e9, -5, 7, 0};
  longer.insert(longer.end(), tail.begin(), tail.end());
  const Evaluation same = EvaluatePctSma(longer, p);
  EXPECT_EQ(same.action, e.action);
  EXPECT_EQ(same.sma, e.sma);
  EXPECT_EQ(same.delta_pct, e.delta_pct);
  EXPECT_EQ(same.dev_pct, e.dev_pct);
}

TEST(PctSmaRule, NumbersFollowTheFormulas) {
  const PctSmaParams p{0.3, 3, 4, 4, 0.1};
  const std::vector<double> prices{10, 11, 12, 13, 9};
  const Evaluation e = EvaluatePctSma(prices, p);
  EXPECT_EQ(e.last, 9);
  EXPECT_DOUBLE_EQ(e.sma, (11 + 12 + 13 + 9) / 4.0);
  EXPECT_DOUBLE_EQ(e.delta_pct, (9.0 / 11.0 - 1) * 100);
  EXPECT_DOUBLE_EQ(e.dev_pct, std::abs(9 - 11.25) / 11.25 * 100);
  EXPECT_EQ(e.action, Action::kBuy);
}

TEST(PctSmaRule, ValidateNamesTheBadParameter) {
  EXPECT_TRUE((PctSmaParams{}).validate().ok()) << (PctSmaParams{}).validate().message();
  EXPECT_NE((PctSmaParams{-1, 15, 20, 20, 0.2}).validate().message().find("THRESH_PCT"),
            std::string::npos);
  EXPECT_NE((PctSmaParams{NAN, 15, 20, 20, 0.2}).validate().message().find("THRESH_PCT"),
            std::string::npos);
  EXPECT_NE((PctSmaParams{1, 15, 20, 20, -0.1}).validate().message().find("EPS_PCT"),
            std::string::npos);
  EXPECT_NE((PctSmaParams{1, 0, 20, 20, 0.2}).validate().message().find("LOOKBACK_POINTS"),
            std::string::npos);
  EXPECT_NE((PctSmaParams{1, 15, 0, 20, 0.2}).validate().message().find("SMA_WINDOW"),
            std::string::npos);
  EXPECT_NE((PctSmaParams{1, 15, 20, -1, 0.2}).validate().message().find("MIN_POINTS"),
            std::string::npos);
  EXPECT_FALSE((PctSmaParams{1, 15, 2'000'000, 20, 0.2}).validate().ok());
}

}  // namespace
}  // namespace stockpipe
