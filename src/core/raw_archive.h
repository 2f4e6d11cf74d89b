// RawArchive: write-once objects holding every raw record, in batches.
//
// Keys look like `raw/dt=2025-08-14/shard-000000-<first>-<last>.jsonl.gz`: derived from the stream
// position, so a retried batch rewrites the same object instead of adding a twin. Objects are
// write-once: a Put over an existing key succeeds only when the object holds the same data
// (codec/gzip.h SameGzipContent: a replay, even one compressed by a newer build) and is refused
// otherwise. `Put` is atomic: a reader sees the whole old object, the whole new one, or none; it
// returns once durable.
//
// Implementations: local files and S3.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace stockpipe {

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::int64_t modified_us = 0;
};

class RawArchive {
 public:
  virtual ~RawArchive() = default;
  virtual Status Put(std::string_view key, std::string_view bytes) = 0;
  // Objects whose key starts with `prefix`, in key order.
  virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix) = 0;
  virtual Result<std::string> Get(std::string_view key) = 0;
};

}  // namespace stockpipe
