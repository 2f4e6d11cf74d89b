// Bollinger breakout: a signal when the price crosses out of its bands (indicators::Bollinger,
// population sd), once per crossing.
//
// With upper/lower the bands of the newest `period` points and upper'/lower' those one point
// earlier (Needed() = period + 1), last and prev the newest two prices:
//   prev <= upper' and last > upper  -> "broke_above_upper"
//   prev >= lower' and last < lower  -> "broke_below_lower"
// mode = momentum (default, the breakout reading: a break above the band starts a move up):
//   broke_above_upper -> BUY, broke_below_lower -> SELL.
// mode = reversion (the mean-reversion reading: outside the band is overdone):
//   broke_below_lower -> BUY, broke_above_upper -> SELL.
// On a band exactly is inside. Numbers: upper, middle, lower, prev_upper, prev_lower.
// Alert lines (alert_text.h): "price broke above the upper Bollinger band",
// "BB20 lower/middle/upper: 98.00 / 100.00 / 102.00", "RULE=bollinger, period=20, k=2.0,
// mode=momentum".
#pragma once

#include "core/result.h"
#include "rules/rule.h"

namespace stockpipe::rules {

enum class BollingerMode { kMomentum, kReversion };

struct BollingerRuleParams {
  int period = 20;
  double k = 2.0;
  BollingerMode mode = BollingerMode::kMomentum;
  // Ok when usable: 2 <= period <= 1,000,000, k finite and > 0.
  Status validate() const;
};

class BollingerRule final : public Rule {
 public:
  explicit BollingerRule(const BollingerRuleParams& params) : params_(params) {}
  std::string_view Name() const override { return "bollinger"; }
  std::string Describe() const override;
  std::size_t Needed() const override { return static_cast<std::size_t>(params_.period) + 1; }
  Decision Evaluate(std::span<const double> prices) const override;
  AlertLines AlertText(const Decision& decision, Lang lang) const override;
  std::optional<int> SmaWindow() const override { return params_.period; }
  const BollingerRuleParams& params() const { return params_; }

 private:
  BollingerRuleParams params_;
};

}  // namespace stockpipe::rules
