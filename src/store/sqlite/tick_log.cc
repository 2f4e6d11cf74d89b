#include "store/sqlite/tick_log.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>
#include <optional>

namespace stockpipe {
namespace {

template <typename T>
void Append(std::string& out, T v) {
  const std::size_t at = out.size();
  out.resize(at + sizeof v);
  std::memcpy(out.data() + at, &v, sizeof v);
}

}  // namespace

void AppendLoggedRun(std::string_view symbol, std::span<const StoredTick> run, std::string& data) {
  Append(data, static_cast<std::uint16_t>(symbol.size()));
  data += symbol;
  const std::size_t length_at = data.size();
  Append(data, std::uint32_t{0});
  AppendChunk(run, data);
  const auto length = static_cast<std::uint32_t>(data.size() - length_at - 4);
  std::memcpy(data.data() + length_at, &length, sizeof length);
}

Status LoggedRuns::Next() {
  std::size_t at = next_;
  const auto take = [&](std::size_t n) -> std::optional<std::string_view> {
    if (data_.size() - at < n) return std::nullopt;
    std::string_view piece = data_.substr(at, n);
    at += n;
    return piece;
  };
  if (at == data_.size()) {
    run_.reset();
    return Status::Ok();
  }
  std::uint16_t symbol_size = 0;
  std::uint32_t chunk_size = 0;
  auto size = take(sizeof symbol_size);
  if (size) std::memcpy(&symbol_size, size->data(), sizeof symbol_size);
  auto symbol = size ? take(symbol_size) : std::nullopt;
  auto length = symbol ? take(sizeof chunk_size) : std::nullopt;
  if (length) std::memcpy(&chunk_size, length->data(), sizeof chunk_size);
  auto chunk = length ? take(chunk_size) : std::nullopt;
  if (!chunk) {
    return Status::Error(fmt::format("logged batch of {} bytes ends inside the run at byte {}",
                                     data_.size(), next_));
  }
  if (run_ && *symbol <= run_->symbol) {
    return Status::Error(fmt::format("logged batch has run {} out of symbol order", *symbol));
  }
  auto view = ChunkView::Of(*chunk);
  if (!view) {
    return Status::Error(
        fmt::format("logged batch, run of {}: {}", *symbol, view.status().message()));
  }
  run_ = LoggedRun{*symbol, *view};
  next_ = at;
  return Status::Ok();
}

Result<TickLog> TickLog::Open(sqlite::Database& db) {
  TickLog log(db);
  for (const auto& [statement, sql] :
       std::initializer_list<std::pair<sqlite::Statement*, std::string_view>>{
           {&log.append_, "INSERT INTO tick_log(ticks, data) VALUES(?1, ?2)"},
           {&log.ticks_, "SELECT COALESCE(SUM(ticks), 0) FROM tick_log"},
           {&log.folding_, "SELECT through, next FROM tick_log_fold"},
           {&log.last_id_, "SELECT max(id) FROM tick_log"},
           {&log.save_fold_, "INSERT INTO tick_log_fold(through, next) VALUES(?1, ?2)"},
           {&log.drop_rows_, "DELETE FROM tick_log WHERE id <= ?1"},
           {&log.drop_fold_, "DELETE FROM tick_log_fold"},
           {&log.ids_, "SELECT id FROM tick_log WHERE id <= ?1 ORDER BY id"},
       }) {
    auto prepared = db.Prepare(sql);
    if (!prepared) return prepared.status();
    *statement = std::move(*prepared);
  }
  return log;
}

Status TickLog::Append(std::uint64_t ticks, std::string_view data) {
  append_.Reset();
  append_.Bind(1, static_cast<std::int64_t>(ticks)).BindBlob(2, data);
  return db_->Check(append_.Step(), "log a batch");
}

Result<std::uint64_t> TickLog::Ticks() {
  ticks_.Reset();
  const int rc = ticks_.Step();
  if (rc != SQLITE_ROW) return db_->Check(rc, "count logged ticks");
  const auto ticks = static_cast<std::uint64_t>(ticks_.Int(0));
  ticks_.Reset();  // no read transaction left open between batches
  return ticks;
}

Result<std::optional<TickLog::Fold>> TickLog::Folding() {
  folding_.Reset();
  const int rc = folding_.Step();
  if (rc == SQLITE_DONE) return std::optional<Fold>();
  if (rc != SQLITE_ROW) return db_->Check(rc, "read the fold under way");
  Fold fold{folding_.Int(0), std::string(folding_.Text(1))};
  folding_.Reset();
  return std::optional<Fold>(std::move(fold));
}

Result<std::optional<TickLog::Fold>> TickLog::StartFold() {
  last_id_.Reset();
  const int rc = last_id_.Step();
  if (rc != SQLITE_ROW) return db_->Check(rc, "find the newest logged batch");
  const bool empty = last_id_.IsNull(0);
  const Fold fold{last_id_.Int(0), ""};
  last_id_.Reset();
  if (empty) return std::optional<Fold>();
  if (Status s = SaveFold(fold); !s.ok()) return s;
  return std::optional<Fold>(fold);
}

Status TickLog::SaveFold(const Fold& fold) {
  drop_fold_.Reset();
  if (Status s = db_->Check(drop_fold_.Step(), "save the fold"); !s.ok()) return s;
  save_fold_.Reset();
  save_fold_.Bind(1, fold.through).Bind(2, std::string_view(fold.next));
  return db_->Check(save_fold_.Step(), "save the fold");
}

Status TickLog::FinishFold(const Fold& fold) {
  drop_rows_.Reset();
  drop_rows_.Bind(1, fold.through);
  if (Status s = db_->Check(drop_rows_.Step(), "delete folded batches"); !s.ok()) return s;
  drop_fold_.Reset();
  return db_->Check(drop_fold_.Step(), "finish the fold");
}

Status TickLog::Ids(std::int64_t through, std::vector<std::int64_t>& ids) {
  ids.clear();
  ids_.Reset();
  ids_.Bind(1, through);
  int rc;
  while ((rc = ids_.Step()) == SQLITE_ROW) ids.push_back(ids_.Int(0));
  ids_.Reset();
  return rc == SQLITE_DONE ? Status::Ok() : db_->Check(rc, "list logged batches");
}

namespace {

// A window of 16 KB a row: a fold of ~150 logged batches holds ~2.4 MB of them.
constexpr std::size_t kWindowBytes = 16 * 1024;

}  // namespace

Status LoggedRowCursor::Start(sqlite::Database& db) {
  window_.clear();
  window_begin_ = 0;
  size_ = std::numeric_limits<std::size_t>::max();  // not read yet: the window holds none of it
  runs_ = LoggedRuns(window_);
  return Next(db);
}

Status LoggedRowCursor::Next(sqlite::Database& db) {
  const std::size_t at = window_begin_ + runs_.next_offset();  // where the next run starts
  const std::string previous = runs_.run() ? std::string(runs_.run()->symbol) : std::string();
  Status s = runs_.Next();
  const bool window_holds_the_rest = window_begin_ + window_.size() == size_;
  if (window_holds_the_rest || (s.ok() && runs_.run())) return s;
  // The next run goes past the window (or starts right after it): read on from it, in a window
  // big enough for it.
  for (std::size_t least = kWindowBytes;; least *= 2) {
    if (Status filled = Fill(db, at, least); !filled.ok()) return filled;
    runs_ = LoggedRuns(window_);
    s = runs_.Next();
    if ((s.ok() && runs_.run()) || window_begin_ + window_.size() == size_) break;
  }
  if (s.ok() && runs_.run() && !previous.empty() && runs_.run()->symbol <= previous) {
    return Status::Error(
        fmt::format("logged batch has run {} out of symbol order", runs_.run()->symbol));
  }
  return s;
}

Status LoggedRowCursor::Fill(sqlite::Database& db, std::size_t begin, std::size_t least) {
  sqlite3_blob* blob = nullptr;
  int rc = sqlite3_blob_open(db.handle(), "main", "tick_log", "data", id_, 0, &blob);
  if (rc == SQLITE_OK) {
    size_ = static_cast<std::size_t>(sqlite3_blob_bytes(blob));
    const std::size_t n = std::min(std::max(least, kWindowBytes), size_ - std::min(begin, size_));
    window_.resize(n);
    window_begin_ = begin;
    rc = sqlite3_blob_read(blob, window_.data(), static_cast<int>(n), static_cast<int>(begin));
  }
  sqlite3_blob_close(blob);
  return db.Check(rc, fmt::format("read logged batch {}", id_));
}

}  // namespace stockpipe
