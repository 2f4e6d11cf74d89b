// Where one consumer stands in one Kinesis shard, as one small JSON value in a StateStore.
//
// Kinesis keeps no consumer positions for a plain GetRecords reader, so the stream keeps them:
// the last committed sequence number, the batch claimed but not yet committed (so a crash brings
// back exactly that batch), whether the shard is closed and fully read, and the consumer's
// counts for the shard. Everything a commit changes lives in this one value, so one
// `StateStore::Put` moves the checkpoint and adds the counts together.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/ingest_counts.h"
#include "core/result.h"

namespace stockpipe::kinesis {

struct ShardCheckpoint {
  // The shard's StartingSequenceNumber when the checkpoint was taken. A stream deleted and made
  // again has shards of the same ids with other starts: the checkpoint is not theirs.
  std::string shard_start;  // empty in checkpoints written before it was kept
  std::string sequence;     // last committed; empty when nothing was committed yet
  std::string claim_first;  // the claimed, uncommitted batch; empty when there is none
  std::string claim_last;
  std::uint64_t claim_count = 0;
  bool finished = false;  // the shard is closed and this consumer read all of it
  IngestCounts counts;

  bool has_claim() const { return !claim_first.empty(); }
};

// `kinesis/<stream>/<consumer>/<shard>`.
std::string CheckpointKey(std::string_view stream, std::string_view consumer,
                          std::string_view shard);

// {"start":"…","seq":"…","claim":{"first":"…","last":"…","count":n},"finished":false,
//  "counts":{"received":n,"accepted":n,"rejected":{"<reason code>":n}}}
std::string EncodeCheckpoint(const ShardCheckpoint& checkpoint);
// The error says what is wrong with the stored value; an unknown reject reason is an error
// rather than a count dropped on the floor.
Result<ShardCheckpoint> DecodeCheckpoint(std::string_view json);

// Orders Kinesis sequence numbers (decimal text of up to 128 bits, no leading zeros):
// negative, zero or positive like strcmp.
int CompareSequence(std::string_view a, std::string_view b);

}  // namespace stockpipe::kinesis
