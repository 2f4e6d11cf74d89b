// The JSON API over HTTP (docs/dashboard.md), against a data folder the real pipeline wrote
// (synthetic ticks and a rising ZZUP series, ingested, one trends run), with the real server on
// 127.0.0.1:0 and httplib::Client. Numbers are cross-checked between endpoints and against the
// CLEAN store read on its own: what one endpoint says, another (or the store) must agree with.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "serve/http_fixture.h"
#include "store/sqlite/sqlite_clean_store.h"

namespace stockpipe {
namespace {

using testing::Body;
using testing::json;

class HttpApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { data_ = new testing::PipelineData(); }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }

  void SetUp() override {
    server_ = testing::StartServer(data_->MakeConfig());
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  // Checks an error answer: status, JSON content type, the error word; returns the message.
  std::string ExpectError(const httplib::Result& r, int status, const std::string& error) {
    if (!r) {
      ADD_FAILURE() << "no answer";
      return "";
    }
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    const json doc = Body(r);
    EXPECT_EQ(doc.value("error", ""), error) << r->body;
    EXPECT_FALSE(doc.value("message", "").empty()) << r->body;
    return doc.value("message", "");
  }

  std::uint64_t CleanRows(const std::string& symbol) {
    auto store = SqliteCleanStore::Open(data_->data() + "/clean.db");
    EXPECT_TRUE(store.ok()) << store.error();
    auto points = (*store)->LastN(symbol, 1'000'000);
    EXPECT_TRUE(points.ok());
    return points.ok() ? points->size() : 0;
  }

  static testing::PipelineData* data_;
  std::unique_ptr<serve::HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

testing::PipelineData* HttpApiTest::data_ = nullptr;

TEST_F(HttpApiTest, SymbolsListsEverySymbolInCleanWithItsRowCount) {
  auto r = client_->Get("/api/symbols");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  const json doc = Body(r);
  ASSERT_TRUE(doc["symbols"].is_array());
  std::vector<std::string> names;
  for (const json& s : doc["symbols"]) {
    names.push_back(s.value("symbol", ""));
    EXPECT_EQ(s.value("rows", std::uint64_t{0}), CleanRows(names.back())) << names.back();
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), "ZZUP"), names.end());
  EXPECT_GE(names.size(), 2u) << "synthetic symbols and ZZUP";
}

TEST_F(HttpApiTest, SeriesGivesPointsSmaAndTheRisingSeriesSellSignals) {
  const json doc = Body(client_->Get("/api/series?symbol=ZZUP"));
  EXPECT_EQ(doc.value("symbol", ""), "ZZUP");
  ASSERT_EQ(doc["points"].size(), 60u);
  const int window = doc.value("sma_window", 0);
  ASSERT_GT(window, 0);
  EXPECT_EQ(doc["sma"].size(), 60u - static_cast<std::size_t>(window) + 1);
  // Points are oldest first, each [ms, price], and the series rises.
  for (std::size_t i = 1; i < doc["points"].size(); ++i) {
    EXPECT_GT(doc["points"][i][0].get<std::int64_t>(), doc["points"][i - 1][0].get<std::int64_t>());
    EXPECT_GT(doc["points"][i][1].get<double>(), doc["points"][i - 1][1].get<double>());
  }
  ASSERT_FALSE(doc["signals"].empty());
  bool alerted = false;
  for (const json& s : doc["signals"]) {
    EXPECT_EQ(s.value("action", ""), "SELL") << s.dump();
    alerted = alerted || s.value("alerted", false);
  }
  EXPECT_TRUE(alerted) << "the trends run alerted ZZUP:SELL";

  // A range: the points within it only, bounds inclusive, ISO and epoch ms alike.
  const std::int64_t from = doc["points"][10][0], to = doc["points"][19][0];
  const json range =
      Body(client_->Get(fmt::format("/api/series?symbol=ZZUP&from={}&to={}", from, to)));
  ASSERT_EQ(range["points"].size(), 10u);
  EXPECT_EQ(range["points"][0][0].get<std::int64_t>(), from);
  const json iso = Body(client_->Get(
      fmt::format("/api/series?symbol=ZZUP&from={}&to={}",
                  httplib::detail::encode_query_param(FormatCanonical(from * 1000)), to)));
  EXPECT_EQ(iso["points"], range["points"]);
  const json limited = Body(client_->Get("/api/series?symbol=ZZUP&limit=5"));
  EXPECT_EQ(limited["points"].size(), 5u);
  EXPECT_TRUE(limited.value("truncated", false));
}

