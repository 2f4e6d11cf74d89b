// `stockpipe migrate raw`: the reference pipeline's one-object-per-record RAW, compacted into
// stockpipe's archive layout.
//
// The source (reference_raw.h) is read one arrival hour at a time. Each record is parsed and
// normalised exactly as ingest does it: accepted ones become canonical lines in
// `raw/dt=<event date>/migrated-ref-<hour>-p<N>.jsonl.gz` (the partitions the Glue tables and
// `stockpipe query` read), refused ones quarantine lines in `rejected/dt=<arrival date>/...` with
// their reason and, as `sequence`, the source key. Nothing is deleted from the source.
//
// Exactly once when rerun, killed or not: before a part's objects are written, the list of source
// keys it holds is written to the destination (`migrate/ref-raw/<hour>-p<N>.keys.gz`), and once
// they are written a `.done` marker. A rerun skips keys of done parts, redoes a part without its
// marker from its own key list (the same keys give the same bytes, which the write-once archive
// accepts as a replay) and puts keys it has not seen (the old pipeline still writing) in a new
// part. Counts add up: every listed key is migrated, quarantined, already migrated, already in the
// archive, or reported as not a reference name.
//
// Already in the archive: at the switch, stockpipe's consumer replays the stream's retained
// window, so records the reference stored are archived again by stockpipe's ingest. A record
// whose canonical line is in a stockpipe-written object of its day is counted, not copied. Run
// the migration once that replay has passed the point where the reference stopped
// (docs/migrate.md): the overlap is then final and a rerun gives the same objects.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/raw_archive.h"
#include "core/record.h"
#include "migrate/reference_raw.h"

namespace stockpipe::migrate {

struct RawMigrationOptions {
  bool dry_run = false;  // read, parse and count; write nothing
  int parallel = 16;     // source objects fetched at once (S3 latency, not CPU, is the limit)
  int page_size = 1000;  // keys listed per request (S3's largest page)
  RecordLimits limits;
};

struct RawMigrationCounts {
  std::uint64_t listed = 0;            // every key under the source root
  std::uint64_t migrated = 0;          // records now in raw/
  std::uint64_t quarantined = 0;       // objects now in rejected/ with their reason
  std::uint64_t already_migrated = 0;  // keys of parts an earlier run finished
  std::uint64_t replayed = 0;       // records stockpipe's own ingest already archived (the replay)
  std::uint64_t not_reference = 0;  // keys that are no reference name (reported, left alone)
  std::uint64_t parts = 0;          // parts written (or redone) by this run
  std::uint64_t objects_written = 0;  // archive objects written by this run
};

// Called after each hour with the counts so far and the hour (`2025081414`): progress.
using RawMigrationProgress = std::function<void(const RawMigrationCounts&, std::string_view)>;

// Migrates everything `source` holds into `destination`. An error (a source object that cannot be
// read, a destination that refuses a write) stops the run; what it finished stays finished and a
// rerun resumes.
Result<RawMigrationCounts> MigrateRaw(ReferenceRawSource& source, RawArchive& destination,
                                      const RawMigrationOptions& options,
                                      const RawMigrationProgress& progress = {});

// `raw/dt=2025-08-14/migrated-ref-2025081414-p1.jsonl.gz`: the names MigrateRaw writes.
std::string MigratedObjectKey(std::string_view area, std::string_view date, std::string_view hour,
                              int part);
// Whether `key` is such a name (`stockpipe check` counts these apart from the stream's ranges).
bool IsMigratedObjectKey(std::string_view key);

}  // namespace stockpipe::migrate
