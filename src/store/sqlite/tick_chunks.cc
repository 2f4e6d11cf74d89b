#include "store/sqlite/tick_chunks.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace stockpipe {
namespace {

// A last chunk takes a run after it while it is shorter than the run or than this: a feed of
// many symbols appends a tick or two per symbol per batch, and chunks of a tick or two would make
// reads slow, while rewriting a chunk of 1,000 for each would make writes slow. So a run rewrites
// at most max(its size, kSmallChunkRows) stored ticks.
constexpr std::size_t kSmallChunkRows = 64;

}  // namespace

Result<TickChunks> TickChunks::Open(sqlite::Database& db) {
  TickChunks chunks(db);
  for (const auto& [statement, sql] :
       std::initializer_list<std::pair<sqlite::Statement*, std::string_view>>{
           {&chunks.backward_,
            "SELECT rowid, data FROM tick_chunks WHERE symbol=?1 AND first <= ?2 "
            "ORDER BY first DESC"},
           {&chunks.remove_, "DELETE FROM tick_chunks WHERE rowid=?1"},
           {&chunks.rewrite_, "UPDATE tick_chunks SET last=?2, rows=?3, data=?4 WHERE rowid=?1"},
           {&chunks.insert_,
            "INSERT INTO tick_chunks(symbol, first, last, rows, data) VALUES(?1, ?2, ?3, ?4, ?5)"},
       }) {
    auto prepared = db.Prepare(sql);
    if (!prepared) return prepared.status();
    *statement = std::move(*prepared);
  }
  return chunks;
}

Status TickChunks::VisitBackward(
    std::string_view symbol, std::optional<Micros> until,
    const std::function<Result<bool>(std::int64_t, const ChunkView&)>& visit) {
  sqlite::Statement& q = backward_;
  q.Reset();
  q.BindStatic(1, symbol).Bind(
      2, static_cast<std::int64_t>(until.value_or(std::numeric_limits<Micros>::max())));
  int rc;
  Status failed = Status::Ok();
  while ((rc = q.Step()) == SQLITE_ROW) {
    auto view = ChunkView::Of(q.Blob(1));
    if (!view) {
      failed = Status::Error(fmt::format("{}: chunk {} of {}: {}", db_->path(), q.Int(0), symbol,
                                         view.status().message()));
      break;
    }
    auto more = visit(q.Int(0), *view);
    if (!more) {
      failed = more.status();
      break;
    }
    if (!*more) break;
  }
  const bool done = rc == SQLITE_ROW || rc == SQLITE_DONE;
  // Ends the read: a statement left open would pin its snapshot.
  q.Reset();
  if (!failed.ok()) return failed;
  return done ? Status::Ok() : db_->Check(rc, "read tick chunks");
}

Status TickChunks::Write(std::string_view symbol, std::span<const StoredTick> run,
                         std::vector<bool>& fresh) {
  fresh.assign(run.size(), true);
  if (run.empty()) return Status::Ok();
  for (std::size_t i = 1; i < run.size(); ++i) {
    if (run[i - 1].timestamp >= run[i].timestamp) {
      return Status::Error(fmt::format(
          "{}: the ticks of {} to write are not in strictly increasing time at position {}",
          db_->path(), symbol, i));
    }
  }
  // From the newest tick back, one stored chunk a step: the newest chunk starting at or before
  // the remaining run's last tick takes the run's ticks from its start on. So a step rewrites one
  // chunk whatever the run spans: a late tick from long ago costs the chunk it lands in, not the
  // history after it.
  std::size_t end = run.size();
  while (end > 0) {
    std::optional<std::int64_t> rowid;
    stored_.clear();
    Status read = VisitBackward(symbol, run[end - 1].timestamp,
                                [&](std::int64_t id, const ChunkView& chunk) -> bool {
                                  rowid = id;
                                  stored_.reserve(chunk.rows());
                                  for (std::size_t i = 0; i < chunk.rows(); ++i) {
                                    stored_.push_back(chunk.tick(i));
                                  }
                                  return false;
                                });
    if (!read.ok()) return read;
    // Before the symbol's first chunk (or the symbol's first ticks): chunks of their own.
    if (!rowid) return Insert(symbol, run.first(end));
    const auto from = std::lower_bound(
        run.begin(), run.begin() + static_cast<std::ptrdiff_t>(end), stored_.front().timestamp,
        [](const StoredTick& t, Micros at) { return t.timestamp < at; });
    const auto begin = static_cast<std::size_t>(from - run.begin());
    const auto piece = run.subspan(begin, end - begin);
    end = begin;
    const bool overlaps = stored_.back().timestamp >= piece.front().timestamp;
    if (!overlaps &&
        stored_.size() >= std::min(kChunkRows, std::max(kSmallChunkRows, piece.size()))) {
      if (Status s = Insert(symbol, piece); !s.ok()) return s;
      continue;
    }
    merged_.clear();
    std::size_t r = 0;
    for (const StoredTick& old : stored_) {
      while (r < piece.size() && piece[r].timestamp < old.timestamp) merged_.push_back(piece[r++]);
      if (r < piece.size() && piece[r].timestamp == old.timestamp) {
        fresh[begin + r] = false;
        merged_.push_back(piece[r++]);
      } else {
        merged_.push_back(old);
      }
    }
    merged_.insert(merged_.end(), piece.begin() + static_cast<std::ptrdiff_t>(r), piece.end());
    if (Status s = Replace(*rowid, symbol); !s.ok()) return s;
  }
  return Status::Ok();
}