TEST_F(HttpApiTest, AlertsAndStatusAgreeWithTheStoresAndEachOther) {
  const json alerts = Body(client_->Get("/api/alerts"));
  ASSERT_FALSE(alerts["alerts"].empty());
  const json& newest = alerts["alerts"][0];
  EXPECT_NE(newest.value("subject", "").find("ZZUP"), std::string::npos) << newest.dump();
  EXPECT_FALSE(newest["deliveries"].empty());
  // after= the newest id: nothing newer.
  const json none =
      Body(client_->Get(fmt::format("/api/alerts?after={}", newest.value("id", std::int64_t{0}))));
  EXPECT_TRUE(none["alerts"].empty()) << none.dump();

  auto r = client_->Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  const json status = Body(r);
  std::uint64_t rows = 0;
  const json symbols = Body(client_->Get("/api/symbols"));
  for (const json& s : symbols["symbols"]) rows += s.value("rows", std::uint64_t{0});
  EXPECT_EQ(status["clean"].value("rows", std::uint64_t{0}), rows);
  EXPECT_EQ(status["ingest"].value("received", 0), 660) << "600 synthetic + 60 ZZUP";
  EXPECT_EQ(status["stream"].value("lag_records", -1), 0);
  EXPECT_TRUE(status["trends"]["last_run"].is_object());
}

