// The Kinesis Stream adapter against a real emulator (kinesalite): routing and per-shard order,
// PutRecords split by count and by bytes, claims that come back identical until committed (also
// after a restart), per-consumer checkpoints and counts in the StateStore, the min_records rule,
// reading across a split and a merge without loss or reordering of any symbol, and refusing the
// checkpoint of a stream that was deleted and created again.
#include "stream/kinesis/kinesis_stream.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "store/sqlite/sqlite_state_store.h"
#include "support/peers.h"
#include "support/stream_entries.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using kinesis::CompareSequence;
using nlohmann::json;

constexpr std::string_view kTarget = "Kinesis_20131202";

// A record the tests can recognise when read back: its symbol and its index within the symbol.
StreamRecord Tick(const std::string& symbol, int n) {
  return {symbol, fmt::format(R"({{"symbol":"{}","n":{},"price":{}.5}})", symbol, n, 100 + n)};
}
std::pair<std::string, int> Decode(std::string_view data) {
  const json j = json::parse(data.begin(), data.end());
  return {j["symbol"].get<std::string>(), j["n"].get<int>()};
}

std::vector<std::string> Symbols(int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(fmt::format("SYM{:02}", i));
  return out;
}

class KinesisStreamTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenStore(); }
  void TearDown() override {
    stream_.reset();
    store_.reset();
  }

  void OpenStore() {
    auto store = SqliteStateStore::Open((dir_ / "state.db").string());
    ASSERT_TRUE(store) << store.error();
    store_ = std::move(*store);
  }

  std::unique_ptr<KinesisStream> Make(const std::string& name) {
    KinesisStreamOptions options;
    options.client.service = aws::kKinesis;
    options.client.region = "us-east-1";
    options.client.endpoint = peer_.endpoint();
    options.client.credentials = aws::StaticCredentials({"AKIDEXAMPLE", "secret", "", "test"});
    options.stream_name = name;
    return std::make_unique<KinesisStream>(options, *store_);
  }

  KinesisStream& Create(const std::string& name, int shards) {
    stream_ = Make(name);
    Status s = stream_->CreateIfMissing(shards);
    EXPECT_TRUE(s.ok()) << s.message();
    return *stream_;
  }

  static void PutAll(KinesisStream& s, const std::vector<StreamRecord>& records) {
    Status st = s.Put(records);
    ASSERT_TRUE(st.ok()) << st.message();
  }

  // Claims and commits until a round over `order` reads nothing and finishes no shard (finishing
  // a parent is what lets its children go on the next round); returns what was read, in order.
  static std::vector<std::pair<std::string, testing::OwnedEntry>> Drain(
      KinesisStream& s, std::string_view consumer, std::vector<std::string> order,
      std::size_t max_records) {
    std::vector<std::pair<std::string, testing::OwnedEntry>> read;
    for (bool progress = true; progress;) {
      progress = false;
      for (const std::string& shard : order) {
        const bool was_finished = s.Checkpoint(consumer, shard)->finished;
        auto batch = s.Claim(consumer, shard, max_records);
        EXPECT_TRUE(batch) << batch.error();
        if (s.Checkpoint(consumer, shard)->finished != was_finished) progress = true;
        if (!batch || batch->empty()) continue;
        progress = true;
        for (const StreamEntry& e : batch->entries) read.emplace_back(shard, testing::Own(e));
        Status c = s.Commit(consumer, *batch, {});
        EXPECT_TRUE(c.ok()) << c.message();
      }
    }
    return read;
  }

  testing::Peer peer_{"kinesalite"};
  testing::TempDir temp_;
  std::filesystem::path dir_ = temp_.path();
  std::unique_ptr<SqliteStateStore> store_;
  std::unique_ptr<KinesisStream> stream_;
};

TEST_F(KinesisStreamTest, AMissingStreamIsNamedWithWhatToDo) {
  auto missing = Make("never-created");
  auto shards = missing->Shards();
  ASSERT_FALSE(shards.ok());
  EXPECT_NE(shards.error().find(
                "Kinesis stream never-created does not exist in region us-east-1: create it"),
            std::string::npos)
      << shards.error();
  EXPECT_NE(shards.error().find("KINESIS_STREAM"), std::string::npos) << shards.error();
  const std::vector<StreamRecord> records{{"AAPL", R"({"symbol":"AAPL"})"}};
  Status put = missing->Put(records);
  ASSERT_FALSE(put.ok());
  EXPECT_NE(put.message().find("Kinesis stream never-created does not exist"), std::string::npos)
      << put.message();
}

