#include "trends/trends_job.h"

#include <fmt/format.h>

#include <charconv>
#include <set>
#include <utility>

namespace stockpipe {

Result<TrendsSettings> TrendsSettingsFrom(const TrendsConfig& t,
                                          std::span<const Interval> intervals) {
  TrendsSettings s;
  s.params = {t.thresh_pct, t.lookback_points, t.sma_window, t.min_points, t.eps_pct};
  if (Status invalid = s.params.validate(); !invalid.ok()) return invalid;
  auto book = rules::RuleBook::From(t.rules, s.params, intervals);
  if (!book) return book.status();
  s.rules = *book;
  if (!ParseLang(t.lang, s.lang)) {
    return Status::Error(fmt::format("ALERT_LANG must be pl or en, got \"{}\"", t.lang));
  }
  s.include_json_footer = t.include_json_footer;
  s.cooldown = t.cooldown;
  return s;
}

std::string CooldownKey(std::string_view symbol, Action action) {
  return fmt::format("cooldown/{}/{}", symbol, ActionName(action));
}

Result<bool> InCooldown(StateStore& state, std::string_view symbol, Action action, Micros now,
                        Micros cooldown) {
  auto last = state.Get(CooldownKey(symbol, action));
  if (!last) return last.status();
  Micros sent_at = 0;
  const bool known =
      *last && std::from_chars((*last)->data(), (*last)->data() + (*last)->size(), sent_at).ec ==
                   std::errc();
  return known && now - sent_at < cooldown;
}

TrendsJob::TrendsJob(CleanStore& store, StateStore& state, std::vector<Notifier*> channels,
                     TrendsSettings settings)
    : store_(store), state_(state), channels_(std::move(channels)), settings_(std::move(settings)) {
  if (!settings_.rules) settings_.rules = rules::RuleBook::PctSmaOnly(settings_.params);
}

Result<TrendsRun> TrendsJob::RunOnce(Micros now) {
  TrendsRun run;
  run.at = now;
  run.rules = settings_.rules;
  auto symbols = store_.Symbols();
  if (!symbols) return symbols.status();
  std::set<std::pair<std::string, Action>> alerted;  // this run's alerts: one per key
  // An alert unless a cooldown holds it back.
  const auto consider = [&](const std::string& symbol, const rules::Rule& rule,
                            const rules::Decision& d) -> Status {
    if (!d.action) return Status::Ok();
    const Action action = *d.action;
    if (settings_.cooldown > 0) {
      if (!alerted.emplace(symbol, action).second) {
        ++run.suppressed_by_cooldown;
        return Status::Ok();
      }
      auto held = InCooldown(state_, symbol, action, now, settings_.cooldown);
      if (!held) return held.status();
      if (*held) {
        ++run.suppressed_by_cooldown;
        return Status::Ok();
      }
    }
    run.alerts.push_back({symbol, &rule, d});
    return Status::Ok();
  };
  // What the bar rules' checks handled, remembered once the alerts are safe.
  std::vector<std::pair<std::string, Micros>> handled;
  std::vector<double> prices;
  for (const std::string& symbol : *symbols) {
    const rules::Rule& rule = settings_.rules->For(symbol);
    if (rule.On()) {
      auto bars = DecideClosedBars(store_, state_, symbol, rule);
      if (!bars) return bars.status();
      ++run.symbols_checked;
      if (bars->remember) handled.emplace_back(symbol, *bars->remember);
      for (const BarDecision& b : bars->decisions) {
        if (Status s = consider(symbol, rule, b.decision); !s.ok()) return s;
      }
      run.bars.insert(run.bars.end(), std::make_move_iterator(bars->decisions.begin()),
                      std::make_move_iterator(bars->decisions.end()));
      continue;
    }
    auto points = store_.LastN(symbol, rule.Needed());
    if (!points) return points.status();
    ++run.symbols_checked;
    prices.clear();
    for (const PricePoint& p : *points) prices.push_back(p.price);
    if (Status s = consider(symbol, rule, rule.Evaluate(prices)); !s.ok()) return s;
  }

  bool delivered = false;
  if (!run.alerts.empty()) {
    AlertMessage message{
        MessageKind::kSignals, AlertSubject(run.alerts, settings_.lang),
        AlertMessageBody(run.alerts, settings_.lang, now, settings_.include_json_footer), now};
    for (Notifier* channel : channels_) {
      if (Status s = channel->Send(message); !s.ok()) {
        run.channel_errors.push_back(fmt::format("{}: {}", channel->Name(), s.message()));
      } else {
        delivered = true;
      }
    }
    // The cooldown starts only when someone got the alert; if every channel failed, the next
    // run tries again instead of holding the alert back.
    for (const Alert& a : run.alerts) {
      if (!delivered) break;
      if (Status s = state_.Put(CooldownKey(a.symbol, a.action()), std::to_string(now)); !s.ok()) {
        return s;
      }
    }
  }
  // Likewise the bars handled are remembered only once their alerts went out: while no channel
  // took them, the next run decides those bars again.
  if (run.alerts.empty() || delivered) {
    for (const auto& [symbol, start] : handled) {
      if (Status s = RememberDecided(state_, symbol, settings_.rules->For(symbol), start); !s.ok())
        return s;
    }
  }
  const std::string summary = fmt::format(
      R"({{"at":"{}","symbols_checked":{},"alerts_count":{},"suppressed":{}}})",
      FormatCanonical(now), run.symbols_checked, run.alerts.size(), run.suppressed_by_cooldown);
  if (Status s = state_.Put(kLastTrendsRunKey, summary); !s.ok()) return s;
  return run;
}

}  // namespace stockpipe
