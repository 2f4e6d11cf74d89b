// The reference PCT + SMA rule (signals/pct_sma.h) behind the Rule interface, unchanged:
// Evaluate calls EvaluatePctSma and copies its decision. Reasons with an action: "drop_below_sma"
// (BUY) and "rise_above_sma" (SELL); without one, the reference's codes.
#pragma once

#include "rules/rule.h"

namespace stockpipe::rules {

class PctSmaRule final : public Rule {
 public:
  // `params` must be valid (PctSmaParams::validate() Ok).
  explicit PctSmaRule(const PctSmaParams& params) : params_(params) {}
  std::string_view Name() const override { return "pct_sma"; }
  std::string Describe() const override;
  std::size_t Needed() const override { return static_cast<std::size_t>(params_.needed()); }
  Decision Evaluate(std::span<const double> prices) const override;
  const PctSmaParams& params() const { return params_; }

 private:
  PctSmaParams params_;
};

}  // namespace stockpipe::rules