TEST_F(KinesisStreamTest, RoundTripKeepsShardOrderAndRoutesEachSymbolToOneShard) {
  KinesisStream& s = Create("ticks", 4);
  const auto symbols = Symbols(12);
  const Micros before = NowMicros();
  for (int round = 0; round < 4; ++round) {
    std::vector<StreamRecord> records;
    for (int n = round * 10; n < round * 10 + 10; ++n) {
      for (const auto& symbol : symbols) records.push_back(Tick(symbol, n));
    }
    PutAll(s, records);
  }
  const Micros after = NowMicros();

  auto shards = s.Shards();
  ASSERT_TRUE(shards) << shards.error();
  ASSERT_EQ(shards->size(), 4u);
  const auto read = Drain(s, "ingest", *shards, 37);  // small batches: many claims per shard
  ASSERT_EQ(read.size(), 12u * 40u);

  std::map<std::string, std::set<std::string>> shards_of_symbol;
  std::map<std::string, int> next_n;
  std::map<std::string, std::string> last_sequence;
  for (const auto& [shard, entry] : read) {
    const auto [symbol, n] = Decode(entry.data);
    shards_of_symbol[symbol].insert(shard);
    EXPECT_EQ(n, next_n[symbol]++) << symbol << " out of order or duplicated";
    if (last_sequence.contains(shard)) {
      EXPECT_LT(CompareSequence(last_sequence[shard], entry.sequence), 0) << shard;
    }
    last_sequence[shard] = entry.sequence;
    // kinesalite stamps arrival in milliseconds.
    EXPECT_GE(entry.arrival, before - 1000);
    EXPECT_LE(entry.arrival, after + 1000);
  }
  for (const auto& symbol : symbols) {
    EXPECT_EQ(shards_of_symbol[symbol].size(), 1u) << symbol << " went to several shards";
    EXPECT_EQ(next_n[symbol], 40) << symbol;
  }
  EXPECT_GE(last_sequence.size(), 2u) << "all symbols hashed to one shard; routing untested";
  for (const auto& shard : *shards) {
    auto again = s.Claim("ingest", shard, 100);
    ASSERT_TRUE(again) << again.error();
    EXPECT_TRUE(again->empty());
  }
}

