// TickChunks: the ticks of the local CLEAN store, as chunks (store/sqlite/tick_chunk.h) in
//
//   tick_chunks(symbol, first, last, rows, data)   -- first/last: microseconds; data: the chunk
//
// A symbol's chunks never overlap in time, so (symbol, first) orders every tick. A run of new
// ticks after a symbol's newest is appended to its last chunk while that is small (shorter than
// the run, or than 64 ticks), and becomes new chunks of up to kChunkRows otherwise; ticks that
// land among stored ones (a replay, a late or corrected tick) are merged into the chunk they land
// in, the later price winning for a timestamp, one chunk at a time. So a batch costs a row or two
// per symbol, whatever its ticks, a late tick costs one chunk, and a read of one symbol decodes
// the few chunks it spans.
//
// Works on the caller's connection and transaction: the store writes chunks in the transaction
// that also writes the symbol's summary and bars.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "sqlite/database.h"
#include "store/sqlite/tick_chunk.h"

namespace stockpipe {

class TickChunks {
 public:
  // The table and its index; run by the writer before Open. The index holds every column but
  // the BLOB: listing a symbol's chunks (to find where to write, or which to read) reads it only.
  static constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tick_chunks(
  symbol TEXT NOT NULL,
  first INTEGER NOT NULL,
  last INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS tick_chunks_by_time ON tick_chunks(symbol, first, last, rows);
)sql";
  // The most ticks a chunk holds (a merge splits longer runs).
  static constexpr std::size_t kChunkRows = 1024;

  // Prepares the statements on `db`, whose schema has the table.
  static Result<TickChunks> Open(sqlite::Database& db);

  // Stores `run`, one symbol's ticks in strictly increasing time order. `fresh[i]` tells whether
  // run[i]'s timestamp was not stored before (else its tick replaced the stored one).
  Status Write(std::string_view symbol, std::span<const StoredTick> run, std::vector<bool>& fresh);

  // The ticks of `symbol` in [from, to) (either bound open), oldest first, appended to `out`.
  Status Range(std::string_view symbol, std::optional<Micros> from, std::optional<Micros> to,
               std::vector<StoredTick>& out);
  // The newest `n` ticks of `symbol`, oldest first, in `out` (replacing what it held).
  Status Last(std::string_view symbol, std::size_t n, std::vector<StoredTick>& out);
  // How many ticks are stored.
  Result<std::uint64_t> Count();

 private:
  explicit TickChunks(sqlite::Database& db) : db_(&db) {}
  // Chunks of `symbol` starting at or before `until`, newest first, until `visit` returns false.
  Status VisitBackward(
      std::string_view symbol, std::optional<Micros> until,
      const std::function<Result<bool>(std::int64_t rowid, const ChunkView&)>& visit);
  Status Insert(std::string_view symbol, std::span<const StoredTick> ticks);
  // Puts merged_ in place of the chunk `rowid` (split in kChunkRows when longer).
  Status Replace(std::int64_t rowid, std::string_view symbol);

  sqlite::Database* db_;
  sqlite::Statement backward_, remove_, insert_, rewrite_;
  std::vector<StoredTick> stored_, merged_;  // Write's scratch
};

}  // namespace stockpipe
