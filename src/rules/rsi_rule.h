// RSI thresholds, with crossing semantics: a signal when RSI ENTERS a zone, once per entry.
//
// RSI is Wilder's (indicators::Rsi) over the newest `window` points: seeded with the simple means
// of the window's first `period` moves, then Wilder-smoothed to the newest point (the seed's weight
// decays by (period-1)/period per point, so the default 100 points leave ~0.2% of it). With rsi and
// rsi' the values at the newest point and the one before:
//   rsi' >= lower and rsi < lower  -> BUY  "entered_oversold"
//   rsi' <= upper and rsi > upper  -> SELL "entered_overbought"
//   otherwise                      -> none "no_cross"
// Why crossing, not "while below": a level rule fires on every run while RSI stays low and relies
// on the cooldown to stay quiet; a cross is one event with one time, which a backtest can price.
// Exactly at a threshold is inside the normal zone (rsi == lower is not oversold).
// Numbers: rsi, prev_rsi, lower, upper.
// Alert lines (alert_text.h): "RSI14 fell below 30.0 (oversold)", "RSI14: 28.10 (previous: 31.20)",
// "RULE=rsi, period=14, lower=30.0, upper=70.0, window=100".
#pragma once

#include "core/result.h"
#include "rules/rule.h"

namespace stockpipe::rules {

struct RsiRuleParams {
  int period = 14;
  double lower = 30;
  double upper = 70;
  int window = 100;  // points read; at least period + 2 (two RSI values)
  // Ok when usable: period >= 1, 0 <= lower < upper <= 100, period + 2 <= window <= 1,000,000.
  Status validate() const;
};

class RsiRule final : public Rule {
 public:
  explicit RsiRule(const RsiRuleParams& params) : params_(params) {}
  std::string_view Name() const override { return "rsi"; }
  std::string Describe() const override;
  std::size_t Needed() const override { return static_cast<std::size_t>(params_.window); }
  Decision Evaluate(std::span<const double> prices) const override;
  AlertLines AlertText(const Decision& decision, Lang lang) const override;
  const RsiRuleParams& params() const { return params_; }

 private:
  RsiRuleParams params_;
};

}  // namespace stockpipe::rules
