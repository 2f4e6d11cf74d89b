// TickLog: batches of the local CLEAN store that are durable but not yet folded into its tables,
// in
//
//   tick_log(id INTEGER PRIMARY KEY AUTOINCREMENT, ticks INTEGER NOT NULL, data BLOB NOT NULL)
//   tick_log_fold(through INTEGER NOT NULL, next TEXT NOT NULL)   -- at most one row
//
// Why: with thousands of symbols a batch holds a tick or two of each, and writing it into the
// tables costs the same statements and pages per symbol whatever the symbol brings (its last
// chunk, its summary, a bar per interval). So the store appends such a batch here as one row, in
// the transaction the batch's checkpoint waits for, and folds the rows into the tables later,
// each symbol's ticks of many batches at once. A fold goes a slice of symbols per transaction
// (`tick_log_fold`: the rows up to `through` are being folded, symbols before `next` are done), so
// that it shares the core with the batches arriving meanwhile; the last slice deletes the rows.
// A kill at any moment leaves every tick logged or folded, never both.
//
// A row's data is the batch's runs (one per symbol, symbols in ascending order), each:
//   u16 symbol length | symbol | u32 chunk length | the run as a chunk (store/sqlite/tick_chunk.h)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite/database.h"
#include "store/sqlite/tick_chunk.h"

namespace stockpipe {

// One symbol's run in a logged batch.
struct LoggedRun {
  std::string_view symbol;
  ChunkView ticks;
};

// Appends `symbol`'s run (strictly increasing time, after the runs of smaller symbols) to `data`.
void AppendLoggedRun(std::string_view symbol, std::span<const StoredTick> run, std::string& data);

// A cursor over a row's runs, in symbol order, valid while the data is. It stands before the first
// run until the first Next().
class LoggedRuns {
 public:
  explicit LoggedRuns(std::string_view data) : data_(data) {}
  // The run it stands at; none before the first and past the last.
  const std::optional<LoggedRun>& run() const { return run_; }
  // Where in the data the run after run() starts.
  std::size_t next_offset() const { return next_; }
  // Moves to the next run; an error names what is wrong with the data there.
  Status Next();

 private:
  std::string_view data_;
  std::size_t next_ = 0;  // where the run after run_ starts
  std::optional<LoggedRun> run_;
};

// A cursor over the runs of a row of `tick_log` that holds a window of the row's bytes, not the
// row: a fold goes through every logged row at once, and a window each keeps that to a few MB.
// Each call reads what its window lacks through `db`, in the caller's transaction.
class LoggedRowCursor {
 public:
  explicit LoggedRowCursor(std::int64_t id) : id_(id) {}
  // Stands at the row's first run.
  Status Start(sqlite::Database& db);
  // The run it stands at, valid until the next call; none past the last.
  const std::optional<LoggedRun>& run() const { return runs_.run(); }
  Status Next(sqlite::Database& db);

 private:
  // Reads the window from byte `begin` of the row on: at least `least` bytes (or up to its end).
  Status Fill(sqlite::Database& db, std::size_t begin, std::size_t least);

  std::int64_t id_;
  std::size_t size_ = 0;          // of the row's data
  std::size_t window_begin_ = 0;  // where in the row window_ starts
  std::string window_;
  LoggedRuns runs_{std::string_view()};  // over window_
};

class TickLog {
 public:
  static constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tick_log(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ticks INTEGER NOT NULL,
  data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tick_log_fold(
  through INTEGER NOT NULL,
  next TEXT NOT NULL);
)sql";

  // A fold under way: the rows with id <= through, of which symbols before `next` are folded.
  struct Fold {
    std::int64_t through = 0;
    std::string next;
  };

  // Prepares the statements on `db`, whose schema has the tables.
  static Result<TickLog> Open(sqlite::Database& db);

  Status Append(std::uint64_t ticks, std::string_view data);
  // How many ticks are logged and not folded yet (those of a fold under way included).
  Result<std::uint64_t> Ticks();
  // The fold under way, if any.
  Result<std::optional<Fold>> Folding();
  // Starts a fold of every row logged so far; none when the log is empty.
  Result<std::optional<Fold>> StartFold();
  Status SaveFold(const Fold& fold);
  // Deletes the rows the fold covered, and the fold.
  Status FinishFold(const Fold& fold);
  // The ids of the rows with id <= through, oldest first, in place of what `ids` held.
  Status Ids(std::int64_t through, std::vector<std::int64_t>& ids);

 private:
  explicit TickLog(sqlite::Database& db) : db_(&db) {}
  sqlite::Database* db_;
  sqlite::Statement append_, ticks_, folding_, last_id_, save_fold_, drop_rows_, drop_fold_, ids_;
};

}  // namespace stockpipe
