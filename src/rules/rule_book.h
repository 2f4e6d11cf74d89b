// Each symbol's signal rule, built from `[rules]` (core/config.h) and the [trends] PCT + SMA
// parameters. Building checks every rule name and parameter; an error names the TOML key
// ("rules.AAPL.fast must be a whole number, got \"ten\"") so the CLI can exit 2 with it.
// A rule with `on = "<interval>"` is built as OnBars (rules/on_bars.h) over that interval, which
// must be one of `intervals` (the [candles] intervals the CLEAN store keeps).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/result.h"
#include "rules/pct_sma_rule.h"
#include "rules/rule.h"

namespace stockpipe::rules {

// The rule `config` describes; `key` is where it came from ("rules" or "rules.AAPL").
Result<std::unique_ptr<Rule>> MakeRule(const RuleConfig& config, const PctSmaParams& pct_sma,
                                       std::string_view key,
                                       std::span<const Interval> intervals = DefaultIntervals());

class RuleBook {
 public:
  static Result<std::shared_ptr<const RuleBook>> From(
      const RulesConfig& config, const PctSmaParams& pct_sma,
      std::span<const Interval> intervals = DefaultIntervals());
  // Every symbol on the reference rule: what a config without [rules] gets.
  static std::shared_ptr<const RuleBook> PctSmaOnly(const PctSmaParams& pct_sma);

  // The symbol's own rule, else the default. Symbols match exactly (case-sensitive).
  const Rule& For(std::string_view symbol) const;
  const Rule& fallback() const { return *fallback_; }

 private:
  std::unique_ptr<Rule> fallback_;
  std::vector<std::pair<std::string, std::unique_ptr<Rule>>> symbols_;
};

}  // namespace stockpipe::rules
