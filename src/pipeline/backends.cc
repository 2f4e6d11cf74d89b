#include "pipeline/backends.h"

#include <fmt/format.h>

#include <chrono>

#include "archive/local/file_archive.h"
#include "pipeline/aws_options.h"
#include "pipeline/local_stores.h"
#include "query/sqlite_query_engine.h"
#include "serve/aws/aws_dashboard_data.h"
#include "serve/dashboard_stores.h"
#include "store/dynamodb/dynamodb_clean_store.h"
#include "store/dynamodb/dynamodb_state_store.h"

namespace stockpipe {
namespace {

template <typename Base, typename Derived>
Result<std::unique_ptr<Base>> Up(Result<std::unique_ptr<Derived>> opened) {
  if (!opened) return opened.status();
  return std::unique_ptr<Base>(std::move(*opened));
}

}  // namespace

Result<std::unique_ptr<StateStore>> OpenState(const Config& config) {
  if (config.backends.store == "dynamodb") {
    auto options = DynamoDbOptionsFrom(config);
    if (!options) return options.status();
    return std::unique_ptr<StateStore>(std::make_unique<DynamoDbStateStore>(std::move(*options)));
  }
  return Up<StateStore>(OpenStateStore(config));
}

Result<std::unique_ptr<CleanStore>> OpenStore(const Config& config, CandleIntervalsChange change) {
  if (config.backends.store == "dynamodb") {
    auto options = DynamoDbOptionsFrom(config);
    if (!options) return options.status();
    return std::unique_ptr<CleanStore>(std::make_unique<DynamoDbCleanStore>(std::move(*options)));
  }
  return Up<CleanStore>(OpenCleanStore(config, change));
}

Result<std::vector<std::string>> CreateMissingStores(const Config& config) {
  std::vector<std::string> created;
  if (config.backends.store != "dynamodb") return created;
  auto options = DynamoDbOptionsFrom(config);
  if (!options) return options.status();
  DynamoDbCleanStore store(std::move(*options));
  if (Status s = store.CreateTablesIfMissing(&created); !s.ok()) return s;
  return created;
}

Result<std::unique_ptr<RawArchive>> OpenArchive(const Config& config) {
  if (config.backends.archive == "s3") {
    auto options = S3ArchiveOptionsFrom(config);
    if (!options) return options.status();
    return std::unique_ptr<RawArchive>(std::make_unique<S3Archive>(std::move(*options)));
  }
  if (Status s = EnsureDataDir(config); !s.ok()) return s;
  return std::unique_ptr<RawArchive>(std::make_unique<FileArchive>(config.data_dir));
}

Result<std::unique_ptr<Stream>> OpenStreamBackend(const Config& config, StateStore& checkpoints) {
  if (config.backends.stream == "kinesis") {
    auto options = KinesisOptionsFrom(config);
    if (!options) return options.status();
    return std::unique_ptr<Stream>(
        std::make_unique<KinesisStream>(std::move(*options), checkpoints));
  }
  return Up<Stream>(OpenStream(config));
}

Result<std::unique_ptr<QueryEngine>> OpenQueryEngine(const Config& config, std::string_view engine,
                                                     double timeout_seconds) {
  if (engine == "athena") {
    auto options = AthenaOptionsFrom(config, timeout_seconds);
    if (!options) return options.status();
    return std::unique_ptr<QueryEngine>(std::make_unique<AthenaQueryEngine>(std::move(*options)));
  }
  SqliteQueryOptions sqlite;
  sqlite.data_dir = config.data_dir;
  sqlite.time_limit = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_seconds * 1000));
  return Up<QueryEngine>(SqliteQueryEngine::Open(sqlite));
}

Result<std::unique_ptr<serve::DashboardData>> OpenDashboardData(const Config& config) {
  if (config.backends.store != "dynamodb") {
    return std::unique_ptr<serve::DashboardData>(
        std::make_unique<serve::DataFolder>(config.data_dir, config.candles.intervals));
  }
  auto dynamodb = DynamoDbOptionsFrom(config);
  if (!dynamodb) return dynamodb.status();
  serve::AwsDashboardOptions options;
  options.dynamodb = std::move(*dynamodb);
  if (config.backends.stream == "kinesis") {
    auto kinesis = KinesisOptionsFrom(config);
    if (!kinesis) return kinesis.status();
    options.kinesis = std::move(kinesis->client);
    options.stream_name = kinesis->stream_name;
  }
  return std::unique_ptr<serve::DashboardData>(
      std::make_unique<serve::AwsDashboardData>(std::move(options)));
}

Status CheckOneDataFolder(const Config& config) {
  std::vector<std::string> elsewhere;
  if (config.backends.stream != "local") {
    elsewhere.push_back(fmt::format(
        "STOCKPIPE_STREAM={} ([backends] stream; local here: the watchdog and the dashboard read "
        "the local stream.db)",
        config.backends.stream));
  }
  if (config.backends.store != "sqlite") {
    elsewhere.push_back(fmt::format(
        "STOCKPIPE_STORE={} ([backends] store; sqlite here: the dashboard and health read the "
        "local clean.db)",
        config.backends.store));
  }
  if (elsewhere.empty()) return Status::Ok();
  return Status::Error(
      fmt::format("run keeps every stage in the data folder {}, but {}: change that, or run the "
                  "stages as separate commands (produce, ingest, trends)",
                  config.data_dir, fmt::join(elsewhere, " and ")));
}

}  // namespace stockpipe
