// The local stream's contract: per-shard sequence numbers without gaps, stable routing, claims
// that come back identical until committed (also across reopening), refused wrong commits,
// counters added exactly once, retention that only drops old and committed chunks, and several
// handles (as several processes would) on one file.
#include "stream/local/sqlite_stream.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <charconv>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "support/stream_entries.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr Micros kHour = 3'600'000'000LL;

class SqliteStreamTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = (dir_ / "stream.db").string(); }

  std::unique_ptr<SqliteStream> Open(int shards = 4) {
    auto stream = SqliteStream::Open(path_, shards);
    EXPECT_TRUE(stream.ok()) << stream.error();
    return stream.ok() ? std::move(*stream) : nullptr;
  }

  static Status PutOne(SqliteStream& s, const std::string& key, const std::string& data) {
    const StreamRecord r{key, data};
    return s.Put(std::span<const StreamRecord>(&r, 1));
  }

  static std::uint64_t Seq(std::string_view text) {
    std::uint64_t v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v);
    return v;
  }

  // Every entry of every shard, read by a throw-away consumer that commits as it goes.
  static std::map<std::string, std::vector<testing::OwnedEntry>> DrainAll(
      SqliteStream& s, std::string_view consumer) {
    std::map<std::string, std::vector<testing::OwnedEntry>> out;
    const std::vector<std::string> shards = *s.Shards();
    for (const std::string& shard : shards) {
      while (true) {
        auto batch = s.Claim(consumer, shard, 1000);
        EXPECT_TRUE(batch.ok()) << batch.error();
        if (!batch.ok() || batch->empty()) break;
        for (const StreamEntry& e : batch->entries) out[shard].push_back(testing::Own(e));
        EXPECT_TRUE(s.Commit(consumer, *batch, {}).ok());
      }
    }
    return out;
  }

  testing::TempDir temp_;
  std::filesystem::path dir_ = temp_.path();
  std::string path_;
};

TEST_F(SqliteStreamTest, SequenceNumbersPerShardStartAtOneAndHaveNoGaps) {
  auto s = Open(4);
  std::size_t total = 0;
  for (int put = 0; put < 20; ++put) {
    std::vector<StreamRecord> records;
    for (int i = 0; i < 1 + put * 7; ++i) {
      records.push_back({fmt::format("SYM{}", (put * 31 + i) % 13), fmt::format("{}-{}", put, i)});
    }
    total += records.size();
    ASSERT_TRUE(s->Put(records).ok());
  }
  const auto all = DrainAll(*s, "reader");
  std::size_t seen = 0;
  for (const auto& [shard, entries] : all) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      EXPECT_EQ(entries[i].sequence, SqliteStream::SequenceText(i + 1)) << shard;
      EXPECT_EQ(entries[i].sequence.size(), 20u);
    }
    seen += entries.size();
  }
  EXPECT_EQ(seen, total);
  EXPECT_GT(all.size(), 1u) << "13 keys should spread over more than one of 4 shards";

  auto stats = s->Stats("reader");
  ASSERT_TRUE(stats.ok());
  std::uint64_t newest_sum = 0;
  for (const ShardStats& sh : stats->shards) {
    newest_sum += sh.newest_sequence;
    EXPECT_EQ(sh.checkpoint, sh.newest_sequence);
    EXPECT_EQ(sh.lag_records, 0u);
  }
  EXPECT_EQ(newest_sum, total);
}

TEST_F(SqliteStreamTest, SameKeyAlwaysGoesToTheSameShardInPutOrder) {
  auto s = Open(8);
  for (int i = 0; i < 50; ++i) {
    std::vector<StreamRecord> records = {{"AAPL", fmt::format("a{}", i)},
                                         {"MSFT", fmt::format("m{}", i)},
                                         {"TSLA", fmt::format("t{}", i)}};
    ASSERT_TRUE(s->Put(records).ok());
  }
  const auto all = DrainAll(*s, "reader");
  for (const std::string key : {"AAPL", "MSFT", "TSLA"}) {
    const int shard = SqliteStream::ShardOf(key, 8);
    EXPECT_EQ(shard, SqliteStream::ShardOf(key, 8));
    ASSERT_GE(shard, 0);
    ASSERT_LT(shard, 8);
    const char prefix = static_cast<char>(std::tolower(key[0]));
    std::vector<std::string> mine;
    for (const auto& [name, entries] : all) {
      for (const auto& e : entries) {
        if (e.data[0] == prefix) {
          EXPECT_EQ(name, SqliteStream::ShardName(shard)) << key;
          mine.push_back(e.data);
        }
      }
    }
    ASSERT_THAT(mine, SizeIs(50));
    for (int i = 0; i < 50; ++i) EXPECT_EQ(mine[i], fmt::format("{}{}", prefix, i));
  }
  // Stable across versions: the routing is part of the on-disk format.
  EXPECT_EQ(SqliteStream::ShardName(3), "shard-000003");
  EXPECT_EQ(SqliteStream::SequenceText(42), "00000000000000000042");
}

