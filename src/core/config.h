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
#include <utility>
#include <vector>

#include "core/candles.h"
#include "core/record.h"
#include "core/result.h"
#include "core/timestamp.h"

namespace stockpipe {

// Which signal rule each symbol gets (`[rules]`, TOML only). Parameters stay text here; the rules
// library (src/rules/rule_book.h) checks names and values and names the bad key.
//   [rules]
//   default = "pct_sma"        # the rule of every symbol without its own table
//   fast = 5                   # other keys: parameters of the default rule
//   [rules.AAPL]
//   rule = "sma_cross"
//   fast = 10
//   slow = 50
//   on = "5m"                  # read the closes of 5-minute bars (rules/on_bars.h); "tick" or
//                              # none: the ticks. `on` of [rules] is the default rule's.
// pct_sma takes its parameters from [trends] / the environment, as it always did.
struct RuleConfig {
  std::string rule;
  std::vector<std::pair<std::string, std::string>> params;  // key, value as text
  std::string on = {};  // "" or "tick": ticks; else one of [candles] intervals (RuleBook checks)
};

struct RulesConfig {
  RuleConfig fallback{"pct_sma", {}};                       // [rules] default = ...
  std::vector<std::pair<std::string, RuleConfig>> symbols;  // [rules.<SYMBOL>], file order
};

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
  bool streaming = false;  // TRENDS_STREAMING: ingest also evaluates the rules per tick
  RulesConfig rules;
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
  std::string candles_table = "stockpipe-candles";  // DYNAMODB_CANDLES_TABLE (OHLCV bars)
  std::string sns_topic_arn;                        // SNS_TOPIC_ARN: alerts also go there when set
  std::string athena_workgroup = "primary";         // ATHENA_WORKGROUP
  std::string athena_database = "stock_raw_db";     // ATHENA_DATABASE
  std::string athena_output;                        // ATHENA_OUTPUT_LOCATION (s3://...), optional
};

// Alert channels (`[alerts]`). Console and the alert log are on by default; SMTP, the webhook and
// Discord are on when their URL is set, Telegram when its chats are. Every alert goes through the
// outbox (<data-dir>/outbox.db), which retries a failed channel after `retry_after`, doubling up
// to 15 min, until it takes the alert (or `give_up_after`, when set). Secrets (SMTP password, the
// webhook and Discord URLs, the Telegram bot token) are never logged.
struct SmtpConfig {
  std::string url;              // SMTP_URL: smtp://host:port/helo-name or smtps://...
  std::string from;             // SMTP_FROM
  std::vector<std::string> to;  // SMTP_TO: comma-separated (TOML: an array)
  std::string username;         // SMTP_USERNAME
  std::string password;         // SMTP_PASSWORD: from the environment only, never the file
  bool require_tls = true;      // refuse to send without STARTTLS (or smtps)
  std::string ca_bundle;        // CA file for the server's certificate; empty = system
};

struct WebhookConfig {
  std::string url;              // WEBHOOK_URL: its path and query are a secret too
  bool allow_insecure = false;  // plain http:// allowed
  std::string ca_bundle;
};

struct TelegramConfig {
  std::string token;                  // TELEGRAM_BOT_TOKEN: environment only, never the file
  std::vector<std::string> chat_ids;  // TELEGRAM_CHAT_IDS: comma-separated (TOML: an array)
  std::string api_url = "https://api.telegram.org";
  bool allow_insecure = false;  // plain http:// allowed to another host
  std::string ca_bundle;
};

struct DiscordConfig {
  std::string webhook_url;      // DISCORD_WEBHOOK_URL: its path is the credential
  bool allow_insecure = false;  // plain http:// allowed to another host
  std::string ca_bundle;
};

struct AlertsConfig {
  bool console = true;
  bool log = true;
  Micros retry_after = 30 * 1'000'000LL;
  std::optional<Micros> give_up_after;  // none: an undelivered alert stays pending, never lost
  // Each queued alert is fsynced before any channel is called (one fsync, ~0.3-5 ms here). false
  // keeps it safe from a kill or crash of the process but not from a power cut: an alert queued
  // in the last moments before one can be lost (docs/alerts.md).
  bool queue_fsync = true;
  SmtpConfig smtp;
  WebhookConfig webhook;
  TelegramConfig telegram;
  DiscordConfig discord;
};

// The dashboard (`stockpipe serve`, also inside `stockpipe run`; `[serve]`, docs/dashboard.md).
struct ServeConfig {
  std::string http = "127.0.0.1:8080";  // STOCKPIPE_HTTP: HOST:PORT; port 0 = any free port
  std::string token;  // STOCKPIPE_HTTP_TOKEN: environment only; never in the file or a log
  Micros query_timeout = 10 * 1'000'000LL;  // /api/query stops a statement after this
  std::size_t query_max_rows = 1'000;       // /api/query returns at most this many rows
  // Slow and idle clients (docs/dashboard.md, "Limits").
  Micros read_timeout = 10 * 1'000'000LL;   // one whole request, from its first byte
  Micros idle_timeout = 5 * 1'000'000LL;    // waiting for a request's first byte
  Micros write_timeout = 10 * 1'000'000LL;  // one answer, or one event
  std::size_t max_connections = 512;        // open at once, all clients
  std::size_t max_connections_per_client = 64;
  // HTTPS: PEM certificate chain and private key files, both or neither (TLS 1.2 and later).
  std::string tls_cert;
  std::string tls_key;
  // A non-loopback address with a token but no TLS is refused (the token would cross the
  // network in clear) unless this is true: for a TLS reverse proxy in front (--insecure-http).
  bool allow_plain_http = false;
};

