// Streaming signal mode: the rules evaluated per tick as ingest makes each batch durable, with
// the decisions the scheduled trends run (trends_job.h) would reach had it run right after that
// tick.
//
// Per symbol a ring holds the newest Rule::Needed() points of CLEAN. OnDurable gets a batch's
// ticks after the batch's CLEAN commit, takes them in (symbol, timestamp) order (a stable sort:
// duplicates keep batch order, so the last price wins as in CleanStore::Upsert) and, for each,
// puts it in the ring (newer: appended; same timestamp: price replaced; older: inserted where it
// belongs, or nothing changes if it falls before a full ring) and evaluates the symbol's rule.
// A symbol not seen since start is seeded from CleanStore::LastN without the batch's own
// timestamps, i.e. CLEAN as it was before the batch (a point the batch rewrites with another
// price is seen at the new price only from its tick on: exact except for such rewrites).
//
// A symbol whose rule reads bars (rules/on_bars.h) has no ring: when a batch's ticks of it fall
// outside the bar known open, the batch may have closed bars, and the symbol is checked as the
// scheduled run checks it (trends/bar_decisions.h: every bar closed since the newest decided, read
// from CleanStore::Candles, the memory in the shared StateStore), so streaming and scheduled runs
// decide the same bars. Ticks inside the open bar close nothing and cost no read.
//
// Decisions with an action become alerts under the scheduled run's cooldown keys (CooldownKey,
// the shared StateStore); all of a batch's alerts go out in one message.
//
// With an AlertQueue (the outbox), the message is queued durably under a key naming its alerts
// (symbol, action, tick timestamp or bar, and price of each), then the cooldowns and the newest
// bars decided are written, then the queue delivers. OnDurable runs before the batch's checkpoint,
// so a crash at any point replays the batch, and the replay reaches the same alerts:
//   - before the message is queued: nothing was queued or written; the replay queues it.
//   - after it is queued, before the cooldowns: the replay finds the key and queues nothing;
//     it writes the cooldowns.
//   - after the cooldowns: the cooldown holds the alerts back (or, with cooldown 0, the key); after
//     the bar memory, the replay decides those bars no more.
// One gap: a replay that comes after a cooldown of one of its keys ran out decides one more
// alert, so its key differs and that message is queued again (a repeat, never a loss).
// The queue's failure fails the batch (retried, not checkpointed): an alert is never dropped.
// A failed OnDurable forgets the rings (and known open bars) of the batch's symbols, so that its
// retry, like a restart's, reads CLEAN as it was before the batch.
//
// With plain channels (no queue), the message goes to each and the cooldowns start once one took
// it; a crash between the two can repeat the message.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/alert_queue.h"
#include "core/clean_store.h"
#include "core/notifier.h"
#include "core/state_store.h"
#include "trends/trends_job.h"

namespace stockpipe {

struct TickDecision {
  std::string symbol;
  Micros timestamp = 0;
  rules::Decision decision;
};

struct StreamingBatch {
  // One per tick of a symbol on a tick rule, in (symbol, timestamp) order; bar rules' decisions
  // are in run.bars.
  std::vector<TickDecision> decisions;
  TrendsRun run;  // the alerts sent for this batch, as a scheduled run's
  // With a queue: false when a replay found the message queued already.
  bool queued_now = false;
  // When the batch's alerts were decided (message built) and durably queued (steady clock; the
  // epoch when there was no alert): what the latency bench measures.
  std::chrono::steady_clock::time_point decided, queued;
};

class StreamingSignals {
 public:
  // `now` gives the time alerts are stamped with and the cooldown is measured at.
  StreamingSignals(CleanStore& store, StateStore& state, std::vector<Notifier*> channels,
                   TrendsSettings settings, std::function<Micros()> now = {});
  // Alerts through `queue`, once per key (see above). The queue must outlive this.
  StreamingSignals(CleanStore& store, StateStore& state, AlertQueue& queue, TrendsSettings settings,
                   std::function<Micros()> now = {});

  // Call after `ticks` are durable in the CLEAN store. Channel failures are in
  // run.channel_errors; an error is returned only when a store cannot be read or written.
  Result<StreamingBatch> OnDurable(std::span<const Tick> ticks);

 private:
  Status Seed(const std::string& symbol, std::span<const Tick* const> batch_ticks,
              std::deque<PricePoint>& ring);
  Status Evaluate(std::span<const Tick> ticks, StreamingBatch& out, std::string& key);
  Status Deliver(StreamingBatch& out, const std::string& key);
  Status RememberBars();

  CleanStore& store_;
  StateStore& state_;
  std::vector<Notifier*> channels_;
  AlertQueue* queue_ = nullptr;
  TrendsSettings settings_;
  std::function<Micros()> now_;
  std::map<std::string, std::deque<PricePoint>, std::less<>> rings_;
  // Bar rules: the start of each symbol's open bar as last read.
  std::map<std::string, Micros, std::less<>> open_bars_;
  // Bar rules: what this batch's checks handled (ClosedBars::remember), written by Deliver.
  std::vector<std::pair<std::string, Micros>> handled_;
  std::vector<double> prices_;  // scratch: the ring as the rule reads it
};

}  // namespace stockpipe
