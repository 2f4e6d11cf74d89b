// Stream: the durable, sharded log between producers and ingest.
//
// Records are routed to a shard by their partition key (the symbol), and each shard numbers its
// records with increasing sequence numbers. A consumer reads a shard from its checkpoint, writes
// the batch to its sinks and only then commits; a crash before the commit means the same batch
// comes back, with the same boundaries, on the next `Claim`. That is the half of exactly-once that
// the stream owns: the sinks supply idempotence, keyed on the batch's position.
//
// Implementations: local (SQLite WAL, multi-process) and Kinesis.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ingest_counts.h"
#include "core/result.h"
#include "core/timestamp.h"

namespace stockpipe {

struct StreamRecord {
  std::string partition_key;
  std::string data;
};

// A record read back, with its position in the shard. Its texts are views of what the batch that
// holds it keeps (StreamBatch::Keep): valid while that batch lives, wherever it moves.
struct StreamEntry {
  std::string_view sequence;  // text, so Kinesis' 56-digit numbers fit; local ones zero-padded
  Micros arrival = 0;         // when the stream accepted it
  std::string_view data;
};

// A consecutive run of one shard's records, from `first_sequence` to `last_sequence`. A copy
// shares what the original keeps: its entries stay valid whichever of the two lives longer.
struct StreamBatch {
  std::string shard;
  std::string first_sequence;
  std::string last_sequence;
  std::vector<StreamEntry> entries;

  bool empty() const { return entries.empty(); }

  // Keeps `text` as long as the batch (or a copy) lives and returns a view of it that stays valid
  // when the batch moves: a stream reads a chunk of records into one kept text and its entries
  // view it, instead of a copy (an allocation) per record.
  std::string_view Keep(std::string text) {
    kept_.push_back(std::make_shared<const std::string>(std::move(text)));
    return *kept_.back();
  }
  // Keeps what `other` keeps too, so that entries viewing it may be added here.
  void KeepAllOf(const StreamBatch& other) {
    kept_.insert(kept_.end(), other.kept_.begin(), other.kept_.end());
  }

 private:
  std::vector<std::shared_ptr<const std::string>> kept_;
};

// How big a batch Claim hands out. A shard with fewer than `min_records` pending, all younger
// than `max_wait`, yields an empty batch for now: RAW objects stay batches, not trickles.
struct ClaimLimits {
  std::size_t max_records = 20'000;
  std::size_t min_records = 0;
  Micros max_wait = 0;
};

class Stream {
 public:
  virtual ~Stream() = default;

  // Appends records; all or none are accepted on the local stream; Kinesis retries only the
  // entries it refused. Returns once they are durable.
  virtual Status Put(std::span<const StreamRecord> records) = 0;

  // Shard ids, stable for the stream's life.
  virtual Result<std::vector<std::string>> Shards() = 0;

  // The next batch of `shard` for `consumer` after its checkpoint, within `limits`.
  // If a claimed batch was never committed, returns exactly that batch again.
  virtual Result<StreamBatch> Claim(std::string_view consumer, std::string_view shard,
                                    const ClaimLimits& limits) = 0;
  Result<StreamBatch> Claim(std::string_view consumer, std::string_view shard,
                            std::size_t max_records) {
    return Claim(consumer, shard, ClaimLimits{max_records, 0, 0});
  }

  // Moves the checkpoint past `batch` and adds `counts` to the consumer's totals, atomically.
  virtual Status Commit(std::string_view consumer, const StreamBatch& batch,
                        const IngestCounts& counts) = 0;

  // Retention: drops what is older than `retention` and every registered consumer has committed
  // past; returns how many records went. Called by ingest now and then, never in a tight loop.
  // A stream that expires records by itself (Kinesis) drops nothing here and returns 0.
  virtual Result<std::uint64_t> Trim(Micros now, Micros retention) = 0;
};

}  // namespace stockpipe
