// Ingest: stream batch -> RAW archive + CLEAN store + quarantine, then checkpoint.
//
// For each batch: every record is parsed and normalised; accepted ones go to one RAW object per
// event date, rejected ones to one quarantine object per arrival date (with reason, message and
// position), accepted ticks are upserted into the CLEAN store. Only when both sinks are durable is
// the checkpoint committed, together with the batch's counts. Object keys come from the batch's
// position, so replaying a batch after a crash rewrites the same objects and upserts the same
// rows: exactly-once in effect.
//
// `ProcessBatch` is the shared core: the local loop and the Lambda handler both call it.
#pragma once

#include <atomic>
#include <string>

#include "core/clean_store.h"
#include "core/ingest_counts.h"
#include "core/raw_archive.h"
#include "core/record.h"
#include "core/stream.h"

namespace stockpipe {

// `raw/dt=2025-08-14/shard-000001-<first>-<last>.jsonl.gz` (`rejected/...` for quarantine).
std::string ObjectKey(std::string_view area, std::string_view date, std::string_view shard,
                      std::string_view first_sequence, std::string_view last_sequence);

struct BatchOutcome {
  IngestCounts counts;
  std::size_t raw_objects = 0;
  std::size_t rejected_objects = 0;
  Micros newest_tick = 0;
};

class Ingestor {
 public:
  Ingestor(RawArchive& archive, CleanStore& store, RecordLimits limits = {});

  // Writes `batch` to both sinks; returns once both are durable. Does not checkpoint.
  Result<BatchOutcome> ProcessBatch(const StreamBatch& batch);

  // Claims, processes and commits at most one batch per shard of `stream`.
  // Returns the counts of everything committed in this pass.
  Result<IngestCounts> PollOnce(Stream& stream, std::string_view consumer,
                                const ClaimLimits& limits);
  Result<IngestCounts> PollOnce(Stream& stream, std::string_view consumer,
                                std::size_t max_records) {
    return PollOnce(stream, consumer, ClaimLimits{max_records, 0, 0});
  }

 private:
  RawArchive& archive_;
  CleanStore& store_;
  RecordParser parser_;
};

}  // namespace stockpipe