TEST_F(KinesisStreamTest, PutSplitsCallsAt500RecordsAndAtFiveMebibytes) {
  KinesisStream& s = Create("big", 2);
  std::vector<StreamRecord> many;
  for (int n = 0; n < 1201; ++n) many.push_back(Tick(n % 2 ? "AAPL" : "MSFT", n));
  PutAll(s, many);
  EXPECT_EQ(s.client().Stats().at("PutRecords").calls, 3u);  // 500 + 500 + 201

  // 900 KiB each: five fit in 5 MiB, six do not; one call of all twelve would also exceed the
  // 7 MiB request size kinesalite accepts.
  std::vector<StreamRecord> large;
  for (int n = 0; n < 12; ++n) {
    large.push_back({"BIG", std::string(900 * 1024, static_cast<char>('a' + n))});
  }
  PutAll(s, large);
  const auto stats = s.client().Stats().at("PutRecords");
  EXPECT_EQ(stats.calls, 6u);  // + 5 + 5 + 2
  EXPECT_EQ(stats.retries, 0u);

  // A record over 1 MiB is refused before anything is sent, naming it.
  std::vector<StreamRecord> too_big = {Tick("OK", 1), {"HUGE", std::string(1024 * 1024, 'x')}};
  Status refused = s.Put(too_big);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("record 1"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("HUGE"), std::string::npos) << refused.message();
  EXPECT_EQ(s.client().Stats().at("PutRecords").calls, 6u);

  auto shards = s.Shards();
  ASSERT_TRUE(shards) << shards.error();
  const auto read = Drain(s, "ingest", *shards, 10'000);
  ASSERT_EQ(read.size(), 1201u + 12u);
  std::vector<std::string> big_read;
  for (const auto& [shard, entry] : read) {
    if (entry.data.size() > 1000) big_read.emplace_back(entry.data);
  }
  ASSERT_EQ(big_read.size(), 12u);
  for (std::size_t i = 0; i < big_read.size(); ++i) EXPECT_EQ(big_read[i], large[i].data) << i;
}

TEST_F(KinesisStreamTest, AnUncommittedClaimComesBackIdenticalAndCommitMovesPastIt) {
  KinesisStream& s = Create("claims", 1);
  std::vector<StreamRecord> records;
  for (int n = 0; n < 100; ++n) records.push_back(Tick("AAPL", n));
  PutAll(s, records);
  const std::string shard = s.Shards()->front();

  auto first = s.Claim("ingest", shard, 30);
  ASSERT_TRUE(first) << first.error();
  ASSERT_EQ(first->entries.size(), 30u);
  EXPECT_EQ(first->first_sequence, first->entries.front().sequence);
  EXPECT_EQ(first->last_sequence, first->entries.back().sequence);

  // Without a commit, even a bigger limit gives exactly the same batch.
  auto again = s.Claim("ingest", shard, 1000);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->first_sequence, first->first_sequence);
  EXPECT_EQ(again->last_sequence, first->last_sequence);
  ASSERT_EQ(again->entries.size(), first->entries.size());
  for (std::size_t i = 0; i < first->entries.size(); ++i) {
    EXPECT_EQ(again->entries[i].sequence, first->entries[i].sequence);
    EXPECT_EQ(again->entries[i].data, first->entries[i].data);
    EXPECT_EQ(again->entries[i].arrival, first->entries[i].arrival);
  }

  // A commit of another range is refused and changes nothing.
  StreamBatch forged = *first;
  forged.last_sequence = first->entries[10].sequence;
  Status wrong = s.Commit("ingest", forged, {});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.message().find("not the one"), std::string::npos) << wrong.message();

  ASSERT_TRUE(s.Commit("ingest", *first, {}).ok());
  auto next = s.Claim("ingest", shard, 1000);
  ASSERT_TRUE(next) << next.error();
  ASSERT_EQ(next->entries.size(), 70u);
  EXPECT_GT(CompareSequence(next->first_sequence, first->last_sequence), 0);
  EXPECT_EQ(Decode(next->entries.front().data).second, 30);
  EXPECT_EQ(Decode(next->entries.back().data).second, 99);
  // A batch committed twice is refused the second time: nothing is counted twice.
  ASSERT_TRUE(s.Commit("ingest", *next, {}).ok());
  EXPECT_FALSE(s.Commit("ingest", *next, {}).ok());
}

TEST_F(KinesisStreamTest, AFreshStreamObjectResumesFromTheStateStore) {
  {
    KinesisStream& s = Create("restart", 1);
    std::vector<StreamRecord> records;
    for (int n = 0; n < 50; ++n) records.push_back(Tick("AAPL", n));
    PutAll(s, records);
  }
  const std::string shard = stream_->Shards()->front();
  auto committed = stream_->Claim("ingest", shard, 20);
  ASSERT_TRUE(committed) << committed.error();
  ASSERT_TRUE(stream_->Commit("ingest", *committed, {}).ok());
  auto in_flight = stream_->Claim("ingest", shard, 15);
  ASSERT_TRUE(in_flight) << in_flight.error();
  ASSERT_EQ(in_flight->entries.size(), 15u);

  // "Crash": drop the stream object and the StateStore handle, reopen both from disk.
  stream_.reset();
  store_.reset();
  OpenStore();
  stream_ = Make("restart");
  auto replay = stream_->Claim("ingest", shard, 1000);
  ASSERT_TRUE(replay) << replay.error();
  EXPECT_EQ(replay->first_sequence, in_flight->first_sequence);
  EXPECT_EQ(replay->last_sequence, in_flight->last_sequence);
  ASSERT_EQ(replay->entries.size(), 15u);
  EXPECT_EQ(Decode(replay->entries.front().data).second, 20);
  ASSERT_TRUE(stream_->Commit("ingest", *replay, {}).ok());
  auto rest = stream_->Claim("ingest", shard, 1000);
  ASSERT_TRUE(rest) << rest.error();
  ASSERT_EQ(rest->entries.size(), 15u);
  EXPECT_EQ(Decode(rest->entries.front().data).second, 35);
}

