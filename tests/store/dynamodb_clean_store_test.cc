// The DynamoDB CleanStore against a real DynamoDB emulator (dynalite): exact values and order,
// upsert semantics (duplicates, replays), many symbols, the symbol registry, and the write-call
// budget of ceil(N / 25) BatchWriteItem calls per N ticks.
#include "store/dynamodb/dynamodb_clean_store.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "store/dynamodb/dynamodb_api.h"
#include "support/peers.h"

namespace stockpipe {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr Micros kT0 = 1'755'182'292'000'000;  // 2025-08-14T14:38:12Z
// The state item saying the registry is whole, written when the store created the tick table.
constexpr std::size_t kRegistryMarker = 1;

Tick MakeTick(std::string symbol, Micros t, double price) {
  Tick tick;
  tick.symbol = std::move(symbol);
  tick.timestamp = t;
  tick.price = price;
  return tick;
}

std::uint64_t WriteCalls(DynamoDbCleanStore& store) {
  return store.client().Stats()["BatchWriteItem"].calls;
}

class DynamoDbCleanStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { peer_ = new testing::Peer("dynalite"); }
  static void TearDownTestSuite() { delete peer_; }

  // Tables of their own per test.
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    options_.client.service = aws::kDynamoDb;
    options_.client.region = "eu-central-1";
    options_.client.endpoint = peer_->endpoint();
    options_.client.credentials = aws::StaticCredentials({"AKID", "SECRET", "", "test"});
    options_.table = "ticks-" + name;
    options_.state_table = "state-" + name;
    options_.candles_table = "candles-" + name;
    store_ = std::make_unique<DynamoDbCleanStore>(options_);
    ASSERT_TRUE(store_->CreateTablesIfMissing().ok());
  }

  // Rows of a table, counted by the emulator (a test may scan; the store never does).
  std::size_t Count(const std::string& table) {
    std::size_t count = 0;
    nlohmann::json scan = {{"TableName", table}, {"Select", "COUNT"}};
    while (true) {
      auto page = dynamodb::Call(store_->client(), "Scan", scan);
      EXPECT_TRUE(page.ok()) << page.error();
      if (!page.ok()) return 0;
      count += (*page)["Count"].get<std::size_t>();
      if (!page->contains("LastEvaluatedKey")) return count;
      scan["ExclusiveStartKey"] = (*page)["LastEvaluatedKey"];
    }
  }

  static testing::Peer* peer_;
  DynamoDbOptions options_;
  std::unique_ptr<DynamoDbCleanStore> store_;
};

testing::Peer* DynamoDbCleanStoreTest::peer_ = nullptr;

TEST_F(DynamoDbCleanStoreTest, LastNReturnsTheNewestPointsOldestFirstWithExactValues) {
  // Prices whose shortest decimal has many digits, or that no short decimal rounds to.
  const std::vector<double> odd = {0.1 + 0.2,
                                   225.11,
                                   1e-7,
                                   123456789.1234567,
                                   1e9,
                                   std::nextafter(100.0, 200.0),
                                   4.35,
                                   1.0 / 3.0,
                                   0.000123456789012345};
  std::vector<Tick> ticks;
  for (int i = 0; i < 60; ++i) {
    // Microsecond steps and a shuffled write order: the store orders by time, not arrival.
    const int k = (i * 37) % 60;
    ticks.push_back(MakeTick("AAPL", kT0 + k * 1'000'001, k < 9 ? odd[k] : 200 + k * 0.01));
  }
  ticks.push_back(MakeTick("MSFT", kT0, 410.5));
  ASSERT_TRUE(store_->Upsert(ticks).ok());

  auto last = store_->LastN("AAPL", 5);
  ASSERT_TRUE(last.ok()) << last.error();
  ASSERT_EQ(last->size(), 5u);
  for (int j = 0; j < 5; ++j) {
    const int k = 55 + j;
    EXPECT_EQ((*last)[j].timestamp, kT0 + k * 1'000'001);
    EXPECT_EQ((*last)[j].price, 200 + k * 0.01);
  }
  auto all = store_->LastN("AAPL", 1000);
  ASSERT_TRUE(all.ok()) << all.error();
  ASSERT_EQ(all->size(), 60u);
  for (int k = 0; k < 60; ++k) {
    EXPECT_EQ((*all)[k].timestamp, kT0 + k * 1'000'001) << k;
    // Bit-exact: the decimal written reads back as the same double.
    EXPECT_EQ((*all)[k].price, k < 9 ? odd[k] : 200 + k * 0.01) << k;
  }
  EXPECT_THAT(*store_->LastN("AAPL", 0), IsEmpty());
  EXPECT_THAT(*store_->LastN("NONE", 10), IsEmpty());
  auto msft = store_->LastN("MSFT", 20);
  ASSERT_EQ(msft->size(), 1u);
  EXPECT_EQ((*msft)[0].price, 410.5);
}

