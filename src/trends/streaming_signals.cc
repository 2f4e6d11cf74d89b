#include "trends/streaming_signals.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

namespace stockpipe {

namespace {

Micros WallClock() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The newest `capacity` points with `point` in its place (a same-timestamp point replaced).
void Put(std::deque<PricePoint>& ring, std::size_t capacity, PricePoint point) {
  auto at = std::lower_bound(ring.begin(), ring.end(), point.timestamp,
                             [](const PricePoint& p, Micros t) { return p.timestamp < t; });
  if (at != ring.end() && at->timestamp == point.timestamp) {
    at->price = point.price;
    return;
  }
  // Older than a full ring: not among CLEAN's newest points, the window does not change.
  if (at == ring.begin() && ring.size() >= capacity) return;
  ring.insert(at, point);
  while (ring.size() > capacity) ring.pop_front();
}

}  // namespace

StreamingSignals::StreamingSignals(CleanStore& store, StateStore& state,
                                   std::vector<Notifier*> channels, TrendsSettings settings,
                                   std::function<Micros()> now)
    : store_(store),
      state_(state),
      channels_(std::move(channels)),
      settings_(std::move(settings)),
      now_(now ? std::move(now) : WallClock) {
  if (!settings_.rules) settings_.rules = rules::RuleBook::PctSmaOnly(settings_.params);
}

StreamingSignals::StreamingSignals(CleanStore& store, StateStore& state, AlertQueue& queue,
                                   TrendsSettings settings, std::function<Micros()> now)
    : StreamingSignals(store, state, std::vector<Notifier*>{}, std::move(settings),
                       std::move(now)) {
  queue_ = &queue;
}

Status StreamingSignals::Seed(const std::string& symbol, std::span<const Tick* const> batch_ticks,
                              std::deque<PricePoint>& ring) {
  const std::size_t needed = settings_.rules->For(symbol).Needed();
  // CLEAN already holds the batch: read enough to drop its timestamps and keep `needed` older.
  auto points = store_.LastN(symbol, needed + batch_ticks.size());
  if (!points) return points.status();
  std::set<Micros> in_batch;
  for (const Tick* t : batch_ticks) in_batch.insert(t->timestamp);
  ring.clear();
  for (const PricePoint& p : *points) {
    if (!in_batch.contains(p.timestamp)) ring.push_back(p);
  }
  while (ring.size() > needed) ring.pop_front();
  return Status::Ok();
}

Result<StreamingBatch> StreamingSignals::OnDurable(std::span<const Tick> ticks) {
  StreamingBatch out;
  std::string key;
  Status s = Evaluate(ticks, out, key);
  if (s.ok()) s = Deliver(out, key);
  if (!s.ok()) {
    // The rings hold the batch now: a retry must start from CLEAN without it, as a restart does.
    for (const Tick& t : ticks) {
      rings_.erase(t.symbol);
      open_bars_.erase(t.symbol);
    }
    return s;
  }
  return out;
}

Status StreamingSignals::Evaluate(std::span<const Tick> ticks, StreamingBatch& out,
                                  std::string& key) {
  const Micros now = now_();
  out.run.at = now;
  out.run.rules = settings_.rules;
  std::vector<const Tick*> order;
  order.reserve(ticks.size());
  for (const Tick& t : ticks) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const Tick* a, const Tick* b) {
    if (a->symbol != b->symbol) return a->symbol < b->symbol;
    return a->timestamp < b->timestamp;
  });
  out.decisions.reserve(order.size());
  handled_.clear();

  std::set<std::pair<std::string, Action>> alerted;  // this batch's alerts: one per key
  for (std::size_t begin = 0; begin < order.size();) {
    const std::string& symbol = order[begin]->symbol;
    std::size_t end = begin;
    while (end < order.size() && order[end]->symbol == symbol) ++end;
    const std::span<const Tick* const> group(order.data() + begin, end - begin);
    begin = end;

    const rules::Rule& rule = settings_.rules->For(symbol);
    // An alert unless a cooldown holds it back; `what` names its tick or bar in the queue key.
    const auto consider = [&](const rules::Decision& d, const std::string& what) -> Status {
      if (!d.action) return Status::Ok();
      const Action action = *d.action;
      if (settings_.cooldown > 0) {
        // Within a batch the first alert of a key starts its cooldown, as a run would.
        if (!alerted.emplace(symbol, action).second) {
          ++out.run.suppressed_by_cooldown;
          return Status::Ok();
        }
        auto held = InCooldown(state_, symbol, action, now, settings_.cooldown);
        if (!held) return held.status();
        if (*held) {
          ++out.run.suppressed_by_cooldown;
          return Status::Ok();
        }
      }
      out.run.alerts.push_back({symbol, &rule, d});
      // What a replay of this batch decides again; the price tells a rewritten tick apart.
      key += fmt::format("{}:{}@{}:{};", symbol, ActionName(action), what, d.last);
      return Status::Ok();
    };
    ++out.run.symbols_checked;
    if (const Interval* on = rule.On()) {
      // Every tick in the bar known open: no bar closed, none appeared before it.
      const auto open = open_bars_.find(symbol);
      if (open != open_bars_.end() && std::all_of(group.begin(), group.end(), [&](const Tick* t) {
            return BarStart(t->timestamp, on->length) == open->second;
          })) {
        continue;
      }
      auto bars = DecideClosedBars(store_, state_, symbol, rule);
      if (!bars) return bars.status();
      if (bars->open) open_bars_[symbol] = *bars->open;
      if (bars->remember) handled_.emplace_back(symbol, *bars->remember);
      for (const BarDecision& b : bars->decisions) {
        if (Status s = consider(b.decision, fmt::format("{}/{}", b.interval, b.start)); !s.ok())
          return s;
      }
      out.run.bars.insert(out.run.bars.end(), std::make_move_iterator(bars->decisions.begin()),
                          std::make_move_iterator(bars->decisions.end()));
      continue;
    }

    auto [it, fresh] = rings_.try_emplace(symbol);
    std::deque<PricePoint>& ring = it->second;
    if (fresh) {
      if (Status s = Seed(symbol, group, ring); !s.ok()) return s;
    }
    for (const Tick* tick : group) {
      Put(ring, rule.Needed(), {tick->timestamp, tick->price});
      prices_.clear();
      for (const PricePoint& p : ring) prices_.push_back(p.price);
      out.decisions.push_back({symbol, tick->timestamp, rule.Evaluate(prices_)});
      if (Status s = consider(out.decisions.back().decision, std::to_string(tick->timestamp));
          !s.ok())
        return s;
    }
  }
  return Status::Ok();
}

