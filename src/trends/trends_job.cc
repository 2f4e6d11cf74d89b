#include "trends/trends_job.h"

#include <fmt/format.h>

#include <charconv>

namespace stockpipe {

Result<TrendsSettings> TrendsSettingsFrom(const TrendsConfig& t) {
  TrendsSettings s;
  s.params = {t.thresh_pct, t.lookback_points, t.sma_window, t.min_points, t.eps_pct};
  if (Status invalid = s.params.validate(); !invalid.ok()) return invalid;
  auto book = rules::RuleBook::From(t.rules, s.params);
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
  std::vector<double> prices;
  for (const std::string& symbol : *symbols) {
    const rules::Rule& rule = settings_.rules->For(symbol);
    auto points = store_.LastN(symbol, rule.Needed());
    if (!points) return points.status();
    ++run.symbols_checked;
    prices.clear();
    for (const PricePoint& p : *points) prices.push_back(p.price);
    const rules::Decision d = rule.Evaluate(prices);
    if (!d.action) continue;
    const Action action = *d.action;
    if (settings_.cooldown > 0) {
      auto held = InCooldown(state_, symbol, action, now, settings_.cooldown);
      if (!held) return held.status();
      if (*held) {
        ++run.suppressed_by_cooldown;
        continue;
      }
    }
    run.alerts.push_back({symbol, &rule, d});
  }

  if (!run.alerts.empty()) {
    AlertMessage message{
        MessageKind::kSignals, AlertSubject(run.alerts, settings_.lang),
        AlertMessageBody(run.alerts, settings_.lang, now, settings_.include_json_footer), now};
    bool delivered = false;
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
  const std::string summary = fmt::format(
      R"({{"at":"{}","symbols_checked":{},"alerts_count":{},"suppressed":{}}})",
      FormatCanonical(now), run.symbols_checked, run.alerts.size(), run.suppressed_by_cooldown);
  if (Status s = state_.Put(kLastTrendsRunKey, summary); !s.ok()) return s;
  return run;
}

}  // namespace stockpipe
