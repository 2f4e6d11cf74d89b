// The Kinesis consumer checkpoint as stored in a StateStore: a lossless round trip, readable
// errors for damaged values, and the numeric order of sequence numbers.
#include <gtest/gtest.h>

#include "stream/kinesis/checkpoint.h"

namespace stockpipe::kinesis {
namespace {

TEST(Checkpoint, RoundTripsEveryField) {
  ShardCheckpoint c;
  c.shard_start = "49655281498164355441906373651046318592538384133468980000";
  c.sequence = "49655281498164355441906373651046318592538384133468987394";
  c.claim_first = "49655281498164355441906373651047527518357998762643693570";
  c.claim_last = "49655281498164355441906373651048736444177613391818399746";
  c.claim_count = 3;
  c.finished = true;
  c.counts.received = 10;
  c.counts.accepted = 7;
  c.counts.rejected[static_cast<std::size_t>(RejectReason::kMalformedJson)] = 2;
  c.counts.rejected[static_cast<std::size_t>(RejectReason::kTimestampOutOfRange)] = 1;
  auto back = DecodeCheckpoint(EncodeCheckpoint(c));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->shard_start, c.shard_start);
  EXPECT_EQ(back->sequence, c.sequence);
  EXPECT_EQ(back->claim_first, c.claim_first);
  EXPECT_EQ(back->claim_last, c.claim_last);
  EXPECT_EQ(back->claim_count, 3u);
  EXPECT_TRUE(back->finished);
  EXPECT_EQ(back->counts.received, 10u);
  EXPECT_EQ(back->counts.accepted, 7u);
  EXPECT_EQ(back->counts.rejected, c.counts.rejected);
  EXPECT_TRUE(back->counts.balanced());
}

TEST(Checkpoint, NoClaimAndEmptyObjectMeanAFreshStart) {
  ShardCheckpoint c;
  c.sequence = "5";
  auto back = DecodeCheckpoint(EncodeCheckpoint(c));
  ASSERT_TRUE(back) << back.error();
  EXPECT_FALSE(back->has_claim());
  EXPECT_FALSE(back->finished);
  auto empty = DecodeCheckpoint("{}");
  ASSERT_TRUE(empty) << empty.error();
  EXPECT_TRUE(empty->sequence.empty());
  EXPECT_EQ(empty->counts.received, 0u);
}

TEST(Checkpoint, DamagedValuesAreErrorsThatSayWhy) {
  auto not_json = DecodeCheckpoint("seq=5");
  ASSERT_FALSE(not_json);
  EXPECT_NE(not_json.error().find("not a JSON object"), std::string::npos);
  auto unknown = DecodeCheckpoint(R"({"counts":{"received":1,"rejected":{"too_shiny":1}}})");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("too_shiny"), std::string::npos) << unknown.error();
  EXPECT_FALSE(DecodeCheckpoint(R"({"claim":{"first":"1"}})"));
  EXPECT_FALSE(DecodeCheckpoint(R"({"counts":{"received":-1}})"));
  EXPECT_FALSE(DecodeCheckpoint(R"({"finished":"yes"})"));
  EXPECT_FALSE(DecodeCheckpoint(R"({"start":5})"));
}

TEST(Checkpoint, KeyNamesStreamConsumerAndShard) {
  EXPECT_EQ(CheckpointKey("ticks", "ingest", "shardId-000000000002"),
            "kinesis/ticks/ingest/shardId-000000000002");
}

TEST(CompareSequence, OrdersByNumberNotByText) {
  EXPECT_LT(CompareSequence("9", "10"), 0);
  EXPECT_GT(CompareSequence("10", "9"), 0);
  EXPECT_EQ(CompareSequence("49655281498164355441906373651046318592538384133468987394",
                            "49655281498164355441906373651046318592538384133468987394"),
            0);
  EXPECT_LT(CompareSequence("49655281498164355441906373651046318592538384133468987394",
                            "49655281498164355441906373651047527518357998762643693570"),
            0);
}

}  // namespace
}  // namespace stockpipe::kinesis
