#include "serve/dashboard_stores.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "store/sqlite/sqlite_clean_store.h"
#include "store/sqlite/ticks_table.h"
#include "stream/local/sqlite_stream.h"

namespace stockpipe::serve {
namespace {

Micros ParseCanonical(std::string_view text) {
  return ParseTimestampText(text).value_or(0);
}

// Reads every row of `q` into points (columns: canonical timestamp, price).
Result<std::vector<PricePoint>> ReadPoints(sqlite::Database& db, sqlite::Statement& q,
                                           std::string_view what) {
  std::vector<PricePoint> points;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    points.push_back({ParseCanonical(q.Text(0)), q.Double(1)});
  }
  if (Status s = db.Check(rc, what); !s.ok()) return s;
  return points;
}

// The identity of the file at `path` and of its current contents, or "" when it is absent.
std::string FileVersion(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  return fmt::format("{}:{}:{}:{}.{}", st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec,
                     st.st_mtim.tv_nsec);
}

}  // namespace

ReadOnlyFile ReadOnlyFile::Clean(std::string path) {
  return ReadOnlyFile(std::move(path), "symbols",
                      [](sqlite3* db) { return RegisterTicksTable(db); });
}

Result<sqlite::Database*> ReadOnlyFile::Get() {
  std::error_code ec;
  // An immutable connection is blind to any writer: one that started since (a -wal appeared) or
  // one that came and went (the main file changed). Either way, read through a new connection.
  if (db_ && db_->immutable() &&
      (std::filesystem::exists(path_ + "-wal", ec) || FileVersion(path_) != opened_as_)) {
    statements_.clear();
    db_.reset();
  }
  if (db_) return db_.get();
  if (!std::filesystem::exists(path_, ec)) return static_cast<sqlite::Database*>(nullptr);
  const std::string version = FileVersion(path_);
  auto db = sqlite::Database::Open(path_, /*create=*/false, sqlite::Sync::kNormal,
                                   /*read_only=*/true);
  if (!db) return db.status();
  if (setup_) {
    if (Status s = setup_((*db)->handle()); !s.ok()) return s;
  }
  // The writer creates the file and then its tables: between the two it is not ours to read.
  auto has = (*db)->Prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
  if (!has) return has.status();
  has->Bind(1, std::string_view(table_));
  const int rc = has->Step();
  if (rc != SQLITE_ROW) {
    if (Status s = (*db)->Check(rc, "read the schema"); !s.ok()) return s;
    return static_cast<sqlite::Database*>(nullptr);
  }
  db_ = std::move(*db);
  opened_as_ = version;
  ++opens_;
  return db_.get();
}

Result<sqlite::Statement*> ReadOnlyFile::Prepared(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    auto q = db_->Prepare(sql);
    if (!q) return q.status();
    it = statements_.emplace(std::string(sql), std::move(*q)).first;
  }
  return &it->second;
}

Result<ReadOnlyFile::Seen> ReadOnlyFile::Version() {
  auto q = Prepared("PRAGMA data_version");
  if (!q) return q.status();
  sqlite::Statement& data_version = **q;
  const int rc = data_version.Step();
  const Seen seen{opens_, rc == SQLITE_ROW ? data_version.Int(0) : 0};
  Status failed = db_->Check(rc, "read the data version");
  data_version.Reset();
  if (!failed.ok()) return failed;
  return seen;
}

DataFolder::DataFolder(const std::string& data_dir, std::vector<Interval> intervals)
    : stream_(data_dir + "/stream.db", "counters"),
      clean_(ReadOnlyFile::Clean(data_dir + "/clean.db")),
      state_(data_dir + "/state.db", "state"),
      outbox_(data_dir + "/outbox.db", "channels"),
      intervals_(std::move(intervals)) {}

Result<StreamNumbers> DataFolder::Stream(std::string_view consumer) {
  StreamNumbers out;
  auto db = stream_.Get();
  if (!db) return db.status();
  if (!*db) return out;
  auto seen = stream_.Version();
  if (!seen) return seen.status();
  if (stream_numbers_.seen == *seen && stream_numbers_.value.first == consumer) {
    return stream_numbers_.value.second;
  }
  auto stats = SqliteStream::ReadStats(**db, consumer);
  if (!stats) return stats.status();
  out.shards = stats->shards.size();
  for (const ShardStats& shard : stats->shards) {
    out.lag_records += shard.lag_records;
    const Micros pending = shard.oldest_pending_arrival;
    if (pending > 0 && (out.oldest_pending == 0 || pending < out.oldest_pending)) {
      out.oldest_pending = pending;
    }
  }
  out.last_put = stats->last_put;
  out.counts = stats->counts;
  stream_numbers_ = {*seen, {std::string(consumer), out}};
  return out;
}

