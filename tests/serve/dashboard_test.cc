// The dashboard's documents against a data folder the real pipeline wrote: the binary produces
// synthetic ticks, a rising series and three bad records, ingests them once and runs the trends job
// twice with a webhook that always fails (so deliveries are both delivered and pending). Every
// number is checked against what the test reads on its own: CLEAN rows by SQL, `stockpipe health
// --json`, the outbox tables, `backtest::Replay` and a direct mean for the SMA. /metrics is parsed
// by the npm parser `parse-prometheus-text-format` (tests/peers). A missing data folder gives empty
// documents, and reading never changes a file of the folder, not even the -wal files a killed
// writer left behind (a writable connection would checkpoint them when it closes).
#include "serve/dashboard.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "alerts/console_notifier.h"
#include "alerts/outbox/outbox.h"
#include "backtest/backtest.h"
#include "cli/webhook_sink.h"
#include "rules/rule_book.h"
#include "serve/dashboard_metrics.h"
#include "sqlite/database.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "store/sqlite/sqlite_state_store.h"
#include "store/sqlite/ticks_table.h"
#include "support/shell.h"
#include "support/subprocess.h"
#include "trends/watchdog.h"

namespace stockpipe {
namespace {

using nlohmann::json;
using serve::ApiError;
using serve::ApiResult;
using serve::Dashboard;
using serve::SeriesRequest;

constexpr std::string_view kBadRecords =
    "this is not json\n"
    R"({"symbol":"AAPL","timestamp":"2026-01-05T10:00:00Z","price":-3})"
    "\n"
    R"({"timestamp":"2026-01-05T10:00:00Z","price":5})"
    "\n";

json Doc(const ApiResult<std::string>& r) {
  if (const auto* e = std::get_if<ApiError>(&r)) {
    ADD_FAILURE() << "unexpected error " << e->http_status << " " << e->code << ": " << e->message;
    return json();
  }
  json parsed = json::parse(std::get<std::string>(r), nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << std::get<std::string>(r).substr(0, 500);
  return parsed;
}

ApiError Err(const ApiResult<std::string>& r) {
  if (const auto* e = std::get_if<ApiError>(&r)) return *e;
  ADD_FAILURE() << "expected an error, got " << std::get<std::string>(r).substr(0, 300);
  return {};
}

// Runs the npm Prometheus parser on `text`; its families as JSON.
json ParsePrometheus(const std::string& text, const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / "metrics.txt";
  testing::WriteFile(file, text);
  const std::string script =
      "const parse = require(process.argv[1] + \"/node_modules/parse-prometheus-text-format\");"
      "const text = require(\"fs\").readFileSync(process.argv[2], \"utf8\");"
      "process.stdout.write(JSON.stringify(parse(text)));";
  const std::string command =
      "node -e '" + script + "' '" + STOCKPIPE_PEERS_DIR + "' '" + file.string() + "' 2>&1";
  const auto [status, out] = testing::RunShell(command);
  EXPECT_EQ(status, 0) << "node parser failed: " << out.substr(0, 2000);
  json parsed = json::parse(out, nullptr, false);
  EXPECT_TRUE(parsed.is_array()) << out.substr(0, 2000);
  return parsed;
}

// The family `name` of a parsed exposition, or null.
const json* Family(const json& families, std::string_view name) {
  for (const json& f : families) {
    if (f.value("name", "") == name) return &f;
  }
  return nullptr;
}

// The value of the family's sample whose `label` is `value` (or its only sample).
double SampleOf(const json& families, std::string_view name, std::string_view label = "",
                std::string_view value = "") {
  const json* f = Family(families, name);
  if (!f) {
    ADD_FAILURE() << "no family " << name;
    return NAN;
  }
  for (const json& m : (*f)["metrics"]) {
    if (label.empty() || m.value("labels", json::object()).value(std::string(label), "") == value) {
      return std::stod(m.value("value", "nan"));
    }
  }
  ADD_FAILURE() << "no sample " << name << "{" << label << "=" << value << "}";
  return NAN;
}

sqlite::Statement Prep(sqlite::Database& db, std::string_view sql) {
  auto q = db.Prepare(sql);
  EXPECT_TRUE(q.ok()) << q.status().message();
  return q ? std::move(*q) : sqlite::Statement();
}

std::string Slurp(const std::filesystem::path& p) {
  return testing::ReadFile(p);
}

class DashboardTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    sink_ = new testing::WebhookSink(/*fail_first=*/1'000'000);
    const auto cli = [](std::vector<std::string> args, std::string stdin_text = "") {
      args.insert(args.begin(), {"--data-dir", data()});
      const auto r = testing::RunStockpipe(args, {.cwd = dir_->path(),
                                                  .stdin_text = std::move(stdin_text),
                                                  .env = {{"WEBHOOK_URL", sink_->url("/hook")}}});
      EXPECT_EQ(r.exit_code, 0) << args[2] << ": " << r.err;
    };
    cli({"produce", "synthetic", "--count", "3000", "--rate", "max", "--seed", "1", "--SPIKE_EVERY",
         "40"});
    // 30 rising prices a minute apart ending now: the PCT + SMA rule says SELL on each run.
    std::string rising;
    const std::int64_t end = NowMicros() / 1'000'000;
    double price = 100;
    for (int i = 0; i < 30; ++i, price *= 1.01) {
      rising += fmt::format(R"({{"symbol":"RISE","timestamp":{},"price":{:.2f}}})",
                            end - 60 * (29 - i), price) +
                "\n";
    }
    cli({"produce", "file", "-"}, rising + std::string(kBadRecords));
    cli({"ingest", "--once"});
    cli({"trends", "--once", "--cooldown", "0", "--lang", "en"});
    cli({"trends", "--once", "--cooldown", "0", "--lang", "en"});
  }
  static void TearDownTestSuite() {
    delete sink_;
    delete dir_;
  }

