// The Kinesis Data Streams adapter of `Stream`, over the signed `aws::Client` (no SDK).
//
// Put: PutRecords in calls of at most 500 entries and 5 MiB (data + partition keys), the
// partition key being the record's (the symbol); entries Kinesis refuses in a partial failure
// are resent alone, in order, with backoff, a bounded number of times (see put_records.h).
// Whole-call throttling and 5xx are retried by the client.
//
// Claim/Commit: Kinesis keeps no positions for GetRecords readers, so each consumer's position
// per shard lives in the `StateStore` given to the constructor (see checkpoint.h). A claim is
// recorded before the batch is returned; until it is committed, Claim reads exactly that range
// again (AT_SEQUENCE_NUMBER its first, up to its last). Commit is one StateStore Put.
// `ClaimLimits.min_records`/`max_wait`: a fresh read with fewer than `min_records` records whose
// oldest arrived less than `max_wait` ago is dropped (not claimed) and an empty batch returned;
// Kinesis has no cheap count of pending records, so the next Claim reads them again.
//
// A recreated stream (deleted and made again under the same name) has shards of the same ids
// with new sequence numbers: a checkpoint keeps the StartingSequenceNumber of the shard it was
// taken on, and Claim refuses a shard that starts elsewhere (or, for a checkpoint from before
// that was kept, starts after the checkpoint's position), naming the checkpoint, instead of
// reading a new stream from an old stream's position.
//
// Resharding: a shard with no NextShardIterator is closed and fully read; the consumer marks it
// finished. A child shard (ParentShardId / AdjacentParentShardId) yields nothing for a consumer
// until its listed parents are finished for that consumer, so per-key order holds across a split
// or merge. A parent ListShards no longer lists (past retention) counts as finished.
//
// Threads: Put may run on any thread at any time. Claim, Commit and Shards share a shard cache
// (guarded) and the StateStore; one consumer of one shard must be driven by one caller at a time
// (the StateStore has no conditional write to catch two ingests on one shard).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/client.h"
#include "core/state_store.h"
#include "core/stream.h"
#include "stream/kinesis/checkpoint.h"
#include "stream/kinesis/put_records.h"

namespace stockpipe {

struct KinesisStreamOptions {
  aws::ClientOptions client;
  std::string stream_name;
  int put_attempts = 6;                        // tries per PutRecords call, for refused entries
  std::int64_t put_backoff_base_us = 100'000;  // full jitter in [0, base * 2^retry]
  std::int64_t put_backoff_max_us = 5'000'000;
  int max_get_records_calls = 5;        // per fresh Claim (Kinesis allows 5 reads/s per shard)
  Micros active_timeout = 300'000'000;  // CreateIfMissing / WaitActive
};

class KinesisStream final : public Stream {
 public:
  KinesisStream(KinesisStreamOptions options, StateStore& checkpoints);

  Status Put(std::span<const StreamRecord> records) override;
  // Every shard ListShards returns (open and closed), following NextToken.
  Result<std::vector<std::string>> Shards() override;
  using Stream::Claim;
  Result<StreamBatch> Claim(std::string_view consumer, std::string_view shard,
                            const ClaimLimits& limits) override;
  Status Commit(std::string_view consumer, const StreamBatch& batch,
                const IngestCounts& counts) override;
  // Kinesis expires records after the stream's own retention period (24 h by default).
  Result<std::uint64_t> Trim(Micros, Micros) override { return std::uint64_t{0}; }

  // Creates the stream with `shards` shards unless it exists (an existing one is kept as it is),
  // then waits until it is ACTIVE.
  Status CreateIfMissing(int shards);
  // Polls DescribeStreamSummary until the stream is ACTIVE (after a create, split or merge).
  Status WaitActive();

  // Where `consumer` stands in `shard` (a default checkpoint when it never read it).
  Result<kinesis::ShardCheckpoint> Checkpoint(std::string_view consumer, std::string_view shard);
  // The consumer's counts summed over every shard.
  Result<IngestCounts> Totals(std::string_view consumer);

  aws::Client& client() { return client_; }
  const std::string& stream_name() const { return options_.stream_name; }

 private:
  struct ShardInfo {
    std::vector<std::string> parents;
    std::string start;    // SequenceNumberRange.StartingSequenceNumber
    bool closed = false;  // has an EndingSequenceNumber
  };
  struct Read {
    StreamBatch records;       // entries only: the claim names the batch
    bool shard_ended = false;  // no NextShardIterator: closed and read to its end
  };

  Result<std::vector<std::string>> RefreshShards();
  Result<ShardInfo> Info(std::string_view shard);
  Status PutCall(std::vector<kinesis::PutEntry> entries);
  Result<std::string> Iterator(std::string_view shard, std::string_view type,
                               std::string_view sequence);
  Result<Read> ReadFresh(std::string_view shard, const kinesis::ShardCheckpoint& checkpoint,
                         const ShardInfo& info, std::size_t max_records);
  Result<StreamBatch> ReadClaimed(std::string_view consumer, std::string_view shard,
                                  const kinesis::ShardCheckpoint& checkpoint);
  Status Save(std::string_view consumer, std::string_view shard,
              const kinesis::ShardCheckpoint& checkpoint);
  // Refuses a checkpoint taken on another incarnation of `shard` (see above); else records the
  // shard's start in `checkpoint`.
  Status SameShard(std::string_view consumer, std::string_view shard,
                   kinesis::ShardCheckpoint& checkpoint, const ShardInfo& info);

  KinesisStreamOptions options_;
  StateStore& checkpoints_;
  aws::Client client_;
  std::mutex shards_mutex_;
  std::map<std::string, ShardInfo, std::less<>> shards_;
};

}  // namespace stockpipe
