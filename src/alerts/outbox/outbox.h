// The alert outbox: every alert message reaches every configured channel, even when a channel is
// down for hours, and none is lost to a crash.
//
// The outbox is itself a `Notifier` ("outbox"), so the trends job and the watchdog hand it each
// message once. `Send` first writes one delivery row per channel into `<data-dir>/outbox.db` in one
// transaction, synced to disk (a crash after `Send` returned loses nothing), and returns ok once
// that is done; then it tries the due deliveries. A channel that fails is logged (errors pass
// through `OutboxOptions::secrets` first) and retried later with doubling backoff
// (`retry_after`, 2x, ... capped at `max_backoff`); it never makes `Send` fail, so it neither
// stops the trends job nor makes it alert again. Without `give_up_after` a delivery stays pending
// forever, visible in `Health`.
//
// Only the enqueue is synced (one fsync per message, `OutboxOptions::enqueue_sync`). The
// bookkeeping after it (claims, delivery results, counters, pruning) is committed without an
// fsync: a killed process keeps it (WAL), and what a power cut may take back only makes a
// message look undelivered or unclaimed, so it is sent again: a repeat, never a loss. This keeps
// an alert's path to its first channel at one fsync. The WAL is checkpointed (which syncs) at
// the end of a delivery pass, after the channels were called, not by whichever commit crosses
// SQLite's threshold, so an alert never waits for it.
//
// `EnqueueOnce` (the AlertQueue interface, core/alert_queue.h) takes a keyed message at most once:
// streaming signals use it so that a batch replayed after a crash does not queue its alerts
// twice. Keys are forgotten with their message when it is pruned (`keep_delivered`).
//
// Delivery is at-least-once: a row is marked delivered only after the channel's `Send` returned
// ok, so a crash between the two sends that message again on the next pass (a repeat, never a
// loss). Processes sharing the data folder (`stockpipe run` and `stockpipe trends --once`) never
// send the same row at the same time: a pass claims due rows with a lease (owner + expiry) in one
// UPDATE, and only the owner may settle them. A claim outlives a crashed owner by at most `lease`.
//
// Channels that send a message in several parts (Telegram, Discord: notifier.h) resume where
// they stopped: each delivery row keeps the parts already accepted (`parts_sent`, recorded as
// each part is), so a retry sends no part twice. When a service answers "429, retry after N",
// that delivery and every other of the channel wait at least N (the channel's `paused_until`),
// whatever the backoff says.
//
// A delivery pass calls the channels on the caller's thread: a channel that hangs holds the pass
// for its own timeout (webhook 10 s, SMTP 30 s), which must stay below `lease`.
// One instance is safe to use from several threads (calls are serialised); each instance has its
// own SQLite connection. The channels must outlive the outbox.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/alert_queue.h"
#include "core/notifier.h"
#include "core/result.h"
#include "core/timestamp.h"
#include "sqlite/database.h"

namespace stockpipe {

struct OutboxOptions {
  std::string path;                                 // e.g. <data-dir>/outbox.db
  Micros retry_after = 30'000'000;                  // wait before the first retry
  Micros max_backoff = 15 * 60'000'000LL;           // the doubling stops here
  std::optional<Micros> give_up_after;              // none: pending until delivered
  Micros lease = 5 * 60'000'000LL;                  // longer than any channel's send timeout
  Micros keep_delivered = 7 * 24 * 3600'000'000LL;  // delivered rows older than this are pruned
  // Texts that must never reach a log or the database (webhook URL, SMTP password), each with
  // what replaces it in a channel's error message.
  std::vector<std::pair<std::string, std::string>> secrets;
  std::function<Micros()> clock = NowMicros;  // what `Send` calls "now"
  // kFull (default): a queued message survives power loss (an fsync per enqueue, ~4 ms on a VM
  // disk). kNormal, opt-in, trades that away: a queued message survives a killed process, but a
  // power cut may lose the messages queued in the last moments before it while the ingest
  // checkpoint that followed them survives: those alerts are lost, never sent.
  sqlite::Sync enqueue_sync = sqlite::Sync::kFull;
};

// What one `DeliverDue` pass did.
struct DeliveryReport {
  std::size_t delivered = 0;
  std::size_t failed = 0;    // attempts that failed (retried later, or given up)
  std::size_t deferred = 0;  // not tried: their channel had just failed in this pass
};

// One channel's deliveries, for `stockpipe health`.
struct ChannelHealth {
  std::string channel;
  bool failing = false;                // its last attempt failed
  std::uint64_t delivered = 0;         // ever (survives pruning)
  std::uint64_t pending = 0;           // waiting for a (re)try
  std::uint64_t given_up = 0;          // only with give_up_after
  Micros oldest_pending = 0;           // enqueue time of the oldest pending row; 0 = none
  std::uint64_t attempts = 0;          // sends tried, ever
  std::uint64_t failures = 0;          // of which failed
  std::uint64_t pending_attempts = 0;  // failed tries of the rows still pending
  std::string last_error;              // redacted
  Micros last_error_at = 0;
  Micros last_success = 0;
};

class Outbox final : public Notifier, public AlertQueue {
 public:
  // Opens (creating) the outbox file. `channels` are the configured channels; their names are
  // the delivery rows' channel names.
  static Result<std::unique_ptr<Outbox>> Open(OutboxOptions options,
                                              std::vector<Notifier*> channels);