TEST_F(HttpApiTest, QueryAnswersByGetAndPostWithTheRowCap) {
  const std::string sql =
      "SELECT symbol, count(*) AS n FROM clean.ticks GROUP BY symbol ORDER BY symbol";
  const json got = Body(client_->Get("/api/query?sql=" + httplib::detail::encode_query_param(sql)));
  EXPECT_EQ(got["columns"], json({"symbol", "n"}));
  EXPECT_FALSE(got.value("truncated", true));
  for (const json& row : got["rows"]) {
    EXPECT_EQ(row[1].get<std::uint64_t>(), CleanRows(row[0].get<std::string>())) << row.dump();
  }
  auto posted = client_->Post("/api/query", json({{"sql", sql}}).dump(), "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 200);
  EXPECT_EQ(Body(posted)["rows"], got["rows"]);

  const json capped = Body(
      client_->Post("/api/query", json({{"sql", "SELECT * FROM clean.ticks"}, {"limit", 7}}).dump(),
                    "application/json"));
  EXPECT_EQ(capped["rows"].size(), 7u);
  EXPECT_EQ(capped.value("row_count", 0), 7);
  EXPECT_TRUE(capped.value("truncated", false));
}

TEST_F(HttpApiTest, BadParametersAreJson4xxNamingTheParameter) {
  EXPECT_NE(ExpectError(client_->Get("/api/series"), 400, "bad_request").find("symbol"),
            std::string::npos);
  EXPECT_NE(ExpectError(client_->Get("/api/series?symbol=ZZUP&from=yesterday"), 400, "bad_request")
                .find("from: not a time: \"yesterday\""),
            std::string::npos);
  EXPECT_NE(ExpectError(client_->Get("/api/series?symbol=ZZUP&limit=0"), 400, "bad_request")
                .find("limit"),
            std::string::npos);
  ExpectError(client_->Get("/api/series?symbol=ZZUP&from=2026-02-01&to=2026-01-01"), 400,
              "bad_request");
  ExpectError(client_->Get("/api/alerts?limit=501"), 400, "bad_request");
  ExpectError(client_->Get("/api/series?symbol=NOSUCH"), 404, "unknown_symbol");
  ExpectError(client_->Get("/no/such/path"), 404, "not_found");
  ExpectError(client_->Get("/assets/nothing.js"), 404, "not_found");
  auto del = client_->Delete("/api/status");
  ExpectError(del, 405, "method_not_allowed");
  EXPECT_EQ(del->get_header_value("Allow"), "GET, HEAD");
  ExpectError(client_->Post("/api/status", "{}", "application/json"), 405, "method_not_allowed");
  ExpectError(client_->Get("/api/query"), 400, "bad_request");
  ExpectError(client_->Post("/api/query", "not json", "application/json"), 400, "bad_request");
}

TEST_F(HttpApiTest, SqlThatWritesIsRefusedAndChangesNothing) {
  const std::uint64_t before = CleanRows("ZZUP");
  ASSERT_EQ(before, 60u);
  for (const char* sql : {"DELETE FROM clean.ticks", "DROP TABLE clean.ticks",
                          "UPDATE clean.ticks SET price = 0", "ATTACH DATABASE 'x.db' AS x"}) {
    SCOPED_TRACE(sql);
    ExpectError(client_->Post("/api/query", json({{"sql", sql}}).dump(), "application/json"), 403,
                "read_only");
  }
  EXPECT_EQ(CleanRows("ZZUP"), before);
  EXPECT_FALSE(std::filesystem::exists(data_->dir() / "x.db"));
}

TEST_F(HttpApiTest, SqlErrorsKeepSqlitesWords) {
  const std::string syntax =
      ExpectError(client_->Get("/api/query?sql=SELEC%201"), 400, "invalid_sql");
  EXPECT_NE(syntax.find("syntax error"), std::string::npos) << syntax;
  const std::string table =
      ExpectError(client_->Get("/api/query?sql=SELECT%20*%20FROM%20nosuch"), 400, "invalid_sql");
  EXPECT_NE(table.find("no such table"), std::string::npos) << table;
}

TEST_F(HttpApiTest, QueryPastTheTimeLimitIs408) {
  Config config = data_->MakeConfig();
  config.serve.query_timeout = 200'000;  // 0.2 s
  auto server = testing::StartServer(config);
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  // Counts forever: only the time limit ends it.
  const std::string sql =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
  const auto started = std::chrono::steady_clock::now();
  ExpectError(client.Post("/api/query", json({{"sql", sql}}).dump(), "application/json"), 408,
              "query_timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(HttpApiTest, BodyOver64KiBIs413) {
  const std::string sql = "SELECT '" + std::string(70 * 1024, 'x') + "'";
  ExpectError(client_->Post("/api/query", json({{"sql", sql}}).dump(), "application/json"), 413,
              "too_large");
  // Just under the cap still runs.
  const std::string fits = "SELECT '" + std::string(60 * 1024, 'x') + "' AS s";
  auto r = client_->Post("/api/query", json({{"sql", fits}}).dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body.substr(0, 300);
}

TEST_F(HttpApiTest, MetricsCountRequestsByRouteAndCode) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(client_->Get("/api/symbols")->status, 200);
  ASSERT_EQ(client_->Get("/nope")->status, 404);
  ASSERT_EQ(client_->Get("/api/series")->status, 400);
  auto r = client_->Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = r->body;
  EXPECT_NE(text.find("stockpipe_http_requests_total{path=\"/api/symbols\",code=\"200\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("stockpipe_http_requests_total{path=\"other\",code=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("stockpipe_http_requests_total{path=\"/api/series\",code=\"400\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE stockpipe_http_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("stockpipe_ingest_records_received_total"), std::string::npos);
}

TEST_F(HttpApiTest, PageAndAssetsAreTheEmbeddedFilesWithCspAndTypes) {
  const std::filesystem::path web =
      std::filesystem::path(STOCKPIPE_FIXTURES) / ".." / ".." / "src" / "serve" / "web";
  const struct {
    const char* path;
    const char* file;
    const char* type;
  } cases[] = {{"/", "index.html", "text/html; charset=utf-8"},
               {"/assets/app.js", "app.js", "text/javascript; charset=utf-8"},
               {"/assets/candles.js", "candles.js", "text/javascript; charset=utf-8"},
               {"/assets/style.css", "style.css", "text/css; charset=utf-8"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    auto r = client_->Get(c.path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->get_header_value("Content-Type"), c.type);
    EXPECT_EQ(r->get_header_value("Content-Security-Policy"), "default-src 'self'");
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache");
    // The bytes built in are the source file's (the build re-embeds it when it changes).
    EXPECT_EQ(r->body, testing::ReadFile(web / c.file));
    const std::string etag = r->get_header_value("ETag");
    ASSERT_FALSE(etag.empty());
    auto again = client_->Get(c.path, {{"If-None-Match", etag}});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304);
    EXPECT_TRUE(again->body.empty());
  }
}

TEST_F(HttpApiTest, HealthzIsOk) {
  auto r = client_->Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), json({{"status", "ok"}}));
}

}  // namespace
}  // namespace stockpipe
