#include "alerts/outbox/outbox.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include "core/log.h"

namespace stockpipe {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS messages(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  created INTEGER NOT NULL,
  enqueued INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id INTEGER NOT NULL,
  channel TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  last_attempt INTEGER,
  delivered_at INTEGER,
  parts_sent INTEGER NOT NULL DEFAULT 0,
  UNIQUE(message_id, channel));
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_attempt);
CREATE TABLE IF NOT EXISTS channels(
  channel TEXT PRIMARY KEY,
  delivered INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  failing INTEGER NOT NULL DEFAULT 0,
  last_success INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  last_error_at INTEGER NOT NULL DEFAULT 0,
  paused_until INTEGER NOT NULL DEFAULT 0);
)sql";

// At most this many rows per claim, and claims per pass: a long backlog drains over several
// passes instead of holding one pass (and `stockpipe run`'s loop) for minutes.
constexpr int kClaimBatch = 64;
constexpr int kClaimsPerPass = 8;
constexpr Micros kPruneEvery = 3600'000'000LL;
// SQLite's own autocheckpoint threshold, and a bound for callers that only ever enqueue.
constexpr int kCheckpointPages = 1000;
constexpr int kCheckpointPagesOnEnqueue = 8 * kCheckpointPages;

// Columns later versions added, with their definitions: keyed messages (EnqueueOnce), a
// multi-part delivery's progress, and a channel's pause after a "429 retry after".
struct AddedColumn {
  std::string_view table, column, definition;
};
constexpr AddedColumn kAddedColumns[] = {
    {"messages", "dedup_key", "TEXT"},
    {"deliveries", "parts_sent", "INTEGER NOT NULL DEFAULT 0"},
    {"channels", "paused_until", "INTEGER NOT NULL DEFAULT 0"},
};
constexpr std::string_view kMessageKeyIndex =
    "CREATE UNIQUE INDEX IF NOT EXISTS messages_key ON messages(dedup_key) "
    "WHERE dedup_key IS NOT NULL";

bool HasColumn(sqlite::Database& db, const AddedColumn& c, Status& error) {
  auto has = db.Prepare(
      fmt::format("SELECT 1 FROM pragma_table_info('{}') WHERE name='{}'", c.table, c.column));
  if (!has) {
    error = has.status();
    return false;
  }
  const int rc = has->Step();
  if (rc != SQLITE_ROW) error = db.Check(rc, "read the outbox schema");
  return rc == SQLITE_ROW;
}

bool SchemaIsCurrent(sqlite::Database& db) {
  Status error;
  for (const AddedColumn& c : kAddedColumns) {
    if (!HasColumn(db, c, error)) return false;
  }
  auto index = db.Prepare("SELECT 1 FROM sqlite_master WHERE type='index' AND name='messages_key'");
  return index && index->Step() == SQLITE_ROW;
}

// Files made by earlier versions get the new columns in the same transaction as the check, so
// two processes opening an old file at once do not both add them. A current file takes no write
// lock here (`stockpipe health` only reads).
Status MigrateSchema(sqlite::Database& db) {
  if (SchemaIsCurrent(db)) return Status::Ok();
  return sqlite::Transaction(db, [&]() -> Status {
    for (const AddedColumn& c : kAddedColumns) {
      Status error;
      if (HasColumn(db, c, error)) continue;
      if (!error.ok()) return error;
      if (Status s = db.Exec(
              fmt::format("ALTER TABLE {} ADD COLUMN {} {}", c.table, c.column, c.definition));
          !s.ok()) {
        return s;
      }
    }
    return db.Exec(kMessageKeyIndex);
  });
}

Result<std::unique_ptr<sqlite::Database>> OpenDatabase(const std::string& path) {
  // NORMAL for the bookkeeping; Insert raises it for the enqueue itself (see outbox.h).
  auto db = sqlite::Database::Open(path, true, sqlite::Sync::kNormal);
  if (!db) return db.status();
  if (Status s = (*db)->Exec(kSchema); !s.ok()) return s;
  if (Status s = MigrateSchema(**db); !s.ok()) return s;
  return std::move(*db);
}

MessageKind KindFrom(std::string_view name) {
  if (name == "no_data") return MessageKind::kNoData;
  if (name == "recovered") return MessageKind::kRecovered;
  return MessageKind::kSignals;
}

