#include "store/sqlite/sqlite_clean_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/log.h"

namespace stockpipe {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS ticks(
  symbol TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  price REAL NOT NULL,
  volume REAL,
  open REAL,
  high REAL,
  low REAL,
  PRIMARY KEY(symbol, timestamp)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS symbols(
  symbol TEXT PRIMARY KEY,
  rows INTEGER NOT NULL DEFAULT 0,
  newest TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bars(
  symbol TEXT NOT NULL,
  interval TEXT NOT NULL,
  start TEXT NOT NULL,
  open REAL NOT NULL,
  high REAL NOT NULL,
  low REAL NOT NULL,
  close REAL NOT NULL,
  volume REAL,
  ticks INTEGER NOT NULL,
  first TEXT NOT NULL,
  last TEXT NOT NULL,
  PRIMARY KEY(symbol, interval, start)) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS candles AS
  SELECT symbol, interval, start, open, high, low, close, volume, ticks FROM bars;
CREATE TABLE IF NOT EXISTS candle_intervals(
  name TEXT PRIMARY KEY,
  length INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// Folders from before candles: their ticks table has only (symbol, timestamp, price).
constexpr std::string_view kCandleColumns[] = {"volume", "open", "high", "low"};

// A bigger page cache than SQLite's 2 MB default keeps the B-tree's hot pages in memory while a
// batch is written; WAL checkpoints every ~16 MB instead of 4 MB cut the copying back into the
// main file.
constexpr std::string_view kTuning = R"sql(
PRAGMA cache_size=-32768;
PRAGMA wal_autocheckpoint=4096;
PRAGMA temp_store=MEMORY;
)sql";

constexpr std::string_view kTickColumns = "timestamp, price, volume, open, high, low";

Micros ParseCanonical(std::string_view text) {
  return ParseTimestampText(text).value_or(0);
}

std::optional<double> OptionalDouble(const sqlite::Statement& q, int column) {
  if (q.IsNull(column)) return std::nullopt;
  return q.Double(column);
}

// A tick of `symbol` from a row of kTickColumns starting at `column`.
Tick TickFromRow(const sqlite::Statement& q, std::string_view symbol) {
  Tick tick;
  tick.symbol = std::string(symbol);
  tick.timestamp = ParseCanonical(q.Text(0));
  tick.price = q.Double(1);
  tick.volume = OptionalDouble(q, 2);
  if (!q.IsNull(3) && !q.IsNull(4) && !q.IsNull(5)) {
    tick.bar = TickBar{q.Double(3), q.Double(4), q.Double(5)};
  }
  return tick;
}

// A folder from before candles that no writer opened since has no bar tables.
Result<bool> HasTable(sqlite::Database& db, std::string_view name) {
  auto q = db.Prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1");
  if (!q) return q.status();
  q->Bind(1, name);
  const int rc = q->Step();
  if (rc == SQLITE_ROW) return true;
  if (Status s = db.Check(rc, "read the schema"); !s.ok()) return s;
  return false;
}

// The first bar start at or after `t`.
Micros BarStartFrom(Micros t, Micros length) {
  const Micros start = BarStart(t, length);
  return start == t ? start : start + length;
}

}  // namespace

Result<std::unique_ptr<SqliteCleanStore>> SqliteCleanStore::Open(const std::string& path,
                                                                 sqlite::Sync sync,
                                                                 std::vector<Interval> intervals,
                                                                 CandleIntervalsChange change) {
  auto db = sqlite::Database::Open(path, true, sync);
  if (!db) return db.status();
  // Columns first: the schema's view must not meet a ticks table without them.
  auto columns = (*db)->Prepare("SELECT name FROM pragma_table_info('ticks')");
  if (!columns) return columns.status();
  std::vector<std::string> have;
  while (columns->Step() == SQLITE_ROW) have.emplace_back(columns->Text(0));
  if (!have.empty()) {
    for (std::string_view column : kCandleColumns) {
      if (std::find(have.begin(), have.end(), column) != have.end()) continue;
      if (Status s = (*db)->Exec(fmt::format("ALTER TABLE ticks ADD COLUMN {} REAL", column));
          !s.ok()) {
        return s;
      }
    }
  }
  if (Status s = (*db)->Exec(kSchema); !s.ok()) return s;
  if (Status s = (*db)->Exec(kTuning); !s.ok()) return s;
  std::unique_ptr<SqliteCleanStore> store(
      new SqliteCleanStore(std::move(*db), std::move(intervals)));
  if (Status s = store->PrepareStatements(); !s.ok()) return s;
  if (change == CandleIntervalsChange::kApply) {
    if (Status s = store->ReconcileIntervals(); !s.ok()) return s;
  } else {
    auto stored = ReadIntervals(*store->db_);
    if (!stored) return stored.status();
    store->stored_ = *std::move(stored);
  }
  return store;
}

Status SqliteCleanStore::PrepareStatements() {
  const auto prepare = [this](sqlite::Statement& out, std::string_view sql) -> Status {
    auto statement = db_->Prepare(sql);
    if (!statement) return statement.status();
    out = std::move(*statement);
    return Status::Ok();
  };
  const std::string bar_ticks = fmt::format(
      "SELECT {} FROM ticks WHERE symbol=?1 AND timestamp >= ?2 AND timestamp < ?3 "
      "ORDER BY timestamp",
      kTickColumns);
  for (const auto& [statement, sql] :
       std::initializer_list<std::pair<sqlite::Statement*, std::string_view>>{
           {&update_,
            "UPDATE ticks SET price=?3, volume=?4, open=?5, high=?6, low=?7 "
            "WHERE symbol=?1 AND timestamp=?2"},
           {&summarise_,
            "INSERT INTO symbols(symbol, rows, newest) VALUES(?1, ?2, ?3) ON CONFLICT(symbol) "
            "DO UPDATE SET rows = rows + ?2, newest = max(newest, ?3)"},
           {&read_bar_,
            "SELECT open, high, low, close, volume, ticks, first, last FROM bars "
            "WHERE symbol=?1 AND interval=?2 AND start=?3"},
           {&write_bar_,
            "INSERT OR REPLACE INTO bars(symbol, interval, start, open, high, low, close, volume, "
            "ticks, first, last) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"},
           {&bar_ticks_, bar_ticks},
           {&last_n_,
            "SELECT timestamp, price FROM ticks WHERE symbol=? ORDER BY timestamp DESC LIMIT ?"},
       }) {
    if (Status s = prepare(*statement, sql); !s.ok()) return s;
  }
  return Status::Ok();
}

Status SqliteCleanStore::ReconcileIntervals() {
  auto stored = ReadIntervals(*db_);
  if (!stored) return stored.status();
  const std::vector<Interval>& kept = *stored;
  std::vector<Interval> added, dropped;
  for (const Interval& interval : intervals_) {
    if (std::find(kept.begin(), kept.end(), interval) == kept.end()) added.push_back(interval);
  }
  for (const Interval& interval : kept) {
    if (std::find(intervals_.begin(), intervals_.end(), interval) == intervals_.end()) {
      dropped.push_back(interval);
    }
  }
  if (added.empty() && dropped.empty()) return Status::Ok();
  std::uint64_t written = 0;
  Status done = sqlite::Transaction(*db_, [&]() -> Status {
    for (const Interval& interval : dropped) {
      auto drop = db_->Prepare("DELETE FROM bars WHERE interval=?1");
      if (!drop) return drop.status();
      drop->Bind(1, interval.name);
      if (Status s = db_->Check(drop->Step(), "drop bars"); !s.ok()) return s;
    }
    auto symbols = Symbols();
    if (!symbols) return symbols.status();
    for (const std::string& symbol : *symbols) {
      if (Status s = RebuildSymbol(symbol, added, std::nullopt, std::nullopt, written); !s.ok()) {
        return s;
      }
    }
    if (Status s = db_->Exec("DELETE FROM candle_intervals"); !s.ok()) return s;
    auto insert = db_->Prepare("INSERT INTO candle_intervals(name, length) VALUES(?1, ?2)");
    if (!insert) return insert.status();
    for (const Interval& interval : intervals_) {
      insert->Reset();
      insert->Bind(1, interval.name).Bind(2, interval.length);
      if (Status s = db_->Check(insert->Step(), "record candle intervals"); !s.ok()) return s;
    }
    return Status::Ok();
  });
  if (!done.ok()) return done;
  std::string names_added, names_dropped;
  for (const Interval& i : added) names_added += (names_added.empty() ? "" : ",") + i.name;
  for (const Interval& i : dropped) names_dropped += (names_dropped.empty() ? "" : ",") + i.name;
  log::Info("candle intervals changed", {{"path", db_->path()},
                                         {"added", names_added},
                                         {"dropped", names_dropped},
                                         {"bars_written", written}});
  return Status::Ok();
}

Result<sqlite::Statement*> SqliteCleanStore::InsertRows(std::size_t rows, bool members) {
  sqlite::Statement& cached = inserts_[{rows, members}];
  if (cached.get() == nullptr) {
    std::string sql =
        members ? "INSERT INTO ticks(symbol, timestamp, price, volume, open, high, low) VALUES"
                : "INSERT INTO ticks(symbol, timestamp, price) VALUES";
    const std::string_view row = members ? "(?,?,?,?,?,?,?)" : "(?,?,?)";
    for (std::size_t i = 0; i < rows; ++i) (sql += i == 0 ? "" : ",") += row;
    sql += " ON CONFLICT DO NOTHING";
    auto statement = db_->Prepare(sql);
    if (!statement) return statement.status();
    cached = std::move(*statement);
  }
  return &cached;
}

Status SqliteCleanStore::Upsert(std::span<const Tick> ticks) {
  // Key order turns scattered B-tree inserts into appends along each symbol's run of pages.
  order_.resize(ticks.size());
  for (std::size_t i = 0; i < ticks.size(); ++i) order_[i] = &ticks[i];
  // Stable, so of two ticks with one key the later one is written last and wins.
  std::stable_sort(order_.begin(), order_.end(), [](const Tick* a, const Tick* b) {
    return a->symbol != b->symbol ? a->symbol < b->symbol : a->timestamp < b->timestamp;
  });
  stamps_.resize(order_.size() * kCanonicalTimestampSize);
  for (std::size_t i = 0; i < order_.size(); ++i) {
    FormatCanonical(order_[i]->timestamp, stamps_.data() + i * kCanonicalTimestampSize);
  }
  fresh_.assign(order_.size(), true);
  const auto stamp = [this](std::size_t i) {
    return std::string_view(stamps_.data() + i * kCanonicalTimestampSize, kCanonicalTimestampSize);
  };
  const auto bind_tick = [](sqlite::Statement& statement, int column, const Tick& tick) {
    statement.Bind(column, tick.price).Bind(column + 1, tick.volume);
    if (tick.bar) {
      statement.Bind(column + 2, tick.bar->open)
          .Bind(column + 3, tick.bar->high)
          .Bind(column + 4, tick.bar->low);
    }
  };
  sqlite::Database& d = *db_;
  // Another connection's commit (a rebuild, a repair) may have rewritten remembered bars.
  if (auto version = d.Prepare("PRAGMA data_version"); version && version->Step() == SQLITE_ROW) {
    if (version->Int(0) != data_version_) open_bars_.clear();
    data_version_ = version->Int(0);
  } else {
    open_bars_.clear();
  }
  pending_.clear();
  Status done = sqlite::Transaction(d, [&]() -> Status {
    std::size_t i = 0;
    while (i < order_.size()) {
      // One symbol's run, in statements of up to kRowsPerInsert rows: SQLite's per-statement
      // cost, not the B-tree, dominates single-row inserts.
      const std::string& symbol = order_[i]->symbol;
      std::size_t run_end = i;
      while (run_end < order_.size() && order_[run_end]->symbol == symbol) ++run_end;
      std::int64_t added = 0;
      for (std::size_t from = i; from < run_end; from += kRowsPerInsert) {
        const std::size_t rows = std::min(kRowsPerInsert, run_end - from);
        // Plain ticks (most feeds) bind 3 columns, not 7: the rest stay NULL.
        const bool members = std::any_of(order_.begin() + static_cast<std::ptrdiff_t>(from),
                                         order_.begin() + static_cast<std::ptrdiff_t>(from + rows),
                                         [](const Tick* t) { return t->volume || t->bar; });
        auto insert = InsertRows(rows, members);
        if (!insert) return insert.status();
        sqlite::Statement& statement = **insert;
        statement.Reset();
        for (std::size_t r = 0; r < rows; ++r) {
          const int column = static_cast<int>(r * (members ? 7 : 3));
          statement.BindStatic(column + 1, symbol).BindStatic(column + 2, stamp(from + r));
          if (members) {
            bind_tick(statement, column + 3, *order_[from + r]);
          } else {
            statement.Bind(column + 3, order_[from + r]->price);
          }
        }
        if (Status s = d.Check(statement.Step(), "insert ticks"); !s.ok()) return s;
        const auto inserted = static_cast<std::size_t>(sqlite3_changes(d.handle()));
        added += static_cast<std::int64_t>(inserted);
        if (inserted == rows) continue;
        // Some keys were stored already (a replay, or a corrected price): the last price wins,
        // and the bars of these rows are recomputed.
        for (std::size_t r = from; r < from + rows; ++r) {
          fresh_[r] = false;
          update_.Reset();
          update_.BindStatic(1, symbol).BindStatic(2, stamp(r));
          bind_tick(update_, 3, *order_[r]);
          if (Status s = d.Check(update_.Step(), "update tick"); !s.ok()) return s;
        }
      }
      if (added > 0) {
        summarise_.Reset();
        summarise_.BindStatic(1, symbol).Bind(2, added).BindStatic(3, stamp(run_end - 1));
        if (Status s = d.Check(summarise_.Step(), "summarise symbol"); !s.ok()) return s;
      }
      if (Status s = UpdateBars(i, run_end); !s.ok()) return s;
      i = run_end;
    }
    return Status::Ok();
  });
  if (!done.ok()) {
    open_bars_.clear();
    return done;
  }
  for (auto& [symbol, bars] : pending_) open_bars_[symbol] = std::move(bars);
  return Status::Ok();
}

Status SqliteCleanStore::UpdateBars(std::size_t from, std::size_t to) {
  const std::string& symbol = order_[from]->symbol;
  auto [entry, inserted] = pending_.try_emplace(symbol);
  std::vector<std::optional<Candle>>& newest = entry->second;
  if (inserted) {
    auto known = open_bars_.find(symbol);
    newest = known != open_bars_.end() ? known->second
                                       : std::vector<std::optional<Candle>>(intervals_.size());
  }
  for (std::size_t k = 0; k < intervals_.size(); ++k) {
    const Interval& interval = intervals_[k];
    // The run is in time order, so each bar's ticks are next to each other.
    std::size_t i = from;
    while (i < to) {
      const Micros start = BarStart(order_[i]->timestamp, interval.length);
      std::size_t end = i;
      bool rewrote = false;
      while (end < to && BarStart(order_[end]->timestamp, interval.length) == start) {
        rewrote = rewrote || !fresh_[end];
        ++end;
      }
      std::optional<Candle> bar;
      if (rewrote) {
        auto computed = ComputeBar(symbol, interval, start);
        if (!computed) return computed.status();
        bar = *std::move(computed);
      } else {
        if (newest[k] && newest[k]->start == start) {
          bar = newest[k];
        } else {
          auto stored = ReadBar(symbol, interval, start);
          if (!stored) return stored.status();
          bar = *std::move(stored);
        }
        for (std::size_t t = i; t < end; ++t) {
          if (bar) {
            AddTick(*bar, *order_[t]);
          } else {
            bar = CandleOf(*order_[t], interval);
          }
        }
      }
      if (bar) {
        if (Status s = WriteBar(*bar); !s.ok()) return s;
        if (!newest[k] || bar->start >= newest[k]->start) newest[k] = std::move(bar);
      }
      i = end;
    }
  }
  return Status::Ok();
}

Result<std::optional<Candle>> SqliteCleanStore::ReadBar(std::string_view symbol,
                                                        const Interval& interval, Micros start) {
  char text[kCanonicalTimestampSize];
  FormatCanonical(start, text);
  read_bar_.Reset();
  read_bar_.BindStatic(1, symbol)
      .BindStatic(2, interval.name)
      .BindStatic(3, std::string_view(text, sizeof text));
  const int rc = read_bar_.Step();
  if (rc == SQLITE_DONE) return std::optional<Candle>();
  if (rc != SQLITE_ROW) return db_->Check(rc, "read bar");
  Candle bar;
  bar.symbol = std::string(symbol);
  bar.interval = interval.name;
  bar.start = start;
  bar.open = read_bar_.Double(0);
  bar.high = read_bar_.Double(1);
  bar.low = read_bar_.Double(2);
  bar.close = read_bar_.Double(3);
  bar.volume = OptionalDouble(read_bar_, 4);
  bar.ticks = static_cast<std::uint64_t>(read_bar_.Int(5));
  bar.first = ParseCanonical(read_bar_.Text(6));
  bar.last = ParseCanonical(read_bar_.Text(7));
  return std::optional<Candle>(std::move(bar));
}

Result<std::optional<Candle>> SqliteCleanStore::ComputeBar(std::string_view symbol,
                                                           const Interval& interval, Micros start) {
  bar_ticks_.Reset();
  bar_ticks_.BindStatic(1, symbol)
      .Bind(2, FormatCanonical(start))
      .Bind(3, FormatCanonical(start + interval.length));
  std::optional<Candle> bar;
  int rc;
  while ((rc = bar_ticks_.Step()) == SQLITE_ROW) {
    const Tick tick = TickFromRow(bar_ticks_, symbol);
    if (bar) {
      AddTick(*bar, tick);
    } else {
      bar = CandleOf(tick, interval);
    }
  }
  if (Status s = db_->Check(rc, "read the ticks of a bar"); !s.ok()) return s;
  return bar;
}

Status SqliteCleanStore::WriteBar(const Candle& bar) {
  char start[kCanonicalTimestampSize], first[kCanonicalTimestampSize],
      last[kCanonicalTimestampSize];
  FormatCanonical(bar.start, start);
  FormatCanonical(bar.first, first);
  FormatCanonical(bar.last, last);
  write_bar_.Reset();
  write_bar_.BindStatic(1, bar.symbol)
      .BindStatic(2, bar.interval)
      .BindStatic(3, std::string_view(start, sizeof start))
      .Bind(4, bar.open)
      .Bind(5, bar.high)
      .Bind(6, bar.low)
      .Bind(7, bar.close)
      .Bind(8, bar.volume)
      .Bind(9, static_cast<std::int64_t>(bar.ticks))
      .BindStatic(10, std::string_view(first, sizeof first))
      .BindStatic(11, std::string_view(last, sizeof last));
  return db_->Check(write_bar_.Step(), "write bar");
}

Status SqliteCleanStore::RebuildSymbol(std::string_view symbol, std::span<const Interval> intervals,
                                       std::optional<Micros> from, std::optional<Micros> to,
                                       std::uint64_t& written) {
  for (const Interval& interval : intervals) {
    // Bars starting in [from, to) hold the ticks of [lo, hi).
    const std::string lo = from ? FormatCanonical(BarStartFrom(*from, interval.length)) : "";
    const std::string hi = to ? FormatCanonical(BarStartFrom(*to, interval.length)) : "";
    auto clear = db_->Prepare(
        "DELETE FROM bars WHERE symbol=?1 AND interval=?2 AND start >= ?3 "
        "AND (?4 = '' OR start < ?4)");
    if (!clear) return clear.status();
    clear->Bind(1, symbol).Bind(2, interval.name).Bind(3, lo).Bind(4, hi);
    if (Status s = db_->Check(clear->Step(), "clear bars"); !s.ok()) return s;
    auto q = db_->Prepare(fmt::format(
        "SELECT {} FROM ticks WHERE symbol=?1 AND timestamp >= ?2 AND (?3 = '' OR timestamp < ?3) "
        "ORDER BY timestamp",
        kTickColumns));
    if (!q) return q.status();
    q->Bind(1, symbol).Bind(2, lo).Bind(3, hi);
    std::optional<Candle> bar;
    int rc;
    while ((rc = q->Step()) == SQLITE_ROW) {
      const Tick tick = TickFromRow(*q, symbol);
      if (bar && bar->start == BarStart(tick.timestamp, interval.length)) {
        AddTick(*bar, tick);
        continue;
      }
      if (bar) {
        if (Status s = WriteBar(*bar); !s.ok()) return s;
        ++written;
      }
      bar = CandleOf(tick, interval);
    }
    if (Status s = db_->Check(rc, "read ticks"); !s.ok()) return s;
    if (bar) {
      if (Status s = WriteBar(*bar); !s.ok()) return s;
      ++written;
    }
  }
  return Status::Ok();
}

Result<std::uint64_t> SqliteCleanStore::RebuildCandles(const CandleRebuild& scope) {
  // A rebuild is a writer: it also brings the stored intervals to this store's list.
  if (Status s = ReconcileIntervals(); !s.ok()) return s;
  stored_.clear();
  auto written =
      RebuildEachSymbol(*this, scope, [&](const std::string& symbol, std::uint64_t& count) {
        // One transaction per symbol: ingest may go on between them, and a kill keeps what is
        // done.
        return sqlite::Transaction(
            *db_, [&] { return RebuildSymbol(symbol, intervals_, scope.from, scope.to, count); });
      });
  open_bars_.clear();
  return written;
}

Result<std::vector<Candle>> SqliteCleanStore::Candles(const CandleQuery& query) {
  auto interval = FindInterval(intervals_, query.interval);
  if (!interval) return interval.status();
  if (!stored_.empty() && std::find(stored_.begin(), stored_.end(), *interval) == stored_.end()) {
    return Status::Error(fmt::format(
        "{} keeps no bars at {} yet: ingest computes them when it starts with {} in [candles] "
        "intervals (or run `stockpipe candles rebuild`)",
        db_->path(), interval->name, interval->name));
  }
  return ReadCandles(*db_, query);
}

Result<std::vector<Candle>> SqliteCleanStore::ReadCandles(sqlite::Database& db,
                                                          const CandleQuery& query) {
  std::vector<Candle> bars;
  auto has = HasTable(db, "bars");
  if (!has) return has.status();
  if (!*has) return bars;
  auto q = db.Prepare(
      "SELECT start, open, high, low, close, volume, ticks, first, last FROM bars "
      "WHERE symbol=?1 AND interval=?2 AND start >= ?3 AND (?4 = '' OR start < ?4) "
      "ORDER BY start DESC LIMIT ?5");
  if (!q) return q.status();
  q->Bind(1, query.symbol)
      .Bind(2, query.interval)
      .Bind(3, query.from ? FormatCanonical(*query.from) : "")
      .Bind(4, query.to ? FormatCanonical(*query.to) : "")
      .Bind(5, static_cast<std::int64_t>(query.limit));
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    Candle& bar = bars.emplace_back();
    bar.symbol = query.symbol;
    bar.interval = query.interval;
    bar.start = ParseCanonical(q->Text(0));
    bar.open = q->Double(1);
    bar.high = q->Double(2);
    bar.low = q->Double(3);
    bar.close = q->Double(4);
    bar.volume = OptionalDouble(*q, 5);
    bar.ticks = static_cast<std::uint64_t>(q->Int(6));
    bar.first = ParseCanonical(q->Text(7));
    bar.last = ParseCanonical(q->Text(8));
  }
  if (Status s = db.Check(rc, "read candles"); !s.ok()) return s;
  std::reverse(bars.begin(), bars.end());
  return bars;
}

Result<std::vector<Interval>> SqliteCleanStore::ReadIntervals(sqlite::Database& db) {
  std::vector<Interval> out;
  auto has = HasTable(db, "candle_intervals");
  if (!has) return has.status();
  if (!*has) return out;
  auto q = db.Prepare("SELECT name, length FROM candle_intervals ORDER BY length");
  if (!q) return q.status();
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) out.push_back({std::string(q->Text(0)), q->Int(1)});
  if (Status s = db.Check(rc, "read candle intervals"); !s.ok()) return s;
  return out;
}