Status TickChunks::Replace(std::int64_t rowid, std::string_view symbol) {
  if (merged_.size() <= kChunkRows) {
    // The common case: the row keeps its first tick, and so its key; rewrite it in place.
    const std::string data = EncodeChunk(merged_);
    rewrite_.Reset();
    rewrite_.Bind(1, rowid)
        .Bind(2, static_cast<std::int64_t>(merged_.back().timestamp))
        .Bind(3, static_cast<std::int64_t>(merged_.size()))
        .BindBlob(4, data);
    return db_->Check(rewrite_.Step(), "rewrite tick chunk");
  }
  remove_.Reset();
  remove_.Bind(1, rowid);
  if (Status s = db_->Check(remove_.Step(), "replace tick chunk"); !s.ok()) return s;
  return Insert(symbol, merged_);
}

Status TickChunks::Insert(std::string_view symbol, std::span<const StoredTick> ticks) {
  // Full chunks first: the short remainder is the last, the one the next run extends.
  for (std::size_t from = 0; from < ticks.size(); from += kChunkRows) {
    const auto piece = ticks.subspan(from, std::min(kChunkRows, ticks.size() - from));
    const std::string data = EncodeChunk(piece);
    insert_.Reset();
    insert_.BindStatic(1, symbol)
        .Bind(2, static_cast<std::int64_t>(piece.front().timestamp))
        .Bind(3, static_cast<std::int64_t>(piece.back().timestamp))
        .Bind(4, static_cast<std::int64_t>(piece.size()))
        .BindBlob(5, data);
    if (Status s = db_->Check(insert_.Step(), "write tick chunk"); !s.ok()) return s;
  }
  return Status::Ok();
}

Status TickChunks::Range(std::string_view symbol, std::optional<Micros> from,
                         std::optional<Micros> to, std::vector<StoredTick>& out) {
  // Chunks come newest first: gather them, then append oldest first.
  std::vector<std::vector<StoredTick>> pieces;
  Status read = VisitBackward(symbol, to ? std::optional<Micros>(*to - 1) : std::nullopt,
                              [&](std::int64_t, const ChunkView& chunk) -> bool {
                                if (from && chunk.last() < *from) return false;
                                std::size_t begin = from ? chunk.LowerBound(*from) : 0;
                                std::size_t end = to ? chunk.LowerBound(*to) : chunk.rows();
                                auto& piece = pieces.emplace_back();
                                piece.reserve(end - begin);
                                for (std::size_t i = begin; i < end; ++i) {
                                  piece.push_back(chunk.tick(i));
                                }
                                return true;
                              });
  if (!read.ok()) return read;
  for (auto piece = pieces.rbegin(); piece != pieces.rend(); ++piece) {
    out.insert(out.end(), piece->begin(), piece->end());
  }
  return Status::Ok();
}

Status TickChunks::Last(std::string_view symbol, std::size_t n, std::vector<StoredTick>& out) {
  out.clear();
  if (n == 0) return Status::Ok();
  // Newest first, reversed at the end.
  Status read = VisitBackward(symbol, std::nullopt, [&](std::int64_t, const ChunkView& chunk) {
    for (std::size_t i = chunk.rows(); i-- > 0 && out.size() < n;) out.push_back(chunk.tick(i));
    return out.size() < n;
  });
  if (!read.ok()) return read;
  std::reverse(out.begin(), out.end());
  return Status::Ok();
}

Result<std::uint64_t> TickChunks::Count() {
  auto q = db_->Prepare("SELECT COALESCE(SUM(rows), 0) FROM tick_chunks");
  if (!q) return q.status();
  const int rc = q->Step();
  if (rc != SQLITE_ROW) return db_->Check(rc, "count ticks");
  return static_cast<std::uint64_t>(q->Int(0));
}

}  // namespace stockpipe