std::string NewOwner() {
  std::random_device rd;
  return fmt::format("{}-{:08x}{:08x}", ::getpid(), rd(), rd());
}

}  // namespace

struct Outbox::Claimed {
  std::int64_t id = 0;
  std::int64_t message_id = 0;
  std::string channel;
  std::int64_t attempts = 0;    // before this one
  std::int64_t parts_sent = 0;  // of a multi-part message, by earlier attempts
  Micros enqueued = 0;
  AlertMessage message;
};

Result<std::unique_ptr<Outbox>> Outbox::Open(OutboxOptions options,
                                             std::vector<Notifier*> channels) {
  if (options.retry_after <= 0) return Status::Error("the outbox retry_after must be positive");
  auto db = OpenDatabase(options.path);
  if (!db) return db.status();
  // Longest first, so a whole URL is replaced before the path inside it.
  std::erase_if(options.secrets, [](const auto& s) { return s.first.empty(); });
  std::sort(options.secrets.begin(), options.secrets.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  return std::unique_ptr<Outbox>(
      new Outbox(std::move(options), std::move(channels), std::move(*db)));
}

Outbox::Outbox(OutboxOptions options, std::vector<Notifier*> channels,
               std::unique_ptr<sqlite::Database> db)
    : options_(std::move(options)),
      channels_(std::move(channels)),
      db_(std::move(db)),
      owner_(NewOwner()) {
  // Replaces the autocheckpoint: commits only note the WAL's size (see CheckpointIfAbove).
  sqlite3_wal_hook(
      db_->handle(),
      [](void* self, sqlite3*, const char*, int pages) {
        static_cast<Outbox*>(self)->wal_pages_ = pages;
        return SQLITE_OK;
      },
      this);
}

void Outbox::CheckpointIfAbove(int pages) {
  if (wal_pages_ < pages) return;
  // PASSIVE: never waits for readers; what it could not copy waits for the next pass.
  const int rc = sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                           nullptr, nullptr);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    spdlog::warn("alerts: {}: checkpoint failed: {}", db_->path(), sqlite3_errmsg(db_->handle()));
  }
  wal_pages_ = 0;
}

std::vector<std::string> Outbox::ChannelNames() const {
  std::vector<std::string> names;
  for (Notifier* c : channels_) names.emplace_back(c->Name());
  return names;
}

Notifier* Outbox::ChannelNamed(std::string_view name) const {
  for (Notifier* c : channels_) {
    if (c->Name() == name) return c;
  }
  return nullptr;
}

std::string Outbox::Redact(std::string text) const {
  for (const auto& [secret, replacement] : options_.secrets) {
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + replacement.size())) {
      text.replace(at, secret.size(), replacement);
    }
  }
  return text;
}

Micros Outbox::Backoff(std::int64_t failed_attempts) const {
  Micros delay = options_.retry_after;
  for (std::int64_t i = 1; i < failed_attempts && delay < options_.max_backoff; ++i) delay *= 2;
  return std::max<Micros>(1, std::min(delay, std::max(options_.max_backoff, options_.retry_after)));
}

Status Outbox::Send(const AlertMessage& message) {
  std::lock_guard lock(mutex_);
  auto id = Enqueue(message, options_.clock());
  if (!id) return id.status();
  // Delivery problems are the outbox's to retry, not the caller's: the message is safe.
  DeliverQueued();
  return Status::Ok();
}

Result<std::int64_t> Outbox::Enqueue(const AlertMessage& message, Micros now) {
  std::lock_guard lock(mutex_);
  bool inserted = false;
  return Insert(message, now, {}, inserted);
}

Result<bool> Outbox::EnqueueOnce(const AlertMessage& message, std::string_view key) {
  std::lock_guard lock(mutex_);
  bool inserted = false;
  auto id = Insert(message, options_.clock(), key, inserted);
  if (!id) return id.status();
  return inserted;
}

void Outbox::DeliverQueued() {
  if (auto report = DeliverDue(options_.clock()); !report) {
    spdlog::error("alerts: outbox delivery pass failed (alerts stay queued): {}", report.error());
  }
}

