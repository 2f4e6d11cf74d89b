// Bars in the DynamoDB CLEAN store against a real DynamoDB emulator (dynalite): after random
// batches (duplicates, re-sent prices, late and out-of-order ticks, gaps, several UTC days),
// replays, a failure between the tick write and the bar write (and one halfway through the bar
// write) and the replay after it, the stored bars equal CandlesFrom over every tick written; the
// same ticks give the same bars as the data folder's store; queries, rebuild and table creation.
//
// dynalite cannot be told to fail one call, so the failure test puts the fault proxy
// (tests/support/fault_proxy.h) between the store and the real dynalite: it refuses chosen
// BatchWriteItem calls on the candles table as DynamoDB refuses a call (HTTP 400) and passes
// every other request through.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "store/dynamodb/dynamodb_api.h"
#include "store/dynamodb/dynamodb_clean_store.h"
#include "store/dynamodb/dynamodb_items.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "support/candle_ticks.h"
#include "support/fault_proxy.h"
#include "support/peers.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing::Intervals;
using testing::kT0;
using testing::T;

constexpr Micros kSecond = 1'000'000;

class DynamoDbCandlesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { peer_ = new testing::Peer("dynalite"); }
  static void TearDownTestSuite() { delete peer_; }

  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    options_.client.service = aws::kDynamoDb;
    options_.client.region = "eu-central-1";
    options_.client.endpoint = peer_->endpoint();
    options_.client.credentials = aws::StaticCredentials({"AKID", "SECRET", "", "test"});
    options_.client.retry.base_delay_us = 1'000;
    options_.client.retry.max_delay_us = 4'000;
    options_.table = "ticks-" + name;
    options_.state_table = "state-" + name;
    options_.candles_table = "candles-" + name;
  }

  std::unique_ptr<DynamoDbCleanStore> Open(std::vector<Interval> intervals,
                                           bool remember_bars = true) {
    DynamoDbOptions options = options_;
    options.intervals = std::move(intervals);
    options.remember_bars = remember_bars;
    auto store = std::make_unique<DynamoDbCleanStore>(std::move(options));
    EXPECT_TRUE(store->CreateTablesIfMissing().ok());
    return store;
  }

  // Every stored bar of every symbol, in CandlesFrom's order.
  static std::vector<Candle> Stored(CleanStore& store, const std::vector<std::string>& symbols) {
    std::vector<Candle> out;
    for (const std::string& symbol : symbols) {
      for (const Interval& interval : store.CandleIntervals()) {
        auto bars = store.Candles({symbol, interval.name, std::nullopt, std::nullopt, 1'000'000});
        EXPECT_TRUE(bars.ok()) << bars.error();
        if (bars.ok()) out.insert(out.end(), bars->begin(), bars->end());
      }
    }
    return out;
  }

  // A random batch: mostly forward in time, some late, some re-sent with another price, some
  // twice in the batch.
  std::vector<Tick> RandomBatch(std::mt19937_64& rng, Micros& clock, std::size_t n) {
    std::vector<Tick> batch;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string symbol = std::string(1, static_cast<char>('A' + rng() % 3));
      clock += static_cast<Micros>(rng() % 40) * kSecond + static_cast<Micros>(rng() % 1000);
      if (rng() % 100 == 0) clock += 20 * 3600 * kSecond;  // a gap over a day boundary
      Micros t = clock;
      if (rng() % 8 == 0) t -= static_cast<Micros>(rng() % 7200) * kSecond;  // late
      std::string s = symbol;
      if (rng() % 10 == 0 && !written_.empty()) {  // re-sent, with another price
        const Tick& old = written_[rng() % written_.size()];
        t = old.timestamp;
        s = old.symbol;
      }
      if (rng() % 20 == 0 && !batch.empty()) {  // twice in one batch
        t = batch.back().timestamp;
        s = batch.back().symbol;
      }
      std::optional<double> volume;
      if (rng() % 4 != 0) volume = static_cast<double>(rng() % 500);
      batch.push_back(T(s, t, 50 + static_cast<double>(rng() % 5000) / 100, volume));
    }
    return batch;
  }

  static testing::Peer* peer_;
  DynamoDbOptions options_;
  std::vector<Tick> written_;  // every tick upserted, in order
};

testing::Peer* DynamoDbCandlesTest::peer_ = nullptr;

