// Ingest: stream batch -> RAW archive + CLEAN store + quarantine, then checkpoint.
//
// For each batch: every record is parsed and normalised; accepted ones go to one RAW object per
// event date, rejected ones to one quarantine object per arrival date (with reason, message and
// position; an oversized record as its first `max_record_bytes` plus its length and SHA-256),
// accepted ticks are upserted into the CLEAN store. Only when both sinks are durable is the
// checkpoint committed, together with the batch's counts. Object keys come from the batch's
// position, so replaying a batch after a crash rewrites the same objects and upserts the same
// rows: exactly-once in effect.
//
// `ProcessBatch` is the shared core: the local loop and the Lambda handler both call it.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clean_store.h"
#include "core/ingest_counts.h"
#include "core/raw_archive.h"
#include "core/record.h"
#include "core/stream.h"

namespace stockpipe {

// `raw/dt=2025-08-14/shard-000001-<first>-<last>.jsonl.gz` (`rejected/...` for quarantine): the
// names of stream generation 1 (and of every folder from before generations).
std::string ObjectKey(std::string_view area, std::string_view date, std::string_view shard,
                      std::string_view first_sequence, std::string_view last_sequence);
// With the stream generation (store/data_folder.h): generation 1 gives the name above, N >= 2
// `raw/dt=2025-08-14/shard-000001-g<N>-<first>-<last>.jsonl.gz`, so a new stream whose sequence
// numbers start at 1 again never names an object like the old stream's. Same dt= partitions.
std::string ObjectKey(std::string_view area, std::string_view date, std::string_view shard,
                      std::uint64_t generation, std::string_view first_sequence,
                      std::string_view last_sequence);

// What ObjectKey put into a name: `stockpipe check` reads the archive through this, so a change
// of the naming lands here and in ObjectKey only.
struct ObjectName {
  std::string area;              // raw or rejected
  std::string date;              // YYYY-MM-DD
  std::string shard;             // shard-000001
  std::uint64_t generation = 1;  // the stream generation; `-g<N>` in names from generation 2 on
  std::uint64_t first = 0, last = 0;
};
// Empty when `key` is not a name ObjectKey makes (or first > last).
std::optional<ObjectName> ParseObjectKey(std::string_view key);

// Sets glibc's allocator for ingest's batches; call first thing in main, before any thread.
// Batches allocate and free tens of MB each: glibc would hand big blocks back to the kernel after
// every batch and fault them in again (a third of ingest's CPU), so they are kept. And two arenas:
// ingest's threads (two workers, an archive writer per batch, clean.db's checkpointer) would each
// get one of their own, up to eight per core, each kept at its own peak (peak RSS at 10,000
// symbols 96-106 MB with them, 78 MB with two, at the same speed).
void TuneAllocatorForBatches();

// CPU time each stage of ingest took, summed over every batch since the Ingestor was made (each
// worker's own thread time, so stages that overlap on two cores add up): where a tick's cost goes.
struct IngestStageCpu {
  Micros claim = 0;     // reading batches from the stream
  Micros parse = 0;     // parsing and normalising records, formatting RAW and quarantine lines
  Micros compress = 0;  // gzip of RAW and quarantine objects
  Micros archive = 0;   // writing and fsyncing them
  Micros clean = 0;     // the CLEAN store's commits
  Micros commit = 0;    // the checkpoints
};

struct BatchOutcome {
  IngestCounts counts;
  std::size_t raw_objects = 0;
  std::size_t rejected_objects = 0;
  Micros newest_tick = 0;
};

class Ingestor {
 public:
  // `workers` shards are processed at once by PollOnce: parsing and compressing one shard's batch
  // overlaps with another's CLEAN commit. The stream and the store are used by one worker at a
  // time; the archive must accept concurrent Puts of different keys.
  Ingestor(RawArchive& archive, CleanStore& store, RecordLimits limits = {}, int workers = 2);

  // Writes `batch` to both sinks; returns once both are durable. Does not checkpoint.
  Result<BatchOutcome> ProcessBatch(const StreamBatch& batch);

  // Claims, processes and commits a batch of every shard of `stream`, and, up to `rounds` batches
  // per shard, another of each shard whose last batch came back full (ingest is behind): through
  // a backlog both workers stay busy instead of waiting for each other at the end of every round.
  // A shard's batch is committed only after its own sinks are durable. When no shard's last batch
  // was full (ingest has caught up), settles the store. Returns the counts of everything
  // committed in this pass, or the first error (batches of other shards may have committed).
  Result<IngestCounts> PollOnce(Stream& stream, std::string_view consumer,
                                const ClaimLimits& limits, int rounds = 1);
  // The rounds ingest runs a pass with: at 20,000-record batches and 4 shards a pass is at most
  // 640,000 records (about a second), between which it trims the stream and reports progress.
  static constexpr int kBacklogRounds = 8;
  Result<IngestCounts> PollOnce(Stream& stream, std::string_view consumer,
                                std::size_t max_records) {
    return PollOnce(stream, consumer, ClaimLimits{max_records, 0, 0});
  }

  // Called with each batch's accepted ticks once both sinks are durable and before the batch is
  // checkpointed, one batch at a time (streaming signals). A crash in between replays the batch,
  // so the observer sees it again: it must be idempotent. An error fails the batch (not
  // checkpointed, claimed again). Set before the first batch.
  using DurableObserver = std::function<Status(std::span<const Tick>)>;
  void SetOnDurable(DurableObserver observer) { on_durable_ = std::move(observer); }

  // The stream generation that goes into object names (see ObjectKey); 1 unless set. Set before
  // the first batch.
  void SetGeneration(std::uint64_t generation) { generation_ = generation; }
  std::uint64_t generation() const { return generation_; }

  IngestStageCpu stage_cpu() const;

 private:
  // One atomic per IngestStageCpu member, in its order.
  enum Stage { kClaim, kParse, kCompress, kArchive, kClean, kCommit, kStages };
  void Spent(Stage stage, Micros since) const;

  Result<BatchOutcome> ProcessWith(RecordParser& parser, const StreamBatch& batch);
  Status WriteObjects(std::string_view area, const std::map<std::string, std::string>& by_date,
                      const StreamBatch& batch);

  RawArchive& archive_;
  CleanStore& store_;
  RecordLimits record_limits_;
  std::mutex store_mutex_;
  DurableObserver on_durable_;  // called under store_mutex_: one batch at a time
  std::uint64_t generation_ = 1;
  std::vector<std::unique_ptr<RecordParser>> parsers_;  // one per worker
  mutable std::array<std::atomic<Micros>, kStages> stage_cpu_{};
};

}  // namespace stockpipe
