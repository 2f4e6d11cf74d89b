// A user who kept only the `StockCleanedData` table the reference pipeline's ingest filled
// (dynalite; items {symbol S, timestamp S, price N or S, extras}: timestamps in mixed forms,
// prices the old code never checked, no stockpipe registry, no state table), through the binary:
//  - `stockpipe trends` and `stockpipe ingest` name the missing state table and what to do;
//  - `stockpipe init --store dynamodb` creates it (and says so), then is a no-op;
//  - `stockpipe trends` finds every symbol (one scan, with a warning, once) and sends the alerts
//    the rule gives on each symbol's cleaned, time-ordered series, in the reference's text;
//  - `stockpipe migrate dynamodb` rewrites the table to stockpipe's form (bad items reported and
//    left), after which trends sends the same alerts, backtest reads every symbol and the dashboard
//    over AWS (`serve --store dynamodb`) shows the series.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <nlohmann/json.hpp>

#include "aws/client.h"
#include "core/timestamp.h"
#include "rules/alert_text.h"
#include "rules/pct_sma_rule.h"
#include "store/dynamodb/dynamodb_api.h"
#include "support/peers.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr Micros kT0 = 1'755'182'292'000'000;  // 2025-08-14T14:38:12Z
constexpr Micros kHalfSecond = 500'000;

// `t` in one of the forms the reference stored as sent ('+' < '.' < 'Z' within a second, and a
// naive one sorts before them all: text order is not time order there).
std::string ReferenceForm(Micros t, int form) {
  const std::string canonical = FormatCanonical(t);
  const std::string second = canonical.substr(0, 19);
  const bool whole = t % 1'000'000 == 0;
  switch (form % 4) {
    case 0:
      return second + (whole ? "" : ".5") + "Z";
    case 1:
      return second + (whole ? "" : ".500000") + "+00:00";
    case 2:
      return second + (whole ? "" : ".500");  // naive: UTC
    default:
      return canonical;
  }
}

struct Series {
  std::string symbol;
  double start, step;  // price of tick i: start * step^i
};

class ReferenceTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    aws::ClientOptions o;
    o.service = aws::kDynamoDb;
    o.region = "us-east-1";
    o.endpoint = dynamo_.endpoint();
    o.credentials = aws::StaticCredentials({"AKID", "SECRET", "", "test"});
    client_ = std::make_unique<aws::Client>(o);
    ASSERT_TRUE(dynamodb::EnsureTable(*client_, "StockCleanedData", "symbol", "timestamp").ok());
    env_ = {{"AWS_REGION", "us-east-1"},
            {"AWS_ACCESS_KEY_ID", "AKID"},
            {"AWS_SECRET_ACCESS_KEY", "SECRET"},
            {"AWS_ENDPOINT_URL_DYNAMODB", dynamo_.endpoint()},
            {"STOCKPIPE_STORE", "dynamodb"},
            {"DYNAMODB_TABLE", "StockCleanedData"},
            {"ALERT_LANG", "en"},
            {"COOLDOWN_MIN", "0"},
            {"STOCKPIPE_DATA_DIR", (dir_.path() / "data").string()}};
  }

  void Put(const std::string& symbol, const std::string& timestamp, const json& price) {
    json item = {{"symbol", {{"S", symbol}}},
                 {"timestamp", {{"S", timestamp}}},
                 {"currency", {{"S", "USD"}}}};
    if (!price.is_null()) item["price"] = price;
    auto put = dynamodb::Call(*client_, "PutItem",
                              json{{"TableName", "StockCleanedData"}, {"Item", item}});
    ASSERT_TRUE(put) << put.error();
  }

  // 40 ticks per symbol, two a second in rotating forms; prices as numbers or numeric strings.
  // Returns each symbol's clean series oldest first.
  std::map<std::string, std::vector<double>> Fill(const std::vector<Series>& all) {
    std::map<std::string, std::vector<double>> clean;
    for (const Series& s : all) {
      double price = s.start;
      for (int i = 0; i < 40; ++i) {
        const std::string text = fmt::format("{:.4f}", price);
        Put(s.symbol, ReferenceForm(kT0 + i * kHalfSecond, i),
            i % 3 == 0 ? json{{"S", text}} : json{{"N", text}});
        clean[s.symbol].push_back(std::stod(text));
        price *= s.step;
      }
    }
    return clean;
  }

  testing::ProcessResult Run(const std::vector<std::string>& args) {
    return testing::RunStockpipe(args, {dir_.path(), "", {}, env_});
  }

  testing::TempDir dir_;
  testing::Peer dynamo_{"dynalite"};
  std::unique_ptr<aws::Client> client_;
  std::map<std::string, std::string> env_;
};