TEST_F(DynamoDbCandlesTest, BarsEqualAFreshComputationAfterRandomBatches) {
  const auto intervals = Intervals({"1m", "5m", "1h", "1d"});
  auto store = Open(intervals);
  std::mt19937_64 rng(7);
  Micros clock = kT0;
  for (int batch = 0; batch < 24; ++batch) {
    std::vector<Tick> ticks = RandomBatch(rng, clock, 1 + rng() % 150);
    ASSERT_TRUE(store->Upsert(ticks).ok());
    written_.insert(written_.end(), ticks.begin(), ticks.end());
    if (batch % 5 == 2) {  // a replay of the same batch changes nothing
      ASSERT_TRUE(store->Upsert(ticks).ok());
    }
    if (batch % 8 == 7) store = Open(intervals);  // a restart forgets the remembered bars
    ASSERT_EQ(Stored(*store, {"A", "B", "C"}), CandlesFrom(written_, intervals))
        << "after batch " << batch;
  }
}

TEST_F(DynamoDbCandlesTest, ARewriteOfAnExtremeRecomputesTheBar) {
  const auto intervals = Intervals({"1m"});
  auto store = Open(intervals);
  written_ = {T("A", kT0, 10), T("A", kT0 + kSecond, 50, 3), T("A", kT0 + 2 * kSecond, 20)};
  ASSERT_TRUE(store->Upsert(written_).ok());
  const std::vector<Tick> fix = {T("A", kT0 + kSecond, 15)};  // the 50 was wrong, with no volume
  ASSERT_TRUE(store->Upsert(fix).ok());
  written_.push_back(fix[0]);
  const auto bars = Stored(*store, {"A"});
  ASSERT_EQ(bars.size(), 1U);
  EXPECT_EQ(bars[0].high, 20);
  EXPECT_EQ(bars[0].volume, std::nullopt);
  EXPECT_EQ(bars, CandlesFrom(written_, intervals));
}

TEST_F(DynamoDbCandlesTest, AnInOrderFeedReadsNoBarBackButALateTickDoes) {
  const auto intervals = Intervals({"1m", "1h"});
  auto store = Open(intervals);
  const auto reads = [&] { return store->client().Stats()["BatchGetItem"].calls; };
  const auto queries = [&] { return store->client().Stats()["Query"].calls; };
  std::vector<Tick> first = {T("A", kT0 + kSecond, 10)};
  ASSERT_TRUE(store->Upsert(first).ok());
  written_ = first;
  const auto reads_before = reads();
  const auto queries_before = queries();
  for (int i = 2; i < 30; ++i) {
    const std::vector<Tick> next = {T("A", kT0 + i * kSecond, 10 + i, 1)};
    ASSERT_TRUE(store->Upsert(next).ok());
    written_.push_back(next[0]);
  }
  EXPECT_EQ(reads(), reads_before) << "the bars of an in-order feed are remembered";
  EXPECT_EQ(queries(), queries_before) << "no bar recomputed";
  const std::vector<Tick> late = {T("A", kT0, 7)};  // before the bar's first tick: merged
  ASSERT_TRUE(store->Upsert(late).ok());
  written_.push_back(late[0]);
  EXPECT_EQ(queries(), queries_before);
  EXPECT_EQ(Stored(*store, {"A"}), CandlesFrom(written_, intervals));

  // Without remembering (the Lambda), every batch reads its bars, with the same result.
  auto lambda = Open(intervals, false);
  const auto lambda_reads = lambda->client().Stats()["BatchGetItem"].calls;
  const std::vector<Tick> more = {T("A", kT0 + 40 * kSecond, 3)};
  ASSERT_TRUE(lambda->Upsert(more).ok());
  written_.push_back(more[0]);
  EXPECT_EQ(lambda->client().Stats()["BatchGetItem"].calls, lambda_reads + 1);
  EXPECT_EQ(Stored(*lambda, {"A"}), CandlesFrom(written_, intervals));
}

