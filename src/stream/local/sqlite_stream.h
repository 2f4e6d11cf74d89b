// The local Stream: a durable, sharded log in one SQLite file (WAL), shared by processes.
//
// Layout: each Put writes one chunk per shard it touches (records length-prefixed in a blob),
// numbered with the shard's next sequence numbers, so a batch of 10,000 records is a handful of
// rows, not 10,000. A consumer's row in `checkpoints` holds the last sequence it committed and the
// batch it has claimed but not committed; `Claim` returns that same batch again after a crash.
// Retention drops chunks older than the retention period that every consumer has committed past:
// nothing is dropped that a registered consumer has not read.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/ingest_counts.h"
#include "core/stream.h"
#include "sqlite/database.h"

namespace stockpipe {

struct ShardStats {
  std::string shard;
  std::uint64_t newest_sequence = 0;  // 0 when the shard is empty
  std::uint64_t checkpoint = 0;       // of the consumer asked about
  std::uint64_t lag_records = 0;      // written but not committed by that consumer
  Micros oldest_pending_arrival = 0;  // 0 when nothing is pending
};

struct LocalStreamStats {
  std::vector<ShardStats> shards;
  std::uint64_t retained_records = 0;
  Micros last_put = 0;  // 0 when nothing was ever put
  IngestCounts counts;  // totals committed by the consumer asked about
};

class SqliteStream final : public Stream {
 public:
  // Opens or creates the stream at `path`. The shard count is fixed when the file is created;
  // reopening with another count keeps the original one.
  static Result<std::unique_ptr<SqliteStream>> Open(const std::string& path, int shards,
                                                    sqlite::Sync sync = sqlite::Sync::kNormal);

  Status Put(std::span<const StreamRecord> records) override;
  Result<std::vector<std::string>> Shards() override;
  using Stream::Claim;
  Result<StreamBatch> Claim(std::string_view consumer, std::string_view shard,
                            const ClaimLimits& limits) override;
  Status Commit(std::string_view consumer, const StreamBatch& batch,
                const IngestCounts& counts) override;

  Result<std::uint64_t> Trim(Micros now, Micros retention) override;
  // Everything `stockpipe health` shows; scans the shard index, so not for a tight loop.
  Result<LocalStreamStats> Stats(std::string_view consumer);
  // The same from any connection to a stream file (a read-only one too), in one snapshot.
  static Result<LocalStreamStats> ReadStats(sqlite::Database& db, std::string_view consumer);
  // When the newest record arrived (0 = never): one row read, cheap enough for a watchdog.
  Result<Micros> LastPut();
  int shard_count() const { return shard_count_; }
  // How Put and Commit are made durable (Open's `sync`, as the connection reports it).
  Result<sqlite::Sync> sync() { return db_->sync(); }

  // The shard a partition key goes to: FNV-1a, stable across processes and versions.
  static int ShardOf(std::string_view partition_key, int shard_count);
  static std::string ShardName(int shard);
  // A sequence number as its record's text: zero-padded to kSequenceDigits, so texts order as
  // numbers (and as RAW object names always had them).
  static std::string SequenceText(std::uint64_t sequence);
  static constexpr std::size_t kSequenceDigits = 20;  // the most a 64-bit number has

 private:
  SqliteStream(std::unique_ptr<sqlite::Database> db, int shards)
      : db_(std::move(db)), shard_count_(shards) {}
  Result<int> ParseShard(std::string_view shard) const;

  std::unique_ptr<sqlite::Database> db_;
  int shard_count_;
  std::vector<std::string> chunk_buffers_;
};

}  // namespace stockpipe
