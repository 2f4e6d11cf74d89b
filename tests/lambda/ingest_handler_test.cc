// The ingest handler behind the Runtime API loop, in-process, on the local adapters (files and
// SQLite): Kinesis-shaped events in, batchItemFailures out, RAW / quarantine / CLEAN checked.
// The Runtime API is the in-test server (no Runtime Interface Emulator exists here).
#include "lambda/ingest_handler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "archive/local/file_archive.h"
#include "codec/gzip.h"
#include "lambda/kinesis_events.h"
#include "lambda/runtime_api_server.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "stream/kinesis/checkpoint.h"
#include "support/lines.h"
#include "support/temp_dir.h"

namespace stockpipe::lambda {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::KinesisEvent;
using testing::KinesisTestRecord;
using testing::Posted;
using testing::Sequence;
using testing::Tick;

constexpr char kShardA[] = "shardId-000000000000";
constexpr char kShardB[] = "shardId-000000000001";
constexpr char kDate[] = "2025-08-14";

// The local archive with a switch that makes Puts of one shard's objects fail, as an S3 outage
// would; everything else is the real FileArchive.
class SwitchableArchive final : public RawArchive {
 public:
  explicit SwitchableArchive(fs::path root) : files_(std::move(root)) {}
  Status Put(std::string_view key, std::string_view bytes) override {
    if (!failing_shard_.empty() && key.find(failing_shard_) != std::string_view::npos) {
      return Status::Error("archive unavailable for " + std::string(key));
    }
    return files_.Put(key, bytes);
  }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    return files_.List(prefix);
  }
  Result<std::string> Get(std::string_view key) override { return files_.Get(key); }
  void FailShard(std::string shard) { failing_shard_ = std::move(shard); }

 private:
  FileArchive files_;
  std::string failing_shard_;  // set between invocations only
};

using stockpipe::testing::Lines;

class IngestHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    archive_ = std::make_unique<SwitchableArchive>(dir_ / "data");
    auto store = SqliteCleanStore::Open((dir_ / "clean.db").string());
    ASSERT_TRUE(store) << store.error();
    store_ = std::move(*store);
    handler_ = std::make_unique<IngestHandler>(*archive_, *store_);
  }

  // Hands `event` to the runtime loop through the Runtime API and returns what it posted.
  Posted Invoke(const std::string& event) {
    testing::RuntimeApiServer api;
    const std::string id = api.Enqueue(event);
    Runtime runtime({api.address(), 1});
    Status s = runtime.Run(std::ref(*handler_));
    EXPECT_TRUE(s.ok()) << s.message();
    auto results = api.WaitForResults(1);
    if (results.size() != 1) {
      ADD_FAILURE() << "no answer posted";
      return {};
    }
    EXPECT_EQ(results[0].request_id, id);
    return results[0];
  }

  // The itemIdentifiers of a response, asserting it is a well-formed batchItemFailures document.
  std::vector<std::string> Failures(const Posted& posted) {
    EXPECT_EQ(posted.kind, Posted::Kind::kResponse) << posted.body;
    const json body = json::parse(posted.body, nullptr, false);
    std::vector<std::string> ids;
    if (!body.is_object() || !body.contains("batchItemFailures")) {
      ADD_FAILURE() << "not a batchItemFailures document: " << posted.body;
      return ids;
    }
    for (const json& f : body["batchItemFailures"]) ids.push_back(f.at("itemIdentifier"));
    return ids;
  }

  std::vector<std::string> Keys(const std::string& prefix) {
    auto list = archive_->List(prefix);
    EXPECT_TRUE(list) << list.error();
    std::vector<std::string> keys;
    if (list) {
      for (const ObjectInfo& o : *list) keys.push_back(o.key);
    }
    return keys;
  }

  std::vector<std::string> ObjectLines(const std::string& key) {
    auto bytes = archive_->Get(key);
    EXPECT_TRUE(bytes) << bytes.error();
    if (!bytes) return {};
    auto text = GzipDecompress(*bytes);
    EXPECT_TRUE(text) << text.error();
    return text ? Lines(*text) : std::vector<std::string>{};
  }

  std::vector<double> Prices(const std::string& symbol) {
    auto points = store_->LastN(symbol, 1000);
    EXPECT_TRUE(points) << points.error();
    std::vector<double> prices;
    if (points) {
      for (const PricePoint& p : *points) prices.push_back(p.price);
    }
    return prices;
  }

  testing::TempDir temp_;
  std::filesystem::path dir_ = temp_.path();
  std::unique_ptr<SwitchableArchive> archive_;
  std::unique_ptr<SqliteCleanStore> store_;
  std::unique_ptr<IngestHandler> handler_;
};