TEST_F(DynamoDbCandlesTest, AFailureBetweenTicksAndBarsIsRepairedByTheReplay) {
  const auto intervals = Intervals({"1m", "5m", "1h", "1d"});
  testing::FaultProxy proxy(peer_->port());
  proxy.FaultOnly({"DynamoDB_20120810.BatchWriteItem", "\"candles-"});
  const testing::Fault refuse = testing::Fault::Respond(
      400,
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"injected"})");
  auto direct = Open(intervals);
  options_.client.endpoint = proxy.endpoint();
  options_.write_concurrency = 1;  // calls in order, so a plan can cut the bar write halfway
  auto store = Open(intervals);
  std::mt19937_64 rng(21);
  Micros clock = kT0;
  int failed_batches = 0;
  for (int batch = 0; batch < 16; ++batch) {
    std::vector<Tick> ticks = RandomBatch(rng, clock, 20 + rng() % 120);
    // Even batches fail before any bar is written, odd ones after some of their bar calls.
    std::vector<testing::Fault> plan(batch % 2 == 0 ? 0 : 1 + rng() % 3, testing::Fault::Pass());
    plan.push_back(refuse);
    proxy.Plan(plan);
    const int faults = proxy.faults();
    const Status first = store->Upsert(ticks);
    proxy.StopFaults();
    written_.insert(written_.end(), ticks.begin(), ticks.end());
    if (proxy.faults() > faults) {
      ++failed_batches;
      ASSERT_FALSE(first.ok());
      EXPECT_THAT(first.message(), HasSubstr("injected"));
      // The ticks are in: the batch failed after them.
      auto newest = direct->LastN(ticks.back().symbol, 1'000'000);
      ASSERT_TRUE(newest.ok());
      EXPECT_FALSE(newest->empty());
    } else {
      ASSERT_TRUE(first.ok()) << first.message();
    }
    // The stream gives the batch again, to this process or (every third time) to another one.
    if (batch % 3 == 0) store = Open(intervals);
    ASSERT_TRUE(store->Upsert(ticks).ok()) << "replay of batch " << batch;
    ASSERT_EQ(Stored(*direct, {"A", "B", "C"}), CandlesFrom(written_, intervals))
        << "after batch " << batch;
  }
  EXPECT_GE(failed_batches, 8) << "every even batch fails";
}

TEST_F(DynamoDbCandlesTest, AMissingCandlesTableIsNamedAfterTheTicksAreWritten) {
  auto store = Open(Intervals({"1m"}));
  DynamoDbOptions other = options_;
  other.candles_table = "no-such-candles";
  DynamoDbCleanStore missing(other);
  const std::vector<Tick> ticks = {T("A", kT0, 10)};
  const Status s = missing.Upsert(ticks);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("no-such-candles (the candles table) does not exist"));
  EXPECT_THAT(s.message(), HasSubstr("DYNAMODB_CANDLES_TABLE"));
  auto points = store->LastN("A", 5);
  ASSERT_TRUE(points.ok());
  EXPECT_EQ(points->size(), 1U);
}

TEST_F(DynamoDbCandlesTest, QueryRangeAndLimit) {
  const auto intervals = Intervals({"1m"});
  auto store = Open(intervals);
  for (int i = 0; i < 10; ++i) written_.push_back(T("A", kT0 + i * 60 * kSecond, 10 + i));
  ASSERT_TRUE(store->Upsert(written_).ok());
  auto newest = store->Candles({"A", "1m", std::nullopt, std::nullopt, 3});
  ASSERT_TRUE(newest.ok()) << newest.error();
  ASSERT_EQ(newest->size(), 3U);
  EXPECT_EQ(newest->front().close, 17) << "the newest three, oldest first";
  EXPECT_EQ(newest->back().close, 19);
  auto range = store->Candles({"A", "1m", kT0 + 120 * kSecond, kT0 + 300 * kSecond, 100});
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->size(), 3U) << "[from, to) by start";
  EXPECT_EQ(range->front().start, kT0 + 120 * kSecond);
  EXPECT_EQ(range->back().start, kT0 + 240 * kSecond);
  auto limited = store->Candles({"A", "1m", kT0 + 120 * kSecond, kT0 + 300 * kSecond, 2});
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 2U);
  EXPECT_EQ(limited->front().start, kT0 + 180 * kSecond) << "the newest two of the range";
  auto from_only = store->Candles({"A", "1m", kT0 + 480 * kSecond, std::nullopt, 100});
  ASSERT_TRUE(from_only.ok());
  EXPECT_EQ(from_only->size(), 2U);
  auto to_only = store->Candles({"A", "1m", std::nullopt, kT0 + 60 * kSecond, 100});
  ASSERT_TRUE(to_only.ok());
  EXPECT_EQ(to_only->size(), 1U);
  auto empty = store->Candles({"A", "1m", kT0 + 300 * kSecond, kT0 + 120 * kSecond, 100});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto unknown = store->Candles({"A", "5m", std::nullopt, std::nullopt, 3});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error(), HasSubstr("1m"));
}

