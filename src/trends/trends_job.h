// The scheduled trends run: every symbol of the CLEAN store through its rule (`[rules]`; the PCT +
// SMA reference rule by default), all resulting alerts in one message to every channel. A symbol's
// rule reads the newest Rule::Needed() points, the same window `stockpipe backtest` replays. A rule
// on bars (`on = "5m"`, rules/on_bars.h) decides every bar closed since the last one it decided
// (trends/bar_decisions.h), oldest first.
//
// A cooldown per (symbol, action), kept in the StateStore so it survives restarts, stops the same
// alert going out on every run while a trend lasts; a cooldown of 0 gives the reference behaviour
// (alert on every run). A channel that fails does not stop the others; its error is returned.
// The cooldown starts only once at least one channel took the message; within one run, the first
// alert of a (symbol, action) starts it (a bar rule can decide several bars in a run).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/clean_store.h"
#include "core/config.h"
#include "core/notifier.h"
#include "core/state_store.h"
#include "rules/alert_text.h"
#include "rules/pct_sma_rule.h"
#include "rules/rule_book.h"
#include "trends/bar_decisions.h"

namespace stockpipe {

struct TrendsSettings {
  PctSmaParams params;
  // Each symbol's rule; none: every symbol on the reference rule with `params`.
  std::shared_ptr<const rules::RuleBook> rules;
  Lang lang = Lang::kPl;
  bool include_json_footer = false;
  Micros cooldown = 30 * 60 * 1'000'000LL;
};

struct TrendsRun {
  Micros at = 0;
  std::size_t symbols_checked = 0;
  // Sent in this run, with their rule and decision.
  std::vector<Alert> alerts;
  // The book the alerts' rules belong to, shared with the job: the alerts stay valid as long as
  // the run, whatever becomes of the job.
  std::shared_ptr<const rules::RuleBook> rules;
  std::size_t suppressed_by_cooldown = 0;
  std::vector<std::string> channel_errors;
  // Every decision of the bar rules in this run, with or without an action, by symbol and then
  // bar start.
  std::vector<BarDecision> bars;
};

// The rules' settings from configuration (the reference names, [rules]); an error names the bad
// key. `intervals`: the bars the CLEAN store keeps ([candles] intervals), which a rule's `on` must
// name. Shared by the CLI and the Lambda trends function.
Result<TrendsSettings> TrendsSettingsFrom(const TrendsConfig& config,
                                          std::span<const Interval> intervals);

class TrendsJob {
 public:
  TrendsJob(CleanStore& store, StateStore& state, std::vector<Notifier*> channels,
            TrendsSettings settings);

  Result<TrendsRun> RunOnce(Micros now);

 private:
  CleanStore& store_;
  StateStore& state_;
  std::vector<Notifier*> channels_;
  TrendsSettings settings_;
};

// State keys, shared with `stockpipe health`.
inline constexpr std::string_view kLastTrendsRunKey = "trends/last_run";
std::string CooldownKey(std::string_view symbol, Action action);

// Whether an alert of `action` for `symbol` was sent less than `cooldown` before `now` (the
// scheduled run and streaming share this). An unreadable stored value (not a number) counts as
// no cooldown: better a repeat than silence.
Result<bool> InCooldown(StateStore& state, std::string_view symbol, Action action, Micros now,
                        Micros cooldown);

}  // namespace stockpipe