TEST_F(SqliteStreamTest, ClaimWithoutCommitReturnsTheSameBatchThenCommitMovesOn) {
  auto s = Open(1);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(PutOne(*s, "K", fmt::format("r{}", i)).ok());
  const std::string shard = SqliteStream::ShardName(0);

  auto first = s->Claim("c", shard, 3);
  ASSERT_TRUE(first.ok()) << first.error();
  ASSERT_THAT(first->entries, SizeIs(3));
  EXPECT_EQ(first->shard, shard);
  EXPECT_EQ(first->first_sequence, SqliteStream::SequenceText(1));
  EXPECT_EQ(first->last_sequence, SqliteStream::SequenceText(3));

  // More records arrive; the uncommitted claim still comes back with the same boundaries.
  ASSERT_TRUE(PutOne(*s, "K", "r5").ok());
  auto again = s->Claim("c", shard, 100);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->first_sequence, first->first_sequence);
  EXPECT_EQ(again->last_sequence, first->last_sequence);
  ASSERT_THAT(again->entries, SizeIs(3));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(again->entries[i].data, first->entries[i].data);
    EXPECT_EQ(again->entries[i].sequence, first->entries[i].sequence);
    EXPECT_EQ(again->entries[i].arrival, first->entries[i].arrival);
  }

  ASSERT_TRUE(s->Commit("c", *again, {}).ok());
  auto next = s->Claim("c", shard, 100);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->first_sequence, SqliteStream::SequenceText(4));
  EXPECT_EQ(next->last_sequence, SqliteStream::SequenceText(6));
  ASSERT_THAT(next->entries, SizeIs(3));
  EXPECT_EQ(next->entries[0].data, "r3");
  EXPECT_EQ(next->entries[2].data, "r5");
  ASSERT_TRUE(s->Commit("c", *next, {}).ok());

  auto empty = s->Claim("c", shard, 100);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  // An empty claim leaves nothing pending: the next record is claimable at once.
  ASSERT_TRUE(PutOne(*s, "K", "r6").ok());
  auto last = s->Claim("c", shard, 100);
  ASSERT_TRUE(last.ok());
  ASSERT_THAT(last->entries, SizeIs(1));
  EXPECT_EQ(last->entries[0].sequence, SqliteStream::SequenceText(7));
}

TEST_F(SqliteStreamTest, ClaimReadsWholeChunksAndStopsAtMaxRecordsBetweenThem) {
  auto s = Open(1);
  std::vector<StreamRecord> big(10, StreamRecord{"K", "x"});
  ASSERT_TRUE(s->Put(big).ok());  // one chunk of 10
  ASSERT_TRUE(PutOne(*s, "K", "y").ok());
  auto batch = s->Claim("c", SqliteStream::ShardName(0), 4);
  ASSERT_TRUE(batch.ok());
  // A chunk is never split, but the next chunk is not added once max_records is reached.
  EXPECT_THAT(batch->entries, SizeIs(10));
  EXPECT_EQ(batch->last_sequence, SqliteStream::SequenceText(10));
}

