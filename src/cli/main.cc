// stockpipe: the command line. Parses flags, loads the configuration (TOML < environment <
// flags) and hands over to one command. Each command registers its flags and its runner
// (kCommands below); the runner is `cli/cmd_*.cc`: flags -> service -> exit code.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "core/log.h"
#include "core/version.h"
#include "ingest/ingestor.h"
#include "pipeline/backends.h"
#include "pipeline/shutdown.h"
#include "trends/trends_job.h"

namespace {

using namespace stockpipe;

// Flags that override configuration keys; unset ones leave the config alone.
struct Overrides {
  std::optional<std::string> data_dir;
  std::optional<double> thresh_pct, eps_pct;
  std::optional<int> lookback_points, sma_window, min_points, shards;
  std::optional<std::string> lang, cooldown, every, no_data_after, batch_window;
  std::optional<bool> footer;
  std::optional<std::size_t> batch_records;
  std::optional<std::string> stream, archive, store;
  std::optional<std::string> http;

  Status ApplyTo(Config& c) const {
    if (http) {
      if (!ParseHostPort(*http)) {
        return Status::Error(fmt::format(
            "--http must be HOST:PORT like 127.0.0.1:8080 (port 0 = any free port), got \"{}\"",
            *http));
      }
      c.serve.http = *http;
    }
    if (data_dir) c.data_dir = *data_dir;
    if (stream) c.backends.stream = *stream;
    if (archive) c.backends.archive = *archive;
    if (store) c.backends.store = *store;
    if (thresh_pct) c.trends.thresh_pct = *thresh_pct;
    if (eps_pct) c.trends.eps_pct = *eps_pct;
    if (lookback_points) c.trends.lookback_points = *lookback_points;
    if (sma_window) c.trends.sma_window = *sma_window;
    if (min_points) c.trends.min_points = *min_points;
    if (shards) c.shards = *shards;
    if (lang) c.trends.lang = *lang;
    if (footer) c.trends.include_json_footer = *footer;
    if (batch_records) c.batch_records = *batch_records;
    const auto duration = [](const std::optional<std::string>& text, std::string_view name,
                             Micros unit, Micros& out) -> Status {
      if (!text) return Status::Ok();
      if (auto d = ParseDuration(*text, unit)) {
        out = *d;
      } else {
        return Status::Error(
            fmt::format("{} must be a duration like 90s, 10m or 2h, got \"{}\"", name, *text));
      }
      return Status::Ok();
    };
    if (Status s = duration(cooldown, "--cooldown", 60'000'000, c.trends.cooldown); !s.ok())
      return s;
    if (Status s = duration(every, "--every", 1'000'000, c.trends.every); !s.ok()) return s;
    if (Status s = duration(batch_window, "--batch-window", 1'000'000, c.batch_window); !s.ok()) {
      return s;
    }
    if (Status s = duration(no_data_after, "--no-data-after", 1'000'000, c.no_data_after);
        !s.ok()) {
      return s;
    }
    if (Status invalid = ValidateConfig(c); !invalid.ok()) return invalid;
    return Status::Ok();
  }
};

void AddRuleFlags(CLI::App& app, Overrides& o) {
  app.add_option("--THRESH_PCT,--thresh-pct", o.thresh_pct, "BUY/SELL threshold in percent");
  app.add_option("--LOOKBACK_POINTS,--lookback-points", o.lookback_points,
                 "points back for the percent change");
  app.add_option("--SMA_WINDOW,--sma-window", o.sma_window, "SMA window in points");
  app.add_option("--MIN_POINTS,--min-points", o.min_points, "points needed before deciding");
  app.add_option("--EPS_PCT,--eps-pct", o.eps_pct, "ignore moves closer than this to the SMA (%)");
  app.add_option("--ALERT_LANG,--lang", o.lang, "alert language: pl or en");
  app.add_option("--INCLUDE_JSON_FOOTER,--json-footer", o.footer, "append raw JSON to alerts");
  app.add_option("--COOLDOWN_MIN,--cooldown", o.cooldown,
                 "minutes between equal alerts per symbol (0 = every run), or 90s/2h");
  app.add_option("--TRENDS_EVERY,--every", o.every, "trends timer, e.g. 2m");
}

void AddProduceFlags(CLI::App& cmd, ProduceOptions& p, std::map<std::string, std::string>& env) {
  for (std::string_view key : kSyntheticEnvKeys) {
    std::string flag = std::string(key);
    std::string dashed;
    for (char c : flag) dashed += c == '_' ? '-' : static_cast<char>(std::tolower(c));
    cmd.add_option(
        "--" + flag + ",--" + dashed, env[flag],
        fmt::format("reference producer parameter {} (also from the environment)", flag));
  }
  cmd.add_option("--seed", p.synthetic.seed, "random seed; the same seed gives the same ticks");
  cmd.add_option("--count", p.count, "stop after this many records");
  cmd.add_option("--rate", p.rate,
                 "'max' or records per second; ticks are then stamped on a simulated clock "
                 "ending now (default: real time, one round every INTERVAL_SEC)");
  cmd.add_option("--batch", p.batch, "records per stream write")->check(CLI::Range(1, 1'000'000));
}

void AddHttpFlags(CLI::App& command, Overrides& o, HttpChoice& choice) {
  command.add_option("--http", o.http,
                     "dashboard address HOST:PORT (default 127.0.0.1:8080, STOCKPIPE_HTTP; "
                     "port 0 = any free port)");
  command.add_flag("--allow-remote", choice.allow_remote,
                   "allow a non-loopback --http address (STOCKPIPE_HTTP_TOKEN must be set)");
  command.add_flag("--insecure-http", choice.allow_plain_http,
                   "serve a non-loopback address with a token over plain HTTP, without [serve] "
                   "tls_cert/tls_key: only behind a TLS reverse proxy ([serve] allow_plain_http)");
}

Status ResolveSynthetic(ProduceOptions& p, const std::map<std::string, std::string>& flags) {
  for (std::string_view key : kSyntheticEnvKeys) {
    const std::string name(key);
    const auto flag = flags.find(name);
    const char* env = std::getenv(name.c_str());
    const std::string value = flag != flags.end() && !flag->second.empty() ? flag->second
                              : env                                        ? env
                                                                           : "";
    if (value.empty()) continue;
    if (Status s = SetSyntheticParam(p.synthetic, key, value); !s.ok()) return s;
  }
  return Status::Ok();
}

// ---- The commands ------------------------------------------------------------------------------
// Each Add* adds one subcommand with its flags and returns what runs it once parsed. Flags that
// set configuration keys write to the shared `Overrides`; the rest live with the runner.

struct Registered {
  Registered(CLI::App* command_, std::function<int(Config&)> run_,
             std::function<std::optional<int>()> without_config_ = {})
      : command(command_), run(std::move(run_)), without_config(std::move(without_config_)) {}
  CLI::App* command = nullptr;
  // After the configuration is loaded, overridden and checked.
  std::function<int(Config&)> run;
  // Before any configuration is loaded, for a command that reads none (nullopt: not this one).
  std::function<std::optional<int>()> without_config;
};

Registered AddRun(CLI::App& app, Overrides& overrides) {
  auto* run = app.add_subcommand("run",
                                 "Run ingest, the trends timer and the no-data watchdog "
                                 "(and optionally a producer) until Ctrl-C");
  struct Flags {
    std::string producer = "none";
    std::string run_for;
    ProduceOptions produce;
    std::map<std::string, std::string> env;
    HttpChoice http;
    bool no_http = false;
  };
  auto f = std::make_shared<Flags>();
  run->add_option("--producer", f->producer, "synthetic or none")
      ->check(CLI::IsMember({"synthetic", "none"}))
      ->capture_default_str();
  run->add_option("--for", f->run_for, "stop by itself after this long, e.g. 90s");
  run->add_option("--no-data-after", overrides.no_data_after, "no-data alarm after, e.g. 10m");
  AddRuleFlags(*run, overrides);
  AddProduceFlags(*run, f->produce, f->env);
  AddHttpFlags(*run, overrides, f->http);
  run->add_flag("--no-http", f->no_http, "do not start the dashboard")
      ->excludes(run->get_option("--http"));
  return {run, [f](Config& config) {
            std::optional<ProduceOptions> producer;
            if (f->producer == "synthetic") {
              f->produce.source = "synthetic";
              if (Status s = ResolveSynthetic(f->produce, f->env); !s.ok()) {
                spdlog::error("run: {}", s.message());
                return 2;
              }
              producer = f->produce;
            }
            std::thread timer;
            if (!f->run_for.empty()) {
              auto limit = ParseDuration(f->run_for);
              if (!limit) {
                spdlog::error("--for must be a duration like 90s, got \"{}\"", f->run_for);
                return 2;
              }
              timer = std::thread([limit] {
                if (SleepUnlessStopping(std::chrono::milliseconds(*limit / 1000))) RequestStop();
              });
            }
            f->http.enabled = !f->no_http;
            const int code = RunPipeline(config, producer, f->http);
            RequestStop();  // a run refused or failed early does not wait out --for
            if (timer.joinable()) timer.join();
            return code;
          }};
}

void AddStoreFlag(CLI::App& command, Overrides& overrides) {
  command
      .add_option("--store", overrides.store,
                  "CLEAN store and state: sqlite or dynamodb (DYNAMODB_TABLE)")
      ->check(CLI::IsMember({"sqlite", "dynamodb"}));
}

Registered AddServe(CLI::App& app, Overrides& overrides) {
  auto* serve = app.add_subcommand(
      "serve",
      "The dashboard (docs/dashboard.md): a live page per symbol, pipeline status, alerts, a "
      "read-only SQL box, its JSON API, /metrics and /healthz, until Ctrl-C. With --store "
      "dynamodb, over an AWS deployment (docs/migrate.md)");
  auto http = std::make_shared<HttpChoice>();
  AddHttpFlags(*serve, overrides, *http);
  AddStoreFlag(*serve, overrides);
  serve
      ->add_option("--from", overrides.stream,
                   "stream whose numbers to show: local or kinesis (KINESIS_STREAM)")
      ->check(CLI::IsMember({"local", "kinesis"}));
  return {serve, [http](Config& config) { return RunServe(config, *http); }};
}

Registered AddProduce(CLI::App& app, Overrides& overrides) {
  auto* produce = app.add_subcommand("produce", "Send records to the stream");
  produce->require_subcommand(1);
  struct Flags {
    ProduceOptions synthetic, file, yahoo, csv;
    std::map<std::string, std::string> synthetic_env;
  };
  auto f = std::make_shared<Flags>();
  auto* synthetic = produce->add_subcommand("synthetic", "The reference random-walk producer");
  AddProduceFlags(*synthetic, f->synthetic, f->synthetic_env);
  auto* file =
      produce->add_subcommand("file", "Send JSON Lines records as they are (bad ones too)");
  file->add_option("path", f->file.path, "file to read, or - for stdin")->required();
  file->add_option("--batch", f->file.batch, "records per stream write")
      ->check(CLI::Range(1, 1'000'000));

  auto* yahoo = produce->add_subcommand(
      "yahoo",
      "Yahoo Finance 1-minute bars (chart API): each completed bar once (close as price, volume "
      "kept), only while the market is open. Exit 1 with --once when a symbol failed");
  yahoo->add_option("--symbols", f->yahoo.symbols, "symbols, e.g. AAPL,MSFT,GOOGL")
      ->required()
      ->delimiter(',');
  yahoo->add_option("--poll", f->yahoo.poll, "poll period, e.g. 60s")->capture_default_str();
  yahoo->add_option("--endpoint", f->yahoo.endpoint,
                    "chart API base URL (default https://query1.finance.yahoo.com)");
  yahoo->add_flag("--any-hours", f->yahoo.any_hours,
                  "send completed bars outside the regular session too (24 h instruments)");
  yahoo->add_flag("--once", f->yahoo.once, "one poll pass, then exit");
  auto* csv = produce->add_subcommand(
      "csv",
      "Replay CSV files: OHLC bars (Date|Datetime,Open,High,Low,Close,Adj Close,Volume; price = "
      "Close, a daily bar stamped 00:00Z of its date) or symbol,timestamp,price[,extra...]; rows "
      "in time order; bad rows reported as file:line and counted. Exit 1 when a file cannot be "
      "read");
  csv->add_option("files", f->csv.paths, "CSV files")->required();
  csv->add_option("--symbol", f->csv.symbol,
                  "symbol of OHLC files without a Symbol column (default: the file name, "
                  "AAPL.csv -> AAPL)");
  csv->add_option("--speed", f->csv.speed,
                  "'max', or N times real time (the gaps between rows divided by N)")
      ->capture_default_str();
  csv->add_option("--batch", f->csv.batch, "records per stream write")
      ->check(CLI::Range(1, 1'000'000));

  for (auto* command : {synthetic, file, yahoo, csv}) {
    command
        ->add_option("--to", overrides.stream, "stream to write: local or kinesis (KINESIS_STREAM)")
        ->check(CLI::IsMember({"local", "kinesis"}));
  }
  return {produce, [f, file, yahoo, csv](Config& config) {
            if (file->parsed()) {
              f->file.source = "file";
              return RunProduce(config, f->file);
            }
            if (yahoo->parsed()) {
              f->yahoo.source = "yahoo";
              return RunProduce(config, f->yahoo);
            }
            if (csv->parsed()) {
              f->csv.source = "csv";
              return RunProduce(config, f->csv);
            }
            f->synthetic.source = "synthetic";
            if (Status s = ResolveSynthetic(f->synthetic, f->synthetic_env); !s.ok()) {
              spdlog::error("produce synthetic: {}", s.message());
              return 2;
            }
            return RunProduce(config, f->synthetic);
          }};
}

Registered AddIngest(CLI::App& app, Overrides& overrides) {
  auto* ingest = app.add_subcommand("ingest", "Stream -> RAW archive + CLEAN store + quarantine");
  struct Flags {
    bool once = false;
    bool streaming = false;
  };
  auto f = std::make_shared<Flags>();
  ingest->add_flag("--once", f->once, "drain what is in the stream now, then exit");
  ingest->add_flag("--streaming", f->streaming,
                   "also evaluate the rules per tick and alert within the batch "
                   "(TRENDS_STREAMING)");
  ingest
      ->add_option("--from", overrides.stream, "stream to read: local or kinesis (KINESIS_STREAM)")
      ->check(CLI::IsMember({"local", "kinesis"}));
  ingest->add_option("--archive", overrides.archive, "RAW archive: local or s3 (RAW_DATA_BUCKET)")
      ->check(CLI::IsMember({"local", "s3"}));
  AddStoreFlag(*ingest, overrides);
  return {ingest, [f](Config& config) {
            if (f->streaming) config.trends.streaming = true;
            return RunIngest(config, f->once);
          }};
}

Registered AddTrends(CLI::App& app, Overrides& overrides) {
  auto* trends = app.add_subcommand("trends", "Evaluate the PCT + SMA rule over the CLEAN store");
  auto once = std::make_shared<bool>(false);
  trends->add_flag("--once", *once, "one run, then exit");
  AddRuleFlags(*trends, overrides);
  AddStoreFlag(*trends, overrides);
  auto* eval = trends->add_subcommand(
      "eval",
      "Evaluate JSON Lines {\"params\":{...},\"lang\":..,\"symbol\":..,\"prices\":[...]} "
      "from stdin, one JSON result per line");
  return {trends, [once](Config& config) { return RunTrends(config, *once); },
          [eval]() -> std::optional<int> {
            if (eval->parsed()) return RunTrendsEval();
            return std::nullopt;
          }};
}

Registered AddInit(CLI::App& app, Overrides& overrides) {
  auto* init = app.add_subcommand(
      "init",
      "Create the stores the configuration names when missing (with --store dynamodb: the state "
      "table and the CLEAN table, schema of infra/dynamodb.tf); says what it created, a no-op "
      "when all exist");
  AddStoreFlag(*init, overrides);
  return {init, [](Config& config) { return RunInit(config); }};
}

Registered AddHealth(CLI::App& app, Overrides&) {
  auto* health = app.add_subcommand(
      "health", "Stream lag, RAW, CLEAN, trends, watchdog, rejects, alert channels");
  auto json = std::make_shared<bool>(false);
  health->add_flag("--json", *json, "machine-readable output");
  return {health, [json](Config& config) { return RunHealth(config, *json); }};
}

Registered AddCheck(CLI::App& app, Overrides&) {
  auto* check = app.add_subcommand(
      "check",
      "Integrity of the data folder, read-only: each SQLite store's quick_check, catalog.json, "
      "counts that must balance, RAW + quarantine objects covering the checkpoints. Exit 1 when "
      "a check fails");
  auto options = std::make_shared<CheckOptions>();
  check->add_flag("--deep", options->deep,
                  "integrity_check, and read every object and count its lines against its range");
  check->add_flag("--json", options->json, "machine-readable output");
  return {check, [options](Config& config) { return RunCheck(config, *options); }};
}

Registered AddCatalog(CLI::App& app, Overrides&) {
  auto* catalog = app.add_subcommand(
      "catalog",
      "Crawl raw/ and rejected/: tables, schema, partitions, object and record counts "
      "-> <data-dir>/catalog.json");
  auto json = std::make_shared<bool>(false);
  catalog->add_flag("--json", *json, "print the catalog JSON instead of a summary");
  return {catalog, [json](Config& config) { return RunCatalog(config, *json); }};
}

Registered AddQuery(CLI::App& app, Overrides&) {
  auto* query = app.add_subcommand(
      "query",
      "Run one read-only SQL statement over stock_raw_db.raw, stock_raw_db.rejected and "
      "clean.ticks; the result is also saved as <data-dir>/query-results/<id>.csv. "
      "Exit 1 when the query fails, 2 when it is refused (read-only)");
  auto options = std::make_shared<QueryOptions>();
  query->add_option("sql", options->sql, "the statement, e.g. \"SHOW TABLES;\"")->required();
  query->add_option("--format", options->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  query
      ->add_option("--timeout", options->timeout_seconds,
                   "stop the query after this many seconds (0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  query
      ->add_option("--engine", options->engine,
                   "sqlite (the local data folder) or athena (ATHENA_WORKGROUP, ATHENA_DATABASE)")
      ->check(CLI::IsMember({"sqlite", "athena"}))
      ->capture_default_str();
  return {query, [options](Config& config) { return RunQuery(config, *options); }};
}

Registered AddRepair(CLI::App& app, Overrides&) {
  auto* repair = app.add_subcommand(
      "repair",
      "Check every store of the data folder against its identity (stockpipe.json) and fix what "
      "the checks refuse: rewrite a lost manifest, start a new stream generation (saying what is "
      "lost), start a store empty. Moves files aside, never deletes. Exit 1 when a problem is "
      "left (docs/data-folder.md)");
  auto options = std::make_shared<RepairOptions>();
  repair->add_flag("--new-stream", options->new_stream,
                   "move stream.db aside and start the next stream generation; prints the "
                   "unread records and counters that are lost");
  repair
      ->add_option("--reset", options->reset,
                   "move these stores aside so they start empty: clean, state, outbox")
      ->delimiter(',')
      ->check(CLI::IsMember({"clean", "state", "outbox"}));
  return {repair, [options](Config& config) { return RunRepair(config, *options); }};
}

Registered AddBacktest(CLI::App& app, Overrides&) {
  auto* backtest = app.add_subcommand(
      "backtest",
      "Replay each symbol's history through its rule ([rules]): every signal, and per symbol the "
      "signals and the long-only return of following them against buy and hold");
  auto options = std::make_shared<BacktestOptions>();
  backtest->add_option("--source", options->source, "clean (the CLEAN store) or raw")
      ->check(CLI::IsMember({"clean", "raw"}))
      ->capture_default_str();
  backtest->add_option("--symbols", options->symbols, "only these, e.g. AAPL,MSFT")->delimiter(',');
  backtest->add_option("--from", options->from,
                       "signals from this time on (earlier points still fill the rule's window)");
  backtest->add_option("--to", options->to, "read no point after this time");
  backtest->add_option("--format", options->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  return {backtest, [options](Config& config) { return RunBacktest(config, *options); }};
}

Registered AddMigrate(CLI::App& app, Overrides& overrides) {
  auto* migrate = app.add_subcommand(
      "migrate",
      "Bring data of the reference Python pipeline into stockpipe's form (docs/migrate.md)");
  migrate->require_subcommand(1);
  auto* raw = migrate->add_subcommand(
      "raw",
      "Compact the reference's one-object-per-record RAW (raw/YYYY/MM/DD/HHMMSS_ffffff.json) into "
      "this archive's gzip JSON Lines dt= partitions ([backends] archive); bad objects are "
      "quarantined with their key. Rerunning it (after a kill too) writes nothing twice");
  auto options = std::make_shared<MigrateRawOptions>();
  raw->add_option("--from", options->from, "s3://BUCKET/raw/ or a folder holding YYYY/MM/DD/")
      ->required();
  raw->add_option("--archive", overrides.archive,
                  "where to write: local (the data folder) or s3 (RAW_DATA_BUCKET)")
      ->check(CLI::IsMember({"local", "s3"}));
  raw->add_flag("--dry-run", options->dry_run, "read and count, write nothing");
  raw->add_option("--parallel", options->parallel, "source objects fetched at once")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  auto* table = migrate->add_subcommand(
      "dynamodb",
      "Rewrite a StockCleanedData table the reference filled (DYNAMODB_TABLE) to stockpipe's form: "
      "canonical timestamps, numeric prices, the symbol registry. Bad items are reported and left "
      "in the table, never deleted; a rerun (after a kill too) finishes the same table");
  auto table_options = std::make_shared<MigrateDynamoDbOptions>();
  table->add_flag("--dry-run", table_options->dry_run, "scan and count, write nothing");
  table
      ->add_option("--report", table_options->report,
                   "JSON Lines file the items left alone or merged are appended to")
      ->capture_default_str();
  return {migrate, [options, raw, table_options](Config& config) {
            if (raw->parsed()) return RunMigrateRaw(config, *options);
            return RunMigrateDynamoDb(config, *table_options);
          }};
}

Registered AddCandles(CLI::App& app, Overrides& overrides) {
  auto* candles = app.add_subcommand(
      "candles",
      "Print one symbol's OHLCV bars at one of the [candles] intervals, oldest first; "
      "`candles rebuild` recomputes bars from the ticks");
  auto options = std::make_shared<CandlesOptions>();
  candles->add_option("--symbol", options->symbol, "the symbol, e.g. AAPL");
  candles->add_option("--interval", options->interval,
                      "one of [candles] intervals, e.g. 1m (default: the shortest)");
  candles->add_option("--from", options->from, "bars starting at or after this time");
  candles->add_option("--to", options->to, "bars starting before this time");
  candles->add_option("--limit", options->limit, "at most this many bars, the newest")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  candles->add_option("--format", options->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  AddStoreFlag(*candles, overrides);
  auto* rebuild = candles->add_subcommand(
      "rebuild",
      "Recompute the bars of every [candles] interval from the ticks of the CLEAN store and "
      "replace the stored ones (a progress bar on a terminal)");
  auto rebuild_options = std::make_shared<CandlesRebuildOptions>();
  rebuild->add_option("--symbols", rebuild_options->symbols, "only these, e.g. AAPL,MSFT")
      ->delimiter(',');
  rebuild->add_option("--from", rebuild_options->from, "bars starting at or after this time");
  rebuild->add_option("--to", rebuild_options->to, "bars starting before this time");
  return {candles, [candles, options, rebuild, rebuild_options](Config& config) {
            if (rebuild->parsed()) return RunCandlesRebuild(config, *rebuild_options);
            if (options->symbol.empty()) {
              std::cerr << "candles: --symbol is required (or use `candles rebuild`)\n"
                        << candles->help();
              return 2;
            }
            return RunCandles(config, *options);
          }};
}

Registered AddVersion(CLI::App& app, Overrides&) {
  auto* version = app.add_subcommand("version", "Print the version and the git commit, then exit");
  return {version, [](Config&) { return 0; },
          []() -> std::optional<int> {
            std::cout << VersionLine() << "\n";
            return 0;
          }};
}

// In the order `--help` lists them.
using Registration = Registered (*)(CLI::App&, Overrides&);
constexpr Registration kCommands[] = {AddRun,      AddServe,   AddProduce, AddIngest, AddTrends,
                                      AddHealth,   AddCheck,   AddCatalog, AddQuery,  AddRepair,
                                      AddBacktest, AddCandles, AddMigrate, AddInit,   AddVersion};

// The configuration: TOML < environment < flags, then checked as every command needs it. Exit
// code 2 and the reason logged when it cannot be used.
std::optional<Config> LoadChecked(const CLI::App& app, const std::string& config_path,
                                  const Overrides& overrides) {
  const bool explicit_config = app.get_option("--config")->count() > 0;
  auto config =
      LoadConfig(config_path, explicit_config, [](const char* k) { return std::getenv(k); });
  if (!config) {
    spdlog::error("configuration: {}", config.error());
    return std::nullopt;
  }
  for (const std::string& warning : config->warnings) spdlog::warn("configuration: {}", warning);
  if (Status s = overrides.ApplyTo(*config); !s.ok()) {
    spdlog::error("configuration: {}", s.message());
    return std::nullopt;
  }
  if (Status s = ValidateChannels(*config); !s.ok()) {
    spdlog::error("configuration: {}", s.message());
    return std::nullopt;
  }
  // The rule's parameters are configuration too: out of range is a usage error (2), whichever
  // command runs, not a runtime failure of the trends job.
  if (auto settings = TrendsSettingsFrom(config->trends, config->candles.intervals); !settings) {
    spdlog::error("configuration: {}", settings.error());
    return std::nullopt;
  }
  return std::move(*config);
}

// "produce synthetic": the subcommands parsed, for the `command` field of every log line.
std::string CommandPath(const CLI::App& app) {
  std::string path;
  for (const CLI::App* at = &app;;) {
    const auto subcommands = at->get_subcommands();
    if (subcommands.empty()) break;
    at = subcommands.front();
    path += (path.empty() ? "" : " ") + at->get_name();
  }
  return path;
}

// Secrets the environment may hold, never shown in a log line (src/core/log.h); the
// configuration's own (which the TOML file may add) once it is read.
// A webhook URL is a secret whole and by its path and query (where its token is), which a
// message might quote without the host.
void RegisterUrlSecret(std::string_view url) {
  log::RegisterSecret(url);
  if (const std::size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    if (const std::size_t path = url.find('/', scheme + 3); path != std::string_view::npos) {
      log::RegisterSecret(url.substr(path));
    }
  }
}

void RegisterEnvironmentSecrets() {
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                           "SMTP_PASSWORD", "STOCKPIPE_HTTP_TOKEN", "TELEGRAM_BOT_TOKEN"}) {
    if (const char* value = std::getenv(name)) log::RegisterSecret(value);
  }
  for (const char* name : {"WEBHOOK_URL", "DISCORD_WEBHOOK_URL"}) {
    if (const char* url = std::getenv(name)) RegisterUrlSecret(url);
  }
}

void RegisterConfigSecrets(const Config& config) {
  log::RegisterSecret(config.alerts.smtp.password);
  RegisterUrlSecret(config.alerts.webhook.url);
  RegisterUrlSecret(config.alerts.discord.webhook_url);
  log::RegisterSecret(config.alerts.telegram.token);
  log::RegisterSecret(config.serve.token);
}

}  // namespace

int main(int argc, char** argv) {
  TuneAllocatorForBatches();
  // Text, coloured on a terminal, until the configuration says otherwise.
  log::Configure(log::Format::text);
  RegisterEnvironmentSecrets();
  // An unknown level would silently mean "off" in spdlog: a configuration error instead.
  if (Status s = CheckLogLevel(std::getenv("STOCKPIPE_LOG")); !s.ok()) {
    spdlog::error("configuration: {}", s.message());
    return 2;
  }
  if (const char* level = std::getenv("STOCKPIPE_LOG")) {
    spdlog::set_level(spdlog::level::from_str(level));
  }
  // The environment's log format applies from the first line on (configuration errors too);
  // the TOML file's once it is read.
  if (const char* format = std::getenv("STOCKPIPE_LOG_FORMAT"); format && *format) {
    auto parsed = log::ParseFormat(format);
    if (!parsed) {
      spdlog::error("configuration: STOCKPIPE_LOG_FORMAT {}", parsed.error());
      return 2;
    }
    log::Configure(*parsed);
  }

  CLI::App app{
      "stockpipe: real-time stock market data pipeline (feed -> stream -> ingest -> RAW + CLEAN "
      "-> trends -> alerts), embedded on one machine by default."};
  app.require_subcommand(1);
  app.fallthrough();
  Overrides overrides;
  std::string config_path = "stockpipe.toml";
  app.add_option("--config", config_path, "TOML configuration file")->capture_default_str();
  app.add_option("--data-dir", overrides.data_dir, "data folder (default ./data)");
  app.add_option("--shards", overrides.shards, "shards of a new local stream (default 4)");
  app.add_option("--batch-records", overrides.batch_records, "records per ingest batch");
  app.add_option("--batch-window", overrides.batch_window,
                 "how long a small ingest batch may wait for more records (default 5s)");
  app.set_version_flag("--version", VersionLine(), "Print the version and exit");
  std::vector<Registered> commands;
  for (Registration add : kCommands) commands.push_back(add(app, overrides));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here with 0; every usage error exits 2 (as configuration errors
    // do), with CLI11's message on stderr.
    const int code = app.exit(e);
    if (code == 0) return 0;
    // CLI11 reports a misspelt command as a missing one: name what it did not know.
    const std::vector<std::string> rest = app.remaining();
    if (app.get_subcommands().empty() && !rest.empty() && !rest.front().starts_with("-")) {
      std::cerr << "unknown command \"" << rest.front() << "\" (stockpipe --help lists them)\n";
    }
    return 2;
  }
  log::SetCommand(CommandPath(app));
  for (const Registered& c : commands) {
    if (!c.command->parsed() || !c.without_config) continue;
    if (std::optional<int> code = c.without_config()) return *code;
  }
  std::optional<Config> config = LoadChecked(app, config_path, overrides);
  if (!config) return 2;
  RegisterConfigSecrets(*config);
  log::Configure(*log::ParseFormat(config->log.format));  // checked by LoadChecked
  InstallStopHandlers();
  for (const Registered& c : commands) {
    if (c.command->parsed()) return c.run(*config);
  }
  return 0;
}
