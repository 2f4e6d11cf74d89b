// The quarantine line: one JSON line per refused record in `rejected/` objects, whoever refused
// it (the ingest core for a record it cannot accept, the ingest Lambda for Kinesis data that is not
// base64). One writer, so the `rejected` table's columns are one set:
//
//   {"reason":..,"message":..,"shard":..,"sequence":..,"arrival":..,"record":..
//    [,"record_base64":..][,"record_bytes":..,"record_sha256":..]}
//
// `record` is the record as text (bad UTF-8 bytes become U+FFFD); when it is not valid UTF-8 its
// exact bytes are kept too, as `record_base64`. A record longer than `keep` bytes is kept as its
// first `keep` bytes (cut at a character boundary) with the length and SHA-256 of the whole, and
// the message says so: one hostile line cannot blow up the quarantine.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "core/timestamp.h"

namespace stockpipe {

struct QuarantineEntry {
  std::string_view reason;   // a stable code: `ReasonCode(...)`, `invalid_base64`
  std::string_view message;  // what is wrong, for a person
  std::string_view shard;
  std::string_view sequence;
  Micros arrival = 0;
  std::string_view record;                                     // the whole record as received
  std::size_t keep = std::numeric_limits<std::size_t>::max();  // most record bytes kept
};

// Appends the entry's line, newline included.
void AppendQuarantineLine(const QuarantineEntry& entry, std::string& out);

}  // namespace stockpipe