TEST_F(SqliteStreamTest, UncommittedClaimComesBackIdenticalAfterReopening) {
  StreamBatch claimed;
  const std::string shard = SqliteStream::ShardName(SqliteStream::ShardOf("AAPL", 4));
  {
    auto s = Open(4);
    for (int i = 0; i < 4; ++i) {
      std::vector<StreamRecord> r(3, StreamRecord{"AAPL", fmt::format("p{}", i)});
      ASSERT_TRUE(s->Put(r).ok());
    }
    auto batch = s->Claim("ingest", shard, 5);
    ASSERT_TRUE(batch.ok());
    claimed = *batch;
    ASSERT_THAT(claimed.entries, SizeIs(6));
    // The process "dies" here: the handle goes away without a commit.
  }
  auto s = Open(4);
  ASSERT_TRUE(PutOne(*s, "AAPL", "later").ok());
  auto again = s->Claim("ingest", shard, 1000);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->first_sequence, claimed.first_sequence);
  EXPECT_EQ(again->last_sequence, claimed.last_sequence);
  ASSERT_EQ(again->entries.size(), claimed.entries.size());
  for (std::size_t i = 0; i < claimed.entries.size(); ++i) {
    EXPECT_EQ(again->entries[i].sequence, claimed.entries[i].sequence);
    EXPECT_EQ(again->entries[i].data, claimed.entries[i].data);
    EXPECT_EQ(again->entries[i].arrival, claimed.entries[i].arrival);
  }
  // Another consumer is independent of that claim.
  auto other = s->Claim("other", shard, 1000);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->first_sequence, SqliteStream::SequenceText(1));
  EXPECT_EQ(other->last_sequence, SqliteStream::SequenceText(13));
}

TEST_F(SqliteStreamTest, CommitOfAnotherBatchThanTheClaimedOneIsRefused) {
  auto s = Open(1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(PutOne(*s, "K", fmt::format("r{}", i)).ok());
  const std::string shard = SqliteStream::ShardName(0);
  IngestCounts one;
  one.received = one.accepted = 1;

  // Nothing claimed yet.
  StreamBatch forged;
  forged.shard = shard;
  forged.first_sequence = SqliteStream::SequenceText(1);
  forged.last_sequence = SqliteStream::SequenceText(1);
  forged.entries.push_back({forged.Keep(forged.first_sequence), 0, "r0"});
  EXPECT_FALSE(s->Commit("c", forged, one).ok());

  auto batch = s->Claim("c", shard, 1);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->last_sequence, SqliteStream::SequenceText(1));

  StreamBatch wrong = *batch;
  wrong.last_sequence = SqliteStream::SequenceText(2);
  Status refused = s->Commit("c", wrong, one);
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(refused.message(), HasSubstr("not the one"));
  wrong = *batch;
  wrong.first_sequence = SqliteStream::SequenceText(0);
  EXPECT_FALSE(s->Commit("c", wrong, one).ok());
  EXPECT_FALSE(s->Commit("someone-else", *batch, one).ok());
  wrong = *batch;
  wrong.shard = "shard-000009";
  EXPECT_FALSE(s->Commit("c", wrong, one).ok());

  auto stats = s->Stats("c");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->shards[0].checkpoint, 0u);
  EXPECT_EQ(stats->counts.received, 0u);

  ASSERT_TRUE(s->Commit("c", *batch, one).ok());
  // The same batch twice: the claim is gone, so the second commit is refused.
  EXPECT_FALSE(s->Commit("c", *batch, one).ok());
  stats = s->Stats("c");
  EXPECT_EQ(stats->shards[0].checkpoint, 1u);
  EXPECT_EQ(stats->counts.received, 1u);
}

TEST_F(SqliteStreamTest, CountsAccumulateExactlyOncePerCommittedBatch) {
  auto s = Open(2);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(PutOne(*s, fmt::format("S{}", i % 5), fmt::format("r{}", i)).ok());
  }
  IngestCounts expected;
  const std::vector<std::string> shards = *s->Shards();
  for (const std::string& shard : shards) {
    while (true) {
      auto batch = s->Claim("ingest", shard, 3);
      ASSERT_TRUE(batch.ok());
      if (batch->empty()) break;
      // Claim twice (a retry) before committing: must not count twice.
      ASSERT_TRUE(s->Claim("ingest", shard, 3).ok());
      IngestCounts c;
      c.received = batch->entries.size();
      c.rejected[static_cast<std::size_t>(RejectReason::kMalformedJson)] = 1;
      c.rejected[static_cast<std::size_t>(RejectReason::kPriceNotPositive)] = 2;
      c.accepted = c.received - 3;
      ASSERT_TRUE(s->Commit("ingest", *batch, c).ok());
      EXPECT_FALSE(s->Commit("ingest", *batch, c).ok());
      expected += c;
    }
  }
  auto stats = s->Stats("ingest");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->counts.received, 40u);
  EXPECT_EQ(stats->counts.received, expected.received);
  EXPECT_EQ(stats->counts.accepted, expected.accepted);
  EXPECT_EQ(stats->counts.rejected, expected.rejected);
  EXPECT_TRUE(stats->counts.balanced());
  // Counters are per consumer.
  EXPECT_EQ(s->Stats("other")->counts.received, 0u);
  // And they survive reopening.
  s.reset();
  s = Open(2);
  EXPECT_EQ(s->Stats("ingest")->counts.accepted, expected.accepted);
}

