// The reference PCT + SMA rule, with exact parity to the Python pipeline it replaces.
//
// With n = max(MIN_POINTS, SMA_WINDOW, LOOKBACK_POINTS + 1) points needed, last = newest price,
// sma = mean of the newest SMA_WINDOW prices, ref = the price LOOKBACK_POINTS points before the
// newest, delta = (last / ref - 1) * 100 and dev = |last - sma| / sma * 100:
//   fewer than n points, sma == 0 or ref == 0  -> no decision
//   dev < EPS_PCT                              -> no decision (noise around the SMA)
//   delta <= -THRESH_PCT and last < sma        -> BUY
//   delta >= THRESH_PCT and last > sma         -> SELL
//
// EvaluatePctSma is the reference's function with its own no-decision codes (`stockpipe trends
// eval` prints them); PctSmaRule is the same decision behind the Rule interface. Its reasons with
// an action: "drop_below_sma" (BUY) and "rise_above_sma" (SELL); without one, the reference's
// codes. Numbers: sma, delta_pct, dev_pct. Its alerts read as the reference's, byte for byte,
// and a message of only its alerts has the reference's JSON footer.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "rules/rule.h"

namespace stockpipe {

struct PctSmaParams {
  double thresh_pct = 1.5;   // THRESH_PCT
  int lookback_points = 15;  // LOOKBACK_POINTS
  int sma_window = 20;       // SMA_WINDOW
  int min_points = 20;       // MIN_POINTS
  double eps_pct = 0.2;      // EPS_PCT

  // Points the rule needs before it can decide.
  int needed() const;
  // Ok when usable, else what is wrong ("SMA_WINDOW must be >= 1, got 0").
  Status validate() const;
};

// Why there is no decision, with the reference's codes.
enum class NoSignal { kTooFewPoints, kZeroBase, kNearSmaNoise, kNoSignal };
std::string_view NoSignalCode(NoSignal reason);  // "too_few_points", ...

struct Evaluation {
  std::optional<Action> action;
  NoSignal reason = NoSignal::kNoSignal;  // meaningful only without an action
  bool has_numbers = false;               // false when there were too few points
  double last = 0;
  double sma = 0;
  double delta_pct = 0;
  double dev_pct = 0;
};

// `prices` oldest first; only the newest needed() are read.
Evaluation EvaluatePctSma(std::span<const double> prices, const PctSmaParams& params);

}  // namespace stockpipe

namespace stockpipe::rules {

class PctSmaRule final : public Rule {
 public:
  // `params` must be valid (PctSmaParams::validate() Ok).
  explicit PctSmaRule(const PctSmaParams& params) : params_(params) {}
  std::string_view Name() const override { return "pct_sma"; }
  std::string Describe() const override;
  std::size_t Needed() const override { return static_cast<std::size_t>(params_.needed()); }
  Decision Evaluate(std::span<const double> prices) const override;
  AlertLines AlertText(const Decision& decision, Lang lang) const override;
  bool ReferenceFooter() const override { return true; }
  std::optional<int> SmaWindow() const override { return params_.sma_window; }
  const PctSmaParams& params() const { return params_; }

  // The Decision Evaluate gives for the reference's `evaluation`.
  static Decision DecisionOf(const Evaluation& evaluation);

 private:
  PctSmaParams params_;
};

}  // namespace stockpipe::rules