TEST_F(DynamoDbCandlesTest, RebuildRepairsBarsRemovesStaleOnesAndReportsProgress) {
  const auto intervals = Intervals({"1m", "1h"});
  auto store = Open(intervals);
  std::mt19937_64 rng(3);
  Micros clock = kT0;
  written_ = RandomBatch(rng, clock, 600);
  ASSERT_TRUE(store->Upsert(written_).ok());
  // Damage the bars behind the store's back: one wrong, one with no tick at all.
  aws::Client& client = store->client();
  ASSERT_TRUE(
      dynamodb::Call(
          client, "UpdateItem",
          json{{"TableName", options_.candles_table},
               {"Key", dynamodb::BarKey("A#1m", BarStart(written_[0].timestamp, 60 * kSecond))},
               {"UpdateExpression", "SET #h = :h"},
               {"ExpressionAttributeNames", {{"#h", "high"}}},
               {"ExpressionAttributeValues", {{":h", {{"N", "99999"}}}}}})
          .ok());
  Candle ghost = CandleOf(T("B", kT0 - 3600 * kSecond, 1), intervals[0]);
  std::string put = R"({"RequestItems":{")" + options_.candles_table + R"(":[)";
  dynamodb::AppendBarPut(ghost, put);
  put += "]}}";
  ASSERT_TRUE(dynamodb::Call(client, "BatchWriteItem", put).ok());
  ASSERT_NE(Stored(*store, {"A", "B", "C"}), CandlesFrom(written_, intervals));

  std::vector<std::size_t> done;
  CandleRebuild scope;
  scope.progress = [&](std::size_t n, std::size_t total) {
    EXPECT_EQ(total, 3U);
    done.push_back(n);
  };
  auto rebuilt = store->RebuildCandles(scope);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error();
  EXPECT_EQ(done, (std::vector<std::size_t>{1, 2, 3}));
  const auto expected = CandlesFrom(written_, intervals);
  EXPECT_EQ(*rebuilt, expected.size());
  EXPECT_EQ(Stored(*store, {"A", "B", "C"}), expected);

  // A range rebuild touches only the bars starting in it.
  scope = {};
  scope.symbols = {"A"};
  scope.from = kT0 + 3600 * kSecond;
  scope.to = kT0 + 2 * 3600 * kSecond;
  auto part = store->RebuildCandles(scope);
  ASSERT_TRUE(part.ok()) << part.error();
  std::uint64_t in_range = 0;
  for (const Candle& bar : expected) {
    in_range += bar.symbol == "A" && bar.start >= *scope.from && bar.start < *scope.to;
  }
  EXPECT_EQ(*part, in_range);
  EXPECT_EQ(Stored(*store, {"A", "B", "C"}), expected);

  // Ingest after a rebuild still merges into the right bars.
  auto more = RandomBatch(rng, clock, 200);
  ASSERT_TRUE(store->Upsert(more).ok());
  written_.insert(written_.end(), more.begin(), more.end());
  EXPECT_EQ(Stored(*store, {"A", "B", "C"}), CandlesFrom(written_, intervals));
}

TEST_F(DynamoDbCandlesTest, BarsOfATableAnotherProgramFilledReadEveryTimestampForm) {
  const auto intervals = Intervals({"1m"});
  auto store = Open(intervals);
  // What the reference ingest stored: several forms of UTC, prices as text, a bad price, and one
  // instant in two forms (the canonical one counts, as in LastN).
  const std::vector<std::pair<std::string, json>> items = {
      {"2025-08-14T00:00:05Z", {{"N", "10"}}},
      {"2025-08-14T00:00:05.000000Z", {{"N", "11"}}},
      {"2025-08-14T00:00:05.5+00:00", {{"S", "12"}}},
      {"2025-08-14T00:00:06", {{"N", "13"}}},
      {"2025-08-14T00:00:07.000000Z", {{"N", "-1"}}},
      {"2025-08-14T00:00:59.999999Z", {{"N", "15"}}},
      {"2025-08-14T00:01:00+00:00", {{"N", "14"}}},
  };
  for (const auto& [stamp, price] : items) {
    ASSERT_TRUE(
        dynamodb::Call(
            store->client(), "PutItem",
            json{{"TableName", options_.table},
                 {"Item",
                  {{"symbol", {{"S", "A"}}}, {"timestamp", {{"S", stamp}}}, {"price", price}}}})
            .ok());
  }
  written_ = {T("A", kT0 + 5 * kSecond, 11), T("A", kT0 + 5 * kSecond + kSecond / 2, 12),
              T("A", kT0 + 6 * kSecond, 13), T("A", kT0 + 60 * kSecond - 1, 15),
              T("A", kT0 + 60 * kSecond, 14)};
  CandleRebuild scope;
  scope.symbols = {"A"};
  auto rebuilt = store->RebuildCandles(scope);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error();
  EXPECT_EQ(*rebuilt, 2U);
  EXPECT_EQ(Stored(*store, {"A"}), CandlesFrom(written_, intervals));
  EXPECT_EQ(store->Skipped()["price is not a positive number"], 1U);
  // A tick inside the first bar makes it be recomputed from those same items.
  const std::vector<Tick> inside = {T("A", kT0 + 30 * kSecond, 9)};
  ASSERT_TRUE(store->Upsert(inside).ok());
  written_.push_back(inside[0]);
  EXPECT_EQ(Stored(*store, {"A"}), CandlesFrom(written_, intervals));
}