TEST_F(DynamoDbCleanStoreTest, TimestampsAreStoredAsCanonicalText) {
  ASSERT_TRUE(store_->Upsert(std::vector<Tick>{MakeTick("AAPL", kT0 + 7, 1.5)}).ok());
  auto item = dynamodb::Call(
      store_->client(), "GetItem",
      nlohmann::json{
          {"TableName", options_.table},
          {"Key",
           {{"symbol", {{"S", "AAPL"}}}, {"timestamp", {{"S", "2025-08-14T14:38:12.000007Z"}}}}}});
  ASSERT_TRUE(item.ok()) << item.error();
  ASSERT_TRUE(item->contains("Item")) << item->dump();
  EXPECT_EQ((*item)["Item"]["price"]["N"], "1.5");
}

TEST_F(DynamoDbCleanStoreTest, DuplicateKeysInOneUpsertCollapseToTheLastPrice) {
  std::vector<Tick> ticks;
  for (int i = 0; i < 60; ++i) ticks.push_back(MakeTick("AAPL", kT0 + i, 100 + i));
  // The same key three times, far enough apart to fall in different calls of 25.
  ticks[3].timestamp = kT0 + 50;
  ticks[30].timestamp = kT0 + 50;
  ticks[55].timestamp = kT0 + 50;
  ticks[55].price = 999.25;
  ticks.push_back(MakeTick("AAPL", kT0 + 59, 7.75));  // and a twin of the last tick, adjacent
  ASSERT_TRUE(store_->Upsert(ticks).ok());

  EXPECT_EQ(Count(options_.table), 57u);  // 60 keys minus the 3 moved onto kT0+50
  auto all = store_->LastN("AAPL", 100);
  ASSERT_TRUE(all.ok()) << all.error();
  ASSERT_EQ(all->size(), 57u);
  for (const PricePoint& p : *all) {
    if (p.timestamp == kT0 + 50) {
      EXPECT_EQ(p.price, 999.25);
    } else if (p.timestamp == kT0 + 59) {
      EXPECT_EQ(p.price, 7.75);
    } else {
      EXPECT_EQ(p.price, 100 + static_cast<double>(p.timestamp - kT0));
    }
  }
}

TEST_F(DynamoDbCleanStoreTest, AReplayedBatchLeavesTheRowCountAndTheLastPriceWins) {
  std::vector<Tick> ticks;
  for (int i = 0; i < 130; ++i) ticks.push_back(MakeTick(i % 2 ? "AAPL" : "MSFT", kT0 + i, i + 1));
  ASSERT_TRUE(store_->Upsert(ticks).ok());
  ASSERT_EQ(Count(options_.table), 130u);
  ASSERT_TRUE(store_->Upsert(ticks).ok());
  EXPECT_EQ(Count(options_.table), 130u);

  ticks[129].price = 0.5;  // a corrected price arrives in a later batch
  ASSERT_TRUE(store_->Upsert(std::span(ticks).subspan(100)).ok());
  EXPECT_EQ(Count(options_.table), 130u);
  auto last = store_->LastN("AAPL", 1);
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ((*last)[0].timestamp, kT0 + 129);
  EXPECT_EQ((*last)[0].price, 0.5);
  EXPECT_EQ(Count(options_.state_table), 2u + kRegistryMarker);  // two registry items, once
}

TEST_F(DynamoDbCleanStoreTest, ManySymbolsInterleavedAcrossManyCalls) {
  constexpr int kSymbols = 40;
  constexpr int kPerSymbol = 30;
  std::vector<Tick> ticks;
  std::vector<std::string> symbols;
  for (int s = 0; s < kSymbols; ++s) symbols.push_back(fmt::format("S{:02}", s));
  for (int i = 0; i < kPerSymbol; ++i) {
    for (int s = 0; s < kSymbols; ++s) {
      ticks.push_back(MakeTick(symbols[s], kT0 + i * 1'000'000, s * 1000 + i + 0.25));
    }
  }
  ASSERT_TRUE(store_->Upsert(ticks).ok());
  EXPECT_EQ(Count(options_.table), static_cast<std::size_t>(kSymbols * kPerSymbol));
  for (int s = 0; s < kSymbols; ++s) {
    auto last = store_->LastN(symbols[s], 3);
    ASSERT_TRUE(last.ok()) << last.error();
    ASSERT_EQ(last->size(), 3u);
    for (int j = 0; j < 3; ++j) {
      const int i = kPerSymbol - 3 + j;
      EXPECT_EQ((*last)[j].timestamp, kT0 + i * 1'000'000);
      EXPECT_EQ((*last)[j].price, s * 1000 + i + 0.25);
    }
  }
  auto listed = store_->Symbols();
  ASSERT_TRUE(listed.ok()) << listed.error();
  EXPECT_THAT(*listed, ElementsAreArray(symbols));
}