  std::string_view Name() const override { return "outbox"; }
  // Enqueue (durable) at clock(), then DeliverDue(clock()). Fails only when enqueueing did.
  Status Send(const AlertMessage& message) override;

  // One delivery row per channel, in one synced transaction. Returns the message id.
  Result<std::int64_t> Enqueue(const AlertMessage& message, Micros now);
  // The same at clock(), unless a message with `key` is in the file already (then nothing is
  // written). True when queued by this call.
  Result<bool> EnqueueOnce(const AlertMessage& message, std::string_view key) override;
  // DeliverDue(clock()), its error logged.
  void DeliverQueued() override;
  // Sends every delivery of this outbox's channels that is due at `now`, oldest first.
  Result<DeliveryReport> DeliverDue(Micros now);
  // One entry per configured channel, then any other channel that still has rows in the file.
  Result<std::vector<ChannelHealth>> Health();
  // Drops delivered rows older than `keep_delivered` (also done by DeliverDue, hourly).
  Status Prune(Micros now);

  // The channel names of the configured channels, in order.
  std::vector<std::string> ChannelNames() const;
  // `text` with every secret replaced.
  std::string Redact(std::string text) const;

 private:
  struct Claimed;
  Outbox(OutboxOptions options, std::vector<Notifier*> channels,
         std::unique_ptr<sqlite::Database> db);
  // Inserts the message (with `key` unless empty) and its delivery rows, synced.
  Result<std::int64_t> Insert(const AlertMessage& message, Micros now, std::string_view key,
                              bool& inserted);
  Result<std::vector<Claimed>> Claim(Micros now);
  // `paused_until`: the channel's service asked not to be called before then (0: no ask).
  Status Settle(const Claimed& row, const Status& sent, const DeliveryProgress& progress,
                Micros now, Micros paused_until);
  void RecordProgress(const Claimed& row, std::size_t parts_sent);
  Status Defer(const Claimed& row, Micros until);
  Micros Backoff(std::int64_t failed_attempts) const;
  void CheckpointIfAbove(int pages);
  Notifier* ChannelNamed(std::string_view name) const;

  OutboxOptions options_;
  std::vector<Notifier*> channels_;
  std::unique_ptr<sqlite::Database> db_;
  std::string owner_;  // this instance's lease token
  Micros last_prune_ = 0;
  int wal_pages_ = 0;           // the WAL's size after our last commit (sqlite3_wal_hook)
  std::recursive_mutex mutex_;  // Send holds it across Enqueue and DeliverDue
};

// The channels' health from an open outbox database (read-only is enough), in one snapshot:
// `configured` first (zeros when they have no rows yet), then any other channel that still holds
// undelivered rows.
Result<std::vector<ChannelHealth>> ReadChannelHealth(sqlite::Database& db,
                                                     const std::vector<std::string>& configured);

// Reads the channels' health from an outbox file without sending anything (for `health`):
// `configured` first (zeros when they have no rows yet), then any other channel in the file.
Result<std::vector<ChannelHealth>> ReadOutboxHealth(const std::string& path,
                                                    const std::vector<std::string>& configured);

}  // namespace stockpipe