// Logs on stderr (`[log]`, src/core/log.h): "text" or "json" (STOCKPIPE_LOG_FORMAT). The level is
// STOCKPIPE_LOG (environment only: it applies before the file is read).
struct LogConfig {
  std::string format = "text";
};

// An address to listen on: "127.0.0.1:8080", "localhost:0", "[::1]:8080" (brackets dropped).
struct HostPort {
  std::string host;
  int port = 0;
};
std::optional<HostPort> ParseHostPort(std::string_view text);

// OHLCV bars kept with CLEAN (`[candles]`, core/candles.h). CANDLE_INTERVALS in the environment.
struct CandlesConfig {
  std::vector<Interval> intervals = DefaultIntervals();  // shortest first
};

struct Config {
  std::string data_dir = "./data";
  int shards = 4;
  Micros retention = 24 * 3600 * 1'000'000LL;
  std::size_t batch_records = 20'000;     // most records in one ingest batch
  std::size_t batch_min_records = 5'000;  // fewer wait up to batch_window for company
  Micros batch_window = 5 * 1'000'000LL;
  // `[ingest] fsync` (TOML only): every stream write, CLEAN commit and checkpoint is fsynced
  // before it counts, so a power cut loses nothing acknowledged (docs/durability.md). Off: all
  // of it survives a killed process, and RAW objects are fsynced either way.
  bool fsync = false;
  Micros no_data_after = 10 * 60 * 1'000'000LL;
  RecordLimits limits;
  TrendsConfig trends;
  CandlesConfig candles;
  Backends backends;
  AwsConfig aws;
  AlertsConfig alerts;
  ServeConfig serve;
  LogConfig log;
  std::vector<std::string> warnings;  // e.g. unknown keys in the TOML file, for the caller to log
};

inline constexpr std::array<std::string_view, 41> kEnvironmentKeys = {"THRESH_PCT",
                                                                      "LOOKBACK_POINTS",
                                                                      "SMA_WINDOW",
                                                                      "MIN_POINTS",
                                                                      "EPS_PCT",
                                                                      "ALERT_LANG",
                                                                      "INCLUDE_JSON_FOOTER",
                                                                      "COOLDOWN_MIN",
                                                                      "TRENDS_EVERY",
                                                                      "TRENDS_STREAMING",
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
                                                                      "DYNAMODB_CANDLES_TABLE",
                                                                      "SNS_TOPIC_ARN",
                                                                      "ATHENA_WORKGROUP",
                                                                      "ATHENA_DATABASE",
                                                                      "ATHENA_OUTPUT_LOCATION",
                                                                      "SMTP_URL",
                                                                      "SMTP_FROM",
                                                                      "SMTP_TO",
                                                                      "SMTP_USERNAME",
                                                                      "SMTP_PASSWORD",
                                                                      "WEBHOOK_URL",
                                                                      "TELEGRAM_BOT_TOKEN",
                                                                      "TELEGRAM_CHAT_IDS",
                                                                      "DISCORD_WEBHOOK_URL",
                                                                      "STOCKPIPE_HTTP",
                                                                      "STOCKPIPE_HTTP_TOKEN",
                                                                      "STOCKPIPE_LOG_FORMAT",
                                                                      "CANDLE_INTERVALS"};

// Reads `path` (a missing file is fine unless `required`), then the environment through `getenv`
// (a parameter so tests need not touch the real environment). Errors name the key and the value.
Result<Config> LoadConfig(const std::string& path, bool required,
                          const std::function<const char*(const char*)>& getenv);

// "90s", "10m", "2h", "1d" to microseconds; a bare number ("600", "1.5") counts `unit`s, so each
// key keeps its own unit (COOLDOWN_MIN=1.5 is 90 s).
std::optional<Micros> ParseDuration(std::string_view text, Micros unit = 1'000'000);

// Checks ranges across fields; Ok when the config is usable, else the first problem, naming the
// key.
Status ValidateConfig(const Config& config);
// The [alerts] part of ValidateConfig. Messages never quote a URL (it may hold a secret).
Status ValidateAlerts(const AlertsConfig& alerts);

// The alert channels the configuration turns on, in the order they are opened and shown:
// console, log, smtp, webhook, telegram, discord, sns.
std::vector<std::string> AlertChannelNames(const Config& config);
// The [serve] part of ValidateConfig. Messages never quote the token. Bounds: query_timeout in
// (0 s, 1 h], query_max_rows in [1, 1,000,000], the three client timeouts in [100 ms, 1 h],
// max_connections in [1, 100,000] and max_connections_per_client in [1, max_connections];
// tls_cert and tls_key together or not at all (their contents are checked when serving).
Status ValidateServe(const ServeConfig& serve);
inline constexpr Micros kMaxQueryTimeout = 3600 * 1'000'000LL;
inline constexpr std::size_t kMaxQueryRows = 1'000'000;

// STOCKPIPE_LOG: one of these (spdlog's names), or unset (nullptr). Anything else is a
// configuration error naming the variable.
inline constexpr std::string_view kLogLevels[] = {"debug", "info", "warn", "error"};
Status CheckLogLevel(const char* level);

}  // namespace stockpipe