TEST_F(IngestHandlerTest, AllValidRecordsLandInRawAndCleanWithNoFailures) {
  std::vector<KinesisTestRecord> records;
  const double prices[] = {225.11, 225.5, 224.75};
  for (int i = 0; i < 3; ++i) {
    records.push_back({kShardA, Sequence(i + 1),
                       Tick("AAPL", "2025-08-14T14:38:1" + std::to_string(i) + "Z", prices[i])});
  }
  EXPECT_TRUE(Failures(Invoke(KinesisEvent(records))).empty());

  const std::string key = ObjectKey("raw", kDate, kShardA, Sequence(1), Sequence(3));
  EXPECT_EQ(Keys("raw/"), std::vector<std::string>{key});
  const auto lines = ObjectLines(key);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            R"({"symbol":"AAPL","timestamp":"2025-08-14T14:38:10.000000Z","price":225.11})");
  EXPECT_TRUE(Keys("rejected/").empty());
  EXPECT_EQ(Prices("AAPL"), (std::vector<double>{225.11, 225.5, 224.75}));
}

TEST_F(IngestHandlerTest, AllInvalidRecordsAreQuarantinedNotFailed) {
  const std::vector<KinesisTestRecord> records = {
      {kShardA, Sequence(1), "not json at all"},
      {kShardA, Sequence(2), R"({"symbol":"AAPL","price":-3})"},
      {kShardA, Sequence(3), R"({"price":10})"},
  };
  EXPECT_TRUE(Failures(Invoke(KinesisEvent(records))).empty());

  EXPECT_TRUE(Keys("raw/").empty());
  const std::string key = ObjectKey("rejected", kDate, kShardA, Sequence(1), Sequence(3));
  ASSERT_EQ(Keys("rejected/"), std::vector<std::string>{key});
  const auto lines = ObjectLines(key);
  ASSERT_EQ(lines.size(), 3u);
  const std::vector<std::string> reasons = {"malformed_json", "price_not_positive",
                                            "missing_symbol"};
  for (std::size_t i = 0; i < 3; ++i) {
    const json line = json::parse(lines[i]);
    EXPECT_EQ(line["reason"], reasons[i]);
    EXPECT_EQ(line["sequence"], Sequence(static_cast<int>(i) + 1));
    EXPECT_EQ(line["shard"], kShardA);
    EXPECT_EQ(line["record"], records[i].data);
    EXPECT_EQ(line["arrival"], "2025-08-14T14:38:12.500000Z");
  }
  auto symbols = store_->Symbols();
  ASSERT_TRUE(symbols);
  EXPECT_TRUE(symbols->empty());
}

TEST_F(IngestHandlerTest, MixedBatchWithDataThatIsNotBase64) {
  std::vector<KinesisTestRecord> records = {
      {kShardA, Sequence(1), Tick("MSFT", "2025-08-14T10:00:00Z", 410.5)},
      KinesisTestRecord::NotBase64(kShardA, Sequence(2), "!!! not base64 !!!"),
      {kShardA, Sequence(3), R"({"symbol":"MSFT","price":"abc"})"},
      KinesisTestRecord::NotBase64(kShardA, Sequence(4), "YWJ"),  // length not a multiple of 4
      {kShardA, Sequence(5), Tick("MSFT", "2025-08-14T10:00:01Z", 411.25)},
  };
  EXPECT_TRUE(Failures(Invoke(KinesisEvent(records))).empty());

  const auto raw = ObjectLines(ObjectKey("raw", kDate, kShardA, Sequence(1), Sequence(5)));
  EXPECT_EQ(raw.size(), 2u);
  EXPECT_EQ(Prices("MSFT"), (std::vector<double>{410.5, 411.25}));

  const std::string core_key = ObjectKey("rejected", kDate, kShardA, Sequence(1), Sequence(5));
  std::string base64_key = core_key;
  base64_key.insert(base64_key.size() - std::string(".jsonl.gz").size(), ".base64");
  const std::vector<std::string> keys = Keys("rejected/");
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()),
            (std::set<std::string>{core_key, base64_key}));
  const auto invalid = ObjectLines(core_key);
  ASSERT_EQ(invalid.size(), 1u);
  EXPECT_EQ(json::parse(invalid[0])["reason"], "invalid_price");

  const auto undecodable = ObjectLines(base64_key);
  ASSERT_EQ(undecodable.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const json line = json::parse(undecodable[i]);
    const KinesisTestRecord& r = records[i == 0 ? 1 : 3];
    EXPECT_EQ(line["reason"], kInvalidBase64Reason);
    EXPECT_EQ(line["record"], *r.raw_data);
    EXPECT_EQ(line["sequence"], r.sequence);
    EXPECT_EQ(line["shard"], kShardA);
    EXPECT_NE(line["message"].get<std::string>().find("base64"), std::string::npos);
  }
}

