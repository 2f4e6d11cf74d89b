// stockpipe-lambda's log formats, through the built binary as Lambda runs it (the in-test Runtime
// API server: there is no Runtime Interface Emulator here): with AWS_LAMBDA_LOG_FORMAT=JSON every
// stderr line is Lambda's JSON shape (`timestamp`, `level`, `message`), the lines logged while an
// invocation is handled carry its `requestId` and the others do not; without it, `[level] message`
// text lines. The start line names the version and commit either way.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "lambda/aws_lambda_env.h"
#include "lambda/kinesis_events.h"
#include "lambda/runtime_api_server.h"
#include "support/subprocess.h"

namespace stockpipe::lambda {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kShard[] = "shardId-000000000001";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    out.push_back(text.substr(start, end - start));
  }
  return out;
}

// Runs the ingest function for one invocation (`request_id`); its stderr.
std::string RunOnce(const std::map<std::string, std::string>& extra,
                    const std::string& request_id) {
  const fs::path dir = testing::FreshDir("lambda-log-format");
  testing::IngestPeers peers(dir);
  testing::RuntimeApiServer api;
  auto env = peers.Environment(api.address(), "ingest");
  env.insert(extra.begin(), extra.end());
  testing::Child lambda =
      testing::SpawnWithExactly(STOCKPIPE_LAMBDA_BINARY, env, (dir / "lambda.log").string());
  const std::vector<testing::KinesisTestRecord> records = {
      {kShard, testing::Sequence(1), testing::Tick("AAPL", "2025-08-14T14:38:12Z", 225.11)}};
  api.Enqueue(testing::Invocation{request_id, testing::KinesisEvent(records),
                                  testing::EpochMs() + 120'000});
  const auto results = api.WaitForResults(1);
  lambda.Stop();
  EXPECT_EQ(results.size(), 1u);
  return lambda.StdErrSoFar();
}

TEST(LambdaLogFormat, JsonLinesInLambdasShapeWithTheRequestIdDuringTheInvocation) {
  const std::string err = RunOnce({{"AWS_LAMBDA_LOG_FORMAT", "JSON"}}, "req-json-1");
  static const std::regex utc_millis(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  bool start = false, invocation = false;
  for (const std::string& line : Lines(err)) {
    const json doc = json::parse(line, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << "not JSON: " << line << "\n" << err;
    EXPECT_TRUE(std::regex_match(doc.value("timestamp", ""), utc_millis)) << line;
    EXPECT_TRUE(doc["level"] == "INFO" || doc["level"] == "WARN" || doc["level"] == "ERROR" ||
                doc["level"] == "DEBUG")
        << line;
    EXPECT_TRUE(doc["message"].is_string()) << line;
    EXPECT_FALSE(doc.contains("msg")) << line;
    const std::string message = doc["message"];
    if (message == "stockpipe-lambda start") {
      start = true;
      EXPECT_FALSE(doc.contains("requestId")) << "before any invocation: " << line;
      EXPECT_TRUE(doc["version"].is_string()) << line;
      EXPECT_TRUE(doc["commit"].is_string()) << line;
    }
    if (message.starts_with("invocation req-json-1:")) {
      invocation = true;
      EXPECT_EQ(doc.value("requestId", ""), "req-json-1") << line;
    }
  }
  EXPECT_TRUE(start) << err;
  EXPECT_TRUE(invocation) << err;
}

TEST(LambdaLogFormat, TextByDefault) {
  const std::string err = RunOnce({}, "req-text-1");
  EXPECT_NE(err.find("[info] stockpipe-lambda start version="), std::string::npos) << err;
  EXPECT_NE(err.find("[info] invocation req-text-1:"), std::string::npos) << err;
  EXPECT_EQ(err.find("\"message\""), std::string::npos) << err;
}

}  // namespace
}  // namespace stockpipe::lambda