Result<std::int64_t> Outbox::Insert(const AlertMessage& message, Micros now, std::string_view key,
                                    bool& inserted) {
  inserted = false;
  if (channels_.empty()) return std::int64_t{0};
  const bool full = options_.enqueue_sync == sqlite::Sync::kFull;
  // The connection syncs only this commit: the message is the one write that must outlive power
  // loss.
  if (full) {
    if (Status s = db_->Exec("PRAGMA synchronous=FULL"); !s.ok()) return s;
  }
  std::int64_t id = 0;
  Status s = sqlite::Transaction(*db_, [&]() -> Status {
    if (!key.empty()) {
      auto known = db_->Prepare("SELECT id FROM messages WHERE dedup_key=?");
      if (!known) return known.status();
      known->Bind(1, key);
      const int rc = known->Step();
      if (rc == SQLITE_ROW) {
        id = known->Int(0);
        return Status::Ok();
      }
      if (Status st = db_->Check(rc, "look for a queued alert"); !st.ok()) return st;
    }
    auto insert = db_->Prepare(
        "INSERT INTO messages(kind, subject, body, created, enqueued, dedup_key) "
        "VALUES(?,?,?,?,?,?)");
    if (!insert) return insert.status();
    insert->Bind(1, KindName(message.kind))
        .Bind(2, message.subject)
        .Bind(3, message.body)
        .Bind(4, static_cast<std::int64_t>(message.created))
        .Bind(5, static_cast<std::int64_t>(now));
    if (!key.empty()) insert->Bind(6, key);
    if (Status st = db_->Check(insert->Step(), "enqueue alert"); !st.ok()) return st;
    id = sqlite3_last_insert_rowid(db_->handle());
    auto row =
        db_->Prepare("INSERT INTO deliveries(message_id, channel, next_attempt) VALUES(?,?,?)");
    if (!row) return row.status();
    for (Notifier* channel : channels_) {
      row->Reset();
      row->Bind(1, id).Bind(2, channel->Name()).Bind(3, static_cast<std::int64_t>(now));
      if (Status st = db_->Check(row->Step(), "enqueue alert delivery"); !st.ok()) return st;
    }
    inserted = true;
    return Status::Ok();
  });
  if (full) {
    if (Status back = db_->Exec("PRAGMA synchronous=NORMAL"); !back.ok() && s.ok()) s = back;
  }
  if (!s.ok()) {
    inserted = false;
    return Status::Error(fmt::format("cannot queue the alert: {}", s.message()));
  }
  CheckpointIfAbove(kCheckpointPagesOnEnqueue);
  return id;
}

Result<std::vector<Outbox::Claimed>> Outbox::Claim(Micros now) {
  std::string placeholders;
  for (std::size_t i = 0; i < channels_.size(); ++i) placeholders += i ? ",?" : "?";
  // One statement: the claim is atomic, so two processes never hold the same row.
  auto claim = db_->Prepare(fmt::format(
      "UPDATE deliveries SET lease_owner=?1, lease_until=?2 WHERE id IN ("
      "SELECT id FROM deliveries WHERE state='pending' AND next_attempt<=?3 AND lease_until<=?3 "
      "AND channel IN ({}) AND channel NOT IN (SELECT channel FROM channels WHERE "
      "paused_until>?3) ORDER BY id LIMIT {}) RETURNING id, message_id, channel, attempts, "
      "parts_sent",
      placeholders, kClaimBatch));
  if (!claim) return claim.status();
  claim->Bind(1, owner_)
      .Bind(2, static_cast<std::int64_t>(now + options_.lease))
      .Bind(3, static_cast<std::int64_t>(now));
  for (std::size_t i = 0; i < channels_.size(); ++i) {
    claim->Bind(static_cast<int>(i) + 4, channels_[i]->Name());
  }
  std::vector<Claimed> rows;
  int rc;
  // Most passes find nothing due: a read answers that without taking the write lock.
  // A channel whose service asked not to be called yet (HTTP 429) is not due either.
  auto due = db_->Prepare(
      "SELECT 1 FROM deliveries WHERE state='pending' AND next_attempt<=?1 AND lease_until<=?1 "
      "AND channel NOT IN (SELECT channel FROM channels WHERE paused_until>?1) LIMIT 1");
  if (!due) return due.status();
  due->Bind(1, static_cast<std::int64_t>(now));
  if ((rc = due->Step()) != SQLITE_ROW) {
    if (Status s = db_->Check(rc, "look for due alerts"); !s.ok()) return s;
    return rows;
  }
  // Ends the read transaction: upgrading it to write after another process committed would fail
  // at once (SQLITE_BUSY, no waiting), where a fresh write waits for the lock.
  due->Reset();
  while ((rc = claim->Step()) == SQLITE_ROW) {
    Claimed row;
    row.id = claim->Int(0);
    row.message_id = claim->Int(1);
    row.channel = std::string(claim->Text(2));
    row.attempts = claim->Int(3);
    row.parts_sent = claim->Int(4);
    rows.push_back(std::move(row));
  }
  if (Status s = db_->Check(rc, "claim due alerts"); !s.ok()) return s;
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  auto read =
      db_->Prepare("SELECT kind, subject, body, created, enqueued FROM messages WHERE id=?");
  if (!read) return read.status();
  for (Claimed& row : rows) {
    read->Reset();
    read->Bind(1, row.message_id);
    rc = read->Step();
    if (rc != SQLITE_ROW) {
      if (Status s = db_->Check(rc, "read queued alert"); !s.ok()) return s;
      return Status::Error(fmt::format("{}: queued alert {} has no message (damaged outbox?)",
                                       db_->path(), row.message_id));
    }
    row.message = {KindFrom(read->Text(0)), std::string(read->Text(1)), std::string(read->Text(2)),
                   read->Int(3)};
    row.enqueued = read->Int(4);
    read->Reset();
  }
  return rows;
}

