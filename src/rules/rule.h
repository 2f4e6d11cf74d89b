// Signal rules: a decision (BUY, SELL or none) for one symbol from its price series.
//
// Every rule is a pure function of the newest Needed() points (oldest first): more points are
// allowed and ignored, fewer give no decision with reason "too_few_points". The scheduled trends
// run reads exactly Needed() points per symbol and `stockpipe backtest` replays the same windows,
// so both reach the same decisions. A later streaming mode reaches them too by keeping a ring of
// Needed() points: pct_sma, sma_cross and bollinger read only window sums, which the incremental
// indicators (src/indicators) keep in O(1) per tick (equal to the bit on their wrap ticks, to
// rounding otherwise; a decision can only differ when two numbers tie within rounding). The rsi
// rule is Wilder's RSI seeded at the start of its window (see rsi_rule.h): re-running the window
// costs O(window) per tick, constant in the series length.
//
// Rules that look for an event (a cross, a breakout) compare the newest point with the one before,
// so they fire once per event, not on every run while a condition lasts.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "signals/pct_sma.h"

namespace stockpipe::rules {

// One named number behind a decision ("fast_sma", 101.5).
struct Number {
  std::string_view name;
  double value = 0;
};

struct Decision {
  std::optional<Action> action;
  // Why: "golden_cross", "death_cross", ... with an action; "too_few_points", "no_cross", ...
  // without one.
  std::string_view reason;
  double last = 0;  // the newest price (0 with too few points)
  std::array<Number, 6> numbers{};
  std::size_t number_count = 0;  // 0 with too few points
  Evaluation pct_sma;            // the reference's own numbers, for pct_sma only

  std::span<const Number> Numbers() const { return {numbers.data(), number_count}; }
  void Add(std::string_view name, double value) { numbers[number_count++] = {name, value}; }
};

class Rule {
 public:
  virtual ~Rule() = default;
  // The config name: "pct_sma", "sma_cross", "rsi", "bollinger".
  virtual std::string_view Name() const = 0;
  // "sma_cross fast=10 slow=50": the name and every parameter, for reports and alerts.
  virtual std::string Describe() const = 0;
  // Points a decision reads.
  virtual std::size_t Needed() const = 0;
  // `prices` oldest first; only the newest Needed() are read.
  virtual Decision Evaluate(std::span<const double> prices) const = 0;
};

inline constexpr std::string_view kTooFewPoints = "too_few_points";

}  // namespace stockpipe::rules