TEST_F(IngestHandlerTest, SeveralShardsInterleavedAreSplitAndPutInSequenceOrder) {
  // Shard B's sequence numbers differ in length: 900 < 1000 < 10000 numerically, not as text.
  const std::vector<KinesisTestRecord> records = {
      {kShardB, "10000", Tick("MSFT", "2025-08-14T10:00:03Z", 3)},
      {kShardA, Sequence(2), Tick("AAPL", "2025-08-14T10:00:02Z", 2)},
      {kShardB, "900", Tick("MSFT", "2025-08-14T10:00:01Z", 1)},
      {kShardA, Sequence(1), Tick("AAPL", "2025-08-14T10:00:01Z", 1)},
      {kShardB, "1000", Tick("MSFT", "2025-08-14T10:00:02Z", 2)},
  };
  EXPECT_TRUE(Failures(Invoke(KinesisEvent(records))).empty());

  const std::string a = ObjectKey("raw", kDate, kShardA, Sequence(1), Sequence(2));
  const std::string b = ObjectKey("raw", kDate, kShardB, "900", "10000");
  EXPECT_EQ(Keys("raw/"), (std::vector<std::string>{a, b}));
  const auto lines = ObjectLines(b);
  ASSERT_EQ(lines.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(json::parse(lines[i])["price"], static_cast<double>(i + 1)) << lines[i];
  }
  EXPECT_EQ(Prices("AAPL"), (std::vector<double>{1, 2}));
  EXPECT_EQ(Prices("MSFT"), (std::vector<double>{1, 2, 3}));
}

TEST_F(IngestHandlerTest, FailedSinksReturnEveryRecordOfThatShardAndTheRetryIsIdempotent) {
  std::vector<KinesisTestRecord> records;
  for (int i = 1; i <= 2; ++i) {
    records.push_back({kShardA, Sequence(i),
                       Tick("AAPL", "2025-08-14T10:00:0" + std::to_string(i) + "Z", 100 + i)});
  }
  for (int i = 1; i <= 3; ++i) {
    records.push_back({kShardB, Sequence(10 + i),
                       Tick("MSFT", "2025-08-14T10:00:0" + std::to_string(i) + "Z", 200 + i)});
  }
  records.push_back({kShardB, Sequence(20), "not json"});  // quarantined records fail with it too
  const std::string event = KinesisEvent(records);

  archive_->FailShard(kShardB);
  const auto failed = Failures(Invoke(event));
  EXPECT_EQ(failed,
            (std::vector<std::string>{Sequence(11), Sequence(12), Sequence(13), Sequence(20)}));
  EXPECT_EQ(Keys("raw/"),
            std::vector<std::string>{ObjectKey("raw", kDate, kShardA, Sequence(1), Sequence(2))});

  // Lambda retries the event; the shard's objects are keyed by position, rows by (symbol, time).
  archive_->FailShard("");
  EXPECT_TRUE(Failures(Invoke(event)).empty());
  EXPECT_TRUE(Failures(Invoke(event)).empty());
  EXPECT_EQ(Keys("raw/").size(), 2u);
  EXPECT_EQ(Keys("rejected/").size(), 1u);
  EXPECT_EQ(Prices("AAPL"), (std::vector<double>{101, 102}));
  EXPECT_EQ(Prices("MSFT"), (std::vector<double>{201, 202, 203}));
}

TEST_F(IngestHandlerTest, AnEventThatIsNotAKinesisEventIsAnInvocationError) {
  for (const std::string& event :
       {std::string("not json"), std::string(R"({"detail-type":"Scheduled Event"})"),
        std::string(R"({"Records":[{"kinesis":{"data":"e30="}}]})")}) {
    const Posted posted = Invoke(event);
    EXPECT_EQ(posted.kind, Posted::Kind::kError) << event;
    EXPECT_EQ(posted.error_type, kHandlerErrorType);
    const json body = json::parse(posted.body);
    EXPECT_NE(body["errorMessage"].get<std::string>().find("not a Kinesis event"),
              std::string::npos);
  }
  EXPECT_TRUE(Keys("raw/").empty());
  EXPECT_TRUE(Keys("rejected/").empty());
}

TEST(KinesisEvent, ErrorsNameTheMemberAndSequencesCompareAsNumbers) {
  auto missing = ParseKinesisEvent(
      R"({"Records":[{"kinesis":{"sequenceNumber":"1","data":"e30="},"eventID":"shardId-1:1"},)"
      R"({"kinesis":{"data":"e30="}}]})");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("Records[1].kinesis.sequenceNumber"), std::string::npos)
      << missing.error();

  auto parsed = ParseKinesisEvent(KinesisEvent({{kShardB, "77", "{}", 1755182292.123456}}));
  ASSERT_TRUE(parsed) << parsed.error();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].shard, kShardB);
  EXPECT_EQ((*parsed)[0].sequence, "77");
  EXPECT_EQ((*parsed)[0].arrival, 1755182292123456);
  EXPECT_EQ((*parsed)[0].data, "e30=");

  // The handler orders a shard's records with the Kinesis adapter's sequence comparison.
  EXPECT_LT(kinesis::CompareSequence("900", "1000"), 0);
  EXPECT_GT(kinesis::CompareSequence("1000", "900"), 0);
  EXPECT_LT(kinesis::CompareSequence(Sequence(9), Sequence(10)), 0);
  EXPECT_EQ(kinesis::CompareSequence("5", "5"), 0);
}

}  // namespace
}  // namespace stockpipe::lambda