  static std::string data() { return (dir_->path() / "data").string(); }

  static Config MakeConfig() {
    Config c;
    c.data_dir = data();
    c.alerts.webhook.url = sink_->url("/hook");
    return c;
  }

  std::unique_ptr<Dashboard> Open(const Config& config = MakeConfig()) {
    auto d = Dashboard::Open(config);
    EXPECT_TRUE(d.ok()) << d.status().message();
    return d ? std::move(*d) : nullptr;
  }

  // A read-only connection of the test's own to a file of the folder.
  static std::unique_ptr<sqlite::Database> Sql(std::string_view file) {
    auto db = sqlite::Database::Open(data() + "/" + std::string(file), false, sqlite::Sync::kNormal,
                                     true);
    EXPECT_TRUE(db.ok()) << db.status().message();
    // clean.db's `ticks` is a virtual table over its chunks.
    if (db) EXPECT_TRUE(RegisterTicksTable((*db)->handle()).ok());
    return db ? std::move(*db) : nullptr;
  }

  static json Health() {
    const auto r =
        testing::RunStockpipe({"--data-dir", data(), "health", "--json"},
                              {.cwd = dir_->path(), .env = {{"WEBHOOK_URL", sink_->url("/hook")}}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  static std::vector<PricePoint> History(std::string_view symbol) {
    auto store = SqliteCleanStore::Open(data() + "/clean.db");
    EXPECT_TRUE(store.ok());
    auto points = (*store)->Range(symbol, 0, 0);
    EXPECT_TRUE(points.ok());
    return *points;
  }

  static testing::TempDir* dir_;
  static testing::WebhookSink* sink_;
};

testing::TempDir* DashboardTest::dir_ = nullptr;
testing::WebhookSink* DashboardTest::sink_ = nullptr;

TEST_F(DashboardTest, SymbolsAreTheCleanStoresRowsNewestPointAndRule) {
  auto d = Open();
  const json doc = Doc(d->Symbols());
  auto db = Sql("clean.db");
  auto q = Prep(
      *db,
      "SELECT symbol, COUNT(*), MAX(timestamp), "
      "(SELECT price FROM ticks t2 WHERE t2.symbol = t.symbol ORDER BY timestamp DESC LIMIT 1) "
      "FROM ticks t GROUP BY symbol ORDER BY symbol");
  std::size_t i = 0;
  while (q.Step() == SQLITE_ROW) {
    ASSERT_LT(i, doc["symbols"].size());
    const json& s = doc["symbols"][i++];
    EXPECT_EQ(s["symbol"], std::string(q.Text(0)));
    EXPECT_EQ(s["rows"], q.Int(1));
    EXPECT_EQ(s["newest"], std::string(q.Text(2)));
    EXPECT_EQ(s["newest_ms"], *ParseTimestampText(q.Text(2)) / 1000);
    EXPECT_EQ(s["last_price"].get<double>(), q.Double(3));
    EXPECT_EQ(s["rule"], rules::RuleBook::PctSmaOnly(PctSmaParams{})->fallback().Describe());
    EXPECT_EQ(s["sma_window"], 20);
  }
  EXPECT_EQ(i, 6u) << "five synthetic symbols and RISE";
  EXPECT_EQ(i, doc["symbols"].size());
}

TEST_F(DashboardTest, SmaWindowFollowsTheSymbolsRule) {
  Config c = MakeConfig();
  c.trends.rules.symbols.push_back({"AAPL", {"sma_cross", {{"fast", "5"}, {"slow", "30"}}}});
  c.trends.rules.symbols.push_back({"MSFT", {"rsi", {}}});
  c.trends.sma_window = 7;
  auto d = Open(c);
  const json doc = Doc(d->Symbols());
  for (const json& s : doc["symbols"]) {
    // sma_cross draws its slow SMA; rsi has none of its own and pct_sma's is [trends]'s.
    EXPECT_EQ(s["sma_window"], s["symbol"] == "AAPL" ? 30 : 7) << s.dump();
  }
  const json series = Doc(d->Series({.symbol = "AAPL"}));
  EXPECT_EQ(series["sma_window"], 30);
  EXPECT_EQ(series["rule"], "sma_cross fast=5 slow=30");
  EXPECT_EQ(series["sma"].size(), series["points"].size() - 29);
}

TEST_F(DashboardTest, SeriesIsTheRangeWithTheWindowMeanAndTheReplayedSignals) {
  auto d = Open();
  std::size_t signals_seen = 0;
  for (const std::string symbol : {"AAPL", "MSFT", "TSLA", "RISE"}) {
    const auto history = History(symbol);
    ASSERT_FALSE(history.empty());
    const json doc = Doc(d->Series({.symbol = symbol, .limit = 50'000}));
    EXPECT_EQ(doc["symbol"], symbol);
    EXPECT_EQ(doc["truncated"], false);
    ASSERT_EQ(doc["points"].size(), history.size());
    for (std::size_t i = 0; i < history.size(); ++i) {
      EXPECT_EQ(doc["points"][i][0], history[i].timestamp / 1000);
      EXPECT_EQ(doc["points"][i][1].get<double>(), history[i].price);
    }
    // From the 20th point on, the mean of the 20 newest prices, summed oldest first.
    ASSERT_EQ(doc["sma"].size(), history.size() - 19);
    for (std::size_t i = 19; i < history.size(); ++i) {
      double sum = 0;
      for (std::size_t k = i - 19; k <= i; ++k) sum += history[k].price;
      const json& p = doc["sma"][i - 19];
      EXPECT_EQ(p[0], history[i].timestamp / 1000);
      EXPECT_EQ(p[1].get<double>(), sum / 20) << symbol << " point " << i;
    }
    auto rules = rules::RuleBook::PctSmaOnly(PctSmaParams{});
    backtest::Options options;
    options.cooldown = Config{}.trends.cooldown;
    const auto report = backtest::Replay(symbol, history, rules->For(symbol), options);
    ASSERT_EQ(doc["signals"].size(), report.signals.size()) << symbol;
    for (std::size_t i = 0; i < report.signals.size(); ++i) {
      const auto& want = report.signals[i];
      const json& got = doc["signals"][i];
      EXPECT_EQ(got["ms"], want.time / 1000);
      EXPECT_EQ(got["time"], FormatCanonical(want.time));
      EXPECT_EQ(got["action"], std::string(ActionName(want.action)));
      EXPECT_EQ(got["price"].get<double>(), want.price);
      EXPECT_EQ(got["reason"], std::string(want.decision.reason));
      EXPECT_EQ(got["alerted"], want.alerted);
    }
    signals_seen += report.signals.size();
  }
  EXPECT_GT(signals_seen, 0u) << "the spikes and RISE must give signals, or this test is empty";
}

TEST_F(DashboardTest, AShortRangeShowsTheSameSmaAndSignalsAsTheTailOfALongOne) {
  auto d = Open();
  std::size_t signals_compared = 0;
  for (const std::string symbol : {"AAPL", "GOOGL", "RISE"}) {
    const auto history = History(symbol);
    const json all = Doc(d->Series({.symbol = symbol, .limit = 50'000}));
    const auto tail_of = [&](const json& part, std::string_view where) {
      const std::size_t n = part["points"].size();
      ASSERT_GT(n, 0u) << where;
      // Find where the part starts in the whole series, then compare element by element.
      std::size_t at = 0;
      while (at < all["points"].size() && all["points"][at] != part["points"][0]) ++at;
      ASSERT_LT(at, all["points"].size()) << where;
      for (std::size_t i = 0; i < n; ++i) {
        EXPECT_EQ(part["points"][i], all["points"][at + i]) << where << " " << i;
      }
      for (const json& p : part["sma"]) {
        const auto same = std::find_if(all["sma"].begin(), all["sma"].end(),
                                       [&](const json& q) { return q[0] == p[0]; });
        ASSERT_NE(same, all["sma"].end()) << where << " " << p.dump();
        EXPECT_EQ(p[1].get<double>(), (*same)[1].get<double>()) << where;
      }
      // Every point that has a full window in the whole series has one in the part too.
      const std::size_t full_from = std::max<std::size_t>(at, 19);
      EXPECT_EQ(part["sma"].size(), at + n > full_from ? at + n - full_from : 0) << where;
      std::vector<json> expected;
      for (const json& s : all["signals"]) {
        if (s["ms"] >= part["points"][0][0] && s["ms"] <= part["points"][n - 1][0]) {
          expected.push_back(s);
        }
      }
      EXPECT_EQ(part["signals"], json(expected)) << where;
      signals_compared += expected.size();
    };
    tail_of(Doc(d->Series({.symbol = symbol, .limit = 25})), "newest 25");
    const std::size_t mid = history.size() / 2;
    tail_of(Doc(d->Series({.symbol = symbol, .from = history[mid].timestamp})), "from the middle");
    tail_of(Doc(d->Series(
                {.symbol = symbol, .from = history[5].timestamp, .to = history[mid].timestamp})),
            "early window");
  }
  EXPECT_GT(signals_compared, 0u) << "no signal in any part: the comparison proved nothing";
}

TEST_F(DashboardTest, ALimitKeepsTheNewestPointsAndSaysItTruncated) {
  auto d = Open();
  const auto history = History("MSFT");
  const json doc = Doc(d->Series({.symbol = "MSFT", .limit = 10}));
  EXPECT_EQ(doc["truncated"], true);
  ASSERT_EQ(doc["points"].size(), 10u);
  EXPECT_EQ(doc["points"][0][0], history[history.size() - 10].timestamp / 1000);
  EXPECT_EQ(doc["points"][9][0], history.back().timestamp / 1000);
  EXPECT_EQ(doc["sma"].size(), 10u) << "the points before fill the first window";
  const json exact = Doc(d->Series({.symbol = "MSFT", .limit = history.size()}));
  EXPECT_EQ(exact["truncated"], false);
}

TEST_F(DashboardTest, BadSeriesRequestsGetTheRightError) {
  auto d = Open();
  ApiError e = Err(d->Series({.symbol = ""}));
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.code, "bad_request");
  EXPECT_NE(e.message.find("symbol"), std::string::npos);
  e = Err(d->Series({.symbol = "NOPE"}));
  EXPECT_EQ(e.http_status, 404);
  EXPECT_EQ(e.code, "unknown_symbol");
  EXPECT_NE(e.message.find("NOPE"), std::string::npos);
  e = Err(d->Series({.symbol = "AAPL", .from = 2'000'000, .to = 1'000'000}));
  EXPECT_EQ(e.http_status, 400);
  EXPECT_NE(e.message.find("from"), std::string::npos);
  for (std::size_t limit : {std::size_t{0}, std::size_t{50'001}}) {
    e = Err(d->Series({.symbol = "AAPL", .limit = limit}));
    EXPECT_EQ(e.http_status, 400) << limit;
    EXPECT_NE(e.message.find("limit"), std::string::npos);
  }
  EXPECT_EQ(Doc(d->Series({.symbol = "AAPL", .from = 1'000'000, .to = 2'000'000}))["points"],
            json::array())
      << "a valid range with no points is empty, not an error";
  e = Err(d->Alerts(0, std::nullopt));
  EXPECT_EQ(e.http_status, 400);
  e = Err(d->Alerts(501, std::nullopt));
  EXPECT_EQ(e.http_status, 400);
}

TEST_F(DashboardTest, AlertsAreTheOutboxMessagesNewestFirstWithTheirDeliveries) {
  auto d = Open();
  const json doc = Doc(d->Alerts(50, std::nullopt));
  auto db = Sql("outbox.db");
  auto messages = Prep(*db, "SELECT id, kind, subject, body, created FROM messages ORDER BY id");
  std::vector<json> expected;
  while (messages.Step() == SQLITE_ROW) {
    json m{{"id", messages.Int(0)},
           {"kind", std::string(messages.Text(1))},
           {"subject", std::string(messages.Text(2))},
           {"body", std::string(messages.Text(3))},
           {"ms", messages.Int(4) / 1000},
           {"time", FormatCanonical(messages.Int(4))}};
    auto deliveries =
        Prep(*db, "SELECT channel, state, attempts FROM deliveries WHERE message_id=? ORDER BY id");
    deliveries.Bind(1, messages.Int(0));
    while (deliveries.Step() == SQLITE_ROW) {
      m["deliveries"][std::string(deliveries.Text(0))] = {std::string(deliveries.Text(1)),
                                                          deliveries.Int(2)};
    }
    expected.insert(expected.begin(), m);
  }
  ASSERT_EQ(expected.size(), 2u) << "one message per trends run";
  ASSERT_EQ(doc["alerts"].size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const json& got = doc["alerts"][i];
    const json& want = expected[i];
    for (const char* key : {"id", "kind", "subject", "body", "ms", "time"}) {
      EXPECT_EQ(got[key], want[key]) << key;
    }
    EXPECT_NE(got["subject"].get<std::string>().find("RISE:SELL"), std::string::npos);
    ASSERT_EQ(got["deliveries"].size(), 3u) << got.dump();
    for (const json& delivery : got["deliveries"]) {
      const json& row = want["deliveries"][delivery["channel"].get<std::string>()];
      EXPECT_EQ(delivery["state"], row[0]);
      if (row[0] == "delivered") {
        EXPECT_FALSE(delivery.contains("attempts"));
      } else {
        EXPECT_EQ(delivery["attempts"], row[1]);
      }
    }
  }
  EXPECT_EQ(doc["alerts"][0]["deliveries"][2],
            json({{"channel", "webhook"}, {"state", "pending"}, {"attempts", 1}}));
  EXPECT_EQ(doc["alerts"][0]["deliveries"][0],
            json({{"channel", "console"}, {"state", "delivered"}}));
  const json older = Doc(d->Alerts(1, std::nullopt));
  ASSERT_EQ(older["alerts"].size(), 1u);
  EXPECT_EQ(older["alerts"][0]["id"], expected[0]["id"]);
  const json after = Doc(d->Alerts(50, expected[1]["id"].get<std::int64_t>()));
  ASSERT_EQ(after["alerts"].size(), 1u);
  EXPECT_EQ(after["alerts"][0]["id"], expected[0]["id"]);
}

TEST_F(DashboardTest, StatusCountsBalanceAndAgreeWithHealth) {
  auto d = Open();
  const Micros now = NowMicros();
  const json doc = Doc(d->Status(now, std::nullopt));
  const json health = Health();
  ASSERT_TRUE(health.is_object());
  EXPECT_EQ(doc["ms"], now / 1000);
  EXPECT_EQ(doc["time"], FormatCanonical(now));
  const json& ingest = doc["ingest"];
  EXPECT_EQ(ingest["received"], 3000 + 30 + 3);
  EXPECT_EQ(ingest["accepted"], 3000 + 30);
  EXPECT_EQ(ingest["rejected_total"], 3);
  EXPECT_EQ(
      ingest["received"].get<std::uint64_t>(),
      ingest["accepted"].get<std::uint64_t>() + ingest["rejected_total"].get<std::uint64_t>());
  EXPECT_EQ(ingest["rejected"], health["ingest"]["rejected"]);
  EXPECT_EQ(ingest["rejected"],
            json({{"malformed_json", 1}, {"missing_symbol", 1}, {"price_not_positive", 1}}));
  EXPECT_TRUE(ingest["records_per_second"].is_null());
  EXPECT_EQ(doc["stream"]["shards"], 4);
  EXPECT_EQ(doc["stream"]["lag_records"], health["stream"]["lag_records"]);
  EXPECT_EQ(doc["stream"]["lag_records"], 0);
  EXPECT_EQ(doc["stream"]["last_put"], health["stream"]["last_put"]);

  auto db = Sql("clean.db");
  auto rows = Prep(*db, "SELECT COUNT(*), COUNT(DISTINCT symbol) FROM ticks");
  ASSERT_EQ(rows.Step(), SQLITE_ROW);
  EXPECT_EQ(doc["clean"]["rows"], rows.Int(0));
  EXPECT_EQ(doc["clean"]["symbols"], rows.Int(1));
  EXPECT_EQ(doc["trends"]["last_run"], health["last_trends_run"]);
  EXPECT_GE(doc["trends"]["last_run"]["alerts_count"].get<int>(), 1) << "RISE:SELL at least";
  EXPECT_EQ(doc["watchdog"], json({{"state", "not_started"}, {"since", nullptr}}));

  // The channels exactly as `health --json` prints them (its seconds are rounded to the ms).
  ASSERT_EQ(doc["alerts"].size(), health["alerts"].size());
  ASSERT_EQ(doc["alerts"].size(), 3u);
  for (std::size_t i = 0; i < doc["alerts"].size(); ++i) {
    json ours = doc["alerts"][i];
    json theirs = health["alerts"][i];
    EXPECT_NEAR(ours["oldest_pending_seconds"].get<double>(),
                theirs["oldest_pending_seconds"].get<double>(), 30.0);
    ours.erase("oldest_pending_seconds");
    theirs.erase("oldest_pending_seconds");
    EXPECT_EQ(ours, theirs);
    std::vector<std::string> keys, health_keys;
    for (auto& [k, v] : doc["alerts"][i].items()) keys.push_back(k);
    for (auto& [k, v] : health["alerts"][i].items()) health_keys.push_back(k);
    EXPECT_EQ(keys, health_keys) << "same fields";
  }
  EXPECT_EQ(doc["alerts"][2]["channel"], "webhook");
  EXPECT_EQ(doc["alerts"][2]["state"], "failing");
  EXPECT_EQ(doc["alerts"][2]["pending"], 2);
}

TEST_F(DashboardTest, RecordsPerSecondComesFromTheEarlierSample) {
  auto d = Open();
  const Micros now = NowMicros();
  const auto sample = d->Sample(now);
  ASSERT_TRUE(std::holds_alternative<serve::IngestSample>(sample));
  const auto& s = std::get<serve::IngestSample>(sample);
  EXPECT_EQ(s.at, now);
  EXPECT_EQ(s.received, 3033u);
  const serve::IngestSample earlier{now - 4'000'000, s.received - 200};
  EXPECT_DOUBLE_EQ(Doc(d->Status(now, earlier))["ingest"]["records_per_second"].get<double>(),
                   50.0);
  EXPECT_TRUE(
      Doc(d->Status(now, serve::IngestSample{now, 0}))["ingest"]["records_per_second"].is_null())
      << "no time passed";
}

TEST_F(DashboardTest, WatchdogStateIsReadFromTheStateStore) {
  testing::TempDir other;
  Config c;
  c.data_dir = other.str();
  auto state = SqliteStateStore::Open(other.str() + "/state.db");
  ASSERT_TRUE(state.ok());
  const Micros at = 1'764'081'000'000'000;
  ASSERT_TRUE((*state)->Put(kWatchdogKey, "alarm " + FormatCanonical(at)).ok());
  auto d = Open(c);
  EXPECT_EQ(Doc(d->Status(NowMicros(), std::nullopt))["watchdog"],
            json({{"state", "alarm"}, {"since", FormatCanonical(at)}}));
  const json metrics =
      ParsePrometheus(std::get<std::string>(d->Metrics(NowMicros())), other.path());
  EXPECT_EQ(SampleOf(metrics, "stockpipe_watchdog_alarm"), 1);
  ASSERT_TRUE((*state)->Put(kWatchdogKey, "ok " + FormatCanonical(at + 5)).ok());
  EXPECT_EQ(Doc(d->Status(NowMicros(), std::nullopt))["watchdog"]["state"], "ok");
}

TEST_F(DashboardTest, MetricsParseAndEqualTheStatusNumbers) {
  auto d = Open();
  const Micros now = NowMicros();
  const std::string text = std::get<std::string>(d->Metrics(now));
  const json status = Doc(d->Status(now, std::nullopt));
  EXPECT_EQ(text.find("stockpipe_http_requests_total"), std::string::npos)
      << "the HTTP layer adds its own family";
  // HELP and TYPE once per family; counters end in _total.
  std::map<std::string, int> helps, types;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# HELP ")) ++helps[line.substr(7, line.find(' ', 7) - 7)];
    if (line.starts_with("# TYPE ")) {
      const std::string rest = line.substr(7);
      const std::string name = rest.substr(0, rest.find(' '));
      ++types[name];
      if (rest.ends_with(" counter")) EXPECT_TRUE(name.ends_with("_total")) << name;
    }
  }
  EXPECT_EQ(helps.size(), 14u);
  for (const auto& [name, n] : helps) EXPECT_EQ(n, 1) << name;
  for (const auto& [name, n] : types) EXPECT_EQ(n, 1) << name;

  const json m = ParsePrometheus(text, dir_->path());
  ASSERT_EQ(m.size(), 14u);
  const json& ingest = status["ingest"];
  EXPECT_EQ(SampleOf(m, "stockpipe_ingest_records_received_total"), ingest["received"]);
  EXPECT_EQ(SampleOf(m, "stockpipe_ingest_records_accepted_total"), ingest["accepted"]);
  EXPECT_EQ(Family(m, "stockpipe_ingest_records_rejected_total")->at("metrics").size(),
            static_cast<std::size_t>(kRejectReasonCount));
  EXPECT_EQ(Family(m, "stockpipe_ingest_members_ignored_total")->at("metrics").size(),
            static_cast<std::size_t>(kIgnoredFieldCount));
  for (int i = 0; i < kRejectReasonCount; ++i) {
    const std::string reason(ReasonCode(static_cast<RejectReason>(i)));
    EXPECT_EQ(SampleOf(m, "stockpipe_ingest_records_rejected_total", "reason", reason),
              ingest["rejected"].value(reason, 0))
        << reason;
  }
  EXPECT_EQ(SampleOf(m, "stockpipe_stream_lag_records"), status["stream"]["lag_records"]);
  EXPECT_EQ(SampleOf(m, "stockpipe_stream_last_put_timestamp_seconds"),
            *ParseTimestampText(status["stream"]["last_put"].get<std::string>()) / 1e6);
  const json symbols = Doc(d->Symbols());
  double rows = 0;
  for (const json& s : symbols["symbols"]) {
    const std::string symbol = s["symbol"];
    EXPECT_EQ(SampleOf(m, "stockpipe_clean_rows", "symbol", symbol), s["rows"]);
    EXPECT_EQ(SampleOf(m, "stockpipe_clean_newest_timestamp_seconds", "symbol", symbol),
              *ParseTimestampText(s["newest"].get<std::string>()) / 1e6);
    rows += SampleOf(m, "stockpipe_clean_rows", "symbol", symbol);
  }
  EXPECT_EQ(rows, status["clean"]["rows"]);
  EXPECT_EQ(SampleOf(m, "stockpipe_trends_last_run_timestamp_seconds"),
            *ParseTimestampText(status["trends"]["last_run"]["at"].get<std::string>()) / 1e6);
  EXPECT_EQ(SampleOf(m, "stockpipe_watchdog_alarm"), 0);
  for (const json& c : status["alerts"]) {
    const std::string channel = c["channel"];
    EXPECT_EQ(SampleOf(m, "stockpipe_alerts_delivered_total", "channel", channel), c["delivered"]);
    EXPECT_EQ(SampleOf(m, "stockpipe_alerts_pending", "channel", channel), c["pending"]);
    EXPECT_EQ(SampleOf(m, "stockpipe_alerts_channel_failing", "channel", channel),
              c["state"] == "failing" ? 1 : 0);
  }
}

TEST_F(DashboardTest, LabelValuesAreEscaped) {
  serve::StatusNumbers n;
  n.channels.emplace_back();
  n.channels.back().channel = "back\\slash \"quoted\"\nnext line";
  n.channels.back().pending = 7;
  const std::string text = serve::PrometheusText(n);
  EXPECT_NE(text.find(R"(channel="back\\slash \"quoted\"\nnext line")"), std::string::npos) << text;
  const json m = ParsePrometheus(text, dir_->path());
  EXPECT_EQ(SampleOf(m, "stockpipe_alerts_pending", "channel", n.channels.back().channel), 7);
}

TEST_F(DashboardTest, LookChangesWhenANewPointOrAlertArrives) {
  auto d = Open();
  const auto look = d->Look();
  ASSERT_TRUE(std::holds_alternative<Dashboard::Fingerprint>(look));
  const auto& f = std::get<Dashboard::Fingerprint>(look);
  const json symbols = Doc(d->Symbols());
  ASSERT_EQ(f.newest_by_symbol.size(), symbols["symbols"].size());
  for (std::size_t i = 0; i < f.newest_by_symbol.size(); ++i) {
    EXPECT_EQ(f.newest_by_symbol[i].first, symbols["symbols"][i]["symbol"]);
    EXPECT_EQ(FormatCanonical(f.newest_by_symbol[i].second), symbols["symbols"][i]["newest"]);
  }
  const json alerts = Doc(d->Alerts(1, std::nullopt));
  EXPECT_EQ(f.newest_alert_id, alerts["alerts"][0]["id"]);
}

TEST_F(DashboardTest, AnOpenDashboardSeesWhatThePipelineWritesLater) {
  testing::TempDir other;
  Config c;
  c.data_dir = (other.path() / "data").string();
  auto d = Open(c);
  const auto empty = std::get<Dashboard::Fingerprint>(d->Look());
  EXPECT_TRUE(empty.newest_by_symbol.empty());
  const auto cli = [&](std::vector<std::string> args, std::string in = "") {
    args.insert(args.begin(), {"--data-dir", c.data_dir});
    return testing::RunStockpipe(args, {.cwd = other.path(), .stdin_text = std::move(in)});
  };
  ASSERT_EQ(cli({"produce", "file", "-"},
                R"({"symbol":"AAPL","timestamp":"2026-01-05T10:00:00Z","price":10})"
                "\n")
                .exit_code,
            0);
  ASSERT_EQ(cli({"ingest", "--once"}).exit_code, 0);
  const auto first = std::get<Dashboard::Fingerprint>(d->Look());
  ASSERT_EQ(first.newest_by_symbol.size(), 1u);
  EXPECT_EQ(FormatCanonical(first.newest_by_symbol[0].second), "2026-01-05T10:00:00.000000Z");
  ASSERT_EQ(cli({"produce", "file", "-"},
                R"({"symbol":"AAPL","timestamp":"2026-01-05T10:00:01Z","price":11})"
                "\n")
                .exit_code,
            0);
  ASSERT_EQ(cli({"ingest", "--once"}).exit_code, 0);
  const auto second = std::get<Dashboard::Fingerprint>(d->Look());
  EXPECT_EQ(FormatCanonical(second.newest_by_symbol[0].second), "2026-01-05T10:00:01.000000Z");
  EXPECT_EQ(Doc(d->Series({.symbol = "AAPL"}))["points"].size(), 2u);
}

TEST_F(DashboardTest, AMissingDataFolderGivesEmptyDocumentsAndIsNotCreated) {
  testing::TempDir other;
  Config c;
  c.data_dir = (other.path() / "not-yet").string();
  auto d = Open(c);
  EXPECT_EQ(Doc(d->Symbols()), json({{"symbols", json::array()}}));
  EXPECT_EQ(Doc(d->Alerts(50, std::nullopt)), json({{"alerts", json::array()}}));
  EXPECT_EQ(Err(d->Series({.symbol = "AAPL"})).code, "unknown_symbol");
  const json status = Doc(d->Status(NowMicros(), std::nullopt));
  EXPECT_EQ(status["stream"]["shards"], 0);
  EXPECT_EQ(status["ingest"]["received"], 0);
  EXPECT_EQ(status["clean"], json({{"rows", 0}, {"symbols", 0}}));
  EXPECT_TRUE(status["trends"]["last_run"].is_null());
  EXPECT_EQ(status["watchdog"]["state"], "not_started");
  ASSERT_EQ(status["alerts"].size(), 2u) << "console and log, configured, nothing sent";
  EXPECT_EQ(status["alerts"][0]["delivered"], 0);
  const json m = ParsePrometheus(std::get<std::string>(d->Metrics(NowMicros())), other.path());
  EXPECT_EQ(m.size(), 14u);
  EXPECT_EQ(SampleOf(m, "stockpipe_ingest_records_received_total"), 0);
  const auto look = std::get<Dashboard::Fingerprint>(d->Look());
  EXPECT_TRUE(look.newest_by_symbol.empty());
  EXPECT_EQ(look.newest_alert_id, 0);
  EXPECT_FALSE(std::filesystem::exists(c.data_dir));
}

TEST_F(DashboardTest, ReadingChangesNoFileOfTheDataFolder) {
  const auto snapshot = [] {
    std::map<std::string, std::string> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(data())) {
      const std::string name = e.path().filename().string();
      // SQLite's shared-memory index is rebuilt by any reader; it holds no data.
      if (e.is_regular_file() && !name.ends_with("-shm"))
        files[e.path().string()] = Slurp(e.path());
    }
    return files;
  };
  const auto before = snapshot();
  {
    auto d = Open();
    const Micros now = NowMicros();
    Doc(d->Symbols());
    Doc(d->Series({.symbol = "AAPL"}));
    Doc(d->Alerts(50, std::nullopt));
    Doc(d->Status(now, std::nullopt));
    EXPECT_TRUE(std::holds_alternative<std::string>(d->Metrics(now)));
    EXPECT_TRUE(std::holds_alternative<Dashboard::Fingerprint>(d->Look()));
  }
  auto after = snapshot();
  // An empty -wal a reader opened where none was is no change of content.
  std::erase_if(after, [&](const auto& f) {
    return f.first.ends_with("-wal") && f.second.empty() && !before.contains(f.first);
  });
  EXPECT_EQ(before.size(), after.size());
  for (const auto& [path, bytes] : before) {
    ASSERT_TRUE(after.contains(path)) << path;
    EXPECT_TRUE(after[path] == bytes) << path << " changed";
  }
}

TEST_F(DashboardTest, AWalACrashedWriterLeftIsReadAndLeftAsItWas) {
  testing::TempDir other;
  const std::string dir = other.str();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Writes through the real stores and dies without closing them, as a killed pipeline does:
    // the new rows stay in the -wal files, not yet in the databases.
    auto store = SqliteCleanStore::Open(dir + "/clean.db");
    const std::vector<Tick> ticks = {{"AAPL", 1'764'081'000'000'000, 10.5, ""}};
    ConsoleNotifier console;
    OutboxOptions options;
    options.path = dir + "/outbox.db";
    auto outbox = Outbox::Open(options, {&console});
    const bool ok =
        store.ok() && (*store)->Upsert(ticks).ok() && outbox.ok() &&
        (*outbox)->Enqueue({MessageKind::kSignals, "Alerts: AAPL:BUY", "body", 1}, 2).ok();
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (const char* wal : {"/clean.db-wal", "/outbox.db-wal"}) {
    ASSERT_GT(std::filesystem::file_size(dir + wal), 0u) << wal << ": the crash left no WAL";
  }
  const auto snapshot = [&] {
    std::map<std::string, std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (!e.path().string().ends_with("-shm")) files[e.path().string()] = Slurp(e.path());
    }
    return files;
  };
  const auto before = snapshot();
  {
    Config c;
    c.data_dir = dir;
    auto d = Open(c);
    // Status first: nothing else of this dashboard holds the outbox open yet.
    const json status = Doc(d->Status(NowMicros(), std::nullopt));
    EXPECT_EQ(status["alerts"][0]["pending"], 1);
    EXPECT_EQ(Doc(d->Series({.symbol = "AAPL"}))["points"], json::parse("[[1764081000000,10.5]]"));
    const json alerts = Doc(d->Alerts(50, std::nullopt));
    ASSERT_EQ(alerts["alerts"].size(), 1u);
    EXPECT_EQ(alerts["alerts"][0]["deliveries"],
              json::parse(R"([{"channel":"console","state":"pending","attempts":0}])"));
    EXPECT_TRUE(std::holds_alternative<std::string>(d->Metrics(NowMicros())));
  }
  const auto after = snapshot();
  EXPECT_EQ(before.size(), after.size());
  for (const auto& [path, bytes] : before) {
    EXPECT_TRUE(after.contains(path) && after.at(path) == bytes) << path << " changed";
  }
}

TEST_F(DashboardTest, CallsFromSeveralThreadsAreSerialised) {
  auto d = Open();
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const auto r = t % 2 ? d->Series({.symbol = "AAPL", .limit = 100})
                             : d->Status(NowMicros(), std::nullopt);
        if (const auto* s = std::get_if<std::string>(&r);
            s && !json::parse(*s, nullptr, false).is_discarded()) {
          ++good;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 40);
}

}  // namespace
}  // namespace stockpipe
