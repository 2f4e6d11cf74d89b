// The DynamoDB CleanStore on a tick table the reference pipeline's ingest filled (dynalite):
// items {symbol S, timestamp S, price N or S, extras} with no stockpipe registry, timestamps in
// the forms the old code stored as sent, prices it never checked. Symbols() finds every symbol
// with one paginated Scan, once; LastN returns the newest points by time whatever their form and
// skips the items that are not points, counting why; a missing table is named with what to do.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "store/dynamodb/dynamodb_api.h"
#include "store/dynamodb/dynamodb_clean_store.h"
#include "store/dynamodb/dynamodb_state_store.h"
#include "support/peers.h"

namespace stockpipe {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr Micros kT0 = 1'755'182'292'000'000;  // 2025-08-14T14:38:12Z
constexpr Micros kSecond = 1'000'000;

// `t` (whole or with a fraction) in one of the forms the reference stored as it was sent.
std::string ReferenceForm(Micros t, int form) {
  const std::string canonical = FormatCanonical(t);  // 2025-08-14T14:38:12.123456Z
  const std::string second = canonical.substr(0, 19);
  const std::string fraction = canonical.substr(19, 7);  // .123456
  const bool whole = t % kSecond == 0;
  switch (form % 5) {
    case 0:
      return canonical;
    case 1:
      return second + (whole ? "" : fraction) + "Z";
    case 2:
      return second + (whole ? "" : fraction) + "+00:00";
    case 3:
      return second + (whole ? "" : fraction.substr(0, 4));  // naive, milliseconds
    default: {  // the shortest fraction: ".55Z", ".5Z", ".0Z"
      std::string short_fraction = fraction;
      while (short_fraction.size() > 2 && short_fraction.back() == '0') short_fraction.pop_back();
      return second + short_fraction + "Z";
    }
  }
}

class DynamoDbReferenceTableTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { peer_ = new testing::Peer("dynalite"); }
  static void TearDownTestSuite() { delete peer_; }

  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    options_.client.service = aws::kDynamoDb;
    options_.client.region = "eu-central-1";
    options_.client.endpoint = peer_->endpoint();
    options_.client.credentials = aws::StaticCredentials({"AKID", "SECRET", "", "test"});
    options_.table = "StockCleanedData-" + name;
    options_.state_table = "state-" + name;
    options_.candles_table = "candles-" + name;
    options_.scan_page_items = 7;  // several Scan pages from a small table
    client_ = std::make_unique<aws::Client>(options_.client);
    // The reference's table only: the state table is not there.
    ASSERT_TRUE(dynamodb::EnsureTable(*client_, options_.table, "symbol", "timestamp").ok());
  }

  void Put(const std::string& symbol, const std::string& timestamp, const json& price) {
    json item = {{"symbol", {{"S", symbol}}},
                 {"timestamp", {{"S", timestamp}}},
                 {"source", {{"S", "reference-producer"}}}};
    if (!price.is_null()) item["price"] = price;
    auto put =
        dynamodb::Call(*client_, "PutItem", json{{"TableName", options_.table}, {"Item", item}});
    ASSERT_TRUE(put) << put.error();
  }

  std::size_t Calls(DynamoDbCleanStore& store, const std::string& op) {
    auto stats = store.client().Stats();
    return stats.count(op) ? stats[op].calls : 0;
  }

  static testing::Peer* peer_;
  DynamoDbOptions options_;
  std::unique_ptr<aws::Client> client_;
};

testing::Peer* DynamoDbReferenceTableTest::peer_ = nullptr;

