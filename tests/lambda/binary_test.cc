// The built `stockpipe-lambda` as a subprocess, the way Lambda runs it: only the function's
// environment, the Runtime API at AWS_LAMBDA_RUNTIME_API (the in-test server: there is no Runtime
// Interface Emulator here), and the AWS services behind their emulators (s3rver, dynalite, fauxqs).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "codec/gzip.h"
#include "ingest/ingestor.h"
#include "lambda/aws_lambda_env.h"
#include "lambda/kinesis_events.h"
#include "lambda/runtime.h"
#include "lambda/runtime_api_server.h"
#include "support/subprocess.h"

namespace stockpipe::lambda {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Child;
using testing::KinesisEvent;
using testing::KinesisTestRecord;
using testing::Posted;
using testing::Sequence;

constexpr char kShard[] = "shardId-000000000003";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    out.push_back(text.substr(start, end - start));
  }
  return out;
}

TEST(LambdaBinary, IngestsKinesisEventsIntoS3AndDynamoDb) {
  const fs::path dir = testing::FreshDir("lambda-binary");
  testing::IngestPeers peers(dir);
  testing::RuntimeApiServer api;
  Child lambda =
      testing::SpawnWithExactly(STOCKPIPE_LAMBDA_BINARY, peers.Environment(api.address(), "ingest"),
                                (dir / "lambda.log").string());

  const std::vector<KinesisTestRecord> records = {
      {kShard, Sequence(1), testing::Tick("AAPL", "2025-08-14T14:38:12Z", 225.11)},
      {kShard, Sequence(2), R"({"symbol":"AAPL","price":0})"},
      KinesisTestRecord::NotBase64(kShard, Sequence(3), "%%%"),
      {kShard, Sequence(4), "\xEF\xBB\xBF" + testing::Tick("AAPL", "2025-08-14T14:38:13Z", 225.2)},
  };
  testing::Invocation ingest{"ingest-1", KinesisEvent(records), testing::EpochMs() + 120'000};
  api.Enqueue(ingest);
  api.Enqueue(R"({"not":"kinesis"})", "bad-event");
  const auto results = api.WaitForResults(2);
  lambda.Stop();
  const std::string log = lambda.StdErrSoFar();
  ASSERT_EQ(results.size(), 2u) << log;

  EXPECT_EQ(results[0].request_id, "ingest-1");
  ASSERT_EQ(results[0].kind, Posted::Kind::kResponse) << results[0].body << log;
  EXPECT_EQ(json::parse(results[0].body), json::parse(R"({"batchItemFailures":[]})"));
  EXPECT_EQ(results[1].request_id, "bad-event");
  EXPECT_EQ(results[1].kind, Posted::Kind::kError);
  EXPECT_EQ(results[1].error_type, kHandlerErrorType);

  // The request id and the deadline reached the handler: it logs the time left, under 120 s.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(invocation ingest-1: .* (-?\d+) ms left)")))
      << log;
  const long left = std::stol(m[1]);
  EXPECT_GT(left, 0);
  EXPECT_LE(left, 120'000);

  const std::string raw_key = ObjectKey("raw", "2025-08-14", kShard, Sequence(1), Sequence(4));
  auto raw = peers.archive().Get(raw_key);
  ASSERT_TRUE(raw) << raw.error();
  auto raw_lines = Lines(*GzipDecompress(*raw));
  ASSERT_EQ(raw_lines.size(), 2u);
  EXPECT_EQ(json::parse(raw_lines[1])["price"], 225.2);

  auto rejected = peers.archive().List("rejected/");
  ASSERT_TRUE(rejected) << rejected.error();
  ASSERT_EQ(rejected->size(), 2u);  // the core's quarantine object and the base64 one
  std::vector<std::string> reasons;
  for (const ObjectInfo& o : *rejected) {
    for (const std::string& line : Lines(*GzipDecompress(*peers.archive().Get(o.key)))) {
      reasons.push_back(json::parse(line)["reason"]);
    }
  }
  std::sort(reasons.begin(), reasons.end());
  EXPECT_EQ(reasons, (std::vector<std::string>{"invalid_base64", "price_not_positive"}));

  auto points = peers.store().LastN("AAPL", 10);
  ASSERT_TRUE(points) << points.error();
  ASSERT_EQ(points->size(), 2u);
  EXPECT_EQ((*points)[0].price, 225.11);
  EXPECT_EQ((*points)[1].price, 225.2);

  // The bars came with the ticks: one 1m bar of both.
  auto bars = peers.store().Candles({"AAPL", "1m", std::nullopt, std::nullopt, 10});
  ASSERT_TRUE(bars) << bars.error();
  ASSERT_EQ(bars->size(), 1u);
  EXPECT_EQ((*bars)[0].open, 225.11);
  EXPECT_EQ((*bars)[0].close, 225.2);
  EXPECT_EQ((*bars)[0].ticks, 2u);
}

TEST(LambdaBinary, MissingEnvironmentIsAnInitError) {
  const fs::path dir = testing::FreshDir("lambda-binary");
  testing::IngestPeers peers(dir);
  struct Case {
    std::string handler, drop, type, mentions;
  };
  for (const Case& c :
       {Case{"ingest", "RAW_DATA_BUCKET", std::string(kConfigErrorType), "RAW_DATA_BUCKET"},
        Case{"trends", "", std::string(kConfigErrorType), "SNS_TOPIC_ARN"},
        Case{"ingest", "AWS_REGION", std::string(kConfigErrorType), "AWS_REGION"},
        Case{"transform", "", std::string(kNoSuchHandlerErrorType), "transform"}}) {
    testing::RuntimeApiServer api;
    auto env = peers.Environment(api.address(), c.handler);
    env.erase(c.drop);
    Child lambda =
        testing::SpawnWithExactly(STOCKPIPE_LAMBDA_BINARY, env, (dir / "lambda.log").string());
    auto posted = api.WaitForInitError();
    api.Stop();  // answers a stray `next` with 500, so the wait below is bounded
    const int status = lambda.Wait().exit_code;
    ASSERT_TRUE(posted.has_value())
        << c.handler << " without " << c.drop << ": " << lambda.StdErrSoFar();
    EXPECT_EQ(posted->error_type, c.type);
    const json body = json::parse(posted->body);
    EXPECT_EQ(body["errorType"], c.type);
    EXPECT_NE(body["errorMessage"].get<std::string>().find(c.mentions), std::string::npos)
        << body.dump();
    EXPECT_EQ(api.next_calls(), 0u) << "a runtime that failed set-up must not ask for events";
    EXPECT_EQ(status, 1);
  }
}

TEST(LambdaBinary, WithoutTheRuntimeApiItSaysWhereItRuns) {
  const fs::path dir = testing::FreshDir("lambda-binary");
  Child lambda = testing::SpawnWithExactly(STOCKPIPE_LAMBDA_BINARY, {{"_HANDLER", "ingest"}},
                                           (dir / "lambda.log").string());
  EXPECT_EQ(lambda.Wait().exit_code, 2);
  EXPECT_NE(lambda.StdErrSoFar().find("AWS_LAMBDA_RUNTIME_API"), std::string::npos);
}

TEST(LambdaBinary, TrendsReadsTheRuleFromTheEnvironmentAndPublishesToSns) {
  const fs::path dir = testing::FreshDir("lambda-binary");
  testing::IngestPeers peers(dir);
  testing::Peer fauxqs("fauxqs");
  testing::SnsInbox inbox(fauxqs.endpoint(), "stock-alerts");
  // 19 points at 100 then 97: -3% over 15 points, below SMA20.
  std::vector<Tick> ticks;
  for (int i = 0; i < 20; ++i) {
    ticks.push_back({"AAPL", 1'755'180'000'000'000 + i * 60'000'000LL, i == 19 ? 97.0 : 100.0, ""});
  }
  ASSERT_TRUE(peers.store().Upsert(ticks).ok());

  const auto run = [&](std::map<std::string, std::string> extra) {
    testing::RuntimeApiServer api;
    auto env = peers.Environment(api.address(), "trends");
    env["SNS_TOPIC_ARN"] = inbox.topic_arn();
    env["AWS_ENDPOINT_URL_SNS"] = fauxqs.endpoint();
    for (auto& [k, v] : extra) env[k] = v;
    Child lambda =
        testing::SpawnWithExactly(STOCKPIPE_LAMBDA_BINARY, env, (dir / "trends.log").string());
    api.Enqueue(R"({"detail-type":"Scheduled Event","source":"aws.events","detail":{}})");
    auto results = api.WaitForResults(1);
    lambda.Stop();
    EXPECT_EQ(results.size(), 1u) << lambda.StdErrSoFar();
    return results.empty() ? Posted{} : results[0];
  };

  // A 3% move is under THRESH_PCT=5: no alert.
  const Posted strict = run({{"THRESH_PCT", "5"}});
  ASSERT_EQ(strict.kind, Posted::Kind::kResponse) << strict.body;
  EXPECT_EQ(json::parse(strict.body), json::parse(R"({"alerts_count":0,"symbols_checked":1})"));
  EXPECT_TRUE(inbox.Receive(0).empty());

  const Posted english = run({{"ALERT_LANG", "en"}});
  ASSERT_EQ(english.kind, Posted::Kind::kResponse) << english.body;
  EXPECT_EQ(json::parse(english.body), json::parse(R"({"alerts_count":1,"symbols_checked":1})"));
  const auto received = inbox.Receive();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0]["Subject"], "Alerts: AAPL:BUY");
  EXPECT_NE(received[0]["Message"].get<std::string>().find("THRESH_PCT=1.5%"), std::string::npos)
      << received[0]["Message"];
}

}  // namespace
}  // namespace stockpipe::lambda