// Issue 19: a stream deleted and created again under the same name has a shard of the same id
// with new sequence numbers. The old checkpoint is refused, naming itself, rather than used as a
// position in the new stream; a consumer without a checkpoint reads the new stream whole.
TEST_F(KinesisStreamTest, ACheckpointOfADeletedAndRecreatedStreamIsRefusedNamingIt) {
  KinesisStream& s = Create("recreated", 1);
  std::vector<StreamRecord> old_records;
  for (int n = 0; n < 30; ++n) old_records.push_back(Tick("AAPL", n));
  PutAll(s, old_records);
  const std::string shard = s.Shards()->front();
  auto batch = s.Claim("ingest", shard, 20);
  ASSERT_TRUE(batch) << batch.error();
  ASSERT_EQ(batch->entries.size(), 20u);
  ASSERT_TRUE(s.Commit("ingest", *batch, {}).ok());

  const json name = {{"StreamName", "recreated"}};
  // kinesalite numbers a stream's sequences from its creation time in whole seconds, taken 2 s
  // before the call (Kinesis itself from a finer clock): a stream made again within the same
  // second would be numbered exactly like the old one, which no consumer could tell apart. So
  // the new stream is made once the clock is past that second (at most ~1 s from now).
  auto summary = s.client().CallJson(kTarget, "DescribeStreamSummary", name.dump());
  ASSERT_TRUE(summary) << summary.error();
  const auto created =
      json::parse(*summary)["StreamDescriptionSummary"]["StreamCreationTimestamp"].get<double>();
  const auto old_start = json::parse(*s.client().CallJson(
      kTarget, "DescribeStream", name.dump()))["StreamDescription"]["Shards"][0]
                                              ["SequenceNumberRange"]["StartingSequenceNumber"];
  while (
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() <
      created + 3) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(s.client().CallJson(kTarget, "DeleteStream", name.dump()));
  // Kinesis deletes on its own time: the stream is gone once DescribeStreamSummary says so.
  for (int poll = 0;; ++poll) {
    auto described = s.client().CallJson(kTarget, "DescribeStreamSummary", name.dump());
    if (!described) break;
    ASSERT_LT(poll, 600) << "stream still there";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stream_ = Make("recreated");
  ASSERT_TRUE(stream_->CreateIfMissing(1).ok());
  ASSERT_EQ(stream_->Shards()->front(), shard);  // the same shard id, another shard
  ASSERT_NE(
      json::parse(*stream_->client().CallJson(
          kTarget, "DescribeStream", name.dump()))["StreamDescription"]["Shards"][0]
                                                  ["SequenceNumberRange"]["StartingSequenceNumber"],
      old_start);
  std::vector<StreamRecord> new_records;
  for (int n = 0; n < 5; ++n) new_records.push_back(Tick("MSFT", n));
  PutAll(*stream_, new_records);

  auto refused = stream_->Claim("ingest", shard, 100);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("deleted and created again"), std::string::npos)
      << refused.error();
  EXPECT_NE(refused.error().find(kinesis::CheckpointKey("recreated", "ingest", shard)),
            std::string::npos)
      << refused.error();
  // The refused checkpoint stays as it was: nothing moved it onto the new stream.
  EXPECT_EQ(stream_->Checkpoint("ingest", shard)->sequence, batch->last_sequence);

  auto fresh = stream_->Claim("other", shard, 100);
  ASSERT_TRUE(fresh) << fresh.error();
  ASSERT_EQ(fresh->entries.size(), 5u);
  EXPECT_EQ(Decode(fresh->entries.front().data).first, "MSFT");
}