TEST_F(ReferenceTableTest, TrendsFindsTheSymbolsAndSendsTheReferenceAlerts) {
  const auto clean = Fill({{"AAPL", 200, 1.01},
                           {"MSFT", 400, 0.99},
                           {"TSLA", 300, 0.985},
                           {"KO", 60, 1.0},
                           {"NVDA", 120, 1.0}});
  // What the old code stored unchecked, newest of all by time and by text: a rule fed these
  // would see NVDA fall to nothing and KO soar.
  Put("NVDA", FormatCanonical(kT0 + 41 * kHalfSecond), {{"N", "-1"}});
  Put("NVDA", ReferenceForm(kT0 + 42 * kHalfSecond, 0), {{"N", "0"}});
  Put("KO", FormatCanonical(kT0 + 41 * kHalfSecond), {{"S", "n/a"}});
  Put("KO", ReferenceForm(kT0 + 43 * kHalfSecond, 1), json());

  // 1. No state table: both commands name it and say what to do.
  const auto trends = Run({"trends", "--once"});
  EXPECT_EQ(trends.exit_code, 1) << trends.err;
  EXPECT_THAT(trends.err, HasSubstr("DynamoDB table stockpipe-state (the state table) does not "
                                    "exist in region us-east-1: create it with `stockpipe init "
                                    "--store dynamodb`"));
  testing::WriteFile(dir_.path() / "one.jsonl",
                     R"({"symbol":"AMD","timestamp":"2025-08-14T14:40:00Z","price":150})"
                     "\n");
  ASSERT_EQ(Run({"produce", "file", (dir_.path() / "one.jsonl").string()}).exit_code, 0);
  const auto ingest = Run({"ingest", "--once"});
  EXPECT_EQ(ingest.exit_code, 1) << ingest.err;
  EXPECT_THAT(ingest.err, HasSubstr("DynamoDB table stockpipe-state (the state table) does not "
                                    "exist"));
  EXPECT_THAT(ingest.err, HasSubstr("stockpipe init --store dynamodb"));

  // 2. init creates the candles and state tables only (the tick table exists), says the bars of
  // the ticks already there are made by a rebuild, then has nothing to do.
  const auto init = Run({"init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_EQ(init.out,
            "created DynamoDB table stockpipe-candles (candles: series S hash key, start S range "
            "key)\n"
            "created DynamoDB table stockpipe-state (state: pk S hash key, sk S range key)\n");
  EXPECT_THAT(init.err, HasSubstr("run `stockpipe candles rebuild`"));
  const auto again = Run({"init", "--store", "dynamodb"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out,
            "nothing to create: DynamoDB tables StockCleanedData, stockpipe-candles and "
            "stockpipe-state exist\n");

  // 3. trends: every symbol, from one scan (said once), the rule on the clean series.
  const auto first = Run({"trends", "--once"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.err, HasSubstr("rebuilt the registry"));
  EXPECT_THAT(first.err, HasSubstr("trends run symbols_checked=5 alerts=3 "));
  EXPECT_THAT(first.err, HasSubstr("NVDA: 2 items not read as points (2 price is not a positive "
                                   "number)"));
  EXPECT_THAT(first.err,
              HasSubstr("KO: 2 items not read as points (1 no price, 1 price is not a number)"));

  const rules::PctSmaRule rule(PctSmaParams{});
  std::vector<Alert> expected;
  for (const auto& [symbol, prices] : clean) {  // sorted, as the reference hands them over
    const rules::Decision d = rule.Evaluate(prices);
    if (d.action) expected.push_back({symbol, &rule, d});
  }
  ASSERT_EQ(expected.size(), 3u);
  const std::string log = testing::ReadFile(dir_.path() / "data" / "alerts.jsonl");
  const json sent = json::parse(log.substr(0, log.find('\n')));
  EXPECT_EQ(sent["subject"], AlertSubject(expected, Lang::kEn));
  EXPECT_EQ(sent["subject"], "Alerts: AAPL:SELL, Alerts: MSFT:BUY, Alerts: TSLA:BUY");
  std::string body = sent["body"];
  for (std::size_t at = 0; (at = body.find("\n⏰ ")) != std::string::npos;) {
    body.erase(at, body.find('\n', at + 1) - at);
  }
  std::string want;
  for (const Alert& a : expected) want += (want.empty() ? "" : "\n\n") + AlertBody(a, Lang::kEn);
  EXPECT_EQ(body, want);

  // Later runs read the registry the first one rebuilt.
  const auto second = Run({"trends", "--once"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err, Not(HasSubstr("rebuilt the registry")));
  EXPECT_THAT(second.err, HasSubstr("trends run symbols_checked=5 alerts=3 "));
}

TEST_F(ReferenceTableTest, MigratedTableServesTrendsBacktestAndTheDashboard) {
  const auto clean = Fill({{"AAPL", 200, 1.01},
                           {"MSFT", 400, 0.99},
                           {"TSLA", 300, 0.985},
                           {"KO", 60, 1.0},
                           {"NVDA", 120, 1.0}});
  Put("NVDA", FormatCanonical(kT0 + 41 * kHalfSecond), {{"N", "-1"}});
  Put("KO", ReferenceForm(kT0 + 43 * kHalfSecond, 1), json());
  ASSERT_EQ(Run({"init"}).exit_code, 0);

  const std::string report = (dir_.path() / "report.jsonl").string();
  const auto migrated = Run({"migrate", "dynamodb", "--report", report});
  ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
  // 200 ticks, of which 30 canonical already (every 4th form, its price a number, not a string),
  // and 2 bad items; the store's one-time rebuild registers the 5 symbols.
  EXPECT_THAT(migrated.out, HasSubstr(" items scanned: 30 already canonical, 170 rewritten to "
                                      "canonical timestamps, 0 merged"));
  EXPECT_THAT(migrated.out, HasSubstr("2 bad (left in the table)"));
  EXPECT_THAT(migrated.out, HasSubstr("5 symbols registered; 2 items reported"));
  const std::string lines = testing::ReadFile(report);
  EXPECT_THAT(lines, HasSubstr(R"("reason":"price_not_positive")"));
  EXPECT_THAT(lines, HasSubstr(R"("reason":"invalid_price")"));

  // Every good item is canonical now; the bad ones are where they were.
  std::size_t canonical = 0, items = 0;
  json start;
  do {
    json scan = {{"TableName", "StockCleanedData"}};
    if (!start.is_null()) scan["ExclusiveStartKey"] = start;
    auto page = dynamodb::Call(*client_, "Scan", scan);
    ASSERT_TRUE(page) << page.error();
    for (const json& item : (*page)["Items"]) {
      ++items;
      const std::string t = item["timestamp"]["S"];
      if (t.size() == kCanonicalTimestampSize && FormatCanonical(*ParseTimestampText(t)) == t &&
          item.contains("price") && item["price"].contains("N")) {
        ++canonical;
        EXPECT_EQ(item["currency"]["S"], "USD") << "attributes kept";
      }
    }
    start = page->value("LastEvaluatedKey", json());
  } while (!start.is_null());
  EXPECT_EQ(items, 202u);
  EXPECT_EQ(canonical, 201u);  // and the NVDA -1: canonical in form, left as it was

  const auto trends = Run({"trends", "--once"});
  ASSERT_EQ(trends.exit_code, 0) << trends.err;
  EXPECT_THAT(trends.err, HasSubstr("trends run symbols_checked=5 alerts=3 "));
  EXPECT_THAT(trends.err, Not(HasSubstr("rebuilt the registry")));

  const auto backtest = Run({"backtest", "--format", "csv"});
  ASSERT_EQ(backtest.exit_code, 0) << backtest.err;
  for (const char* symbol : {"AAPL", "MSFT", "TSLA", "KO", "NVDA"}) {
    EXPECT_THAT(backtest.out, HasSubstr(symbol));
  }

  auto serve = testing::Start({"serve", "--http", "127.0.0.1:0"}, {dir_.path(), "", {}, env_});
  const int port = testing::WaitForDashboardPort(serve);
  ASSERT_GT(port, 0) << serve.StdErrSoFar();
  httplib::Client http("127.0.0.1", port);
  auto symbols = http.Get("/api/symbols");
  ASSERT_TRUE(symbols);
  ASSERT_EQ(symbols->status, 200) << symbols->body;
  EXPECT_EQ(json::parse(symbols->body)["symbols"].size(), 5u);
  auto series = http.Get("/api/series?symbol=AAPL");
  ASSERT_TRUE(series);
  ASSERT_EQ(series->status, 200) << series->body;
  const json points = json::parse(series->body)["points"];
  ASSERT_EQ(points.size(), clean.at("AAPL").size());
  EXPECT_EQ(points.back()[1].get<double>(), clean.at("AAPL").back());
  EXPECT_EQ(serve.Stop().exit_code, 0);
}

}  // namespace
}  // namespace stockpipe
