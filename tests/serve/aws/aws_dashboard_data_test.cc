// The dashboard over an AWS deployment, on real emulators (dynalite, kinesalite): the same ticks
// written to DynamoDB and to a local data folder give the same /api/series and /api/symbols
// documents (but `rows`, not counted on DynamoDB); alerts sent through a logged channel are
// listed newest first with `after` paging; channel health counts deliveries and failures; the
// stream's shard count comes from Kinesis.
#include "serve/aws/aws_dashboard_data.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "alerts/logged_notifier.h"
#include "serve/dashboard.h"
#include "store/dynamodb/dynamodb_api.h"
#include "store/dynamodb/dynamodb_state_store.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "support/peers.h"
#include "support/temp_dir.h"

namespace stockpipe::serve {
namespace {

using nlohmann::json;

json Doc(const ApiResult<std::string>& r) {
  if (const auto* e = std::get_if<ApiError>(&r)) {
    ADD_FAILURE() << e->http_status << " " << e->code << ": " << e->message;
    return json();
  }
  return json::parse(std::get<std::string>(r), nullptr, false);
}

// A channel the test controls: it fails while `fail` is set. The logged notifier under test
// wraps it as it wraps SNS in the trends function.
class Channel final : public Notifier {
 public:
  std::string_view Name() const override { return "sns"; }
  Status Send(const AlertMessage&) override {
    return fail ? Status::Error("AuthorizationError: denied (HTTP 403)") : Status::Ok();
  }
  bool fail = false;
};

class AwsDashboardDataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dynalite_ = new testing::Peer("dynalite");
    kinesalite_ = new testing::Peer("kinesalite");
  }
  static void TearDownTestSuite() {
    delete dynalite_;
    delete kinesalite_;
  }

