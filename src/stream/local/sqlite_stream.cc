#include "stream/local/sqlite_stream.h"

#include <fmt/format.h>

#include <charconv>
#include <cstring>

namespace stockpipe {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shards(shard INTEGER PRIMARY KEY, next_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chunks(
  id INTEGER PRIMARY KEY,
  shard INTEGER NOT NULL,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  arrival_us INTEGER NOT NULL,
  payload BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS chunks_by_position ON chunks(shard, first_seq);
CREATE TABLE IF NOT EXISTS checkpoints(
  consumer TEXT NOT NULL,
  shard INTEGER NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0,
  claim_first INTEGER,
  claim_last INTEGER,
  PRIMARY KEY(consumer, shard));
CREATE TABLE IF NOT EXISTS counters(
  consumer TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
  PRIMARY KEY(consumer, name));
)sql";

void AppendRecord(std::string& chunk, std::string_view data) {
  const auto size = static_cast<std::uint32_t>(data.size());
  char prefix[4];
  std::memcpy(prefix, &size, sizeof prefix);
  chunk.append(prefix, sizeof prefix);
  chunk.append(data);
}

void AppendSequenceText(std::uint64_t sequence, std::string& out) {
  char digits[SqliteStream::kSequenceDigits];
  for (std::size_t i = sizeof digits; i-- > 0; sequence /= 10) {
    digits[i] = static_cast<char>('0' + sequence % 10);
  }
  out.append(digits, sizeof digits);
}

// Splits a chunk back into records, appended to `batch` as views of a copy it keeps; false when
// the blob is corrupt.
bool ForEachRecord(std::string_view chunk, std::uint64_t first, Micros arrival,
                   StreamBatch& batch) {
  const std::string_view payload = batch.Keep(std::string(chunk));
  std::vector<std::string_view> records;
  for (std::string_view rest = payload; !rest.empty();) {
    if (rest.size() < 4) return false;
    std::uint32_t size;
    std::memcpy(&size, rest.data(), sizeof size);
    rest.remove_prefix(4);
    if (rest.size() < size) return false;
    records.push_back(rest.substr(0, size));
    rest.remove_prefix(size);
  }
  // Their sequence numbers, one text of fixed-width numbers.
  std::string numbers;
  numbers.reserve(records.size() * SqliteStream::kSequenceDigits);
  for (std::size_t i = 0; i < records.size(); ++i) AppendSequenceText(first + i, numbers);
  const std::string_view sequences = batch.Keep(std::move(numbers));
  for (std::size_t i = 0; i < records.size(); ++i) {
    batch.entries.push_back(
        {sequences.substr(i * SqliteStream::kSequenceDigits, SqliteStream::kSequenceDigits),
         arrival, records[i]});
  }
  return true;
}

std::uint64_t ParseSequence(std::string_view text) {
  std::uint64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

}  // namespace

int SqliteStream::ShardOf(std::string_view key, int shard_count) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  // FNV's low bits mix poorly; fold the high bits in (murmur3's finaliser) before the modulo.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<int>(h % static_cast<std::uint64_t>(shard_count));
}

std::string SqliteStream::ShardName(int shard) {
  return fmt::format("shard-{:06d}", shard);
}

std::string SqliteStream::SequenceText(std::uint64_t sequence) {
  std::string text;
  AppendSequenceText(sequence, text);
  return text;
}

Result<int> SqliteStream::ParseShard(std::string_view shard) const {
  int n = -1;
  if (shard.starts_with("shard-")) {
    const std::string_view digits = shard.substr(6);
    std::from_chars(digits.data(), digits.data() + digits.size(), n);
  }
  if (n < 0 || n >= shard_count_) {
    return Status::Error(
        fmt::format("unknown shard \"{}\" (the stream has {} shards)", shard, shard_count_));
  }
  return n;
}

Result<std::unique_ptr<SqliteStream>> SqliteStream::Open(const std::string& path, int shards,
                                                         sqlite::Sync sync) {
  // Payloads are chunks of thousands of records: the producer's CPU a tick is 25% lower in 64 KB
  // pages (docs/benchmarks.md). A stream made before them keeps its 4 KB.
  auto db = sqlite::Database::Open(path, true, sync, false, sqlite::kBlobPageSize);
  if (!db) return db.status();
  sqlite::Database& d = **db;
  int count = shards;
  Status s = sqlite::Transaction(d, [&]() -> Status {
    if (Status e = d.Exec(kSchema); !e.ok()) return e;
    auto get = d.Prepare("SELECT value FROM meta WHERE key='shards'");
    if (!get) return get.status();
    if (get->Step() == SQLITE_ROW) {
      count = std::stoi(std::string(get->Text(0)));
      return Status::Ok();
    }
    auto put = d.Prepare("INSERT INTO meta(key, value) VALUES('shards', ?)");
    if (!put) return put.status();
    put->Bind(1, std::to_string(shards));
    if (Status e = d.Check(put->Step(), "store shard count"); !e.ok()) return e;
    auto add = d.Prepare("INSERT OR IGNORE INTO shards(shard, next_seq) VALUES(?, 1)");
    if (!add) return add.status();
    for (int i = 0; i < shards; ++i) {
      add->Reset();
      add->Bind(1, static_cast<std::int64_t>(i));
      if (Status e = d.Check(add->Step(), "create shard"); !e.ok()) return e;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return std::unique_ptr<SqliteStream>(new SqliteStream(std::move(*db), count));
}

Status SqliteStream::Put(std::span<const StreamRecord> records) {
  if (records.empty()) return Status::Ok();
  chunk_buffers_.resize(static_cast<std::size_t>(shard_count_));
  std::vector<std::uint64_t> counts(static_cast<std::size_t>(shard_count_), 0);
  for (auto& b : chunk_buffers_) b.clear();
  for (const StreamRecord& r : records) {
    const auto shard = static_cast<std::size_t>(ShardOf(r.partition_key, shard_count_));
    AppendRecord(chunk_buffers_[shard], r.data);
    ++counts[shard];
  }
  const Micros now = NowMicros();
  sqlite::Database& d = *db_;
  return sqlite::Transaction(d, [&]() -> Status {
    auto bump = d.Prepare(
        "UPDATE shards SET next_seq = next_seq + ?1 WHERE shard = ?2 RETURNING next_seq - ?1");
    auto insert = d.Prepare(
        "INSERT INTO chunks(shard, first_seq, last_seq, arrival_us, payload) "
        "VALUES(?, ?, ?, ?, ?)");
    auto stamp = d.Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES('last_put_us', ?)");
    if (!bump) return bump.status();
    if (!insert) return insert.status();
    if (!stamp) return stamp.status();
    for (int shard = 0; shard < shard_count_; ++shard) {
      const std::uint64_t n = counts[static_cast<std::size_t>(shard)];
      if (n == 0) continue;
      bump->Reset();
      bump->Bind(1, static_cast<std::int64_t>(n)).Bind(2, static_cast<std::int64_t>(shard));
      if (bump->Step() != SQLITE_ROW) return d.Check(SQLITE_ERROR, "advance sequence");
      const std::int64_t first = bump->Int(0);
      if (Status e = d.Check(bump->Step(), "advance sequence"); !e.ok()) return e;
      insert->Reset();
      insert->Bind(1, static_cast<std::int64_t>(shard))
          .Bind(2, first)
          .Bind(3, first + static_cast<std::int64_t>(n) - 1)
          .Bind(4, now)
          .BindBlob(5, chunk_buffers_[static_cast<std::size_t>(shard)]);
      if (Status e = d.Check(insert->Step(), "append chunk"); !e.ok()) return e;
    }
    stamp->Bind(1, std::to_string(now));
    return d.Check(stamp->Step(), "stamp last put");
  });
}

Result<std::vector<std::string>> SqliteStream::Shards() {
  std::vector<std::string> names;
  for (int i = 0; i < shard_count_; ++i) names.push_back(ShardName(i));
  return names;
}

Result<StreamBatch> SqliteStream::Claim(std::string_view consumer, std::string_view shard_name,
                                        const ClaimLimits& limits) {
  auto shard = ParseShard(shard_name);
  if (!shard) return shard.status();
  const auto shard_id = static_cast<std::int64_t>(*shard);
  StreamBatch batch;
  batch.shard = std::string(shard_name);
  sqlite::Database& d = *db_;
  std::int64_t checkpoint = 0, first = 0, last = 0;
  bool reclaim = false;
  // Reading happens in a read transaction so producers are not blocked while a batch of tens of
  // thousands of records is decoded; only recording the claim takes the write lock.
  Status read_status = sqlite::Transaction(
      d,
      [&]() -> Status {
        auto get = d.Prepare(
            "SELECT seq, claim_first, claim_last FROM checkpoints WHERE consumer=? AND shard=?");
        if (!get) return get.status();
        get->Bind(1, consumer).Bind(2, shard_id);
        std::int64_t claim_first = 0, claim_last = 0;
        if (get->Step() == SQLITE_ROW) {
          checkpoint = get->Int(0);
          reclaim = !get->IsNull(1);
          claim_first = get->Int(1);
          claim_last = get->Int(2);
        }

        if (!reclaim && limits.min_records > 0) {
          auto pending = d.Prepare(
              "SELECT COALESCE(SUM(last_seq - first_seq + 1), 0), MIN(arrival_us) FROM chunks "
              "WHERE shard = ? AND first_seq > ?");
          if (!pending) return pending.status();
          pending->Bind(1, shard_id).Bind(2, checkpoint);
          if (pending->Step() != SQLITE_ROW) return d.Check(SQLITE_ERROR, "count pending");
          const auto count = static_cast<std::size_t>(pending->Int(0));
          if (count == 0 ||
              (count < limits.min_records && pending->Int(1) > NowMicros() - limits.max_wait)) {
            return Status::Ok();  // not worth an object yet
          }
        }

        auto read = d.Prepare(
            "SELECT first_seq, last_seq, arrival_us, payload FROM chunks "
            "WHERE shard = ?1 AND first_seq > ?2 AND (?3 IS NULL OR last_seq <= ?3) "
            "ORDER BY first_seq");
        if (!read) return read.status();
        read->Bind(1, shard_id).Bind(2, checkpoint);
        if (reclaim) read->Bind(3, claim_last);
        int rc;
        while ((rc = read->Step()) == SQLITE_ROW) {
          if (!reclaim && batch.entries.size() >= limits.max_records) break;
          if (first == 0) first = read->Int(0);
          last = read->Int(1);
          batch.entries.reserve(batch.entries.size() +
                                static_cast<std::size_t>(last - read->Int(0) + 1));
          if (!ForEachRecord(read->Blob(3), static_cast<std::uint64_t>(read->Int(0)), read->Int(2),
                             batch)) {
            return Status::Error(fmt::format("{}: chunk at {} of {} is corrupt", d.path(),
                                             read->Int(0), shard_name));
          }
        }
        if (Status e = d.Check(rc, "read chunks"); !e.ok()) return e;
        if (reclaim && (first != claim_first || last != claim_last)) {
          return Status::Error(fmt::format(
              "{}: claimed batch {}..{} of {} is no longer in the stream (found {}..{})", d.path(),
              claim_first, claim_last, shard_name, first, last));
        }
        return Status::Ok();
      },
      "BEGIN");
  if (!read_status.ok()) return read_status;
  if (batch.entries.empty()) return batch;
  batch.first_sequence = SequenceText(static_cast<std::uint64_t>(first));
  batch.last_sequence = SequenceText(static_cast<std::uint64_t>(last));
  if (reclaim) return batch;

  Status claim_status = sqlite::Transaction(d, [&]() -> Status {
    auto ensure = d.Prepare("INSERT OR IGNORE INTO checkpoints(consumer, shard) VALUES(?, ?)");
    if (!ensure) return ensure.status();
    ensure->Bind(1, consumer).Bind(2, shard_id);
    if (Status e = d.Check(ensure->Step(), "register consumer"); !e.ok()) return e;
    // Only if nobody moved the checkpoint or claimed since the read above.
    auto claim = d.Prepare(
        "UPDATE checkpoints SET claim_first=?1, claim_last=?2 "
        "WHERE consumer=?3 AND shard=?4 AND seq=?5 AND claim_first IS NULL");
    if (!claim) return claim.status();
    claim->Bind(1, first).Bind(2, last).Bind(3, consumer).Bind(4, shard_id).Bind(5, checkpoint);
    if (Status e = d.Check(claim->Step(), "claim batch"); !e.ok()) return e;
    if (sqlite3_changes(d.handle()) != 1) {
      return Status::Error(fmt::format(
          "{}: the checkpoint of {} for {} moved while claiming; is another ingest running?",
          d.path(), shard_name, consumer));
    }
    return Status::Ok();
  });
  if (!claim_status.ok()) return claim_status;
  return batch;
}

Status SqliteStream::Commit(std::string_view consumer, const StreamBatch& batch,
                            const IngestCounts& counts) {
  if (batch.empty()) return Status::Ok();
  auto shard = ParseShard(batch.shard);
  if (!shard) return shard.status();
  const auto first = static_cast<std::int64_t>(ParseSequence(batch.first_sequence));
  const auto last = static_cast<std::int64_t>(ParseSequence(batch.last_sequence));
  sqlite::Database& d = *db_;
  return sqlite::Transaction(d, [&]() -> Status {
    auto move = d.Prepare(
        "UPDATE checkpoints SET seq=?1, claim_first=NULL, claim_last=NULL "
        "WHERE consumer=?2 AND shard=?3 AND claim_first=?4 AND claim_last=?1");
    if (!move) return move.status();
    move->Bind(1, last).Bind(2, consumer).Bind(3, static_cast<std::int64_t>(*shard)).Bind(4, first);
    if (Status e = d.Check(move->Step(), "commit checkpoint"); !e.ok()) return e;
    if (sqlite3_changes(d.handle()) != 1) {
      return Status::Error(fmt::format(
          "{}: batch {}..{} of {} is not the one {} claimed; is another ingest running?", d.path(),
          first, last, batch.shard, consumer));
    }
    auto add = d.Prepare(
        "INSERT INTO counters(consumer, name, value) VALUES(?1, ?2, ?3) "
        "ON CONFLICT(consumer, name) DO UPDATE SET value = value + ?3");
    if (!add) return add.status();
    const auto bump = [&](std::string_view name, std::uint64_t value) -> Status {
      if (value == 0) return Status::Ok();
      add->Reset();
      add->Bind(1, consumer).Bind(2, name).Bind(3, static_cast<std::int64_t>(value));
      return d.Check(add->Step(), "add counters");
    };
    if (Status e = bump("received", counts.received); !e.ok()) return e;
    if (Status e = bump("accepted", counts.accepted); !e.ok()) return e;
    for (int i = 0; i < kRejectReasonCount; ++i) {
      const std::string name = fmt::format("rejected.{}", ReasonCode(static_cast<RejectReason>(i)));
      if (Status e = bump(name, counts.rejected[static_cast<std::size_t>(i)]); !e.ok()) return e;
    }
    for (int i = 0; i < kIgnoredFieldCount; ++i) {
      const std::string name = fmt::format("ignored.{}", IgnoredCode(static_cast<IgnoredField>(i)));
      if (Status e = bump(name, counts.ignored[static_cast<std::size_t>(i)]); !e.ok()) return e;
    }
    return Status::Ok();
  });
}

Result<std::uint64_t> SqliteStream::Trim(Micros now, Micros retention) {
  sqlite::Database& d = *db_;
  std::uint64_t removed = 0;
  Status s = sqlite::Transaction(d, [&]() -> Status {
    auto del = d.Prepare(
        "DELETE FROM chunks WHERE arrival_us < ?1 AND last_seq <= "
        "(SELECT MIN(seq) FROM checkpoints c WHERE c.shard = chunks.shard) "
        "RETURNING last_seq - first_seq + 1");
    if (!del) return del.status();
    del->Bind(1, now - retention);
    int rc;
    while ((rc = del->Step()) == SQLITE_ROW) removed += static_cast<std::uint64_t>(del->Int(0));
    return d.Check(rc, "trim");
  });
  if (!s.ok()) return s;
  return removed;
}

Result<Micros> SqliteStream::LastPut() {
  auto last = db_->Prepare("SELECT value FROM meta WHERE key='last_put_us'");
  if (!last) return last.status();
  if (last->Step() != SQLITE_ROW) return Micros{0};
  return static_cast<Micros>(std::stoll(std::string(last->Text(0))));
}

Result<LocalStreamStats> SqliteStream::Stats(std::string_view consumer) {
  return ReadStats(*db_, consumer);
}

Result<LocalStreamStats> SqliteStream::ReadStats(sqlite::Database& d, std::string_view consumer) {
  LocalStreamStats stats;
  // One snapshot: the lag and the counters agree with each other.
  Status read = sqlite::Transaction(
      d,
      [&]() -> Status {
        auto per_shard = d.Prepare(
            "SELECT s.shard, s.next_seq - 1, COALESCE(c.seq, 0), "
            "  (SELECT MIN(arrival_us) FROM chunks k WHERE k.shard = s.shard "
            "     AND k.first_seq > COALESCE(c.seq, 0)) "
            "FROM shards s LEFT JOIN checkpoints c ON c.shard = s.shard AND c.consumer = ? "
            "ORDER BY s.shard");
        if (!per_shard) return per_shard.status();
        per_shard->Bind(1, consumer);
        int rc;
        while ((rc = per_shard->Step()) == SQLITE_ROW) {
          ShardStats s;
          s.shard = ShardName(static_cast<int>(per_shard->Int(0)));
          s.newest_sequence = static_cast<std::uint64_t>(per_shard->Int(1));
          s.checkpoint = static_cast<std::uint64_t>(per_shard->Int(2));
          s.lag_records = s.newest_sequence - std::min(s.checkpoint, s.newest_sequence);
          s.oldest_pending_arrival = per_shard->IsNull(3) ? 0 : per_shard->Int(3);
          stats.shards.push_back(std::move(s));
        }
        if (Status e = d.Check(rc, "read the stream's shards"); !e.ok()) return e;
        auto retained = d.Prepare("SELECT COALESCE(SUM(last_seq - first_seq + 1), 0) FROM chunks");
        if (!retained) return retained.status();
        if (retained->Step() == SQLITE_ROW) {
          stats.retained_records = static_cast<std::uint64_t>(retained->Int(0));
        }
        auto last_put = d.Prepare("SELECT value FROM meta WHERE key='last_put_us'");
        if (!last_put) return last_put.status();
        if (last_put->Step() == SQLITE_ROW) {
          stats.last_put = std::atoll(std::string(last_put->Text(0)).c_str());
        }
        auto counters = d.Prepare("SELECT name, value FROM counters WHERE consumer=?");
        if (!counters) return counters.status();
        counters->Bind(1, consumer);
        while ((rc = counters->Step()) == SQLITE_ROW) {
          const std::string_view name = counters->Text(0);
          const auto value = static_cast<std::uint64_t>(counters->Int(1));
          if (name == "received") stats.counts.received = value;
          if (name == "accepted") stats.counts.accepted = value;
          for (int i = 0; name.starts_with("ignored.") && i < kIgnoredFieldCount; ++i) {
            if (name.substr(8) == IgnoredCode(static_cast<IgnoredField>(i))) {
              stats.counts.ignored[static_cast<std::size_t>(i)] = value;
            }
          }
          if (!name.starts_with("rejected.")) continue;
          for (int i = 0; i < kRejectReasonCount; ++i) {
            if (name.substr(9) == ReasonCode(static_cast<RejectReason>(i))) {
              stats.counts.rejected[static_cast<std::size_t>(i)] = value;
            }
          }
        }
        return d.Check(rc, "read the ingest counters");
      },
      "BEGIN");
  if (!read.ok()) return read;
  return stats;
}

}  // namespace stockpipe
