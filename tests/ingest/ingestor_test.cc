// Ingest on the local adapters: RAW and quarantine object names come from the batch's position,
// a replayed batch rewrites the same objects, and nothing is committed unless both sinks worked.
#include "ingest/ingestor.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "archive/local/file_archive.h"
#include "codec/gzip.h"
#include "sqlite/database.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "store/sqlite/ticks_table.h"
#include "stream/local/sqlite_stream.h"
#include "support/lines.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string Seq(std::uint64_t n) {
  return SqliteStream::SequenceText(n);
}

using stockpipe::testing::Lines;

// Passes through to a real archive, failing Puts under `fail_prefix` while `failures` > 0.
class FlakyArchive final : public RawArchive {
 public:
  explicit FlakyArchive(RawArchive& inner) : inner_(inner) {}
  Status Put(std::string_view key, std::string_view bytes) override {
    if (failures > 0 && key.starts_with(fail_prefix)) {
      --failures;
      return Status::Error(fmt::format("disk full writing {}", key));
    }
    ++puts;
    return inner_.Put(key, bytes);
  }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    return inner_.List(prefix);
  }
  Result<std::string> Get(std::string_view key) override { return inner_.Get(key); }

  int failures = 0;
  int puts = 0;
  std::string fail_prefix = "raw/";

 private:
  RawArchive& inner_;
};

class IngestorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto stream = SqliteStream::Open((dir_ / "stream.db").string(), 2);
    auto store = SqliteCleanStore::Open((dir_ / "clean.db").string());
    ASSERT_TRUE(stream.ok() && store.ok());
    stream_ = std::move(stream).value();
    store_ = std::move(store).value();
    archive_ = std::make_unique<FileArchive>(dir_);
  }
  void TearDown() override {
    stream_.reset();
    store_.reset();
  }

  void Put(std::vector<StreamRecord> records) { ASSERT_TRUE(stream_->Put(records).ok()); }

  std::map<std::string, std::string> Objects(std::string_view prefix) {
    std::map<std::string, std::string> out;
    auto list = archive_->List(prefix);
    EXPECT_TRUE(list.ok()) << list.error();
    for (const ObjectInfo& o : *list) {
      auto text = GzipDecompress(*archive_->Get(o.key));
      EXPECT_TRUE(text.ok()) << o.key << ": " << text.error();
      out[o.key] = text.ok() ? *text : "";
    }
    return out;
  }

  std::string ShardOf(std::string_view symbol) {
    return SqliteStream::ShardName(SqliteStream::ShardOf(symbol, stream_->shard_count()));
  }

  // Two symbols on different shards, six ticks of each (a put of one of each per second).
  std::pair<std::string, std::string> PutSixTicksOnTwoShards() {
    const std::string a = "AAPL";
    std::string b = "B0";
    for (int i = 1; ShardOf(b) == ShardOf(a); ++i) b = fmt::format("B{}", i);
    for (int i = 0; i < 6; ++i) {
      Put({{a, fmt::format(R"({{"symbol":"{}","timestamp":"2025-08-14T10:00:{:02d}Z","price":1}})",
                           a, i)},
           {b, fmt::format(R"({{"symbol":"{}","timestamp":"2025-08-14T10:00:{:02d}Z","price":2}})",
                           b, i)}});
    }
    return {a, b};
  }
  // RAW holds, for each of the two symbols, three objects of two records, named by their
  // positions: batches of two records each.
  void ExpectThreeObjectsOfTwoRecordsEach(const std::string& a, const std::string& b) {
    std::vector<std::string> keys, expected;
    for (const auto& [key, text] : Objects("raw/")) {
      keys.push_back(key);
      EXPECT_THAT(Lines(text), SizeIs(2)) << key;
    }
    for (const std::string& symbol : {a, b}) {
      for (int n = 0; n < 3; ++n) {
        expected.push_back(
            ObjectKey("raw", "2025-08-14", ShardOf(symbol), Seq(2 * n + 1), Seq(2 * n + 2)));
      }
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(keys, expected);
  }

  testing::TempDir temp_;
  std::filesystem::path dir_ = temp_.path();
  std::unique_ptr<SqliteStream> stream_;
  std::unique_ptr<SqliteCleanStore> store_;
  std::unique_ptr<FileArchive> archive_;
};

TEST(ObjectKeyTest, IsHivePartitionedAndNamedByShardAndSequenceRange) {
  EXPECT_EQ(ObjectKey("raw", "2025-08-14", "shard-000001", Seq(1), Seq(500)),
            "raw/dt=2025-08-14/shard-000001-00000000000000000001-00000000000000000500.jsonl.gz");
  EXPECT_EQ(
      ObjectKey("rejected", "2025-08-15", "shard-000000", Seq(7), Seq(7)),
      "rejected/dt=2025-08-15/shard-000000-00000000000000000007-00000000000000000007.jsonl.gz");
}