TEST_F(KinesisStreamTest, EachConsumerHasItsOwnCheckpointAndCountsThatAccumulate) {
  KinesisStream& s = Create("consumers", 2);
  std::vector<StreamRecord> records;
  for (int n = 0; n < 40; ++n) records.push_back(Tick(n % 2 ? "AAPL" : "MSFT", n));
  PutAll(s, records);
  auto shards = s.Shards();
  ASSERT_TRUE(shards) << shards.error();

  IngestCounts per_batch;
  per_batch.received = 10;
  per_batch.accepted = 7;
  per_batch.rejected[static_cast<std::size_t>(RejectReason::kMalformedJson)] = 3;
  std::size_t batches = 0, records_read = 0;
  for (const auto& shard : *shards) {
    while (true) {
      auto batch = s.Claim("ingest", shard, 8);
      ASSERT_TRUE(batch) << batch.error();
      if (batch->empty()) break;
      records_read += batch->entries.size();
      ASSERT_TRUE(s.Commit("ingest", *batch, per_batch).ok());
      ++batches;
    }
  }
  ASSERT_EQ(records_read, 40u);
  auto totals = s.Totals("ingest");
  ASSERT_TRUE(totals) << totals.error();
  EXPECT_EQ(totals->received, 10u * batches);
  EXPECT_EQ(totals->accepted, 7u * batches);
  EXPECT_EQ(totals->rejected[static_cast<std::size_t>(RejectReason::kMalformedJson)], 3u * batches);

  // Another consumer starts from the beginning and has counted nothing.
  auto audit_totals = s.Totals("audit");
  ASSERT_TRUE(audit_totals) << audit_totals.error();
  EXPECT_EQ(audit_totals->received, 0u);
  const auto audit = Drain(s, "audit", *shards, 1000);
  EXPECT_EQ(audit.size(), 40u);
  // ...and reading it did not move the first consumer.
  for (const auto& shard : *shards) {
    auto none = s.Claim("ingest", shard, 100);
    ASSERT_TRUE(none) << none.error();
    EXPECT_TRUE(none->empty());
  }
}

TEST_F(KinesisStreamTest, FewYoungRecordsWaitForMinRecordsUnlessOldEnough) {
  KinesisStream& s = Create("trickle", 1);
  std::vector<StreamRecord> records;
  for (int n = 0; n < 5; ++n) records.push_back(Tick("AAPL", n));
  PutAll(s, records);
  const std::string shard = s.Shards()->front();
  constexpr Micros kHour = 3'600'000'000LL;

  auto waiting = s.Claim("ingest", shard, ClaimLimits{100, 10, kHour});
  ASSERT_TRUE(waiting) << waiting.error();
  EXPECT_TRUE(waiting->empty());
  auto checkpoint = s.Checkpoint("ingest", shard);
  ASSERT_TRUE(checkpoint) << checkpoint.error();
  EXPECT_FALSE(checkpoint->has_claim()) << "an empty answer must not leave a claim behind";

  auto enough = s.Claim("ingest", shard, ClaimLimits{100, 5, kHour});
  ASSERT_TRUE(enough) << enough.error();
  EXPECT_EQ(enough->entries.size(), 5u);
}

TEST_F(KinesisStreamTest, OldRecordsGoEvenBelowMinRecords) {
  KinesisStream& s = Create("trickle-old", 1);
  std::vector<StreamRecord> records;
  for (int n = 0; n < 5; ++n) records.push_back(Tick("AAPL", n));
  PutAll(s, records);
  // max_wait 0: the oldest record has waited long enough as soon as it exists.
  auto batch = s.Claim("ingest", s.Shards()->front(), ClaimLimits{100, 10, 0});
  ASSERT_TRUE(batch) << batch.error();
  EXPECT_EQ(batch->entries.size(), 5u);
}

// --- resharding --------------------------------------------------------------------------------