TEST_F(SqliteStreamTest, TrimDeletesOnlyChunksThatAreOldAndCommittedByEveryConsumer) {
  auto s = Open(1);
  const std::string shard = SqliteStream::ShardName(0);
  for (int i = 0; i < 4; ++i) {
    std::vector<StreamRecord> chunk(5, StreamRecord{"K", fmt::format("c{}", i)});
    ASSERT_TRUE(s->Put(chunk).ok());  // chunks 1-5, 6-10, 11-15, 16-20
  }
  const Micros future = NowMicros() + 48 * kHour;

  // No consumer has read anything: nothing goes, however old.
  EXPECT_EQ(*s->Trim(future, 1), 0u);

  auto b1 = s->Claim("a", shard, 5);
  ASSERT_TRUE(s->Commit("a", *b1, {}).ok());  // a: 5
  auto b2 = s->Claim("a", shard, 5);
  ASSERT_EQ(b2->first_sequence, SqliteStream::SequenceText(6));  // a: claimed 6-10, uncommitted
  auto c1 = s->Claim("b", shard, 5);
  ASSERT_TRUE(s->Commit("b", *c1, {}).ok());
  auto c2 = s->Claim("b", shard, 5);
  ASSERT_TRUE(s->Commit("b", *c2, {}).ok());  // b: 10

  // Committed but recent: kept.
  EXPECT_EQ(*s->Trim(NowMicros(), 24 * kHour), 0u);
  EXPECT_EQ(s->Stats("a")->retained_records, 20u);

  // Old: only what both consumers committed (a is at 5; its claimed 6-10 must stay).
  EXPECT_EQ(*s->Trim(future, 24 * kHour), 5u);
  EXPECT_EQ(s->Stats("a")->retained_records, 15u);
  EXPECT_EQ(*s->Trim(future, 24 * kHour), 0u);

  // a's claim still comes back whole after the trim.
  auto again = s->Claim("a", shard, 100);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->first_sequence, SqliteStream::SequenceText(6));
  EXPECT_EQ(again->last_sequence, SqliteStream::SequenceText(10));
  ASSERT_TRUE(s->Commit("a", *again, {}).ok());
  EXPECT_EQ(*s->Trim(future, 24 * kHour), 5u);

  // Sequence numbers continue after a trim; nothing is renumbered.
  ASSERT_TRUE(PutOne(*s, "K", "after").ok());
  auto stats = s->Stats("b");
  EXPECT_EQ(stats->shards[0].newest_sequence, 21u);
  EXPECT_EQ(stats->shards[0].lag_records, 11u);
  EXPECT_EQ(stats->retained_records, 11u);
}

TEST_F(SqliteStreamTest, StatsReportLagAndOldestPendingArrival) {
  auto s = Open(1);
  auto stats = s->Stats("ingest");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->last_put, 0);
  EXPECT_EQ(stats->shards[0].newest_sequence, 0u);
  EXPECT_EQ(stats->shards[0].oldest_pending_arrival, 0);

  const Micros before = NowMicros();
  std::vector<StreamRecord> r(7, StreamRecord{"K", "x"});
  ASSERT_TRUE(s->Put(r).ok());
  stats = s->Stats("ingest");
  EXPECT_EQ(stats->shards[0].lag_records, 7u);
  EXPECT_GE(stats->shards[0].oldest_pending_arrival, before);
  EXPECT_GE(stats->last_put, before);

  auto batch = s->Claim("ingest", SqliteStream::ShardName(0), 100);
  ASSERT_TRUE(s->Commit("ingest", *batch, {}).ok());
  stats = s->Stats("ingest");
  EXPECT_EQ(stats->shards[0].lag_records, 0u);
  EXPECT_EQ(stats->shards[0].oldest_pending_arrival, 0);
}