TEST_F(DynamoDbReferenceTableTest, AMissingStateTableIsNamedWithWhatToDo) {
  for (int i = 0; i < 3; ++i) Put("AAPL", ReferenceForm(kT0 + i * kSecond, i), {{"N", "225.5"}});
  DynamoDbCleanStore store(options_);
  auto symbols = store.Symbols();
  ASSERT_FALSE(symbols.ok());
  EXPECT_THAT(symbols.error(), HasSubstr("DynamoDB table " + options_.state_table +
                                         " (the state table) does not exist in region "
                                         "eu-central-1"));
  EXPECT_THAT(symbols.error(), HasSubstr("stockpipe init --store dynamodb"));
  EXPECT_THAT(symbols.error(), HasSubstr("DYNAMODB_STATE_TABLE"));
  // Ingest's path: writing ticks reads the registry first.
  Tick tick{"AAPL", kT0, 1, ""};
  const Status upsert = store.Upsert(std::span(&tick, 1));
  ASSERT_FALSE(upsert.ok());
  EXPECT_THAT(upsert.message(), HasSubstr("DynamoDB table " + options_.state_table));
  // The state store names it too.
  DynamoDbStateStore state(options_);
  auto value = state.Get("trends/last_run");
  ASSERT_FALSE(value.ok());
  EXPECT_THAT(value.error(), HasSubstr("DynamoDB table " + options_.state_table));
  EXPECT_THAT(value.error(), HasSubstr("stockpipe init --store dynamodb"));

  // A missing tick table is named as such.
  DynamoDbOptions no_ticks = options_;
  no_ticks.table = "no-such-ticks";
  DynamoDbCleanStore empty(no_ticks);
  auto last = empty.LastN("AAPL", 3);
  ASSERT_FALSE(last.ok());
  EXPECT_THAT(last.error(), HasSubstr("DynamoDB table no-such-ticks (the CLEAN tick table)"));
  EXPECT_THAT(last.error(), HasSubstr("DYNAMODB_TABLE"));
}

