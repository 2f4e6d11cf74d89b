// The reference pipeline's RAW archive, read for `stockpipe migrate raw`.
//
// The reference ingest wrote one object per record, named by its arrival time:
// `raw/YYYY/MM/DD/HHMMSS_ffffff.json` (UTC), holding the record's JSON. A source is that tree
// under an S3 prefix (`s3://BUCKET/raw/`) or a local folder (the folder holding `YYYY/`). Such
// buckets hold millions of small objects, so keys are listed a page at a time, in key order,
// never all at once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/result.h"
#include "core/timestamp.h"

namespace stockpipe::migrate {

// What a reference key says: `2025/08/14/143812_123456.json` (relative to the source root).
struct ReferenceKey {
  Micros arrival = 0;  // the time in the name
  std::string hour;    // `2025081414`: the unit the migration works in
};
// Empty when `key` (relative to the root) is not a name the reference wrote.
std::optional<ReferenceKey> ParseReferenceKey(std::string_view key);

class ReferenceRawSource {
 public:
  virtual ~ReferenceRawSource() = default;
  // Up to `max` keys after `after` (exclusive; empty: from the first), relative to the root, in
  // key order; fewer than `max` only at the end. Every key under the root is listed, reference
  // names or not.
  virtual Result<std::vector<std::string>> ListAfter(std::string_view after, int max) = 0;
  virtual Result<std::string> Get(std::string_view key) = 0;
  // `s3://bucket/raw/2025/...` or the file's path: how messages and the quarantine name it.
  virtual std::string Where(std::string_view key) const = 0;
};

// `s3://BUCKET/PREFIX/` (through the S3 settings of `config`: region, credentials, endpoint) or a
// local folder. An S3 prefix is taken as a folder (a missing trailing `/` is added).
Result<std::unique_ptr<ReferenceRawSource>> OpenReferenceRawSource(std::string_view from,
                                                                   const Config& config);

}  // namespace stockpipe::migrate
