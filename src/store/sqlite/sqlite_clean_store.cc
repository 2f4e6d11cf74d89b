#include "store/sqlite/sqlite_clean_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "core/log.h"
#include "sqlite/checkpointer.h"
#include "store/sqlite/ticks_table.h"

namespace stockpipe {
namespace {

constexpr std::string_view kSchema = R"sql(
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

// A page cache of 8 MB (SQLite's default is 2 MB) holds the chunks a batch rewrites (each
// symbol's last one) and the bars it updates; more only adds to the RSS (32 MB measured no
// faster). WAL checkpoints are the Checkpointer's (sqlite/checkpointer.h), every ~16 MB of WAL.
constexpr std::string_view kTuning = R"sql(
PRAGMA cache_size=-8192;
PRAGMA temp_store=MEMORY;
)sql";

// When a batch is logged rather than written at once: when it brings fewer than this many ticks
// per symbol on average (what it costs is then mostly per symbol), unless it is small (a live
// feed's batch, written at once so that SQL sees it).
constexpr std::size_t kLogTicksPerSymbol = 16;
constexpr std::size_t kLogMinTicks = 1'000;

Micros ParseCanonical(std::string_view text) {
  return ParseTimestampText(text).value_or(0);
}

std::optional<double> OptionalDouble(const sqlite::Statement& q, int column) {
  if (q.IsNull(column)) return std::nullopt;
  return q.Double(column);
}

// `stored` as a tick of `symbol`, into `tick` (reused: its symbol is copied once).
void SetTick(Tick& tick, std::string_view symbol, const StoredTick& stored) {
  if (tick.symbol != symbol) tick.symbol = std::string(symbol);
  tick.timestamp = stored.timestamp;
  tick.price = stored.price;
  tick.volume = stored.volume;
  tick.bar = stored.bar;
}

// Appends `tick` to `run`, a run in time order, in place of its last tick when that has the same
// timestamp: of two ticks of one key the later wins.
void AppendLatest(std::vector<StoredTick>& run, const StoredTick& tick) {
  if (!run.empty() && run.back().timestamp == tick.timestamp) {
    run.back() = tick;
  } else {
    run.push_back(tick);
  }
}

std::vector<PricePoint> PricePoints(const std::vector<StoredTick>& ticks) {
  std::vector<PricePoint> points;
  points.reserve(ticks.size());
  for (const StoredTick& t : ticks) points.push_back({t.timestamp, t.price});
  return points;
}

// Where a folder's ticks are.
enum class TickLayout { kNone, kRows, kChunks };

// kRows: the B-tree table of one row per tick that folders written before the chunks have.
Result<TickLayout> ReadTickLayout(sqlite::Database& db) {
  auto q = db.Prepare("SELECT sql FROM sqlite_master WHERE name='ticks'");
  if (!q) return q.status();
  const int rc = q->Step();
  if (rc == SQLITE_DONE) return TickLayout::kNone;
  if (rc != SQLITE_ROW) return db.Check(rc, "read the schema");
  return q->Text(0).starts_with("CREATE VIRTUAL TABLE") ? TickLayout::kChunks : TickLayout::kRows;
}

// Moves the rows of a folder's `ticks` table into chunks and puts the virtual table in its
// place, in one transaction: a crash leaves the folder as it was, and the next open starts over.
Status MigrateTickRows(sqlite::Database& db) {
  std::uint64_t moved = 0, counted = 0;
  bool moved_by_another = false;
  Status done = sqlite::Transaction(db, [&]() -> Status {
    // Under the write lock: a writer that opened the folder at the same time may have moved them
    // while this one waited.
    auto layout = ReadTickLayout(db);
    if (!layout) return layout.status();
    if (*layout != TickLayout::kRows) {
      moved_by_another = true;
      return Status::Ok();
    }
    log::Info("moving CLEAN's ticks into chunks (once, when a folder from before them is opened)",
              {{"path", db.path()}});
    // A folder from before candles has no member columns: they read as NULL.
    auto columns = db.Prepare("SELECT name FROM pragma_table_info('ticks')");
    if (!columns) return columns.status();
    std::vector<std::string> have;
    while (columns->Step() == SQLITE_ROW) have.emplace_back(columns->Text(0));
    *columns = sqlite::Statement();
    const auto member = [&](std::string_view name) {
      return std::find(have.begin(), have.end(), name) != have.end() ? std::string(name)
                                                                     : std::string("NULL");
    };
    if (Status s = db.Exec(TickChunks::kSchema); !s.ok()) return s;
    auto chunks = TickChunks::Open(db);
    if (!chunks) return chunks.status();
    auto rows = db.Prepare(fmt::format(
        "SELECT symbol, timestamp, price, {}, {}, {}, {} FROM ticks ORDER BY symbol, timestamp",
        member("volume"), member("open"), member("high"), member("low")));
    if (!rows) return rows.status();
    std::string symbol;
    std::vector<StoredTick> run;
    std::vector<bool> fresh;
    const auto flush = [&]() -> Status {
      moved += run.size();
      Status s = chunks->Write(symbol, run, fresh);
      run.clear();
      return s;
    };
    int rc;
    while ((rc = rows->Step()) == SQLITE_ROW) {
      if (rows->Text(0) != symbol || run.size() == TickChunks::kChunkRows) {
        if (Status s = flush(); !s.ok()) return s;
        symbol = std::string(rows->Text(0));
      }
      auto timestamp = ParseTimestampText(rows->Text(1));
      if (!timestamp) {
        return Status::Error(fmt::format("{}: tick {} of {} has a timestamp that does not parse",
                                         db.path(), rows->Text(1), symbol));
      }
      StoredTick& tick = run.emplace_back();
      tick.timestamp = *timestamp;
      tick.price = rows->Double(2);
      tick.volume = OptionalDouble(*rows, 3);
      if (!rows->IsNull(4) && !rows->IsNull(5) && !rows->IsNull(6)) {
        tick.bar = TickBar{rows->Double(4), rows->Double(5), rows->Double(6)};
      }
    }
    if (Status s = db.Check(rc, "read ticks"); !s.ok()) return s;
    if (Status s = flush(); !s.ok()) return s;
    rows = db.Prepare("SELECT count(*) FROM ticks");
    if (!rows) return rows.status();
    if (const int counted_rc = rows->Step(); counted_rc != SQLITE_ROW) {
      return db.Check(counted_rc, "count ticks");
    }
    counted = static_cast<std::uint64_t>(rows->Int(0));
    *rows = sqlite::Statement();
    auto stored = chunks->Count();
    if (!stored) return stored.status();
    if (*stored != counted) {
      return Status::Error(
          fmt::format("{}: moving ticks into chunks kept {} of {}; nothing changed", db.path(),
                      *stored, counted));
    }
    return db.Exec("DROP TABLE ticks; CREATE VIRTUAL TABLE ticks USING stockpipe_ticks;");
  });
  if (!done.ok()) return done;
  if (!moved_by_another) {
    log::Info("moved CLEAN's ticks into chunks", {{"path", db.path()}, {"ticks", moved}});
  }
  return Status::Ok();
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
  if (Status s = RegisterTicksTable((*db)->handle()); !s.ok()) return s;
  auto layout = ReadTickLayout(**db);
  if (!layout) return layout.status();
  if (*layout == TickLayout::kRows) {
    if (Status s = MigrateTickRows(**db); !s.ok()) return s;
  }
  if (Status s = (*db)->Exec(TickChunks::kSchema); !s.ok()) return s;
  if (Status s = (*db)->Exec(TickLog::kSchema); !s.ok()) return s;
  if (*layout == TickLayout::kNone) {
    if (Status s = (*db)->Exec("CREATE VIRTUAL TABLE IF NOT EXISTS ticks USING stockpipe_ticks");
        !s.ok()) {
      return s;
    }
  }
  if (Status s = (*db)->Exec(kSchema); !s.ok()) return s;
  if (Status s = (*db)->Exec(kTuning); !s.ok()) return s;
  std::unique_ptr<SqliteCleanStore> store(
      new SqliteCleanStore(std::move(*db), std::move(intervals)));
  auto checkpointer = sqlite::Checkpointer::Start(*store->db_, sync);
  if (!checkpointer) return checkpointer.status();
  store->checkpointer_ = std::move(*checkpointer);
  if (Status s = store->PrepareStatements(); !s.ok()) return s;
  auto chunks = TickChunks::Open(*store->db_);
  if (!chunks) return chunks.status();
  store->chunks_.emplace(std::move(*chunks));
  auto log = TickLog::Open(*store->db_);
  if (!log) return log.status();
  store->log_.emplace(std::move(*log));
  if (change == CandleIntervalsChange::kApply) {
    // What a writer killed while catching up left logged, folded before bars are reconciled.
    if (Status s = store->Settle(); !s.ok()) return s;
    if (Status s = store->ReconcileIntervals(); !s.ok()) return s;
  } else {
    auto stored = ReadIntervals(*store->db_);
    if (!stored) return stored.status();
    store->kept_ = *std::move(stored);
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
  for (const auto& [statement, sql] :
       std::initializer_list<std::pair<sqlite::Statement*, std::string_view>>{
           {&summarise_,
            "INSERT INTO symbols(symbol, rows, newest) VALUES(?1, ?2, ?3) ON CONFLICT(symbol) "
            "DO UPDATE SET rows = rows + ?2, newest = max(newest, ?3)"},
           {&read_bar_,
            "SELECT open, high, low, close, volume, ticks, first, last FROM bars "
            "WHERE symbol=?1 AND interval=?2 AND start=?3"},
           {&write_bar_,
            "INSERT OR REPLACE INTO bars(symbol, interval, start, open, high, low, close, volume, "
            "ticks, first, last) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"},
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
    auto symbols = ListSymbols();
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

Status SqliteCleanStore::Upsert(std::span<const Tick> ticks) {
  // Each symbol's ticks in time order make its run: one write of chunks.
  order_.resize(ticks.size());
  for (std::size_t i = 0; i < ticks.size(); ++i) order_[i] = &ticks[i];
  // Stable, so of two ticks with one key the later one comes last and wins.
  std::stable_sort(order_.begin(), order_.end(), [](const Tick* a, const Tick* b) {
    return a->symbol != b->symbol ? a->symbol < b->symbol : a->timestamp < b->timestamp;
  });
  std::size_t symbols = 0;
  for (std::size_t i = 0; i < order_.size(); ++i) {
    if (i == 0 || order_[i]->symbol != order_[i - 1]->symbol) ++symbols;
  }
  const bool sparse = ticks.size() >= kLogMinTicks && ticks.size() < kLogTicksPerSymbol * symbols;
  return Commit([&]() -> Status {
    if (!sparse) {
      // Logged ticks first: a tick of this batch must win over a logged one of the same key.
      if (Status s = FoldAll(); !s.ok()) return s;
      return ForEachRun([this](std::string_view symbol) { return WriteRun(symbol); });
    }
    batch_.clear();
    std::uint64_t batch_ticks = 0;
    if (Status s = ForEachRun([&](std::string_view symbol) {
          AppendLoggedRun(symbol, run_, batch_);
          batch_ticks += run_.size();
          return Status::Ok();
        });
        !s.ok()) {
      return s;
    }
    if (Status s = log_->Append(batch_ticks, batch_); !s.ok()) return s;
    // Twice what was logged: a fold ends before the log has doubled.
    return FoldSome(2 * batch_ticks);
  });
}

Status SqliteCleanStore::Settle() {
  auto logged = log_->Ticks();
  if (!logged) return logged.status();
  if (*logged == 0) return Status::Ok();
  return Commit([this] { return FoldAll(); });
}

Status SqliteCleanStore::Commit(const std::function<Status()>& work) {
  pending_.clear();
  Status done = sqlite::Transaction(*db_, [&]() -> Status {
    // Another connection's commit (a rebuild, a repair, a fold) may have rewritten remembered
    // bars; asked under the write lock, so none can come in between.
    auto version = db_->Prepare("PRAGMA data_version");
    if (!version) return version.status();
    if (const int rc = version->Step(); rc != SQLITE_ROW) return db_->Check(rc, "data version");
    if (version->Int(0) != data_version_) open_bars_.clear();
    data_version_ = version->Int(0);
    *version = sqlite::Statement();
    return work();
  });
  if (!done.ok()) {
    open_bars_.clear();
    generation_.reset();  // its cursors may stand past what the rollback undid
    return done;
  }
  for (auto& [symbol, bars] : pending_) open_bars_[symbol] = std::move(bars);
  return Status::Ok();
}

Status SqliteCleanStore::ForEachRun(const std::function<Status(std::string_view symbol)>& visit) {
  std::size_t i = 0;
  while (i < order_.size()) {
    const std::string& symbol = order_[i]->symbol;
    run_.clear();
    for (; i < order_.size() && order_[i]->symbol == symbol; ++i) {
      const Tick& tick = *order_[i];
      AppendLatest(run_, {tick.timestamp, tick.price, tick.volume, tick.bar});
    }
    if (Status s = visit(symbol); !s.ok()) return s;
  }
  return Status::Ok();
}

Status SqliteCleanStore::FoldSome(std::uint64_t budget) {
  auto fold = log_->Folding();
  if (!fold) return fold.status();
  if (!*fold) {
    auto logged = log_->Ticks();
    if (!logged) return logged.status();
    if (*logged < fold_ticks_) return Status::Ok();
    fold = log_->StartFold();
    if (!fold) return fold.status();
  }
  return FoldSymbols(**fold, budget);
}

Status SqliteCleanStore::FoldAll() {
  // The fold under way first, then one of the rows logged since.
  for (int round = 0; round < 2; ++round) {
    auto fold = log_->Folding();
    if (!fold) return fold.status();
    if (!*fold) fold = log_->StartFold();
    if (!fold) return fold.status();
    if (!*fold) return Status::Ok();
    if (Status s = FoldSymbols(**fold, std::numeric_limits<std::uint64_t>::max()); !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

Status SqliteCleanStore::FoldSymbols(TickLog::Fold fold, std::uint64_t budget) {
  // The cursors go on from where the last slice left them, unless that slice did not commit.
  if (!generation_ || generation_->through != fold.through || generation_->next != fold.next) {
    generation_.reset();
    Generation loaded{fold.through, fold.next, {}};
    std::vector<std::int64_t> ids;
    if (Status s = log_->Ids(fold.through, ids); !s.ok()) return s;
    for (std::int64_t id : ids) {
      LoggedRowCursor& cursor = loaded.batches.emplace_back(id);
      Status s = cursor.Start(*db_);
      while (s.ok() && cursor.run() && cursor.run()->symbol < fold.next) s = cursor.Next(*db_);
      if (!s.ok()) return Status::Error(fmt::format("{}: {}", db_->path(), s.message()));
    }
    generation_ = std::move(loaded);
  }
  std::vector<LoggedRowCursor>& batches = generation_->batches;
  // Take the smallest symbol any batch has left, from each that has it, oldest batch first.
  std::uint64_t folded = 0;
  while (true) {
    std::optional<std::string_view> symbol;
    for (const LoggedRowCursor& runs : batches) {
      if (runs.run() && (!symbol || runs.run()->symbol < *symbol)) symbol = runs.run()->symbol;
    }
    if (!symbol) break;
    if (folded >= budget) {
      fold.next = std::string(*symbol);
      generation_->next = fold.next;
      return log_->SaveFold(fold);
    }
    merged_.clear();
    std::size_t sources = 0;
    for (LoggedRowCursor& runs : batches) {
      if (!runs.run() || runs.run()->symbol != *symbol) continue;
      const ChunkView& ticks = runs.run()->ticks;
      for (std::size_t i = 0; i < ticks.rows(); ++i) merged_.push_back(ticks.tick(i));
      ++sources;
    }
    run_.clear();
    if (sources == 1) {
      run_.swap(merged_);  // one batch's run: in order, one tick per timestamp already
    } else {
      // Stable: of two ticks with one timestamp the later batch's comes last and wins.
      std::stable_sort(
          merged_.begin(), merged_.end(),
          [](const StoredTick& a, const StoredTick& b) { return a.timestamp < b.timestamp; });
      for (const StoredTick& tick : merged_) AppendLatest(run_, tick);
    }
    if (Status s = WriteRun(*symbol); !s.ok()) return s;
    folded += run_.size();
    // `symbol` views a cursor's window, which moving that cursor may replace.
    folded_symbol_.assign(*symbol);
    for (LoggedRowCursor& runs : batches) {
      if (!runs.run() || runs.run()->symbol != folded_symbol_) continue;
      if (Status s = runs.Next(*db_); !s.ok()) {
        return Status::Error(fmt::format("{}: {}", db_->path(), s.message()));
      }
    }
  }
  generation_.reset();
  return log_->FinishFold(fold);
}

Status SqliteCleanStore::WriteRun(std::string_view symbol) {
  if (Status s = chunks_->Write(symbol, run_, fresh_); !s.ok()) return s;
  const auto added = std::count(fresh_.begin(), fresh_.end(), true);
  if (added > 0) {
    char newest[kCanonicalTimestampSize];
    FormatCanonical(run_.back().timestamp, newest);
    summarise_.Reset();
    summarise_.BindStatic(1, symbol)
        .Bind(2, static_cast<std::int64_t>(added))
        .BindStatic(3, std::string_view(newest, sizeof newest));
    if (Status s = db_->Check(summarise_.Step(), "summarise symbol"); !s.ok()) return s;
  }
  return UpdateBars(symbol);
}

Status SqliteCleanStore::UpdateBars(std::string_view symbol) {
  auto [entry, inserted] = pending_.try_emplace(std::string(symbol));
  std::vector<std::optional<Candle>>& newest = entry->second;
  if (inserted) {
    auto known = open_bars_.find(entry->first);
    newest = known != open_bars_.end() ? known->second
                                       : std::vector<std::optional<Candle>>(kept_.size());
  }
  for (std::size_t k = 0; k < kept_.size(); ++k) {
    const Interval& interval = kept_[k];
    // The run is in time order, so each bar's ticks are next to each other.
    std::size_t i = 0;
    while (i < run_.size()) {
      const Micros start = BarStart(run_[i].timestamp, interval.length);
      std::size_t end = i;
      bool rewrote = false;
      while (end < run_.size() && BarStart(run_[end].timestamp, interval.length) == start) {
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
          SetTick(tick_, symbol, run_[t]);
          if (bar) {
            AddTick(*bar, tick_);
          } else {
            bar = CandleOf(tick_, interval);
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
  std::vector<StoredTick> stored;
  if (Status s = chunks_->Range(symbol, start, start + interval.length, stored); !s.ok()) return s;
  std::optional<Candle> bar;
  Tick tick;
  for (const StoredTick& t : stored) {
    SetTick(tick, symbol, t);
    if (bar) {
      AddTick(*bar, tick);
    } else {
      bar = CandleOf(tick, interval);
    }
  }
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
    std::optional<Micros> lo, hi;
    if (from) lo = BarStartFrom(*from, interval.length);
    if (to) hi = BarStartFrom(*to, interval.length);
    auto clear = db_->Prepare(
        "DELETE FROM bars WHERE symbol=?1 AND interval=?2 AND start >= ?3 "
        "AND (?4 = '' OR start < ?4)");
    if (!clear) return clear.status();
    clear->Bind(1, symbol)
        .Bind(2, interval.name)
        .Bind(3, lo ? FormatCanonical(*lo) : "")
        .Bind(4, hi ? FormatCanonical(*hi) : "");
    if (Status s = db_->Check(clear->Step(), "clear bars"); !s.ok()) return s;
    std::vector<StoredTick> stored;
    if (Status s = chunks_->Range(symbol, lo, hi, stored); !s.ok()) return s;
    std::optional<Candle> bar;
    Tick tick;
    for (const StoredTick& t : stored) {
      SetTick(tick, symbol, t);
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
    if (bar) {
      if (Status s = WriteBar(*bar); !s.ok()) return s;
      ++written;
    }
  }
  return Status::Ok();
}

Result<std::uint64_t> SqliteCleanStore::RebuildCandles(const CandleRebuild& scope) {
  // A rebuild is a writer: it also brings the stored intervals to this store's list.
  if (Status s = Settle(); !s.ok()) return s;
  if (Status s = ReconcileIntervals(); !s.ok()) return s;
  kept_ = intervals_;
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
  if (Status s = Settle(); !s.ok()) return s;
  if (!kept_.empty() && std::find(kept_.begin(), kept_.end(), *interval) == kept_.end()) {
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
  if (Status s = Settle(); !s.ok()) return s;
  if (Status s = chunks_->Last(symbol, n, read_); !s.ok()) return s;
  return PricePoints(read_);
}

Result<std::vector<PricePoint>> SqliteCleanStore::Range(std::string_view symbol, Micros from,
                                                        Micros to) {
  if (Status s = Settle(); !s.ok()) return s;
  read_.clear();
  if (Status s =
          chunks_->Range(symbol, from, to ? std::optional<Micros>(to + 1) : std::nullopt, read_);
      !s.ok()) {
    return s;
  }
  return PricePoints(read_);
}

Result<std::vector<std::string>> SqliteCleanStore::Symbols() {
  if (Status s = Settle(); !s.ok()) return s;
  return ListSymbols();
}

Result<std::vector<std::string>> SqliteCleanStore::ListSymbols() {
  auto q = db_->Prepare("SELECT symbol FROM symbols ORDER BY symbol");
  if (!q) return q.status();
  std::vector<std::string> symbols;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) symbols.emplace_back(q->Text(0));
  if (Status s = db_->Check(rc, "list symbols"); !s.ok()) return s;
  return symbols;
}

Result<std::vector<SymbolSummary>> SqliteCleanStore::Summary() {
  if (Status s = Settle(); !s.ok()) return s;
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