TEST_F(IngestorTest, PollOnceWritesOneRawObjectPerEventDateNamedByThePosition) {
  Put({{"AAPL", R"({"symbol":"AAPL","timestamp":"2025-08-14T23:59:59Z","price":225.11})"},
       {"AAPL", R"({"symbol":"aapl","timestamp":1755216000,"price":"226.5","venue":"X"})"},
       {"AAPL", R"({"symbol":"AAPL","timestamp":"2025-08-16T00:00:01.5+00:00","price":227})"},
       {"AAPL", R"({"symbol":"AAPL","timestamp":"2025-08-14T10:00:00Z","price":-3})"},
       {"AAPL", "not json"}});
  auto pass = Ingestor(*archive_, *store_).PollOnce(*stream_, "ingest", 100);
  ASSERT_TRUE(pass.ok()) << pass.error();
  EXPECT_EQ(pass->received, 5u);
  EXPECT_EQ(pass->accepted, 3u);
  EXPECT_EQ(pass->rejected_total(), 2u);

  const std::string shard = ShardOf("AAPL");
  const auto raw = Objects("raw/");
  const std::string key14 = ObjectKey("raw", "2025-08-14", shard, Seq(1), Seq(5));
  const std::string key15 = ObjectKey("raw", "2025-08-15", shard, Seq(1), Seq(5));
  const std::string key16 = ObjectKey("raw", "2025-08-16", shard, Seq(1), Seq(5));
  ASSERT_THAT(raw, SizeIs(3));
  EXPECT_THAT(
      Lines(raw.at(key14)),
      ElementsAre(R"({"symbol":"AAPL","timestamp":"2025-08-14T23:59:59.000000Z","price":225.11})"));
  EXPECT_THAT(
      Lines(raw.at(key15)),
      ElementsAre(
          R"({"symbol":"AAPL","timestamp":"2025-08-15T00:00:00.000000Z","price":226.5,"venue":"X"})"));
  EXPECT_THAT(
      Lines(raw.at(key16)),
      ElementsAre(R"({"symbol":"AAPL","timestamp":"2025-08-16T00:00:01.500000Z","price":227})"));

  // Quarantine: partitioned by arrival date, one line per rejected record with its position.
  const auto rejected = Objects("rejected/");
  ASSERT_THAT(rejected, SizeIs(1));
  const auto& [rkey, rtext] = *rejected.begin();
  EXPECT_THAT(rkey, HasSubstr(fmt::format("/{}-{}-{}.jsonl.gz", shard, Seq(1), Seq(5))));
  const Micros arrival = stream_->Stats("ingest")->last_put;
  EXPECT_TRUE(rkey.starts_with("rejected/dt=" + FormatDate(arrival) + "/")) << rkey;
  const auto lines = Lines(rtext);
  ASSERT_THAT(lines, SizeIs(2));
  simdjson::dom::parser parser;
  std::vector<std::string> reasons, sequences, records;
  for (const std::string& line : lines) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(line).get(e), simdjson::SUCCESS) << line;
    reasons.emplace_back(std::string_view(e["reason"]));
    sequences.emplace_back(std::string_view(e["sequence"]));
    records.emplace_back(std::string_view(e["record"]));
    EXPECT_EQ(std::string_view(e["shard"]), shard);
    EXPECT_FALSE(std::string_view(e["message"]).empty());
  }
  EXPECT_THAT(reasons, ElementsAre("price_not_positive", "malformed_json"));
  EXPECT_THAT(sequences, ElementsAre(Seq(4), Seq(5)));
  EXPECT_EQ(records[1], "not json");

  EXPECT_EQ(store_->LastN("AAPL", 10)->size(), 3u);
  auto stats = stream_->Stats("ingest");
  EXPECT_EQ(stats->counts.received, 5u);
  EXPECT_EQ(stats->counts.accepted, 3u);
  EXPECT_EQ(stats->counts.rejected[static_cast<std::size_t>(RejectReason::kMalformedJson)], 1u);
  EXPECT_EQ(stats->counts.rejected[static_cast<std::size_t>(RejectReason::kPriceNotPositive)], 1u);
}

TEST_F(IngestorTest, EachPassTakesOneBatchPerShardAndNamesFollowTheRanges) {
  const auto [a, b] = PutSixTicksOnTwoShards();
  Ingestor ingestor(*archive_, *store_);
  for (int pass = 0; pass < 3; ++pass) {
    auto counts = ingestor.PollOnce(*stream_, "ingest", 2);
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ(counts->received, 4u) << "2 records from each of 2 shards";
  }
  EXPECT_EQ(ingestor.PollOnce(*stream_, "ingest", 2)->received, 0u);
  ExpectThreeObjectsOfTwoRecordsEach(a, b);
  EXPECT_EQ(store_->LastN(b, 100)->size(), 6u);
}