Result<const DataFolder::SymbolList*> DataFolder::SymbolsKept() {
  static const SymbolList kNone;
  auto db = clean_.Get();
  if (!db) return db.status();
  if (!*db) return &kNone;
  auto seen = clean_.Version();
  if (!seen) return seen.status();
  if (symbols_.seen == *seen) return &symbols_.value;
  SymbolList list;
  auto q = (*db)->Prepare("SELECT symbol, rows, newest FROM symbols ORDER BY symbol");
  if (!q) return q.status();
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    const auto rows = static_cast<std::uint64_t>(q->Int(1));
    list.symbols.push_back({std::string(q->Text(0)), rows, ParseCanonical(q->Text(2))});
    list.totals.rows += rows;
  }
  if (Status s = (*db)->Check(rc, "list the CLEAN symbols"); !s.ok()) return s;
  list.totals.symbols = list.symbols.size();
  symbols_ = {*seen, std::move(list)};
  return &symbols_.value;
}

Result<std::vector<SymbolSummary>> DataFolder::Symbols() {
  auto list = SymbolsKept();
  if (!list) return list.status();
  return (*list)->symbols;
}

Result<SymbolTotals> DataFolder::Totals() {
  auto list = SymbolsKept();
  if (!list) return list.status();
  return (*list)->totals;
}

Result<bool> DataFolder::HasSymbol(std::string_view symbol) {
  auto list = SymbolsKept();
  if (!list) return list.status();
  // ORDER BY symbol is SQLite's BINARY collation, memcmp order: the order of std::string.
  const std::vector<SymbolSummary>& symbols = (*list)->symbols;
  const auto it = std::lower_bound(
      symbols.begin(), symbols.end(), symbol,
      [](const SymbolSummary& s, std::string_view name) { return s.symbol < name; });
  return it != symbols.end() && it->symbol == symbol;
}

Result<std::optional<double>> DataFolder::LastPrice(std::string_view symbol) {
  auto db = clean_.Get();
  if (!db) return db.status();
  if (!*db) return std::optional<double>();
  // Prepared once: /api/symbols asks for every symbol's (10,000 prepares were most of its time).
  auto q =
      clean_.Prepared("SELECT price FROM ticks WHERE symbol=? ORDER BY timestamp DESC LIMIT 1");
  if (!q) return q.status();
  sqlite::Statement& last = **q;
  last.Bind(1, symbol);
  const int rc = last.Step();
  std::optional<double> price;
  if (rc == SQLITE_ROW) price = last.Double(0);
  Status failed = (*db)->Check(rc, "read the last price");
  last.Reset();
  if (!failed.ok()) return failed;
  return price;
}

Result<std::vector<PricePoint>> DataFolder::Newest(std::string_view symbol,
                                                   std::optional<Micros> from,
                                                   std::optional<Micros> to, std::size_t n) {
  auto db = clean_.Get();
  if (!db) return db.status();
  if (!*db) return std::vector<PricePoint>();
  // Canonical text sorts as time, so the bounds compare as text on the primary key.
  auto q = (*db)->Prepare(
      "SELECT timestamp, price FROM ticks WHERE symbol=?1 AND (?2 = '' OR timestamp >= ?2) "
      "AND (?3 = '' OR timestamp <= ?3) ORDER BY timestamp DESC LIMIT ?4");
  if (!q) return q.status();
  q->Bind(1, symbol)
      .Bind(2, from ? FormatCanonical(*from) : "")
      .Bind(3, to ? FormatCanonical(*to) : "")
      .Bind(4, static_cast<std::int64_t>(n));
  auto points = ReadPoints(**db, *q, "read the series");
  if (points) std::reverse(points->begin(), points->end());
  return points;
}

Result<std::vector<PricePoint>> DataFolder::Before(std::string_view symbol, Micros before,
                                                   std::optional<Micros> from, std::size_t n) {
  auto db = clean_.Get();
  if (!db) return db.status();
  if (!*db || n == 0) return std::vector<PricePoint>();
  auto q = (*db)->Prepare(
      "SELECT timestamp, price FROM ticks WHERE symbol=?1 AND timestamp < ?2 "
      "AND (?3 = '' OR timestamp >= ?3) ORDER BY timestamp DESC LIMIT ?4");
  if (!q) return q.status();
  q->Bind(1, symbol)
      .Bind(2, FormatCanonical(before))
      .Bind(3, from ? FormatCanonical(*from) : "")
      .Bind(4, static_cast<std::int64_t>(n));
  auto points = ReadPoints(**db, *q, "read the points before the series");
  if (points) std::reverse(points->begin(), points->end());
  return points;
}

Result<std::vector<Interval>> DataFolder::CandleIntervals() {
  auto db = clean_.Get();
  if (!db) return db.status();
  if (!*db) return intervals_;
  auto kept = SqliteCleanStore::ReadIntervals(**db);
  if (!kept) return kept.status();
  if (kept->empty()) return intervals_;
  return kept;
}

