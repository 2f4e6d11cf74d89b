// A rule read on bar closes: `[rules.AAPL] on = "5m"` (or `[rules] on = "5m"` for the default
// rule) makes the symbol's rule read the closes of its 5-minute bars (core/candles.h) instead of
// its ticks; `on = "tick"`, or no `on`, keeps the ticks. The interval must be one of
// `[candles] intervals`, the bars the CLEAN store keeps.
//
// What a bar rule reads and when it decides, the same in the scheduled run, streaming mode and
// `stockpipe backtest`:
//   - A bar is CLOSED once its symbol has a tick in a later bar (by event time). The newest bar of
//     a symbol is therefore still open, however old it is; a gap (no tick in a bar) is no bar.
//   - The rule's series is the closes of the symbol's closed bars, oldest first: the decision on a
//     bar reads the newest Needed() closes up to and including that bar's.
//   - Each closed bar is decided once, when it is first seen closed: the scheduled run and
//     streaming remember (StateStore, trends/bar_decisions.h) the newest bar start they decided
//     per (symbol, rule), and decide every bar closed after it, oldest first; when nothing was
//     decided yet, only the newest closed bar (a symbol first seen with no closed bar: every bar
//     from its open one on). A run in which no bar closed decides nothing.
//     Backtest decides every closed bar of the history.
//   - A late tick that changes a bar already decided updates the bar (bars always equal CLEAN) and
//     the closes later decisions read, but that bar is not decided again. A late tick that makes a
//     new bar older than the newest decided one is not decided either; one between the newest
//     decided bar and the open one is (it was never seen).
// Alerts of a bar rule use the same cooldown keys and channels as tick rules; their params line
// names the interval ("RULE=sma_cross, fast=10, slow=50, on=5m") and Describe() ends in
// " on=5m". The reference PCT + SMA rule on bars is not the reference any more: its message has
// the footer of the other rules (rule and reason), not the reference pipeline's.
#pragma once

#include <memory>

#include "core/candles.h"
#include "rules/rule.h"

namespace stockpipe::rules {

class OnBars final : public Rule {
 public:
  OnBars(std::unique_ptr<Rule> rule, Interval interval)
      : rule_(std::move(rule)), interval_(std::move(interval)) {}

  std::string_view Name() const override { return rule_->Name(); }
  std::string Describe() const override;
  std::size_t Needed() const override { return rule_->Needed(); }
  Decision Evaluate(std::span<const double> closes) const override {
    return rule_->Evaluate(closes);
  }
  AlertLines AlertText(const Decision& decision, Lang lang) const override;
  std::optional<int> SmaWindow() const override { return rule_->SmaWindow(); }
  const Interval* On() const override { return &interval_; }

  // The rule that reads the closes.
  const Rule& inner() const { return *rule_; }

 private:
  std::unique_ptr<Rule> rule_;
  Interval interval_;
};

}  // namespace stockpipe::rules