TEST_F(DynamoDbCleanStoreTest, SymbolsComeFromTheRegistryAlsoForAFreshStoreObject) {
  EXPECT_THAT(*store_->Symbols(), IsEmpty());
  ASSERT_TRUE(
      store_
          ->Upsert(std::vector<Tick>{MakeTick("MSFT", kT0, 1), MakeTick("AAPL", kT0, 2),
                                     MakeTick("BRK.B", kT0, 3), MakeTick("AAPL", kT0 + 1, 4)})
          .ok());
  EXPECT_THAT(*store_->Symbols(), ElementsAre("AAPL", "BRK.B", "MSFT"));

  DynamoDbCleanStore fresh(options_);
  auto listed = fresh.Symbols();
  ASSERT_TRUE(listed.ok()) << listed.error();
  EXPECT_THAT(*listed, ElementsAre("AAPL", "BRK.B", "MSFT"));
  // Listing read the registry, not the tick table.
  EXPECT_EQ(fresh.client().Stats().count("Scan"), 0u);
  EXPECT_EQ(fresh.client().Stats()["Query"].calls, 1u);

  // A fresh object writing a known symbol and a new one registers only the new one.
  DynamoDbCleanStore other(options_);
  ASSERT_TRUE(
      other.Upsert(std::vector<Tick>{MakeTick("AAPL", kT0 + 2, 5), MakeTick("TSLA", kT0, 6)}).ok());
  EXPECT_EQ(Count(options_.state_table), 4u + kRegistryMarker);
  EXPECT_THAT(*fresh.Symbols(), ElementsAre("AAPL", "BRK.B", "MSFT", "TSLA"));
}

TEST_F(DynamoDbCleanStoreTest, WriteCallsAreCeilOfTicksOver25InSteadyState) {
  const auto batch = [](int n, int first, int symbols) {
    std::vector<Tick> ticks;
    for (int i = 0; i < n; ++i) {
      ticks.push_back(MakeTick(fmt::format("SYM{}", i % symbols), kT0 + first + i, 1 + i));
    }
    return ticks;
  };
  // Each batch's bars take one call more: its ticks are within a bar per symbol and interval,
  // at most 5 symbols x 3 intervals = 15 bars.
  constexpr std::uint64_t kBarCalls = 1;
  // First sight of 3 symbols: their registry puts ride in the calls of the ticks when there is
  // room (40 + 3 items fit in 2 calls)...
  ASSERT_TRUE(store_->Upsert(batch(40, 0, 3)).ok());
  EXPECT_EQ(WriteCalls(*store_), 2u + kBarCalls);
  EXPECT_EQ(store_->client().Stats()["Query"].calls, 1u);  // the lazy registry load, once
  // ...and need a call of their own only when the ticks fill theirs (50 + 2 items).
  ASSERT_TRUE(store_->Upsert(batch(50, 1000, 5)).ok());
  EXPECT_EQ(WriteCalls(*store_), 2u + 3u + 2 * kBarCalls);

  // Steady state: known symbols cost nothing, N ticks take ceil(N / 25) calls.
  std::uint64_t calls = WriteCalls(*store_);
  int first = 10'000;
  for (int n : {1, 24, 25, 26, 500, 1000, 1001}) {
    ASSERT_TRUE(store_->Upsert(batch(n, first, 5)).ok());
    const std::uint64_t used = WriteCalls(*store_) - calls;
    EXPECT_EQ(used, static_cast<std::uint64_t>((n + 24) / 25) + kBarCalls) << n << " ticks";
    calls = WriteCalls(*store_);
    first += n;
  }
  // No bar was recomputed from the ticks (each batch is later than the one before).
  EXPECT_EQ(store_->client().Stats()["Query"].calls, 1u);
  EXPECT_EQ(store_->client().Stats()["BatchWriteItem"].retries, 0u);
  EXPECT_EQ(Count(options_.state_table), 5u + kRegistryMarker);
}

TEST_F(DynamoDbCleanStoreTest, TablesAreCreatedOnceAndAForeignSchemaIsRefused) {
  ASSERT_TRUE(store_->CreateTablesIfMissing().ok());
  EXPECT_EQ(store_->client().Stats()["CreateTable"].calls, 3u);

  // A table of that name keyed differently is reported, not written into.
  ASSERT_TRUE(
      dynamodb::EnsureTable(store_->client(), "foreign-" + options_.table, "id", "sk").ok());
  DynamoDbOptions foreign = options_;
  foreign.table = "foreign-" + options_.table;
  Status s = DynamoDbCleanStore(foreign).CreateTablesIfMissing();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("foreign-" + options_.table));
  EXPECT_THAT(s.message(), HasSubstr("expected [symbol (HASH), timestamp (RANGE)]"));
}

TEST_F(DynamoDbCleanStoreTest, AMissingTableIsAnActionableError) {
  DynamoDbOptions missing = options_;
  missing.table = "no-such-table";
  missing.state_table = "no-such-state";
  DynamoDbCleanStore store(missing);
  Status s = store.Upsert(std::vector<Tick>{MakeTick("AAPL", kT0, 1)});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("ResourceNotFoundException"));
  auto last = store.LastN("AAPL", 1);
  ASSERT_FALSE(last.ok());
  EXPECT_THAT(last.error(), HasSubstr("ResourceNotFoundException"));
}

}  // namespace
}  // namespace stockpipe