Status Outbox::Settle(const Claimed& row, const Status& sent, const DeliveryProgress& progress,
                      Micros now, Micros paused_until) {
  const std::int64_t attempt = row.attempts + 1;
  const std::string error = sent.ok() ? "" : Redact(sent.message());
  const Micros next = std::max(now + Backoff(attempt), paused_until);
  const bool give_up =
      !sent.ok() && options_.give_up_after && now - row.enqueued >= *options_.give_up_after;
  bool still_ours = true;
  Status s = sqlite::Transaction(*db_, [&]() -> Status {
    auto update =
        sent.ok()
            ? db_->Prepare(
                  "UPDATE deliveries SET state='delivered', attempts=attempts+1, last_attempt=?1, "
                  "delivered_at=?1, last_error=NULL, lease_owner=NULL, lease_until=0 "
                  "WHERE id=?2 AND lease_owner=?3")
            : db_->Prepare(
                  "UPDATE deliveries SET state=?4, attempts=attempts+1, last_attempt=?1, "
                  "last_error=?5, next_attempt=?6, parts_sent=max(parts_sent, ?7), "
                  "lease_owner=NULL, lease_until=0 WHERE id=?2 AND lease_owner=?3");
    if (!update) return update.status();
    update->Bind(1, static_cast<std::int64_t>(now)).Bind(2, row.id).Bind(3, owner_);
    if (!sent.ok()) {
      update->Bind(4, std::string_view(give_up ? "given_up" : "pending"))
          .Bind(5, error)
          .Bind(6, static_cast<std::int64_t>(next))
          .Bind(7, static_cast<std::int64_t>(progress.parts_sent));
    }
    if (Status st = db_->Check(update->Step(), "record alert delivery"); !st.ok()) return st;
    still_ours = sqlite3_changes(db_->handle()) == 1;
    // Counters live apart from the rows so they survive pruning.
    auto stats = db_->Prepare(
        "INSERT INTO channels(channel, delivered, attempts, failures, failing, last_success, "
        "last_error, last_error_at, paused_until) VALUES(?1, ?2, 1, ?3, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT(channel) DO UPDATE SET delivered=delivered+excluded.delivered, "
        "attempts=attempts+1, failures=failures+excluded.failures, failing=excluded.failing, "
        "last_success=max(last_success, excluded.last_success), "
        "last_error=CASE WHEN excluded.failures THEN excluded.last_error ELSE last_error END, "
        "last_error_at=max(last_error_at, excluded.last_error_at), "
        "paused_until=max(paused_until, excluded.paused_until)");
    if (!stats) return stats.status();
    stats->Bind(1, row.channel)
        .Bind(2, std::int64_t{sent.ok() ? 1 : 0})
        .Bind(3, std::int64_t{sent.ok() ? 0 : 1})
        .Bind(4, static_cast<std::int64_t>(sent.ok() ? now : 0))
        .Bind(5, error)
        .Bind(6, static_cast<std::int64_t>(sent.ok() ? 0 : now))
        .Bind(7, static_cast<std::int64_t>(paused_until));
    return db_->Check(stats->Step(), "record channel health");
  });
  if (!s.ok()) return s;
  if (!still_ours) {
    // Our lease ran out during the send and another process took the row: it may send it again.
    spdlog::warn("alerts: {}: message {} took longer than the outbox lease; it may be sent twice",
                 row.channel, row.message_id);
  }
  if (sent.ok()) {
    log::Info("alert sent", {{"channel", row.channel},
                             {"message_id", row.message_id},
                             {"kind", KindName(row.message.kind)},
                             {"subject", row.message.subject},
                             {"failed_attempts", row.attempts}});
  } else if (give_up) {
    log::Error("alert given up", {{"channel", row.channel},
                                  {"message_id", row.message_id},
                                  {"kind", KindName(row.message.kind)},
                                  {"attempts", attempt},
                                  {"error", error}});
  } else {
    log::Warn("alert not taken, will retry", {{"channel", row.channel},
                                              {"message_id", row.message_id},
                                              {"kind", KindName(row.message.kind)},
                                              {"attempt", attempt},
                                              {"parts_sent", progress.parts_sent},
                                              {"next_try", FormatCanonical(next)},
                                              {"error", error}});
  }
  return Status::Ok();
}

