// PutRecords as pure functions: the per-call limits, the request body and, from a response, the
// entries Kinesis refused.
//
// PutRecords is not all-or-nothing: a call can succeed while some of its entries were refused
// (`FailedRecordCount` > 0; each refused entry carries an `ErrorCode` where an accepted one has a
// `SequenceNumber`, in request order). Only the refused entries are sent again, so accepted ones
// are not duplicated. An entry that had to be resent lands after later entries of the same key
// that were accepted the first time: Kinesis itself gives no order across a partial failure.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace stockpipe::kinesis {

inline constexpr std::size_t kMaxPutRecords = 500;            // entries per call
inline constexpr std::size_t kMaxPutBytes = 5 * 1024 * 1024;  // data + keys per call
inline constexpr std::size_t kMaxRecordBytes = 1024 * 1024;   // data + key per entry
inline constexpr std::size_t kMaxPartitionKeyBytes = 256;

// One record on its way to Kinesis; the views point into the records given to `Put`.
struct PutEntry {
  std::size_t index = 0;  // position in the records given to Put, for messages
  std::string_view partition_key;
  std::string_view data;  // raw bytes; base64 only in the request body

  std::size_t bytes() const { return partition_key.size() + data.size(); }
};

// The key Kinesis accepts: 1 to 256 characters. Records without a symbol (bound for the
// quarantine) share "-"; a longer key is cut at a UTF-8 boundary (such a symbol is rejected by
// ingest anyway, so only its shard choice changes).
std::string_view KinesisPartitionKey(std::string_view key);

// Splits `entries` into consecutive runs of at most kMaxPutRecords entries and kMaxPutBytes
// bytes; returns where each run ends (exclusive). Entries must each be <= kMaxRecordBytes.
std::vector<std::size_t> PlanPutCalls(std::span<const PutEntry> entries);

// {"StreamName":…,"Records":[{"PartitionKey":…,"Data":"<base64>"},…]}
std::string PutRecordsBody(std::string_view stream, std::span<const PutEntry> entries);

struct PutRecordsOutcome {
  std::vector<PutEntry> resend;  // the refused entries, in the order they were sent
  std::string first_error;       // "<ErrorCode>: <ErrorMessage>" of the first refused entry
};

// Reads a PutRecords response for the entries `sent` in that call. An entry counts as refused
// when it has an `ErrorCode` or no `SequenceNumber`, whatever `FailedRecordCount` says. A body
// that is not a PutRecords response, or answers for another number of entries, is an error.
Result<PutRecordsOutcome> EntriesToResend(std::string_view response_body,
                                          std::span<const PutEntry> sent);

}  // namespace stockpipe::kinesis