Result<std::vector<Candle>> DataFolder::Candles(const CandleQuery& query) {
  auto db = clean_.Get();
  if (!db) return db.status();
  if (!*db) return std::vector<Candle>();
  return SqliteCleanStore::ReadCandles(**db, query);
}

Result<std::optional<std::string>> DataFolder::State(std::string_view key) {
  auto db = state_.Get();
  if (!db) return db.status();
  if (!*db) return std::optional<std::string>();
  auto seen = state_.Version();
  if (!seen) return seen.status();
  // The dashboard asks for two keys; the bound only keeps an odd caller from growing the map.
  if (state_values_.seen != *seen || state_values_.value.size() >= 16) {
    state_values_ = {*seen, {}};
  }
  if (auto it = state_values_.value.find(key); it != state_values_.value.end()) return it->second;
  auto q = (*db)->Prepare("SELECT value FROM state WHERE key=?");
  if (!q) return q.status();
  q->Bind(1, key);
  const int rc = q->Step();
  std::optional<std::string> value;
  if (rc == SQLITE_ROW) {
    value = std::string(q->Text(0));
  } else if (Status s = (*db)->Check(rc, "read the state"); !s.ok()) {
    return s;
  }
  state_values_.value.emplace(std::string(key), value);
  return value;
}

Result<std::vector<AlertRow>> DataFolder::Alerts(std::size_t limit, std::int64_t after_id) {
  std::vector<AlertRow> out;
  auto db = outbox_.Get();
  if (!db) return db.status();
  if (!*db) return out;
  sqlite::Database& d = **db;
  Status s = sqlite::Transaction(
      d,
      [&]() -> Status {
        auto messages = d.Prepare(
            "SELECT id, kind, subject, body, created FROM messages WHERE id > ? "
            "ORDER BY id DESC LIMIT ?");
        if (!messages) return messages.status();
        messages->Bind(1, after_id).Bind(2, static_cast<std::int64_t>(limit));
        int rc;
        while ((rc = messages->Step()) == SQLITE_ROW) {
          out.push_back({messages->Int(0),
                         std::string(messages->Text(1)),
                         std::string(messages->Text(2)),
                         std::string(messages->Text(3)),
                         messages->Int(4),
                         {}});
        }
        if (Status e = d.Check(rc, "read the alert messages"); !e.ok()) return e;
        auto deliveries = d.Prepare(
            "SELECT channel, state, attempts FROM deliveries WHERE message_id=? ORDER BY id");
        if (!deliveries) return deliveries.status();
        for (AlertRow& row : out) {
          deliveries->Reset();
          deliveries->Bind(1, row.id);
          while ((rc = deliveries->Step()) == SQLITE_ROW) {
            row.deliveries.push_back({std::string(deliveries->Text(0)),
                                      std::string(deliveries->Text(1)), deliveries->Int(2)});
          }
          if (Status e = d.Check(rc, "read the alert deliveries"); !e.ok()) return e;
        }
        return Status::Ok();
      },
      "BEGIN");
  if (!s.ok()) return s;
  return out;
}

Result<std::int64_t> DataFolder::NewestAlertId() {
  auto db = outbox_.Get();
  if (!db) return db.status();
  if (!*db) return std::int64_t{0};
  auto q = (*db)->Prepare("SELECT COALESCE(MAX(id), 0) FROM messages");
  if (!q) return q.status();
  const int rc = q->Step();
  if (rc == SQLITE_ROW) return q->Int(0);
  if (Status s = (*db)->Check(rc, "read the newest alert"); !s.ok()) return s;
  return std::int64_t{0};
}

Result<std::vector<ChannelHealth>> DataFolder::Channels(
    const std::vector<std::string>& configured) {
  auto db = outbox_.Get();
  if (!db) return db.status();
  if (*db) {
    auto seen = outbox_.Version();
    if (!seen) return seen.status();
    if (channels_.seen == *seen && channels_.value.first == configured) {
      return channels_.value.second;
    }
    auto health = ReadChannelHealth(**db, configured);
    if (!health) return health.status();
    channels_ = {*seen, {configured, *health}};
    return health;
  }
  std::vector<ChannelHealth> out(configured.size());
  for (std::size_t i = 0; i < configured.size(); ++i) out[i].channel = configured[i];
  return out;
}

Status DataFolder::Readable() {
  for (ReadOnlyFile* file : {&stream_, &clean_, &state_, &outbox_}) {
    auto db = file->Get();
    if (!db) return db.status();
    if (!*db) continue;  // not written yet: reads as empty
    if (auto seen = file->Version(); !seen) return seen.status();
  }
  return Status::Ok();
}

}  // namespace stockpipe::serve