TEST_F(SqliteStreamTest, ShardCountIsFixedAtCreationAndUnknownShardsAreRefused) {
  Open(3);
  auto s = Open(8);
  EXPECT_EQ(s->shard_count(), 3);
  EXPECT_THAT(*s->Shards(), ElementsAre("shard-000000", "shard-000001", "shard-000002"));
  for (const char* bad : {"shard-000003", "shard-", "nonsense", "", "shard--1"}) {
    auto batch = s->Claim("c", bad, 10);
    EXPECT_FALSE(batch.ok()) << bad;
  }
  EXPECT_THAT(s->Claim("c", "shard-000007", 10).error(), HasSubstr("3 shards"));
  EXPECT_TRUE(s->Put({}).ok());
}

TEST_F(SqliteStreamTest, TwoHandlesOnOneFileInterleavePutAndClaimLikeTwoProcesses) {
  auto producer = Open(2);
  auto consumer = Open(2);
  std::multiset<std::string> put, got;
  std::map<std::string, std::uint64_t> last_seq;
  for (int round = 0; round < 30; ++round) {
    std::vector<StreamRecord> records;
    for (int i = 0; i <= round % 4; ++i) {
      records.push_back({fmt::format("S{}", (round + i) % 7), fmt::format("{}/{}", round, i)});
      put.insert(records.back().data);
    }
    // Alternate writers: the consumer's handle produces too, sequences must stay unique.
    ASSERT_TRUE((round % 3 == 0 ? consumer : producer)->Put(records).ok());
    const std::vector<std::string> shards = *consumer->Shards();
    for (const std::string& shard : shards) {
      auto batch = consumer->Claim("ingest", shard, 2);
      ASSERT_TRUE(batch.ok()) << batch.error();
      if (batch->empty()) continue;
      ASSERT_EQ(Seq(batch->first_sequence), last_seq[shard] + 1) << shard;
      last_seq[shard] = Seq(batch->last_sequence);
      for (const auto& e : batch->entries) got.emplace(e.data);
      // Commit half the time through the other handle: checkpoints live in the file.
      auto& committer = round % 2 ? producer : consumer;
      ASSERT_TRUE(committer->Commit("ingest", *batch, {}).ok());
    }
  }
  const auto rest = DrainAll(*producer, "ingest");
  for (const auto& [shard, entries] : rest) {
    for (const auto& e : entries) got.insert(e.data);
  }
  EXPECT_EQ(got, put);
  auto stats = producer->Stats("ingest");
  for (const ShardStats& sh : stats->shards) EXPECT_EQ(sh.lag_records, 0u);
}

TEST_F(SqliteStreamTest, ConcurrentWritersOnSeparateConnectionsNeverShareASequenceNumber) {
  Open(3);
  constexpr int kWriters = 3, kPuts = 60;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto s = SqliteStream::Open(path_, 3);
      if (!s.ok()) {
        ++failures;
        return;
      }
      for (int p = 0; p < kPuts; ++p) {
        std::vector<StreamRecord> records;
        for (int i = 0; i < 5; ++i) {
          records.push_back({fmt::format("S{}", i), fmt::format("w{}p{}i{}", w, p, i)});
        }
        if (!(*s)->Put(records).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  auto s = Open(3);
  std::set<std::string> data;
  const auto all = DrainAll(*s, "reader");
  for (const auto& [shard, entries] : all) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      EXPECT_EQ(entries[i].sequence, SqliteStream::SequenceText(i + 1));
      data.insert(entries[i].data);
    }
    // One writer's records of one key stay in that writer's order.
    std::map<std::string, int> last_put_of;
    for (const auto& e : entries) {
      const auto p_at = e.data.find('p'), i_at = e.data.find('i');
      const std::string key = e.data.substr(0, p_at) + e.data.substr(i_at);
      const int p = std::stoi(e.data.substr(p_at + 1, i_at - p_at - 1));
      if (last_put_of.contains(key)) {
        EXPECT_GT(p, last_put_of[key]) << e.data;
      }
      last_put_of[key] = p;
    }
  }
  EXPECT_EQ(data.size(), static_cast<std::size_t>(kWriters * kPuts * 5));
}

}  // namespace
}  // namespace stockpipe
