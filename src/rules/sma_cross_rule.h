// SMA crossover: BUY on a golden cross, SELL on a death cross, on the newest point.
//
// With fast/slow = the means of the newest `fast`/`slow` points and fast'/slow' the same one point
// earlier (Needed() = slow + 1):
//   fast' <= slow' and fast > slow  -> BUY  "golden_cross"
//   fast' >= slow' and fast < slow  -> SELL "death_cross"
//   otherwise                       -> none "no_cross"
// Touching without crossing (fast == slow now) is no cross yet; it becomes one on the point where
// fast moves strictly past slow. Numbers: fast_sma, slow_sma, prev_fast_sma, prev_slow_sma.
// Alert lines (alert_text.h): "golden cross: SMA10 crossed above SMA50" (Polish: "złoty krzyż:
// SMA10 przebiła SMA50 od dołu"), "SMA10: 196.24, SMA50: 195.10", "RULE=sma_cross, fast=10,
// slow=50".
#pragma once

#include "core/result.h"
#include "rules/rule.h"

namespace stockpipe::rules {

struct SmaCrossParams {
  int fast = 10;
  int slow = 50;
  // Ok when usable: 1 <= fast < slow <= 1,000,000.
  Status validate() const;
};

class SmaCrossRule final : public Rule {
 public:
  explicit SmaCrossRule(const SmaCrossParams& params) : params_(params) {}
  std::string_view Name() const override { return "sma_cross"; }
  std::string Describe() const override;
  std::size_t Needed() const override { return static_cast<std::size_t>(params_.slow) + 1; }
  Decision Evaluate(std::span<const double> prices) const override;
  AlertLines AlertText(const Decision& decision, Lang lang) const override;
  std::optional<int> SmaWindow() const override { return params_.slow; }
  const SmaCrossParams& params() const { return params_; }

 private:
  SmaCrossParams params_;
};

}  // namespace stockpipe::rules
