// stockpipe-lambda: the one binary behind both Lambda functions (custom runtime
// `provided.al2023`). `_HANDLER` picks the handler:
//   ingest  Kinesis event source -> RAW (S3) + CLEAN and its bars (DynamoDB) + quarantine,
//           batchItemFailures
//   trends  EventBridge schedule -> TrendsJob over DynamoDB -> SNS
// Settings come from the environment: RAW_DATA_BUCKET, DYNAMODB_TABLE (StockCleanedData),
// DYNAMODB_STATE_TABLE, DYNAMODB_CANDLES_TABLE, CANDLE_INTERVALS, SNS_TOPIC_ARN, the rule's
// THRESH_PCT & co. (read by LoadConfig), and AWS_REGION / credentials /
// AWS_ENDPOINT_URL[_<SERVICE>] for the clients, turned into the adapters' options by the pipeline
// layer (pipeline/aws_options.h) as for the CLI. A set-up that cannot work (a missing variable, an
// unknown handler) is reported to the Runtime API as an init error.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "alerts/logged_notifier.h"
#include "core/config.h"
#include "core/log.h"
#include "core/version.h"
#include "lambda/ingest_handler.h"
#include "lambda/runtime.h"
#include "lambda/trends_handler.h"
#include "pipeline/aws_options.h"
#include "store/dynamodb/dynamodb_alert_log.h"
#include "store/dynamodb/dynamodb_clean_store.h"
#include "store/dynamodb/dynamodb_state_store.h"

namespace stockpipe::lambda {
namespace {

const char* GetEnvironment(const char* name) {
  return std::getenv(name);
}

int Fail(Runtime& runtime, std::string_view type, const std::string& message) {
  if (Status s = runtime.InitError(type, message); !s.ok()) spdlog::error("{}", s.message());
  return 1;
}

int ServeIngest(Runtime& runtime, const Config& config) {
  if (config.aws.raw_bucket.empty()) {
    return Fail(runtime, kConfigErrorType,
                "RAW_DATA_BUCKET is not set: the ingest function needs the RAW bucket");
  }
  auto s3 = S3ArchiveOptionsFrom(config);
  if (!s3) return Fail(runtime, kConfigErrorType, s3.error());
  auto dynamodb = DynamoDbOptionsFrom(config);
  if (!dynamodb) return Fail(runtime, kConfigErrorType, dynamodb.error());
  // A shard's batches move between instances of the function: a bar remembered here could miss
  // ticks another instance merged, so every batch reads its bars.
  dynamodb->remember_bars = false;
  S3Archive archive(std::move(*s3));
  DynamoDbCleanStore store(std::move(*dynamodb));
  IngestHandler handler(archive, store, config.limits);
  spdlog::info("ingest: bucket {}, table {}", config.aws.raw_bucket, config.aws.dynamodb_table);
  Status s = runtime.Run(std::ref(handler));
  if (!s.ok()) spdlog::error("{}", s.message());
  return s.ok() ? 0 : 1;
}

int ServeTrends(Runtime& runtime, const Config& config) {
  if (config.aws.sns_topic_arn.empty()) {
    return Fail(runtime, kConfigErrorType,
                "SNS_TOPIC_ARN is not set: the trends function has no topic to send alerts to");
  }
  auto settings = TrendsSettingsFrom(config.trends, config.candles.intervals);
  if (!settings) return Fail(runtime, kConfigErrorType, settings.error());
  auto sns = SnsOptionsFrom(config);
  if (!sns) return Fail(runtime, kConfigErrorType, sns.error());
  auto dynamodb = DynamoDbOptionsFrom(config);
  if (!dynamodb) return Fail(runtime, kConfigErrorType, dynamodb.error());
  DynamoDbCleanStore store(*dynamodb);
  // Every message SNS took is logged in the state table: the dashboard over AWS lists them.
  DynamoDbAlertLog alert_log(*dynamodb);
  DynamoDbStateStore state(std::move(*dynamodb));
  SnsNotifier sns_channel(std::move(*sns));
  LoggedNotifier logged_sns(sns_channel, alert_log);
  TrendsHandler handler(store, state, {&logged_sns}, *settings);
  spdlog::info("trends: table {}, topic {}", config.aws.dynamodb_table, config.aws.sns_topic_arn);
  Status s = runtime.Run(std::ref(handler));
  if (!s.ok()) spdlog::error("{}", s.message());
  return s.ok() ? 0 : 1;
}

}  // namespace
}  // namespace stockpipe::lambda

int main() {
  using namespace stockpipe;
  using namespace stockpipe::lambda;
  // Lambda sends stdout and stderr to CloudWatch Logs, which adds its own timestamps to text
  // lines; with the function's log format set to JSON, Lambda's JSON shape (with requestId).
  const char* log_format = std::getenv("AWS_LAMBDA_LOG_FORMAT");
  log::Configure(log_format && std::string_view(log_format) == "JSON" ? log::Format::lambda_json
                                                                      : log::Format::lambda_text,
                 false);
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}) {
    if (const char* value = std::getenv(name)) log::RegisterSecret(value);
  }

  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (!api || !*api) {
    std::fprintf(stderr,
                 "AWS_LAMBDA_RUNTIME_API is not set: stockpipe-lambda runs inside AWS Lambda "
                 "(runtime provided.al2023) or next to a Lambda Runtime API emulator\n");
    return 2;
  }
  Runtime runtime(RuntimeOptions{api});
  auto config = LoadConfig("", false, GetEnvironment);
  if (!config) return Fail(runtime, kConfigErrorType, config.error());
  if (Status invalid = ValidateConfig(*config); !invalid.ok()) {
    return Fail(runtime, kConfigErrorType, invalid.message());
  }
  for (const std::string& warning : config->warnings) spdlog::warn("{}", warning);

  const char* handler = std::getenv("_HANDLER");
  const std::string name = handler ? handler : "";
  log::SetCommand(name);
  log::Info("stockpipe-lambda start", {{"version", Version()}, {"commit", GitCommit()}});
  if (name == "ingest") return ServeIngest(runtime, *config);
  if (name == "trends") return ServeTrends(runtime, *config);
  return Fail(runtime, kNoSuchHandlerErrorType,
              "_HANDLER must be ingest or trends, got \"" + name + "\"");
}