Status StreamingSignals::RememberBars() {
  for (const auto& [symbol, start] : handled_) {
    if (Status s = RememberDecided(state_, symbol, settings_.rules->For(symbol), start); !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

Status StreamingSignals::Deliver(StreamingBatch& out, const std::string& key) {
  if (out.run.alerts.empty()) return RememberBars();
  const Micros now = out.run.at;
  AlertMessage message{
      MessageKind::kSignals, AlertSubject(out.run.alerts, settings_.lang),
      AlertMessageBody(out.run.alerts, settings_.lang, now, settings_.include_json_footer), now};
  out.decided = std::chrono::steady_clock::now();
  if (queue_) {
    auto queued = queue_->EnqueueOnce(message, "streaming/" + key);
    if (!queued) return queued.status();
    out.queued = std::chrono::steady_clock::now();
    out.queued_now = *queued;
    // The message is safe: the cooldowns start now, whatever the channels do.
    for (const Alert& a : out.run.alerts) {
      if (Status s = state_.Put(CooldownKey(a.symbol, a.action()), std::to_string(now)); !s.ok()) {
        return s;
      }
    }
    if (Status s = RememberBars(); !s.ok()) return s;
    queue_->DeliverQueued();
    return Status::Ok();
  }
  bool delivered = false;
  for (Notifier* channel : channels_) {
    if (Status s = channel->Send(message); !s.ok()) {
      out.run.channel_errors.push_back(fmt::format("{}: {}", channel->Name(), s.message()));
    } else {
      delivered = true;
    }
  }
  // As in the scheduled run: the cooldown starts, and the bars count as decided, only once
  // someone got the alert; otherwise the next batch of the symbol decides them again.
  if (!delivered) {
    for (const auto& [symbol, start] : handled_) open_bars_.erase(symbol);
    return Status::Ok();
  }
  for (const Alert& a : out.run.alerts) {
    if (Status s = state_.Put(CooldownKey(a.symbol, a.action()), std::to_string(now)); !s.ok()) {
      return s;
    }
  }
  return RememberBars();
}

}  // namespace stockpipe
