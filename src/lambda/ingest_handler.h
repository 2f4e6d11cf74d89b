// The ingest Lambda: a Kinesis event in, the shared ingest core over it, `batchItemFailures` out.
//
// The event's records (`Records[].kinesis.{data, sequenceNumber, partitionKey,
// approximateArrivalTimestamp}`, shard from `eventID` = `<shardId>:<sequence>`) are grouped by
// shard into `StreamBatch`es in sequence order, and each batch goes through
// `Ingestor::ProcessBatch`, the same code the local `stockpipe ingest` runs: RAW, quarantine and
// CLEAN are written, keyed by the batch's position, so a retried event with the same boundaries
// rewrites the same objects. Lambda may re-deliver a failed range with other boundaries (bisect,
// newer records picked up); RAW can then hold an overlapping object (CLEAN upserts stay exact).
//
// What is not a failure: an invalid record (the core quarantines it) and a record whose `data` is
// not base64 (quarantined here, reason `invalid_base64`, in its own object beside the core's).
// What is: a shard batch whose sinks fail. Every record of that batch is then listed in
// `{"batchItemFailures":[{"itemIdentifier":"<sequence number>"}]}` so Lambda retries it; the list
// is empty when all went well. An event that is not a Kinesis event at all is a handler error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/clean_store.h"
#include "core/ingest_counts.h"
#include "core/raw_archive.h"
#include "ingest/ingestor.h"
#include "lambda/runtime.h"

namespace stockpipe::lambda {

// One record of a Kinesis event, still encoded.
struct KinesisEventRecord {
  std::string shard;     // "shardId-000000000000"
  std::string sequence;  // decimal text, up to 128 digits
  std::string partition_key;
  Micros arrival = 0;
  std::string data;  // base64 as received
};

// Reads a Kinesis event; an error names the first member that is missing or of the wrong type.
Result<std::vector<KinesisEventRecord>> ParseKinesisEvent(std::string_view event);

// The quarantine reason for records whose `data` is not base64.
inline constexpr std::string_view kInvalidBase64Reason = "invalid_base64";

// What one invocation did, for logs and tests.
struct IngestInvocation {
  IngestCounts counts;          // of the records the core saw
  std::size_t undecodable = 0;  // quarantined as invalid_base64
  std::size_t batches = 0;      // shard batches
  std::size_t failed_batches = 0;
  std::vector<std::string> failed_sequences;
};

class IngestHandler {
 public:
  IngestHandler(RawArchive& archive, CleanStore& store, RecordLimits limits = {});

  // The runtime's handler: the response body is the batchItemFailures document.
  Result<std::string> operator()(std::string_view event, const InvocationContext& context);

  // The same, with the outcome kept for the caller.
  Result<IngestInvocation> Handle(std::string_view event);

 private:
  Status QuarantineUndecodable(const StreamBatch& batch,
                               const std::vector<const KinesisEventRecord*>& records);

  RawArchive& archive_;
  Ingestor ingestor_;
};

// `{"batchItemFailures":[{"itemIdentifier":"..."},...]}`.
std::string BatchItemFailures(const std::vector<std::string>& sequences);

}  // namespace stockpipe::lambda
