// Configuration: one TOML file (`stockpipe.toml`), overridden by environment variables,
// overridden by command-line flags (applied by the CLI after `LoadConfig`).
//
// The rule's parameters keep the reference names everywhere: `THRESH_PCT`, `LOOKBACK_POINTS`,
// `SMA_WINDOW`, `MIN_POINTS`, `EPS_PCT`, `ALERT_LANG`, `INCLUDE_JSON_FOOTER` are TOML keys of
// `[trends]` and environment variables of the same name. `kEnvironmentKeys` lists every variable
// read, so deployment files can be checked against it.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"
#include "core/result.h"
#include "core/timestamp.h"

namespace stockpipe {

struct TrendsConfig {
  double thresh_pct = 1.5;
  int lookback_points = 15;
  int sma_window = 20;
  int min_points = 20;
  double eps_pct = 0.2;
  std::string lang = "pl";
  bool include_json_footer = false;
  Micros cooldown = 30 * 60 * 1'000'000LL;  // per (symbol, action); 0 alerts on every run
  Micros every = 2 * 60 * 1'000'000LL;      // the timer inside `stockpipe run`
};

// Which adapter serves each stage. The embedded default needs nothing but a data folder; the AWS
// ones read their resources from `AwsConfig` and region/credentials/endpoints from the standard
// AWS variables (see src/aws/credentials.h).
struct Backends {
  std::string stream = "local";   // local | kinesis
  std::string archive = "local";  // local | s3
  std::string store = "sqlite";   // sqlite | dynamodb (CLEAN store and state)
};

// AWS resource names, with the reference pipeline's variable names.
struct AwsConfig {
  std::string kinesis_stream;                       // KINESIS_STREAM
  std::string raw_bucket;                           // RAW_DATA_BUCKET
  std::string dynamodb_table = "StockCleanedData";  // DYNAMODB_TABLE
  std::string state_table = "stockpipe-state";      // DYNAMODB_STATE_TABLE (cooldowns, checkpoints)
  std::string sns_topic_arn;                        // SNS_TOPIC_ARN: alerts also go there when set
  std::string athena_workgroup = "primary";         // ATHENA_WORKGROUP
  std::string athena_database = "stock_raw_db";     // ATHENA_DATABASE
  std::string athena_output;                        // ATHENA_OUTPUT_LOCATION (s3://...), optional
};

struct Config {
  std::string data_dir = "./data";
  int shards = 4;
  Micros retention = 24 * 3600 * 1'000'000LL;
  std::size_t batch_records = 20'000;     // most records in one ingest batch
  std::size_t batch_min_records = 5'000;  // fewer wait up to batch_window for company
  Micros batch_window = 5 * 1'000'000LL;
  Micros no_data_after = 10 * 60 * 1'000'000LL;
  bool console_alerts = true;
  RecordLimits limits;
  TrendsConfig trends;
  Backends backends;
  AwsConfig aws;
  std::vector<std::string> warnings;  // e.g. unknown keys in the TOML file, for the caller to log
};

inline constexpr std::array<std::string_view, 26> kEnvironmentKeys = {"THRESH_PCT",
                                                                      "LOOKBACK_POINTS",
                                                                      "SMA_WINDOW",
                                                                      "MIN_POINTS",
                                                                      "EPS_PCT",
                                                                      "ALERT_LANG",
                                                                      "INCLUDE_JSON_FOOTER",
                                                                      "COOLDOWN_MIN",
                                                                      "TRENDS_EVERY",
                                                                      "NO_DATA_AFTER",
                                                                      "STOCKPIPE_DATA_DIR",
                                                                      "STOCKPIPE_SHARDS",
                                                                      "RETENTION_HOURS",
                                                                      "BATCH_RECORDS",
                                                                      "BATCH_WINDOW",
                                                                      "STOCKPIPE_STREAM",
                                                                      "STOCKPIPE_ARCHIVE",
                                                                      "STOCKPIPE_STORE",
                                                                      "KINESIS_STREAM",
                                                                      "RAW_DATA_BUCKET",
                                                                      "DYNAMODB_TABLE",
                                                                      "DYNAMODB_STATE_TABLE",
                                                                      "SNS_TOPIC_ARN",
                                                                      "ATHENA_WORKGROUP",
                                                                      "ATHENA_DATABASE",
                                                                      "ATHENA_OUTPUT_LOCATION"};

// Reads `path` (a missing file is fine unless `required`), then the environment through `getenv`
// (a parameter so tests need not touch the real environment). Errors name the key and the value.
Result<Config> LoadConfig(const std::string& path, bool required,
                          const std::function<const char*(const char*)>& getenv);

// "90s", "10m", "2h", "1d" to microseconds; a bare number ("600", "1.5") counts `unit`s, so each
// key keeps its own unit (COOLDOWN_MIN=1.5 is 90 s).
std::optional<Micros> ParseDuration(std::string_view text, Micros unit = 1'000'000);

// Checks ranges across fields; empty when the config is usable.
std::string ValidateConfig(const Config& config);

}  // namespace stockpipe
