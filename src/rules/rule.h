// Signal rules: a decision (BUY, SELL or none) for one symbol from its price series, and the text
// an alert of that decision reads.
//
// Every rule is a pure function of the newest Needed() points (oldest first): more points are
// allowed and ignored, fewer give no decision with reason "too_few_points". The scheduled trends
// run reads exactly Needed() points per symbol and `stockpipe backtest` replays the same windows,
// so both reach the same decisions. Streaming mode reaches them too by keeping a ring of
// Needed() points: pct_sma, sma_cross and bollinger read only window sums, which the incremental
// indicators (src/indicators) keep in O(1) per tick (equal to the bit on their wrap ticks, to
// rounding otherwise; a decision can only differ when two numbers tie within rounding). The rsi
// rule is Wilder's RSI seeded at the start of its window (see rsi_rule.h): re-running the window
// costs O(window) per tick, constant in the series length.
//
// Rules that look for an event (a cross, a breakout) compare the newest point with the one before,
// so they fire once per event, not on every run while a condition lasts.
//
// An alert's text is laid out once (alert_text.h); each rule fills in the three lines that are its
// own (reason, numbers, parameters), so a new rule brings its text with it.
//
// A rule can also read the closes of a symbol's bars instead of its ticks (`on = "5m"`): see
// rules/on_bars.h for what a closed bar is and when such a rule decides.
//
// The words the rest of the pipeline speaks (Action, Lang, and in alert_text.h Alert) are in
// namespace stockpipe; the rules themselves in stockpipe::rules.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/candles.h"

namespace stockpipe {

enum class Action { kBuy, kSell };
std::string_view ActionName(Action action);  // "BUY" / "SELL"

// The language of alert texts: Polish (`pl`, the reference's default) or English (`en`).
enum class Lang { kPl, kEn };

}  // namespace stockpipe

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

  std::span<const Number> Numbers() const { return {numbers.data(), number_count}; }
  void Add(std::string_view name, double value) { numbers[number_count++] = {name, value}; }
  // The number called `name`; 0 when the decision has none by that name.
  double Value(std::string_view name) const {
    for (const Number& n : Numbers()) {
      if (n.name == name) return n.value;
    }
    return 0;
  }
};

inline constexpr std::string_view kTooFewPoints = "too_few_points";

// The lines of an alert that belong to its rule, in the alert's language, e.g. for sma_cross:
//   reason:  "golden cross: SMA10 crossed above SMA50"
//   numbers: "SMA10: 196.24, SMA50: 195.10"
//   params:  "RULE=sma_cross, fast=10, slow=50"
struct AlertLines {
  std::string reason, numbers, params;
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
  // The alert's own lines for `decision`, one this rule reached with an action.
  virtual AlertLines AlertText(const Decision& decision, Lang lang) const = 0;
  // True for the reference rule only: a message whose alerts all come from it keeps the Python
  // pipeline's JSON footer (no rule, no reason), which that pipeline's consumers read.
  virtual bool ReferenceFooter() const { return false; }
  // The moving-average window the rule reads, if it reads one (what a chart draws beside it).
  virtual std::optional<int> SmaWindow() const { return std::nullopt; }
  // The bars whose closes the rule reads (rules/on_bars.h); none: it reads ticks.
  virtual const Interval* On() const { return nullptr; }
};

// For implementations: the newest `n` of `prices` (n <= prices.size()) and a decision without
// enough points.
inline std::span<const double> Newest(std::span<const double> prices, std::size_t n) {
  return prices.subspan(prices.size() - n);
}
inline Decision TooFewPoints() {
  Decision d;
  d.reason = kTooFewPoints;
  return d;
}

}  // namespace stockpipe::rules
