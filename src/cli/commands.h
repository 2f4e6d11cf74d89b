// The `stockpipe` commands. Each returns the process exit code; messages go to stderr (logs) and
// results to stdout.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "pipeline/shutdown.h"
#include "producers/synthetic.h"

namespace stockpipe {

namespace serve {
class HttpServer;
}

struct ProduceOptions {
  std::string source;  // "synthetic", "file", "yahoo" or "csv"
  std::string path;    // for "file": a path or "-"
  SyntheticParams synthetic;
  std::optional<std::uint64_t> count;  // stop after this many records
  std::string rate;                    // "" = real time, "max", or records per second
  std::size_t batch = 5'000;
  // yahoo
  std::vector<std::string> symbols;
  std::string poll = "60s";
  std::string endpoint;  // "" = Yahoo's own
  bool any_hours = false;
  bool once = false;
  // csv
  std::vector<std::string> paths;
  std::string symbol;         // for files without a symbol column; "" = the file name
  std::string speed = "max";  // or N times real time
};

int RunProduce(const Config& config, const ProduceOptions& options);
// Stops (after draining what is pending) when `stopping()` turns true: Ctrl-C by default.
int RunIngest(const Config& config, bool once,
              const std::function<bool()>& stopping = StopRequested);
int RunTrends(const Config& config, bool once);
// `stockpipe init`: creates the configured stores that are missing (pipeline/backends.h,
// CreateMissingStores) and says which. 0 done (also when nothing was missing), 1 failed.
int RunInit(const Config& config);
int RunTrendsEval();
int RunHealth(const Config& config, bool json);
// `stockpipe check`: the data folder's integrity, read-only (see cmd_check.cc). 0 all ok, 1 a
// check failed.
struct CheckOptions {
  bool deep = false;  // integrity_check, and every archive object read and its lines counted
  bool json = false;
};
int RunCheck(const Config& config, const CheckOptions& options);
// The dashboard in `serve` and `run`; its address is `config.serve.http` (--http).
struct HttpChoice {
  bool enabled = true;            // run --no-http turns it off
  bool allow_remote = false;      // --allow-remote: a non-loopback address (needs the token too)
  bool allow_plain_http = false;  // --insecure-http: a token over plain HTTP (TLS proxy in front)
};
int RunPipeline(const Config& config, const std::optional<ProduceOptions>& producer,
                const HttpChoice& http = {});

// `stockpipe serve`: the dashboard until Ctrl-C. 0 stopped, 1 cannot listen or read the data
// folder, 2 the address is refused (not loopback without --allow-remote and a token, or a token
// over plain HTTP to a non-loopback address without --insecure-http) or the TLS files are bad.
int RunServe(const Config& config, const HttpChoice& http);
// Starts the dashboard (logging its URL); on failure logs why, sets `exit_code` (1 or 2 as above)
// and returns nullptr.
std::unique_ptr<serve::HttpServer> StartDashboard(const Config& config, const HttpChoice& http,
                                                  int& exit_code);

// `stockpipe candles`: one symbol's bars at one interval (cmd_candles.cc).
struct CandlesOptions {
  std::string symbol;
  std::string interval;  // "" = the shortest kept
  std::string from, to;  // "" = open
  std::size_t limit = 1000;
  std::string format = "table";  // table, csv or json
};
int RunCandles(const Config& config, const CandlesOptions& options);
// `stockpipe candles rebuild`: bars recomputed from the ticks, with a progress bar on a terminal.
struct CandlesRebuildOptions {
  std::vector<std::string> symbols;  // empty = all
  std::string from, to;
};
int RunCandlesRebuild(const Config& config, const CandlesRebuildOptions& options);

// Crawls raw/ and rejected/ into <data-dir>/catalog.json and prints a summary (or the JSON).
int RunCatalog(const Config& config, bool json);

struct QueryOptions {
  std::string sql;
  std::string format = "table";   // table, csv or json
  double timeout_seconds = 600;   // 0 = no limit
  std::string engine = "sqlite";  // or "athena"
};
// 0 done, 1 the query failed, 2 refused (read-only) or no data folder.
int RunQuery(const Config& config, const QueryOptions& options);

// `stockpipe migrate raw`: the reference pipeline's one-object-per-record RAW (an S3 prefix or a
// folder) into the configured archive (migrate/raw_migration.h). 0 done, 1 a read or write
// failed (rerun resumes), 2 a bad --from.
struct MigrateRawOptions {
  std::string from;  // s3://BUCKET/raw/ or a folder holding YYYY/MM/DD/
  bool dry_run = false;
  int parallel = 16;
};
int RunMigrateRaw(const Config& config, const MigrateRawOptions& options);

// `stockpipe migrate dynamodb`: a reference-written CLEAN table (DYNAMODB_TABLE) rewritten to
// stockpipe's form in place (migrate/table_migration.h). 0 done, 1 a call failed (rerun
// finishes), 2 no table configured or the report cannot be written.
struct MigrateDynamoDbOptions {
  bool dry_run = false;
  std::string report = "stockpipe-migrate-dynamodb.jsonl";  // appended: one JSON line per item
};
int RunMigrateDynamoDb(const Config& config, const MigrateDynamoDbOptions& options);

// `stockpipe repair` (cli/cmd_repair.cc, docs/data-folder.md): 0 the folder is consistent,
// 1 a problem is left (each printed with its fix), 2 a bad option.
struct RepairOptions {
  bool new_stream = false;         // start the next stream generation
  std::vector<std::string> reset;  // clean, state, outbox: start these stores empty
};
int RunRepair(const Config& config, const RepairOptions& options);

struct BacktestOptions {
  std::string source = "clean";      // clean or raw
  std::vector<std::string> symbols;  // empty = every symbol
  std::string from, to;              // times; empty = open
  std::string format = "table";      // table, csv or json
};
// Replays each symbol's history through its rule: 0 done, 1 unreadable history, 2 bad option.
int RunBacktest(const Config& config, const BacktestOptions& options);

}  // namespace stockpipe