TEST_F(DynamoDbCandlesTest, TicksKeepTheirVolumeAndBarOnlyWhenTheyHaveThem) {
  auto store = Open(Intervals({"1m"}));
  Tick with = T("A", kT0, 10, 2.5);
  with.bar = TickBar{9, 11, 8};
  const std::vector<Tick> ticks = {with, T("A", kT0 + kSecond, 12)};
  ASSERT_TRUE(store->Upsert(ticks).ok());
  auto items = dynamodb::Call(store->client(), "Scan", json{{"TableName", options_.table}});
  ASSERT_TRUE(items.ok());
  ASSERT_EQ((*items)["Items"].size(), 2U);
  const json& first = (*items)["Items"][0];
  EXPECT_EQ(first["volume"]["N"], "2.5");
  EXPECT_EQ(first["open"]["N"], "9");
  EXPECT_EQ(first["high"]["N"], "11");
  EXPECT_EQ(first["low"]["N"], "8");
  const json& second = (*items)["Items"][1];
  for (const char* absent : {"volume", "open", "high", "low"}) {
    EXPECT_FALSE(second.contains(absent)) << absent;
  }
  const auto bars = Stored(*store, {"A"});
  ASSERT_EQ(bars.size(), 1U);
  EXPECT_EQ(bars[0].open, 9);
  EXPECT_EQ(bars[0].high, 12);
  EXPECT_EQ(bars[0].low, 8);
  EXPECT_EQ(bars[0].volume, 2.5);
}

TEST_F(DynamoDbCandlesTest, CreateTablesMakesTheCandlesTableWithItsKeys) {
  DynamoDbOptions options = options_;
  DynamoDbCleanStore store(options);
  std::vector<std::string> created;
  ASSERT_TRUE(store.CreateTablesIfMissing(&created).ok());
  EXPECT_THAT(created, ::testing::Contains(options_.candles_table));
  auto described =
      dynamodb::Call(store.client(), "DescribeTable", json{{"TableName", options_.candles_table}});
  ASSERT_TRUE(described.ok());
  EXPECT_EQ((*described)["Table"]["KeySchema"],
            json::parse(R"([{"AttributeName":"series","KeyType":"HASH"},
                            {"AttributeName":"start","KeyType":"RANGE"}])"));
  created.clear();
  ASSERT_TRUE(store.CreateTablesIfMissing(&created).ok());
  EXPECT_TRUE(created.empty());
}

TEST_F(DynamoDbCandlesTest, TheDataFolderAndDynamoDbGiveTheSameBars) {
  const auto intervals = Intervals({"1m", "5m", "1d"});
  testing::TempDir dir;
  auto local =
      SqliteCleanStore::Open((dir.path() / "clean.db").string(), sqlite::Sync::kNormal, intervals);
  ASSERT_TRUE(local.ok()) << local.error();
  auto dynamo = Open(intervals);
  std::mt19937_64 rng(5);
  Micros clock = kT0;
  for (int batch = 0; batch < 8; ++batch) {
    std::vector<Tick> ticks = RandomBatch(rng, clock, 1 + rng() % 150);
    ASSERT_TRUE((*local)->Upsert(ticks).ok());
    ASSERT_TRUE(dynamo->Upsert(ticks).ok());
    written_.insert(written_.end(), ticks.begin(), ticks.end());
  }
  const auto stored = Stored(*dynamo, {"A", "B", "C"});
  EXPECT_EQ(stored, Stored(**local, {"A", "B", "C"}));
  EXPECT_FALSE(stored.empty());
  for (const Interval& interval : intervals) {
    const CandleQuery query{"B", interval.name, kT0 + 600 * kSecond, kT0 + 86'400 * kSecond, 7};
    auto a = dynamo->Candles(query);
    auto b = (*local)->Candles(query);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b) << interval.name;
  }
}

}  // namespace
}  // namespace stockpipe