  void SetUp() override {
    static int counter = 0;
    ++counter;
    dynamodb_.client.service = aws::kDynamoDb;
    dynamodb_.client.region = "us-east-1";
    dynamodb_.client.endpoint = dynalite_->endpoint();
    dynamodb_.client.credentials = aws::StaticCredentials({"AKID", "SECRET", "", "test"});
    dynamodb_.table = "StockCleanedData" + std::to_string(counter);
    dynamodb_.state_table = "stockpipe-state" + std::to_string(counter);
    dynamodb_.candles_table = "stockpipe-candles" + std::to_string(counter);
    DynamoDbCleanStore store(dynamodb_);
    ASSERT_TRUE(store.CreateTablesIfMissing().ok());
    auto local = SqliteCleanStore::Open((dir_.path() / "clean.db").string());
    ASSERT_TRUE(local.ok()) << local.error();
    std::vector<Tick> ticks;
    for (int i = 0; i < 60; ++i) {
      // A rise, then a fall: the rule signals on both sides.
      const double price = i < 30 ? 100 + i * 1.5 : 145 - (i - 30) * 1.8;
      ticks.push_back({"AAPL", 1'754'000'000'000'000 + i * 60'000'000LL, price, ""});
      ticks.push_back({"MSFT", 1'754'000'000'000'000 + i * 60'000'000LL, 400 + (i % 7), ""});
    }
    ASSERT_TRUE(store.Upsert(ticks).ok());
    ASSERT_TRUE((*local)->Upsert(ticks).ok());
    config_.data_dir = dir_.path().string();
  }

  std::unique_ptr<Dashboard> OverAws(std::optional<aws::ClientOptions> kinesis = std::nullopt,
                                     std::string stream = "") {
    AwsDashboardOptions options{dynamodb_, std::move(kinesis), std::move(stream), 0};
    auto dashboard = Dashboard::Open(config_, std::make_unique<AwsDashboardData>(options));
    EXPECT_TRUE(dashboard.ok()) << dashboard.error();
    return dashboard.ok() ? std::move(*dashboard) : nullptr;
  }

  static testing::Peer* dynalite_;
  static testing::Peer* kinesalite_;
  testing::TempDir dir_;
  DynamoDbOptions dynamodb_;
  Config config_;
};

testing::Peer* AwsDashboardDataTest::dynalite_ = nullptr;
testing::Peer* AwsDashboardDataTest::kinesalite_ = nullptr;

TEST_F(AwsDashboardDataTest, SeriesAndSymbolsAreTheDocumentsOfTheDataFolder) {
  auto aws = OverAws();
  auto local = Dashboard::Open(config_);
  ASSERT_TRUE(local.ok()) << local.error();
  for (const char* symbol : {"AAPL", "MSFT"}) {
    for (SeriesRequest request :
         {SeriesRequest{symbol, {}, {}, 2000}, SeriesRequest{symbol, {}, {}, 25},
          SeriesRequest{symbol, 1'754'000'600'000'000, 1'754'001'800'000'000, 2000}}) {
      const json over_aws = Doc(aws->Series(request));
      EXPECT_EQ(over_aws, Doc((*local)->Series(request))) << symbol << " limit " << request.limit;
      EXPECT_FALSE(over_aws["points"].empty());
    }
  }
  json symbols = Doc(aws->Symbols())["symbols"];
  json local_symbols = Doc((*local)->Symbols())["symbols"];
  ASSERT_EQ(symbols.size(), 2u);
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    EXPECT_EQ(symbols[i]["rows"], 0);  // not counted on DynamoDB
    EXPECT_EQ(local_symbols[i]["rows"], 60);
    symbols[i].erase("rows");
    local_symbols[i].erase("rows");
  }
  EXPECT_EQ(symbols, local_symbols);
}

// The dashboard relays the DynamoDB store's bars: the data folder's document when the store
// keeps them, and the store's own error as a 500 while it does not (before candles on DynamoDB).
TEST_F(AwsDashboardDataTest, CandlesAreTheStoresBarsOrItsError) {
  auto aws = OverAws();
  auto local = Dashboard::Open(config_);
  ASSERT_TRUE(local.ok()) << local.error();
  const CandlesRequest request{"AAPL", "1m", std::nullopt, std::nullopt, 500};
  DynamoDbCleanStore store(dynamodb_);
  auto direct = store.Candles(CandleQuery{"AAPL", "1m", std::nullopt, std::nullopt, 500});
  const auto answer = aws->Candles(request);
  if (direct.ok()) {
    const json over_aws = Doc(answer);
    EXPECT_EQ(over_aws, Doc((*local)->Candles(request)));
    EXPECT_EQ(over_aws["candles"].size(), 60u);
  } else {
    const auto* error = std::get_if<ApiError>(&answer);
    ASSERT_NE(error, nullptr) << "the store failed but the dashboard answered";
    EXPECT_EQ(error->http_status, 500);
    EXPECT_EQ(error->message, direct.status().message());
  }
  // The data folder's answer holds its 60 one-minute bars either way.
  EXPECT_EQ(Doc((*local)->Candles(request))["candles"].size(), 60u);
}

TEST_F(AwsDashboardDataTest, AlertsSentThroughALoggedChannelAreListedNewestFirst) {
  DynamoDbAlertLog log(dynamodb_);
  Channel channel;
  LoggedNotifier logged(channel, log);
  for (int i = 0; i < 3; ++i) {
    AlertMessage message{MessageKind::kSignals, "Alerts: AAPL:BUY " + std::to_string(i),
                         "📉 Stock Alert — AAPL\n" + std::to_string(i), 1'754'000'000'000'000};
    ASSERT_TRUE(logged.Send(message).ok());  // one microsecond for all three: ids still differ
  }
  channel.fail = true;
  EXPECT_FALSE(logged.Send({MessageKind::kSignals, "lost", "body", 1'754'000'100'000'000}).ok());

  auto dashboard = OverAws();
  const json alerts = Doc(dashboard->Alerts(10, std::nullopt));
  ASSERT_EQ(alerts["alerts"].size(), 3u) << alerts.dump();
  EXPECT_EQ(alerts["alerts"][0]["subject"], "Alerts: AAPL:BUY 2");
  EXPECT_EQ(alerts["alerts"][2]["subject"], "Alerts: AAPL:BUY 0");
  EXPECT_EQ(alerts["alerts"][2]["body"], "📉 Stock Alert — AAPL\n0");
  const std::int64_t oldest = alerts["alerts"][2]["id"].get<std::int64_t>();
  const json newer = Doc(dashboard->Alerts(10, oldest));
  ASSERT_EQ(newer["alerts"].size(), 2u);
  EXPECT_EQ(newer["alerts"][1]["subject"], "Alerts: AAPL:BUY 1");

  auto record = log.Channel("sns");
  ASSERT_TRUE(record.ok()) << record.error();
  EXPECT_EQ(record->delivered, 3u);
  EXPECT_EQ(record->failures, 1u);
  EXPECT_THAT(record->last_error, ::testing::HasSubstr("AuthorizationError"));
  AwsDashboardData data({dynamodb_, std::nullopt, "", 0});
  auto health = data.Channels({"sns"});
  ASSERT_TRUE(health.ok()) << health.error();
  ASSERT_EQ(health->size(), 1u);
  EXPECT_EQ((*health)[0].delivered, 3u);
  EXPECT_TRUE((*health)[0].failing);
}

TEST_F(AwsDashboardDataTest, StateAndStreamComeFromTheStateTableAndKinesis) {
  DynamoDbStateStore state(dynamodb_);
  ASSERT_TRUE(
      state.Put("trends/last_run", R"({"at":"2025-08-01T00:00:00.000000Z","symbols_checked":2})")
          .ok());
  aws::ClientOptions kinesis = dynamodb_.client;
  kinesis.service = aws::kKinesis;
  kinesis.endpoint = kinesalite_->endpoint();
  aws::Client client(kinesis);
  ASSERT_TRUE(
      client
          .CallJson("Kinesis_20131202", "CreateStream", R"({"StreamName":"ticks","ShardCount":3})")
          .ok());
  AwsDashboardData data({dynamodb_, kinesis, "ticks", 0});
  auto value = data.State("trends/last_run");
  ASSERT_TRUE(value.ok()) << value.error();
  EXPECT_THAT(value->value_or(""), ::testing::HasSubstr("symbols_checked"));
  // kinesalite creates streams asynchronously; the shard count is known from the start.
  auto stream = data.Stream("ingest");
  ASSERT_TRUE(stream.ok()) << stream.error();
  EXPECT_EQ(stream->shards, 3u);
}

}  // namespace
}  // namespace stockpipe::serve
