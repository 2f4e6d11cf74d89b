// The local CleanStore: one SQLite file (WAL) whose ticks are chunks of columns per symbol
// (store/sqlite/tick_chunks.h), read with SQL as the table `ticks(symbol, timestamp, price,
// volume, open, high, low)` keyed by (symbol, timestamp) (store/sqlite/ticks_table.h): the same
// shape as DynamoDB's `StockCleanedData` plus the optional candle members of a tick (NULL when
// the input had none). A `symbols` table, kept in the same transaction as the ticks, answers
// Symbols() and Summary() without a scan.
//
// A folder written before the chunks keeps its ticks as one B-tree row each: the first Open moves
// them into chunks, in one transaction (a kill leaves the folder as it was).
//
// Candles live in `bars` (the view `candles` shows the columns users query), written in the same
// transaction as the ticks, so a crash leaves both or neither. A tick that is new to the table is
// merged into its bars; a tick that rewrote a stored one (a replay, a corrected price) makes its
// bars be recomputed from `ticks`. The bars a batch touches last are remembered between batches,
// so a feed in time order looks a bar up only when it starts one (to find a late tick's earlier
// writes); another connection's commit (PRAGMA data_version) forgets them. Chunks of plain ticks
// are inserted with a three-column statement: most feeds carry no candle members. A folder from
// before candles, or one whose `[candles] intervals` changed, gets the missing bars computed from
// its ticks when the store is opened by the writer (and bars of intervals no longer configured
// dropped), in one transaction.
//
// Many symbols: a feed of thousands of symbols brings a tick or two of each per batch, and
// writing such a batch costs its statements and pages per symbol, not per tick. So a batch of
// fewer than 16 ticks a symbol is logged as one row (store/sqlite/tick_log.h), durable in the same
// commit; once the log holds set_fold_ticks() ticks they are folded into the tables, a slice of
// symbols with each batch after, every symbol's ticks of all those batches at once. Every read
// through this class settles the log first. SQL over the file (the `ticks` table, the dashboard)
// sees logged ticks once folded: ingest settles whenever it has caught up with the stream, so SQL
// lags only while ingest catches up, by at most about 1.5 x set_fold_ticks() ticks.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clean_store.h"
#include "sqlite/checkpointer.h"
#include "sqlite/database.h"
#include "store/sqlite/tick_chunks.h"
#include "store/sqlite/tick_log.h"

namespace stockpipe {

class SqliteCleanStore final : public CleanStore {
 public:
  static Result<std::unique_ptr<SqliteCleanStore>> Open(
      const std::string& path, sqlite::Sync sync = sqlite::Sync::kNormal,
      std::vector<Interval> intervals = DefaultIntervals(),
      CandleIntervalsChange change = CandleIntervalsChange::kApply);

  Status Upsert(std::span<const Tick> ticks) override;
  Status Settle() override;
  // How many logged ticks start a fold. A stream's shards hold disjoint symbols, so the log
  // gathers batches of every shard before a symbol has many ticks in it: at 10,000 symbols, 3M
  // is ~300 a symbol, over which a symbol's fixed costs (its chunk, summary row and a bar per
  // interval) spread. It is also what SQL may lag behind an ingest catching up (a fold holds a
  // 16 KB window of each logged batch, whatever their size).
  static constexpr std::size_t kFoldTicks = 3'000'000;
  void set_fold_ticks(std::size_t ticks) { fold_ticks_ = ticks; }
  Result<std::vector<PricePoint>> LastN(std::string_view symbol, std::size_t n) override;
  Result<std::vector<std::string>> Symbols() override;
  const std::vector<Interval>& CandleIntervals() const override { return intervals_; }
  Result<std::vector<Candle>> Candles(const CandleQuery& query) override;
  Result<std::uint64_t> RebuildCandles(const CandleRebuild& scope) override;

  // Bars as `query` asks from the clean.db behind `db` (read-only connections too: the
  // dashboard's), with no check of the interval; none when the file has no bars table yet.
  static Result<std::vector<Candle>> ReadCandles(sqlite::Database& db, const CandleQuery& query);
  // The intervals the clean.db behind `db` keeps bars at, shortest first (as the writer last
  // recorded them); none when it has not recorded any.
  static Result<std::vector<Interval>> ReadIntervals(sqlite::Database& db);

