// The AWS shape end to end, on real emulators: `stockpipe produce file --to kinesis` ->
// `stockpipe ingest --from kinesis` into S3 (RAW + quarantine) and DynamoDB (CLEAN) ->
// `stockpipe trends` -> SNS, read back from the SQS queue subscribed to the topic. The same
// binary and core as the embedded pipeline; only the environment chooses the adapters.
// A second run puts a fault-injecting proxy in front of every service: the result is identical.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "archive/s3/s3_archive.h"
#include "aws/client.h"
#include "codec/gzip.h"
#include "core/timestamp.h"
#include "store/dynamodb/dynamodb_clean_store.h"
#include "store/sqlite/sqlite_state_store.h"
#include "stream/kinesis/kinesis_stream.h"
#include "support/fault_proxy.h"
#include "support/peers.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

using testing::Fault;
using testing::FaultProxy;
using testing::Peer;

nlohmann::json GoldenVector(std::string_view symbol) {
  std::ifstream in(std::string(STOCKPIPE_FIXTURES) + "/pct_sma_vectors.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto v = nlohmann::json::parse(line);
    if (v["symbol"] == symbol) return v;
  }
  return {};
}

struct Emulators {
  testing::TempDir dir;
  Peer kinesis{"kinesalite"};
  Peer dynamo{"dynalite"};
  Peer sns{"fauxqs"};
  Peer s3{"s3rver", (dir.path() / "s3").string()};
};

class AwsPipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    // The golden vector with the reference parameters and an English SELL.
    vector_ = GoldenVector("SYM6");
    ASSERT_EQ(vector_["action"], "SELL");
    ASSERT_EQ(vector_["lang"], "en");
  }

  aws::ClientOptions Options(const aws::Service& service, const std::string& endpoint) {
    aws::ClientOptions o;
    o.service = service;
    o.region = "us-east-1";
    o.endpoint = endpoint;
    // s3rver's fixed key; the others take any.
    o.credentials = aws::StaticCredentials({"S3RVER", "S3RVER", "", "test"});
    return o;
  }

  // Creates what Terraform creates in AWS: stream, bucket, tables, topic with a queue behind.
  void CreateResources() {
    const std::string local_state = (e_.dir.path() / "setup-state.db").string();
    auto state = SqliteStateStore::Open(local_state);
    ASSERT_TRUE(state) << state.error();
    KinesisStream stream({Options(aws::kKinesis, e_.kinesis.endpoint()), "ticks"}, **state);
    ASSERT_TRUE(stream.CreateIfMissing(2).ok());
    S3Archive bucket({Options(aws::kS3, e_.s3.endpoint()), "stock-raw", true});
    ASSERT_TRUE(bucket.CreateBucketIfMissing().ok());
    DynamoDbCleanStore tables(
        {Options(aws::kDynamoDb, e_.dynamo.endpoint()), "StockCleanedData", "stockpipe-state"});
    ASSERT_TRUE(tables.CreateTablesIfMissing().ok());

    sns_ = std::make_unique<aws::Client>(Options(aws::kSns, e_.sns.endpoint()));
    sqs_ = std::make_unique<aws::Client>(Options(aws::kSqs, e_.sns.endpoint()));
    auto topic = sns_->CallQuery("CreateTopic", "2010-03-31", {{"Name", "stock-alerts"}});
    ASSERT_TRUE(topic) << topic.error();
    const auto open = topic->find("<TopicArn>"), close = topic->find("</TopicArn>");
    ASSERT_NE(open, std::string::npos);
    topic_arn_ = topic->substr(open + 10, close - open - 10);
    queue_url_ = Sqs("CreateQueue", {{"QueueName", "alerts-inbox"}})["QueueUrl"];
    const std::string queue_arn =
        Sqs("GetQueueAttributes",
            {{"QueueUrl", queue_url_}, {"AttributeNames", {"QueueArn"}}})["Attributes"]["QueueArn"];
    ASSERT_TRUE(
        sns_->CallQuery("Subscribe", "2010-03-31",
                        {{"TopicArn", topic_arn_}, {"Protocol", "sqs"}, {"Endpoint", queue_arn}}));
  }

  nlohmann::json Sqs(std::string_view operation, const nlohmann::json& request) {
    auto reply = sqs_->CallJson("AmazonSQS", operation, request.dump(), "1.0");
    EXPECT_TRUE(reply) << reply.error();
    return reply ? nlohmann::json::parse(*reply) : nlohmann::json::object();
  }

  // The environment a user sets to run on AWS (here: the emulators, or proxies in front of them).
  std::map<std::string, std::string> Environment(const std::string& kinesis, const std::string& s3,
                                                 const std::string& dynamo,
                                                 const std::string& sns) {
    return {{"AWS_REGION", "us-east-1"},
            {"AWS_ACCESS_KEY_ID", "S3RVER"},
            {"AWS_SECRET_ACCESS_KEY", "S3RVER"},
            {"AWS_ENDPOINT_URL_KINESIS", kinesis},
            {"AWS_ENDPOINT_URL_S3", s3},
            {"AWS_ENDPOINT_URL_DYNAMODB", dynamo},
            {"AWS_ENDPOINT_URL_SNS", sns},
            {"STOCKPIPE_STREAM", "kinesis"},
            {"STOCKPIPE_ARCHIVE", "s3"},
            {"STOCKPIPE_STORE", "dynamodb"},
            {"KINESIS_STREAM", "ticks"},
            {"RAW_DATA_BUCKET", "stock-raw"},
            {"SNS_TOPIC_ARN", topic_arn_},
            {"ALERT_LANG", "en"},
            {"COOLDOWN_MIN", "0"},
            {"STOCKPIPE_DATA_DIR", (e_.dir.path() / "data").string()}};
  }

  // SYM6's prices a minute apart ending now, a flat symbol, and records no pipeline may keep.
  std::string Input(std::set<std::string>& valid) {
    std::ostringstream out;
    const auto& prices = vector_["prices"];
    const Micros now = NowMicros() / 1'000'000 * 1'000'000;
    for (std::size_t i = 0; i < prices.size(); ++i) {
      const Micros at = now - static_cast<Micros>(prices.size() - i) * 60'000'000;
      nlohmann::json record = {{"symbol", "SYM6"},
                               {"timestamp", FormatCanonical(at)},
                               {"price", prices[i].get<double>()}};
      out << record.dump() << "\n";
      valid.insert(record.dump());
      nlohmann::json flat = {
          {"symbol", "FLAT"}, {"timestamp", FormatCanonical(at)}, {"price", 100.0}};
      out << flat.dump() << "\n";
      valid.insert(flat.dump());
    }
    out << "not json\n"
        << R"({"symbol":"BAD","timestamp":"2025-08-14T14:38:12Z","price":-3})"
        << "\n"
        << R"({"timestamp":"2025-08-14T14:38:12Z","price":1})"
        << "\n";
    return out.str();
  }

  // Every record line in the bucket under `prefix`, decompressed.
  std::vector<std::string> Lines(std::string_view prefix) {
    S3Archive bucket({Options(aws::kS3, e_.s3.endpoint()), "stock-raw", true});
    auto objects = bucket.List(prefix);
    EXPECT_TRUE(objects) << objects.error();
    std::vector<std::string> lines;
    for (const auto& object : objects ? *objects : std::vector<ObjectInfo>{}) {
      auto bytes = bucket.Get(object.key);
      EXPECT_TRUE(bytes) << bytes.error();
      auto text = GzipDecompress(*bytes);
      EXPECT_TRUE(text) << text.error();
      std::istringstream in(*text);
      std::string line;
      while (std::getline(in, line)) lines.push_back(line);
    }
    return lines;
  }

  // Runs the whole pipeline through the binary and checks every stage's result exactly.
  void RunAndCheck(const std::map<std::string, std::string>& env) {
    std::set<std::string> valid;
    const auto input = e_.dir.path() / "input.jsonl";
    testing::WriteFile(input, Input(valid));
    const testing::RunOptions run{e_.dir.path(), "", {}, env};

    auto produced = testing::RunStockpipe({"produce", "file", input.string()}, run);
    ASSERT_EQ(produced.exit_code, 0) << produced.err;
    EXPECT_EQ(produced.out, "sent " + std::to_string(valid.size() + 3) + "\n");

    auto ingested = testing::RunStockpipe({"ingest", "--once"}, run);
    ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
    EXPECT_NE(ingested.out.find("received=" + std::to_string(valid.size() + 3) +
                                " accepted=" + std::to_string(valid.size()) + " rejected=3"),
              std::string::npos)
        << ingested.out;

    // RAW: every valid record exactly once, as sent (canonical timestamps), nothing else.
    std::multiset<std::string> raw;
    for (const std::string& line : Lines("raw/")) {
      auto json = nlohmann::json::parse(line);
      nlohmann::json as_sent = {{"symbol", json["symbol"]},
                                {"timestamp", json["timestamp"]},
                                {"price", json["price"].get<double>()}};
      raw.insert(as_sent.dump());
    }
    EXPECT_EQ(raw.size(), valid.size());
    EXPECT_EQ(std::set<std::string>(raw.begin(), raw.end()), valid);
    EXPECT_EQ(Lines("rejected/").size(), 3u);

    // CLEAN: SYM6's series in DynamoDB is the vector, in order; the symbol list is exact.
    DynamoDbCleanStore clean(
        {Options(aws::kDynamoDb, e_.dynamo.endpoint()), "StockCleanedData", "stockpipe-state"});
    auto series = clean.LastN("SYM6", 1000);
    ASSERT_TRUE(series) << series.error();
    ASSERT_EQ(series->size(), vector_["prices"].size());
    for (std::size_t i = 0; i < series->size(); ++i) {
      EXPECT_EQ((*series)[i].price, vector_["prices"][i].get<double>());
    }
    auto symbols = clean.Symbols();
    ASSERT_TRUE(symbols) << symbols.error();
    EXPECT_EQ(std::set<std::string>(symbols->begin(), symbols->end()),
              (std::set<std::string>{"FLAT", "SYM6"}));

    // Bars: ingest kept SYM6's 1m bars in the candles table, equal to computing them from its
    // series; `stockpipe candles` prints them (a header line and one line per bar).
    std::vector<Tick> ticks;
    for (const PricePoint& point : *series) {
      Tick tick;
      tick.symbol = "SYM6";
      tick.timestamp = point.timestamp;
      tick.price = point.price;
      ticks.push_back(tick);
    }
    const std::vector<Interval> one_minute = {DefaultIntervals().front()};
    const std::vector<Candle> expected_bars = CandlesFrom(ticks, one_minute);
    auto bars = clean.Candles({"SYM6", "1m", std::nullopt, std::nullopt, 100'000});
    ASSERT_TRUE(bars) << bars.error();
    EXPECT_EQ(*bars, expected_bars);
    auto printed = testing::RunStockpipe(
        {"candles", "--symbol", "SYM6", "--interval", "1m", "--format", "csv"}, run);
    ASSERT_EQ(printed.exit_code, 0) << printed.err;
    EXPECT_EQ(static_cast<std::size_t>(std::count(printed.out.begin(), printed.out.end(), '\n')),
              expected_bars.size() + 1)
        << printed.out;

    // A second ingest finds nothing new: the checkpoints held.
    auto again = testing::RunStockpipe({"ingest", "--once"}, run);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("received=0 "), std::string::npos) << again.out;

    // Trends: the golden vector's alert arrives through SNS.
    auto trends = testing::RunStockpipe({"trends", "--once"}, run);
    ASSERT_EQ(trends.exit_code, 0) << trends.err;
    auto received =
        Sqs("ReceiveMessage",
            {{"QueueUrl", queue_url_}, {"MaxNumberOfMessages", 10}, {"WaitTimeSeconds", 5}});
    ASSERT_TRUE(received.contains("Messages")) << received.dump();
    ASSERT_EQ(received["Messages"].size(), 1u);
    const auto envelope = nlohmann::json::parse(received["Messages"][0]["Body"].get<std::string>());
    EXPECT_EQ(envelope["Subject"], vector_["subject"]);
    const std::string message = envelope["Message"];
    std::istringstream expected_lines(vector_["body_without_time"].get<std::string>());
    for (std::string line; std::getline(expected_lines, line);) {
      EXPECT_NE(message.find(line), std::string::npos) << "missing line: " << line;
    }
  }

  Emulators e_;
  nlohmann::json vector_;
  std::unique_ptr<aws::Client> sns_, sqs_;
  std::string topic_arn_, queue_url_;
};