TEST_F(IngestorTest, APassOfRoundsGoesOnWithEveryShardWhoseBatchWasFull) {
  const auto [a, b] = PutSixTicksOnTwoShards();
  Ingestor ingestor(*archive_, *store_);
  auto pass = ingestor.PollOnce(*stream_, "ingest", ClaimLimits{2, 0, 0}, 2);
  ASSERT_TRUE(pass.ok()) << pass.error();
  EXPECT_EQ(pass->received, 8u) << "2 rounds of 2 records from each of 2 shards";
  pass = ingestor.PollOnce(*stream_, "ingest", ClaimLimits{2, 0, 0}, 5);
  ASSERT_TRUE(pass.ok()) << pass.error();
  EXPECT_EQ(pass->received, 4u) << "a shard with nothing left ends its rounds";
  // The same batches as one round a pass makes.
  ExpectThreeObjectsOfTwoRecordsEach(a, b);
}

TEST_F(IngestorTest, TheStoreIsSettledOnceIngestHasCaughtUp) {
  // 2,500 symbols on each shard, a tick each: batches of many symbols with a tick each, which
  // the store logs rather than writes (store/sqlite/sqlite_clean_store.h). Put 250 of each shard
  // at a time: a claim takes whole puts.
  std::map<std::string, std::vector<StreamRecord>> by_shard;
  for (int i = 0; by_shard.size() < 2 || by_shard.begin()->second.size() < 2'500 ||
                  by_shard.rbegin()->second.size() < 2'500;
       ++i) {
    const std::string symbol = fmt::format("S{}", i);
    auto& records = by_shard[ShardOf(symbol)];
    if (records.size() == 2'500) continue;
    records.push_back(
        {symbol,
         fmt::format(R"({{"symbol":"{}","timestamp":"2025-08-14T10:00:00Z","price":1}})", symbol)});
  }
  for (std::size_t at = 0; at < 2'500; at += 250) {
    std::vector<StreamRecord> put;
    for (const auto& [shard, records] : by_shard) {
      put.insert(put.end(), records.begin() + at, records.begin() + at + 250);
    }
    Put(put);
  }
  const auto sql_count = [&](const std::string& table) {
    auto db = sqlite::Database::Open((dir_ / "clean.db").string(), false);
    EXPECT_TRUE(db.ok());
    EXPECT_TRUE(RegisterTicksTable((*db)->handle()).ok());
    auto q = (*db)->Prepare("SELECT count(*) FROM " + table);
    EXPECT_TRUE(q.ok() && q->Step() == SQLITE_ROW);
    return q->Int(0);
  };
  Ingestor ingestor(*archive_, *store_);
  // Both shards hand out full batches: ingest is behind, the store keeps them logged.
  auto pass = ingestor.PollOnce(*stream_, "ingest", 1'500);
  ASSERT_TRUE(pass.ok()) << pass.error();
  EXPECT_EQ(pass->received, 3'000u);
  EXPECT_EQ(sql_count("tick_log"), 2);
  EXPECT_EQ(sql_count("ticks"), 0);
  // The rest: no batch is full, so the pass settles, and SQL sees every tick.
  pass = ingestor.PollOnce(*stream_, "ingest", 1'500);
  ASSERT_TRUE(pass.ok()) << pass.error();
  EXPECT_EQ(pass->received, 2'000u);
  EXPECT_EQ(sql_count("tick_log"), 0);
  EXPECT_EQ(sql_count("ticks"), 5'000);
}

TEST_F(IngestorTest, ABatchReplayedAfterACrashRewritesTheSameObjectsAndCountsOnce) {
  std::vector<StreamRecord> records;
  for (int i = 0; i < 300; ++i) {
    records.push_back(
        {"TSLA",
         fmt::format(
             R"({{"symbol":"TSLA","timestamp":"2025-08-{}T12:00:{:02d}.{:03d}Z","price":{}}})",
             14 + i % 2, i % 60, i, 100 + i)});
  }
  records.push_back({"TSLA", R"({"symbol":"TSLA","price":0})"});
  Put(records);
  const std::string shard = ShardOf("TSLA");

  // First life: the sinks are written, then the process dies before Commit.
  {
    Ingestor first(*archive_, *store_);
    auto batch = stream_->Claim("ingest", shard, 1000);
    ASSERT_TRUE(batch.ok());
    ASSERT_THAT(batch->entries, SizeIs(301));
    ASSERT_TRUE(first.ProcessBatch(*batch).ok());
  }
  const auto raw_before = Objects("raw/");
  const auto rejected_before = Objects("rejected/");
  ASSERT_THAT(raw_before, SizeIs(2));
  ASSERT_THAT(rejected_before, SizeIs(1));

  // Second life: the same batch comes back and is written again under the same names.
  Ingestor second(*archive_, *store_);
  auto pass = second.PollOnce(*stream_, "ingest", 7);  // a different batch size changes nothing
  ASSERT_TRUE(pass.ok()) << pass.error();
  EXPECT_EQ(pass->received, 301u);
  EXPECT_EQ(Objects("raw/"), raw_before);
  EXPECT_EQ(Objects("rejected/"), rejected_before);
  std::size_t lines = 0;
  for (const auto& [key, text] : raw_before) lines += Lines(text).size();
  EXPECT_EQ(lines, 300u);

  auto stats = stream_->Stats("ingest");
  EXPECT_EQ(stats->counts.received, 301u);
  EXPECT_EQ(stats->counts.accepted, 300u);
  EXPECT_EQ(stats->counts.rejected_total(), 1u);
  auto summary = store_->Summary();
  ASSERT_THAT(*summary, SizeIs(1));
  EXPECT_EQ((*summary)[0].rows, 300u);
  // Nothing left: the replay committed.
  EXPECT_EQ(second.PollOnce(*stream_, "ingest", 1000)->received, 0u);
}

TEST_F(IngestorTest, NothingIsCommittedWhenASinkFailsAndTheRetryWritesItOnce) {
  Put({{"AAPL", R"({"symbol":"AAPL","timestamp":"2025-08-14T10:00:00Z","price":1})"},
       {"AAPL", R"({"symbol":"AAPL","timestamp":"2025-08-14T10:00:01Z","price":2})"},
       {"AAPL", R"({"symbol":"AAPL","price":"abc"})"}});
  FlakyArchive flaky(*archive_);
  Ingestor ingestor(flaky, *store_);

  for (const char* prefix : {"raw/", "rejected/"}) {
    flaky.fail_prefix = prefix;
    flaky.failures = 1;
    auto failed = ingestor.PollOnce(*stream_, "ingest", 100);
    ASSERT_FALSE(failed.ok()) << prefix;
    EXPECT_THAT(failed.error(), HasSubstr("disk full"));
    auto stats = stream_->Stats("ingest");
    EXPECT_EQ(stats->counts.received, 0u) << prefix;
    ASSERT_TRUE(stats.ok());
    for (const ShardStats& s : stats->shards) EXPECT_EQ(s.checkpoint, 0u) << prefix;
  }

  auto pass = ingestor.PollOnce(*stream_, "ingest", 100);
  ASSERT_TRUE(pass.ok()) << pass.error();
  EXPECT_EQ(pass->received, 3u);
  const std::string shard = ShardOf("AAPL");
  const auto raw = Objects("raw/");
  ASSERT_THAT(raw, SizeIs(1));
  EXPECT_EQ(raw.begin()->first, ObjectKey("raw", "2025-08-14", shard, Seq(1), Seq(3)));
  EXPECT_THAT(Lines(raw.begin()->second), SizeIs(2));
  EXPECT_THAT(Objects("rejected/"), SizeIs(1));
  EXPECT_EQ(store_->Summary()->at(0).rows, 2u);
  EXPECT_EQ(stream_->Stats("ingest")->counts.received, 3u);
}

TEST_F(IngestorTest, ABatchOfOnlyRejectedRecordsWritesNoRawObjectButIsCommitted) {
  Put({{"", "garbage"}, {"", ""}, {"", "\xff\xfe"}});
  auto pass = Ingestor(*archive_, *store_).PollOnce(*stream_, "ingest", 100);
  ASSERT_TRUE(pass.ok()) << pass.error();
  EXPECT_EQ(pass->received, 3u);
  EXPECT_EQ(pass->accepted, 0u);
  EXPECT_THAT(Objects("raw/"), SizeIs(0));
  const auto rejected = Objects("rejected/");
  ASSERT_THAT(rejected, SizeIs(1));
  EXPECT_THAT(Lines(rejected.begin()->second), SizeIs(3));
  // Invalid UTF-8 is kept byte-exact beside the readable text.
  EXPECT_THAT(rejected.begin()->second, HasSubstr(R"("record_base64":"//4=")"));
  auto stats = stream_->Stats("ingest");
  ASSERT_TRUE(stats.ok());
  for (const ShardStats& s : stats->shards) EXPECT_EQ(s.lag_records, 0u);
}

}  // namespace
}  // namespace stockpipe