Result<std::vector<PricePoint>> SqliteCleanStore::LastN(std::string_view symbol, std::size_t n) {
  sqlite::Statement& q = last_n_;
  q.Reset();
  q.Bind(1, symbol).Bind(2, static_cast<std::int64_t>(n));
  std::vector<PricePoint> points;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) points.push_back({ParseCanonical(q.Text(0)), q.Double(1)});
  q.Reset();  // ends the read: a statement left open would pin its snapshot
  if (Status s = db_->Check(rc, "read last points"); !s.ok()) return s;
  std::reverse(points.begin(), points.end());
  return points;
}

Result<std::vector<PricePoint>> SqliteCleanStore::Range(std::string_view symbol, Micros from,
                                                        Micros to) {
  auto q = db_->Prepare(
      "SELECT timestamp, price FROM ticks WHERE symbol=?1 AND timestamp >= ?2 "
      "AND (?3 = '' OR timestamp <= ?3) ORDER BY timestamp");
  if (!q) return q.status();
  q->Bind(1, symbol).Bind(2, FormatCanonical(from)).Bind(3, to ? FormatCanonical(to) : "");
  std::vector<PricePoint> points;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW)
    points.push_back({ParseCanonical(q->Text(0)), q->Double(1)});
  if (Status s = db_->Check(rc, "read range"); !s.ok()) return s;
  return points;
}

Result<std::vector<std::string>> SqliteCleanStore::Symbols() {
  auto q = db_->Prepare("SELECT symbol FROM symbols ORDER BY symbol");
  if (!q) return q.status();
  std::vector<std::string> symbols;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) symbols.emplace_back(q->Text(0));
  if (Status s = db_->Check(rc, "list symbols"); !s.ok()) return s;
  return symbols;
}

Result<std::vector<SymbolSummary>> SqliteCleanStore::Summary() {
  auto q = db_->Prepare("SELECT symbol, rows, newest FROM symbols ORDER BY symbol");
  if (!q) return q.status();
  std::vector<SymbolSummary> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    out.push_back({std::string(q->Text(0)), static_cast<std::uint64_t>(q->Int(1)),
                   ParseCanonical(q->Text(2))});
  }
  if (Status s = db_->Check(rc, "summarise"); !s.ok()) return s;
  return out;
}

}  // namespace stockpipe