  // How Upsert's commits are made durable (Open's `sync`, as the connection reports it).
  Result<sqlite::Sync> sync() { return db_->sync(); }

  // Row count and newest tick per symbol, for `stockpipe health`.
  Result<std::vector<SymbolSummary>> Summary();
  // Points of `symbol` in [from, to], oldest first (`to` = 0 means no upper bound).
  Result<std::vector<PricePoint>> Range(std::string_view symbol, Micros from, Micros to);

 private:
  SqliteCleanStore(std::unique_ptr<sqlite::Database> db, std::vector<Interval> intervals)
      : db_(std::move(db)), intervals_(std::move(intervals)), kept_(intervals_) {}
  Status PrepareStatements();
  // Symbols() without settling the log first: within a transaction.
  Result<std::vector<std::string>> ListSymbols();
  // Adds the bars of intervals the table has none of yet, drops those of intervals not kept.
  Status ReconcileIntervals();

  // Runs `work` in one write transaction; the bars it wrote are remembered once it commits.
  Status Commit(const std::function<Status()>& work);
  // Calls `visit` with each symbol of order_, its ticks in run_ (one per timestamp, the last).
  Status ForEachRun(const std::function<Status(std::string_view symbol)>& visit);
  // Goes on with the fold under way, or starts one once the log holds enough, for about
  // `budget` ticks.
  Status FoldSome(std::uint64_t budget);
  // Folds the whole log.
  Status FoldAll();
  // Folds the symbols of `fold` from its `next` on until about `budget` ticks are written, then
  // saves where it stopped, or finishes it.
  Status FoldSymbols(TickLog::Fold fold, std::uint64_t budget);
  // Writes run_, `symbol`'s ticks in strictly increasing time order: chunks, summary, bars.
  Status WriteRun(std::string_view symbol);
  // The bars of run_, fresh_ telling which of its ticks were new to the table.
  Status UpdateBars(std::string_view symbol);
  // The stored bar, or none.
  Result<std::optional<Candle>> ReadBar(std::string_view symbol, const Interval& interval,
                                        Micros start);
  // The bar computed from the ticks of [start, start + length), none when it has none.
  Result<std::optional<Candle>> ComputeBar(std::string_view symbol, const Interval& interval,
                                           Micros start);
  Status WriteBar(const Candle& bar);
  // Recomputes the bars of `symbol` at `intervals` with a start in [from, to); counts writes.
  Status RebuildSymbol(std::string_view symbol, std::span<const Interval> intervals,
                       std::optional<Micros> from, std::optional<Micros> to,
                       std::uint64_t& written);

  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<sqlite::Checkpointer> checkpointer_;  // before db_ closes, it stops
  std::vector<Interval> intervals_;
  // The intervals the folder keeps bars at, which a fold writes: intervals_ unless opened with
  // kLeave (then as the folder recorded them).
  std::vector<Interval> kept_;
  std::optional<TickChunks> chunks_;
  sqlite::Statement summarise_, read_bar_, write_bar_;
  std::optional<TickLog> log_;
  // Upsert's scratch, kept between batches.
  std::vector<const Tick*> order_;
  std::vector<StoredTick> run_, merged_, read_;
  std::vector<bool> fresh_;  // per run_: the tick was not in the table before
  std::string batch_;        // a batch as the log keeps it
  // The fold under way: a cursor over each of its logged batches, standing at `next`.
  struct Generation {
    std::int64_t through = 0;
    std::string next;
    std::vector<LoggedRowCursor> batches;
  };
  std::optional<Generation> generation_;
  std::string folded_symbol_;
  std::size_t fold_ticks_ = kFoldTicks;
  Tick tick_;
  // The newest bar written per (symbol, interval index), as committed; `pending_` holds this
  // batch's until its commit.
  using OpenBars = std::unordered_map<std::string, std::vector<std::optional<Candle>>>;
  OpenBars open_bars_, pending_;
  std::int64_t data_version_ = -1;
};

}  // namespace stockpipe