__extension__ typedef unsigned __int128 u128;
u128 ParseU128(const std::string& text) {
  u128 v = 0;
  for (char c : text) v = v * 10 + static_cast<unsigned>(c - '0');
  return v;
}
std::string FormatU128(u128 v) {
  std::string out;
  do {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return out;
}

json ListShards(KinesisStream& s) {
  auto body =
      s.client().CallJson(kTarget, "ListShards", json{{"StreamName", s.stream_name()}}.dump());
  EXPECT_TRUE(body) << body.error();
  return body ? json::parse(*body)["Shards"] : json::array();
}

TEST_F(KinesisStreamTest, ParentsAreReadBeforeChildrenAcrossSplitAndMerge) {
  KinesisStream& s = Create("reshard", 2);
  const auto symbols = Symbols(16);
  std::map<std::string, int> produced;
  const auto put_round = [&](int rounds) {
    std::vector<StreamRecord> records;
    for (int r = 0; r < rounds; ++r) {
      for (const auto& symbol : symbols) records.push_back(Tick(symbol, produced[symbol]++));
    }
    PutAll(s, records);
  };

  put_round(5);
  // kinesalite's sequence numbers hold whole seconds, and an iterator after record R starts at
  // R's second + 1. With the split at least two seconds after the parent's last record, reaching
  // the closed parent's end takes an empty page that still has a NextShardIterator (as Kinesis
  // may answer), which the reader must follow. This wait (< 2 s) creates that condition; it
  // synchronises nothing.
  std::this_thread::sleep_until(
      std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now()) +
      std::chrono::seconds(1));
  // Split shard 0 in the middle of its hash range: children 2 (lower) and 3 (upper).
  json shards = ListShards(s);
  ASSERT_EQ(shards.size(), 2u);
  const u128 lo = ParseU128(shards[0]["HashKeyRange"]["StartingHashKey"]);
  const u128 hi = ParseU128(shards[0]["HashKeyRange"]["EndingHashKey"]);
  auto split = s.client().CallJson(kTarget, "SplitShard",
                                   json{{"StreamName", "reshard"},
                                        {"ShardToSplit", shards[0]["ShardId"]},
                                        {"NewStartingHashKey", FormatU128(lo + (hi - lo) / 2)}}
                                       .dump());
  ASSERT_TRUE(split) << split.error();
  ASSERT_TRUE(s.WaitActive().ok());
  put_round(5);

  // Merge the upper child of the split with shard 1 (adjacent ranges): child 4.
  shards = ListShards(s);
  ASSERT_EQ(shards.size(), 4u);
  auto merge = s.client().CallJson(kTarget, "MergeShards",
                                   json{{"StreamName", "reshard"},
                                        {"ShardToMerge", shards[3]["ShardId"]},
                                        {"AdjacentShardToMerge", shards[1]["ShardId"]}}
                                       .dump());
  ASSERT_TRUE(merge) << merge.error();
  ASSERT_TRUE(s.WaitActive().ok());
  put_round(5);

  shards = ListShards(s);
  ASSERT_EQ(shards.size(), 5u);
  ASSERT_EQ(shards[4]["ParentShardId"], shards[3]["ShardId"]);
  ASSERT_EQ(shards[4]["AdjacentParentShardId"], shards[1]["ShardId"]);

  auto ids = s.Shards();
  ASSERT_TRUE(ids) << ids.error();
  ASSERT_EQ(ids->size(), 5u);
  // A child with data yields nothing while its parents are unread.
  auto early = s.Claim("ingest", (*ids)[4], 1000);
  ASSERT_TRUE(early) << early.error();
  EXPECT_TRUE(early->empty());

  // Children first on purpose: only the parent-first rule can keep each symbol in order.
  std::vector<std::string> reversed(ids->rbegin(), ids->rend());
  const auto read = Drain(s, "ingest", reversed, 7);
  std::map<std::string, int> next_n;
  std::map<std::string, std::size_t> per_shard;
  for (const auto& [shard, entry] : read) {
    const auto [symbol, n] = Decode(entry.data);
    EXPECT_EQ(n, next_n[symbol]++) << symbol << " read out of order (or twice) from " << shard;
    ++per_shard[shard];
  }
  // Every generation holds data, or the order check above would prove little.
  for (const std::string& id : *ids) EXPECT_GT(per_shard[id], 0u) << id;
  EXPECT_EQ(read.size(), 16u * 15u);
  for (const auto& symbol : symbols) EXPECT_EQ(next_n[symbol], 15) << symbol << " lost records";

  // The closed shards are finished for this consumer; the open ones are not.
  for (std::size_t i = 0; i < ids->size(); ++i) {
    auto c = s.Checkpoint("ingest", (*ids)[i]);
    ASSERT_TRUE(c) << c.error();
    const bool closed = shards[i]["SequenceNumberRange"].contains("EndingSequenceNumber");
    EXPECT_EQ(c->finished, closed) << (*ids)[i];
  }
  // A second consumer is gated on its own parents, not on the first consumer's.
  auto other = s.Claim("audit", (*ids)[4], 1000);
  ASSERT_TRUE(other) << other.error();
  EXPECT_TRUE(other->empty());
}

}  // namespace
}  // namespace stockpipe
