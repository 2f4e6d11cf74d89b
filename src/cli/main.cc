// stockpipe: the command line. Parses flags, loads the configuration (TOML < environment <
// flags) and hands over to one command.
#include <malloc.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/local_pipeline.h"
#include "cli/shutdown.h"

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

}  // namespace

int main(int argc, char** argv) {
  // Batches allocate and free tens of MB each; glibc would hand big blocks back to the kernel
  // after every batch and fault them in again (a third of ingest's CPU). Keep them.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  auto logger = spdlog::stderr_color_mt("stockpipe");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  // An unknown level would silently mean "off" in spdlog: a configuration error instead.
  if (Status s = CheckLogLevel(std::getenv("STOCKPIPE_LOG")); !s.ok()) {
    spdlog::error("configuration: {}", s.message());
    return 2;
  }
  if (const char* level = std::getenv("STOCKPIPE_LOG")) {
    spdlog::set_level(spdlog::level::from_str(level));
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

  // run
  auto* run = app.add_subcommand("run",
                                 "Run ingest, the trends timer and the no-data watchdog "
                                 "(and optionally a producer) until Ctrl-C");
  std::string run_producer = "none";
  std::string run_for;
  ProduceOptions run_produce;
  std::map<std::string, std::string> run_env;
  run->add_option("--producer", run_producer, "synthetic or none")
      ->check(CLI::IsMember({"synthetic", "none"}))
      ->capture_default_str();
  run->add_option("--for", run_for, "stop by itself after this long, e.g. 90s");
  run->add_option("--no-data-after", overrides.no_data_after, "no-data alarm after, e.g. 10m");
  AddRuleFlags(*run, overrides);
  AddProduceFlags(*run, run_produce, run_env);
  HttpChoice run_http;
  bool run_no_http = false;

  // serve
  auto* serve = app.add_subcommand(
      "serve",
      "The dashboard (docs/dashboard.md): a live page per symbol, pipeline status, alerts, a "
      "read-only SQL box, its JSON API, /metrics and /healthz, until Ctrl-C");
  HttpChoice serve_http;
  for (auto [command, choice] : {std::pair{run, &run_http}, std::pair{serve, &serve_http}}) {
    command->add_option("--http", overrides.http,
                        "dashboard address HOST:PORT (default 127.0.0.1:8080, STOCKPIPE_HTTP; "
                        "port 0 = any free port)");
    command->add_flag("--allow-remote", choice->allow_remote,
                      "allow a non-loopback --http address (STOCKPIPE_HTTP_TOKEN must be set)");
  }
  run->add_flag("--no-http", run_no_http, "do not start the dashboard")
      ->excludes(run->get_option("--http"));

  // produce
  auto* produce = app.add_subcommand("produce", "Send records to the stream");
  produce->require_subcommand(1);
  ProduceOptions synthetic_options, file_options;
  std::map<std::string, std::string> synthetic_env;
  auto* synthetic = produce->add_subcommand("synthetic", "The reference random-walk producer");
  AddProduceFlags(*synthetic, synthetic_options, synthetic_env);
  auto* file =
      produce->add_subcommand("file", "Send JSON Lines records as they are (bad ones too)");
  file->add_option("path", file_options.path, "file to read, or - for stdin")->required();
  file->add_option("--batch", file_options.batch, "records per stream write")
      ->check(CLI::Range(1, 1'000'000));

  ProduceOptions yahoo_options, csv_options;
  auto* yahoo = produce->add_subcommand(
      "yahoo",
      "Yahoo Finance 1-minute bars (chart API): each completed bar once (close as price, volume "
      "kept), only while the market is open. Exit 1 with --once when a symbol failed");
  yahoo->add_option("--symbols", yahoo_options.symbols, "symbols, e.g. AAPL,MSFT,GOOGL")
      ->required()
      ->delimiter(',');
  yahoo->add_option("--poll", yahoo_options.poll, "poll period, e.g. 60s")->capture_default_str();
  yahoo->add_option("--endpoint", yahoo_options.endpoint,
                    "chart API base URL (default https://query1.finance.yahoo.com)");
  yahoo->add_flag("--any-hours", yahoo_options.any_hours,
                  "send completed bars outside the regular session too (24 h instruments)");
  yahoo->add_flag("--once", yahoo_options.once, "one poll pass, then exit");
  auto* csv = produce->add_subcommand(
      "csv",
      "Replay CSV files: OHLC bars (Date|Datetime,Open,High,Low,Close,Adj Close,Volume; price = "
      "Close, a daily bar stamped 00:00Z of its date) or symbol,timestamp,price[,extra...]; rows "
      "in time order; bad rows reported as file:line and counted. Exit 1 when a file cannot be "
      "read");
  csv->add_option("files", csv_options.paths, "CSV files")->required();
  csv->add_option("--symbol", csv_options.symbol,
                  "symbol of OHLC files without a Symbol column (default: the file name, "
                  "AAPL.csv -> AAPL)");
  csv->add_option("--speed", csv_options.speed,
                  "'max', or N times real time (the gaps between rows divided by N)")
      ->capture_default_str();
  csv->add_option("--batch", csv_options.batch, "records per stream write")
      ->check(CLI::Range(1, 1'000'000));

  for (auto* command : {synthetic, file, yahoo, csv}) {
    command
        ->add_option("--to", overrides.stream, "stream to write: local or kinesis (KINESIS_STREAM)")
        ->check(CLI::IsMember({"local", "kinesis"}));
  }

  // ingest
  auto* ingest = app.add_subcommand("ingest", "Stream -> RAW archive + CLEAN store + quarantine");
  bool ingest_once = false;
  ingest->add_flag("--once", ingest_once, "drain what is in the stream now, then exit");
  bool ingest_streaming = false;
  ingest->add_flag("--streaming", ingest_streaming,
                   "also evaluate the rules per tick and alert within the batch "
                   "(TRENDS_STREAMING)");
  ingest
      ->add_option("--from", overrides.stream, "stream to read: local or kinesis (KINESIS_STREAM)")
      ->check(CLI::IsMember({"local", "kinesis"}));
  ingest->add_option("--archive", overrides.archive, "RAW archive: local or s3 (RAW_DATA_BUCKET)")
      ->check(CLI::IsMember({"local", "s3"}));

  // trends
  auto* trends = app.add_subcommand("trends", "Evaluate the PCT + SMA rule over the CLEAN store");
  bool trends_once = false;
  trends->add_flag("--once", trends_once, "one run, then exit");
  AddRuleFlags(*trends, overrides);
  for (auto* command : {ingest, trends}) {
    command
        ->add_option("--store", overrides.store,
                     "CLEAN store and state: sqlite or dynamodb (DYNAMODB_TABLE)")
        ->check(CLI::IsMember({"sqlite", "dynamodb"}));
  }
  auto* eval = trends->add_subcommand(
      "eval",
      "Evaluate JSON Lines {\"params\":{...},\"lang\":..,\"symbol\":..,\"prices\":[...]} "
      "from stdin, one JSON result per line");

  // health
  auto* health = app.add_subcommand(
      "health", "Stream lag, RAW, CLEAN, trends, watchdog, rejects, alert channels");
  bool health_json = false;
  health->add_flag("--json", health_json, "machine-readable output");

  // check
  auto* check = app.add_subcommand(
      "check",
      "Integrity of the data folder, read-only: each SQLite store's quick_check, catalog.json, "
      "counts that must balance, RAW + quarantine objects covering the checkpoints. Exit 1 when "
      "a check fails");
  CheckOptions check_options;
  check->add_flag("--deep", check_options.deep,
                  "integrity_check, and read every object and count its lines against its range");
  check->add_flag("--json", check_options.json, "machine-readable output");

  // catalog, query
  auto* catalog = app.add_subcommand(
      "catalog",
      "Crawl raw/ and rejected/: tables, schema, partitions, object and record counts "
      "-> <data-dir>/catalog.json");
  bool catalog_json = false;
  catalog->add_flag("--json", catalog_json, "print the catalog JSON instead of a summary");
  auto* query = app.add_subcommand(
      "query",
      "Run one read-only SQL statement over stock_raw_db.raw, stock_raw_db.rejected and "
      "clean.ticks; the result is also saved as <data-dir>/query-results/<id>.csv. "
      "Exit 1 when the query fails, 2 when it is refused (read-only)");
  QueryOptions query_options;
  query->add_option("sql", query_options.sql, "the statement, e.g. \"SHOW TABLES;\"")->required();
  query->add_option("--format", query_options.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  query
      ->add_option("--timeout", query_options.timeout_seconds,
                   "stop the query after this many seconds (0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  query
      ->add_option("--engine", query_options.engine,
                   "sqlite (the local data folder) or athena (ATHENA_WORKGROUP, ATHENA_DATABASE)")
      ->check(CLI::IsMember({"sqlite", "athena"}))
      ->capture_default_str();

  // repair
  auto* repair = app.add_subcommand(
      "repair",
      "Check every store of the data folder against its identity (stockpipe.json) and fix what "
      "the checks refuse: rewrite a lost manifest, start a new stream generation (saying what is "
      "lost), start a store empty. Moves files aside, never deletes. Exit 1 when a problem is "
      "left (docs/data-folder.md)");
  RepairOptions repair_options;
  repair->add_flag("--new-stream", repair_options.new_stream,
                   "move stream.db aside and start the next stream generation; prints the "
                   "unread records and counters that are lost");
  repair->add_option("--reset", repair_options.reset,
                     "move these stores aside so they start empty: clean, state, outbox")
      ->delimiter(',')
      ->check(CLI::IsMember({"clean", "state", "outbox"}));

  // backtest
  auto* backtest = app.add_subcommand(
      "backtest",
      "Replay each symbol's history through its rule ([rules]): every signal, and per symbol the "
      "signals and the long-only return of following them against buy and hold");
  BacktestOptions backtest_options;
  backtest->add_option("--source", backtest_options.source, "clean (the CLEAN store) or raw")
      ->check(CLI::IsMember({"clean", "raw"}))
      ->capture_default_str();
  backtest->add_option("--symbols", backtest_options.symbols, "only these, e.g. AAPL,MSFT")
      ->delimiter(',');
  backtest->add_option("--from", backtest_options.from,
                       "signals from this time on (earlier points still fill the rule's window)");
  backtest->add_option("--to", backtest_options.to, "read no point after this time");
  backtest->add_option("--format", backtest_options.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (eval->parsed()) return RunTrendsEval();

  const bool explicit_config = app.get_option("--config")->count() > 0;
  auto config =
      LoadConfig(config_path, explicit_config, [](const char* k) { return std::getenv(k); });
  if (!config) {
    spdlog::error("configuration: {}", config.error());
    return 2;
  }
  for (const std::string& warning : config->warnings) spdlog::warn("configuration: {}", warning);
  if (Status s = overrides.ApplyTo(*config); !s.ok()) {
    spdlog::error("configuration: {}", s.message());
    return 2;
  }
  if (Status s = ValidateChannels(*config); !s.ok()) {
    spdlog::error("configuration: {}", s.message());
    return 2;
  }
  // The rule's parameters are configuration too: out of range is a usage error (2), whichever
  // command runs, not a runtime failure of the trends job.
  if (auto settings = TrendsSettingsFrom(config->trends); !settings) {
    spdlog::error("configuration: {}", settings.error());
    return 2;
  }
  InstallStopHandlers();

  if (produce->parsed()) {
    if (file->parsed()) {
      file_options.source = "file";
      return RunProduce(*config, file_options);
    }
    if (yahoo->parsed()) {
      yahoo_options.source = "yahoo";
      return RunProduce(*config, yahoo_options);
    }
    if (csv->parsed()) {
      csv_options.source = "csv";
      return RunProduce(*config, csv_options);
    }
    synthetic_options.source = "synthetic";
    if (Status s = ResolveSynthetic(synthetic_options, synthetic_env); !s.ok()) {
      spdlog::error("produce synthetic: {}", s.message());
      return 2;
    }
    return RunProduce(*config, synthetic_options);
  }
  if (ingest->parsed()) {
    if (ingest_streaming) config->trends.streaming = true;
    return RunIngest(*config, ingest_once);
  }
  if (trends->parsed()) return RunTrends(*config, trends_once);
  if (health->parsed()) return RunHealth(*config, health_json);
  if (check->parsed()) return RunCheck(*config, check_options);
  if (catalog->parsed()) return RunCatalog(*config, catalog_json);
  if (query->parsed()) return RunQuery(*config, query_options);
  if (backtest->parsed()) return RunBacktest(*config, backtest_options);
  if (repair->parsed()) return RunRepair(*config, repair_options);
  if (serve->parsed()) return RunServe(*config, serve_http);
  if (run->parsed()) {
    std::optional<ProduceOptions> producer;
    if (run_producer == "synthetic") {
      run_produce.source = "synthetic";
      if (Status s = ResolveSynthetic(run_produce, run_env); !s.ok()) {
        spdlog::error("run: {}", s.message());
        return 2;
      }
      producer = run_produce;
    }
    std::thread timer;
    if (!run_for.empty()) {
      auto limit = ParseDuration(run_for);
      if (!limit) {
        spdlog::error("--for must be a duration like 90s, got \"{}\"", run_for);
        return 2;
      }
      timer = std::thread([limit] {
        if (SleepUnlessStopping(std::chrono::milliseconds(*limit / 1000))) RequestStop();
      });
    }
    run_http.enabled = !run_no_http;
    const int code = RunPipeline(*config, producer, run_http);
    if (timer.joinable()) timer.join();
    return code;
  }
  return 0;
}