TEST_F(DynamoDbReferenceTableTest, InitCreatesTheCandlesAndStateTablesThenIsANoOp) {
  DynamoDbCleanStore store(options_);
  std::vector<std::string> created;
  ASSERT_TRUE(store.CreateTablesIfMissing(&created).ok());
  EXPECT_THAT(created, ElementsAre(options_.candles_table, options_.state_table));
  auto described =
      dynamodb::Call(*client_, "DescribeTable", json{{"TableName", options_.state_table}});
  ASSERT_TRUE(described) << described.error();
  const json& table = (*described)["Table"];
  EXPECT_EQ(table["KeySchema"], json::parse(R"([{"AttributeName":"pk","KeyType":"HASH"},
                                                 {"AttributeName":"sk","KeyType":"RANGE"}])"));
  EXPECT_EQ(table["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
  created.clear();
  ASSERT_TRUE(store.CreateTablesIfMissing(&created).ok());
  EXPECT_TRUE(created.empty());
}

TEST_F(DynamoDbReferenceTableTest, SymbolsWithoutARegistryComeFromOneScanOnce) {
  const std::vector<std::string> symbols = {"TSLA", "AAPL", "MSFT", "BRK.B", "NVDA"};
  for (std::size_t s = 0; s < symbols.size(); ++s) {
    for (int i = 0; i < 9; ++i) {
      Put(symbols[s], ReferenceForm(kT0 + i * kSecond, static_cast<int>(s) + i),
          {{"N", std::to_string(100 + i)}});
    }
  }
  DynamoDbCleanStore setup(options_);
  ASSERT_TRUE(setup.CreateTablesIfMissing().ok());

  DynamoDbCleanStore store(options_);
  auto listed = store.Symbols();
  ASSERT_TRUE(listed.ok()) << listed.error();
  EXPECT_THAT(*listed, ElementsAre("AAPL", "BRK.B", "MSFT", "NVDA", "TSLA"));
  // 45 items in pages of 7: one paginated Scan.
  EXPECT_EQ(Calls(store, "Scan"), 7u);
  // Listed again by this object or another: the rebuilt registry, no Scan.
  EXPECT_THAT(*store.Symbols(), ElementsAre("AAPL", "BRK.B", "MSFT", "NVDA", "TSLA"));
  DynamoDbCleanStore later(options_);
  EXPECT_THAT(*later.Symbols(), ElementsAre("AAPL", "BRK.B", "MSFT", "NVDA", "TSLA"));
  EXPECT_EQ(Calls(store, "Scan"), 7u);
  EXPECT_EQ(Calls(later, "Scan"), 0u);

  // A symbol stockpipe's ingest adds afterwards joins the registry the usual way.
  Tick tick{"AMD", kT0, 150, ""};
  ASSERT_TRUE(later.Upsert(std::span(&tick, 1)).ok());
  EXPECT_THAT(*DynamoDbCleanStore(options_).Symbols(),
              ElementsAre("AAPL", "AMD", "BRK.B", "MSFT", "NVDA", "TSLA"));
}

TEST_F(DynamoDbReferenceTableTest, ATableStockpipeCreatedIsNeverScanned) {
  options_.table += "-own";
  DynamoDbCleanStore store(options_);
  ASSERT_TRUE(store.CreateTablesIfMissing().ok());
  Tick tick{"AAPL", kT0, 1, ""};
  ASSERT_TRUE(store.Upsert(std::span(&tick, 1)).ok());
  DynamoDbCleanStore fresh(options_);
  EXPECT_THAT(*fresh.Symbols(), ElementsAre("AAPL"));
  EXPECT_EQ(Calls(fresh, "Scan"), 0u);
}

TEST_F(DynamoDbReferenceTableTest, TheNewestPointsByTimeWhateverTheirFormAndNoBadPrice) {
  DynamoDbCleanStore setup(options_);
  ASSERT_TRUE(setup.CreateTablesIfMissing().ok());
  // 300 instants 0.35 s apart (two or three in a second), each in a random form: within a
  // second the forms sort in any order ('+' < '.' < 'Z', a naive one first), so text order is
  // not time order. Every 7th item has a bad price instead.
  std::mt19937 random(18);
  std::vector<PricePoint> good;
  std::map<std::string, std::uint64_t> bad_expected;
  for (int i = 0; i < 300; ++i) {
    const Micros t = kT0 + i * 350'000;
    const std::string stamp = ReferenceForm(t, static_cast<int>(random() % 5));
    if (i % 7 == 3) {
      const json bad[] = {json{{"N", "-3"}}, json{{"N", "0"}}, json{{"S", "n/a"}},
                          json{{"S", "NaN"}}, json()};
      const std::string_view why[] = {"price is not a positive number",
                                      "price is not a positive number", "price is not a number",
                                      "price is not a positive number", "no price"};
      const std::size_t k = static_cast<std::size_t>(i / 7) % 5;
      Put("AAPL", stamp, bad[k]);
      ++bad_expected[std::string(why[k])];
      continue;
    }
    const double price = 100 + i * 0.25;
    // Numbers as N, some as numeric strings (the reference kept what it was sent).
    Put("AAPL", stamp,
        i % 5 == 0 ? json{{"S", fmt::format("{}", price)}} : json{{"N", fmt::format("{}", price)}});
    good.push_back({t, price});
  }
  for (std::size_t n : {1u, 2u, 3u, 10u, 17u, 40u, 256u, 300u}) {
    SCOPED_TRACE(n);
    DynamoDbCleanStore store(options_);
    auto last = store.LastN("AAPL", n);
    ASSERT_TRUE(last.ok()) << last.error();
    const std::size_t want = std::min(n, good.size());
    ASSERT_EQ(last->size(), want);
    for (std::size_t k = 0; k < want; ++k) {
      const PricePoint& expected = good[good.size() - want + k];
      EXPECT_EQ((*last)[k].timestamp, expected.timestamp) << k;
      EXPECT_EQ((*last)[k].price, expected.price) << k;
    }
    // Every bad item LastN met is counted with its reason, and only bad items.
    std::uint64_t skipped = 0;
    for (const auto& [why, count] : store.Skipped()) {
      EXPECT_TRUE(bad_expected.contains(why)) << why;
      skipped += count;
    }
    if (n == 300) EXPECT_EQ(store.Skipped(), bad_expected);
    EXPECT_LE(skipped, 300u - good.size());
  }
}

TEST_F(DynamoDbReferenceTableTest, OneInstantInTwoFormsIsOnePoint) {
  DynamoDbCleanStore setup(options_);
  ASSERT_TRUE(setup.CreateTablesIfMissing().ok());
  Put("AAPL", "2025-08-14T14:38:11Z", {{"N", "1"}});
  Put("AAPL", "2025-08-14T14:38:12Z", {{"N", "2"}});
  Put("AAPL", "2025-08-14T14:38:12.000000Z", {{"N", "2"}});
  DynamoDbCleanStore store(options_);
  auto last = store.LastN("AAPL", 2);
  ASSERT_TRUE(last.ok()) << last.error();
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ((*last)[0].timestamp, kT0 - kSecond);
  EXPECT_EQ((*last)[1].timestamp, kT0);
}

}  // namespace
}  // namespace stockpipe