void Outbox::RecordProgress(const Claimed& row, std::size_t parts_sent) {
  auto update = db_->Prepare(
      "UPDATE deliveries SET parts_sent=max(parts_sent, ?1) WHERE id=?2 AND lease_owner=?3");
  Status s = update.status();
  if (update) {
    update->Bind(1, static_cast<std::int64_t>(parts_sent)).Bind(2, row.id).Bind(3, owner_);
    s = db_->Check(update->Step(), "record the parts sent");
  }
  // Only a crash before Settle would then repeat those parts: worth a warning, not a failure.
  if (!s.ok()) spdlog::warn("alerts: {}: {}", row.channel, s.message());
}

Status Outbox::Defer(const Claimed& row, Micros until) {
  auto update = db_->Prepare(
      "UPDATE deliveries SET next_attempt=max(next_attempt, ?1), lease_owner=NULL, lease_until=0 "
      "WHERE id=?2 AND lease_owner=?3");
  if (!update) return update.status();
  update->Bind(1, static_cast<std::int64_t>(until)).Bind(2, row.id).Bind(3, owner_);
  return db_->Check(update->Step(), "defer alert delivery");
}

Result<DeliveryReport> Outbox::DeliverDue(Micros now) {
  std::lock_guard lock(mutex_);
  DeliveryReport report;
  if (channels_.empty()) return report;
  // A channel that just failed is not sent the rest of its queue in this pass: it waits as long
  // as the row that failed.
  std::map<std::string, Micros, std::less<>> failed_until;
  for (int pass = 0; pass < kClaimsPerPass; ++pass) {
    auto rows = Claim(now);
    if (!rows) return rows.status();
    if (rows->empty()) break;
    for (const Claimed& row : *rows) {
      Notifier* channel = ChannelNamed(row.channel);
      if (auto f = failed_until.find(row.channel); f != failed_until.end() || !channel) {
        const Micros until = f != failed_until.end() ? f->second : now + Backoff(1);
        if (Status s = Defer(row, until); !s.ok()) return s;
        ++report.deferred;
        continue;
      }
      DeliveryProgress progress;
      progress.parts_sent = static_cast<std::size_t>(std::max<std::int64_t>(0, row.parts_sent));
      progress.on_part = [&](std::size_t parts) { RecordProgress(row, parts); };
      const Micros started = options_.clock();
      const Status sent = channel->Resume(row.message, progress);
      // The service's "retry after" counts from its answer, which came this long after `now`.
      const Micros answered = now + std::max<Micros>(0, options_.clock() - started);
      const Micros paused_until =
          !sent.ok() && progress.retry_after > 0 ? answered + progress.retry_after : 0;
      if (Status s = Settle(row, sent, progress, now, paused_until); !s.ok()) return s;
      if (sent.ok()) {
        ++report.delivered;
      } else {
        ++report.failed;
        failed_until[row.channel] = std::max(now + Backoff(row.attempts + 1), paused_until);
      }
    }
  }
  if (now - last_prune_ >= kPruneEvery) {
    if (Status s = Prune(now); !s.ok()) spdlog::warn("alerts: {}", s.message());
  }
  CheckpointIfAbove(kCheckpointPages);
  return report;
}