TEST_F(AwsPipeline, ProduceIngestTrendsAlertOnEmulators) {
  CreateResources();
  RunAndCheck(Environment(e_.kinesis.endpoint(), e_.s3.endpoint(), e_.dynamo.endpoint(),
                          e_.sns.endpoint()));
}

TEST_F(AwsPipeline, ThrottlingServerErrorsAndCutConnectionsLoseAndDuplicateNothing) {
  CreateResources();
  FaultProxy kinesis(e_.kinesis.port()), s3(e_.s3.port()), dynamo(e_.dynamo.port());
  // Every third request of the ingest path fails in turn: throttled, 500, 503, cut before the
  // service saw it, cut after it acted. The stream's producer side and SNS get error answers
  // and early cuts only: a PutRecords or Publish whose answer is lost after it took effect is
  // re-sent by design (at-least-once), which the emulators would count twice.
  const std::vector<Fault> all = {Fault::Throttle(), Fault::ServerError(), Fault::Unavailable(),
                                  Fault::CutBeforeForward(), Fault::CutAfterForward()};
  s3.FaultEvery(3, all);
  dynamo.FaultEvery(3, all);
  kinesis.FaultEvery(3, {Fault::Throttle(), Fault::ServerError(), Fault::Unavailable(),
                         Fault::CutBeforeForward()});
  RunAndCheck(Environment(kinesis.endpoint(), s3.endpoint(), dynamo.endpoint(), e_.sns.endpoint()));
  EXPECT_GT(kinesis.faults(), 0);
  EXPECT_GT(s3.faults(), 0);
  EXPECT_GT(dynamo.faults(), 0);
}

}  // namespace
}  // namespace stockpipe