Status Outbox::Prune(Micros now) {
  std::lock_guard lock(mutex_);
  last_prune_ = now;
  return sqlite::Transaction(*db_, [&]() -> Status {
    auto drop = db_->Prepare("DELETE FROM deliveries WHERE state='delivered' AND delivered_at<?");
    if (!drop) return drop.status();
    drop->Bind(1, static_cast<std::int64_t>(now - options_.keep_delivered));
    if (Status s = db_->Check(drop->Step(), "prune delivered alerts"); !s.ok()) return s;
    return db_->Exec(
        "DELETE FROM messages WHERE NOT EXISTS "
        "(SELECT 1 FROM deliveries d WHERE d.message_id=messages.id)");
  });
}

Result<std::vector<ChannelHealth>> Outbox::Health() {
  std::lock_guard lock(mutex_);
  return ReadChannelHealth(*db_, ChannelNames());
}

Result<std::vector<ChannelHealth>> ReadOutboxHealth(const std::string& path,
                                                    const std::vector<std::string>& configured) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::vector<ChannelHealth> out;
    for (const std::string& name : configured) {
      out.emplace_back();
      out.back().channel = name;
    }
    return out;
  }
  // Read-only: a read-write connection closing last would checkpoint a WAL that a killed
  // pipeline left, changing the file `health` only looks at.
  auto db = sqlite::Database::Open(path, /*create=*/false, sqlite::Sync::kNormal,
                                   /*read_only=*/true);
  if (!db) return db.status();
  return ReadChannelHealth(**db, configured);
}

Result<std::vector<ChannelHealth>> ReadChannelHealth(sqlite::Database& db,
                                                     const std::vector<std::string>& configured) {
  std::map<std::string, ChannelHealth> by_name;
  Status read = sqlite::Transaction(
      db,
      [&]() -> Status {
        auto rows = db.Prepare(
            "SELECT d.channel, SUM(d.state='pending'), SUM(d.state='given_up'), "
            "MIN(CASE WHEN d.state='pending' THEN m.enqueued END), "
            "SUM(CASE WHEN d.state='pending' THEN d.attempts ELSE 0 END) "
            "FROM deliveries d JOIN messages m ON m.id=d.message_id GROUP BY d.channel");
        if (!rows) return rows.status();
        int rc;
        while ((rc = rows->Step()) == SQLITE_ROW) {
          ChannelHealth& h = by_name[std::string(rows->Text(0))];
          h.pending = static_cast<std::uint64_t>(rows->Int(1));
          h.given_up = static_cast<std::uint64_t>(rows->Int(2));
          h.oldest_pending = rows->IsNull(3) ? 0 : rows->Int(3);
          h.pending_attempts = static_cast<std::uint64_t>(rows->Int(4));
        }
        if (Status s = db.Check(rc, "read outbox deliveries"); !s.ok()) return s;
        auto stats = db.Prepare(
            "SELECT channel, delivered, attempts, failures, failing, last_success, last_error, "
            "last_error_at FROM channels");
        if (!stats) return stats.status();
        while ((rc = stats->Step()) == SQLITE_ROW) {
          ChannelHealth& h = by_name[std::string(stats->Text(0))];
          h.delivered = static_cast<std::uint64_t>(stats->Int(1));
          h.attempts = static_cast<std::uint64_t>(stats->Int(2));
          h.failures = static_cast<std::uint64_t>(stats->Int(3));
          h.failing = stats->Int(4) != 0;
          h.last_success = stats->Int(5);
          h.last_error = std::string(stats->Text(6));
          h.last_error_at = stats->Int(7);
        }
        return db.Check(rc, "read outbox channels");
      },
      "BEGIN");
  if (!read.ok()) return read;
  std::vector<ChannelHealth> out;
  for (const std::string& name : configured) {
    auto it = by_name.find(name);
    out.push_back(it == by_name.end() ? ChannelHealth{} : it->second);
    out.back().channel = name;
    if (it != by_name.end()) by_name.erase(it);
  }
  // A channel no longer configured may still hold undelivered alerts: show it, never hide it.
  for (auto& [name, h] : by_name) {
    if (h.pending == 0 && h.given_up == 0) continue;
    h.channel = name;
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace stockpipe
