// The Athena query engine against an Athena that runs inside this test.
//
// Why a hand-written server: there is no Athena emulator among the test peers (see PEERS.md), and
// a mock of the engine's own calls would prove nothing about the wire. So `FakeAthena` below is a
// small HTTP server (cpp-httplib) that speaks the documented Athena JSON 1.1 protocol: it checks
// every request the way Athena would (X-Amz-Target, Content-Type, a SigV4 Authorization for the
// `athena` service, the body fields) and answers like Athena does: executions go QUEUED -> RUNNING
// -> SUCCEEDED over successive GetQueryExecution polls, results come in pages chained by
// NextToken with the column labels as the first row of a SELECT, starts are idempotent by
// ClientRequestToken, and throttled calls get 400 ThrottlingException. The engine goes through
// the real signed client (libcurl) to it.
#include "query/athena_query_engine.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <cmath>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "query/result_format.h"

namespace stockpipe {
namespace {

using nlohmann::json;
using Value = std::optional<std::string>;  // nullopt: Athena leaves VarCharValue out (NULL)

constexpr const char* kKey = "AKIDATHENATEST";
constexpr const char* kRegion = "eu-west-1";

// What one query does on the fake service.
struct Script {
  std::vector<std::string> states = {"QUEUED", "RUNNING", "SUCCEEDED"};  // per poll; last repeats
  std::string statement_type = "DML";
  std::string reason;            // StateChangeReason of a FAILED execution
  json columns = json::array();  // ColumnInfo
  std::vector<std::vector<Value>> rows;
  std::size_t page_size = 1000;
  std::uint64_t bytes_scanned = 0;
  std::string reject_at_start;  // an InvalidRequestException message from StartQueryExecution
};

struct Seen {
  std::string operation;
  json body;
};

class FakeAthena {
 public:
  struct Expect {
    std::string database, workgroup, output_location;
  };

  explicit FakeAthena(Expect expect) : expect_(std::move(expect)) {
    server_.Post("/",
                 [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    server_.Get("/ready", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    server_.set_tcp_nodelay(true);  // else each answer waits out a delayed ACK (~40 ms)
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // A served request proves the accept loop runs (so stop() will end it): a handshake, not a
    // sleep.
    httplib::Client probe("127.0.0.1", port_);
    const auto ready = probe.Get("/ready");
    EXPECT_TRUE(ready && ready->status == 200);
  }
  ~FakeAthena() {
    server_.stop();
    thread_.join();
  }

  std::string endpoint() const { return fmt::format("http://127.0.0.1:{}", port_); }
  void Add(const std::string& sql, Script script) {
    std::lock_guard lock(mutex_);
    scripts_[sql] = std::move(script);
  }
  void ThrottleStarts(std::vector<std::string> errors) {
    std::lock_guard lock(mutex_);
    throttles_ = std::move(errors);
  }
  std::vector<Seen> Requests(const std::string& operation = {}) const {
    std::lock_guard lock(mutex_);
    std::vector<Seen> out;
    for (const Seen& seen : seen_) {
      if (operation.empty() || seen.operation == operation) out.push_back(seen);
    }
    return out;
  }
  std::size_t Executions() const {
    std::lock_guard lock(mutex_);
    return executions_.size();
  }
  std::vector<std::string> Problems() const {
    std::lock_guard lock(mutex_);
    return problems_;
  }

 private:
  struct Execution {
    std::string id, sql;
    Script script;
    std::size_t polls = 0;
    std::string state = "QUEUED";
    bool stopped = false;
  };

  static void Error(httplib::Response& res, int status, const std::string& type,
                    const std::string& message) {
    res.status = status;
    res.set_content(json{{"__type", type}, {"Message", message}}.dump(),
                    "application/x-amz-json-1.1");
  }
  static void Answer(httplib::Response& res, const json& body) {
    res.status = 200;
    res.set_content(body.dump(), "application/x-amz-json-1.1");
  }
  void Problem(httplib::Response& res, const std::string& what) {
    problems_.push_back(what);
    Error(res, 400, "InvalidRequestException", "fake Athena: " + what);
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    const std::string target = req.get_header_value("X-Amz-Target");
    const std::string operation =
        target.starts_with("AmazonAthena.") ? target.substr(13) : std::string();
    json body = json::parse(req.body, nullptr, false);
    seen_.push_back({operation, body});
    if (operation.empty()) return Problem(res, "X-Amz-Target is not AmazonAthena.*: " + target);
    if (req.get_header_value("Content-Type") != "application/x-amz-json-1.1") {
      return Problem(res, "Content-Type " + req.get_header_value("Content-Type"));
    }
    const std::string date = req.get_header_value("X-Amz-Date");
    const std::string credential =
        fmt::format("AWS4-HMAC-SHA256 Credential={}/{}/{}/athena/aws4_request", kKey,
                    date.substr(0, 8), kRegion);
    const std::string authorization = req.get_header_value("Authorization");
    if (date.size() != 16 || !authorization.starts_with(credential) ||
        authorization.find("Signature=") == std::string::npos) {
      return Problem(res, "Authorization " + authorization + " for X-Amz-Date " + date);
    }
    if (!body.is_object()) return Problem(res, "body is not a JSON object: " + req.body);
    if (operation == "StartQueryExecution") return Start(body, res);
    const auto it = executions_.find(body.value("QueryExecutionId", ""));
    if (it == executions_.end()) {
      return Error(res, 400, "InvalidRequestException", "QueryExecution not found");
    }
    Execution& execution = it->second;
    if (operation == "GetQueryExecution") return Describe(execution, res);
    if (operation == "GetQueryResults") return Results(execution, body, res);
    if (operation == "StopQueryExecution") {
      execution.stopped = true;
      return Answer(res, json::object());
    }
    Problem(res, "unexpected operation " + operation);
  }

  void Start(const json& body, httplib::Response& res) {
    const std::string sql = body.value("QueryString", "");
    const std::string token = body.value("ClientRequestToken", "");
    if (token.size() < 32 || token.size() > 128) return Problem(res, "token " + token);
    const json context = body.value("QueryExecutionContext", json::object());
    if (context.value("Database", "") != expect_.database) return Problem(res, "Database");
    if (body.value("WorkGroup", "") != expect_.workgroup) return Problem(res, "WorkGroup");
    if (expect_.output_location.empty() != !body.contains("ResultConfiguration") ||
        (body.contains("ResultConfiguration") &&
         body["ResultConfiguration"].value("OutputLocation", "") != expect_.output_location)) {
      return Problem(res, "ResultConfiguration " + body.dump());
    }
    if (!throttles_.empty()) {
      const std::string error = throttles_.front();
      throttles_.erase(throttles_.begin());
      return Error(res, 400, error, "Rate exceeded");
    }
    const auto script = scripts_.find(sql);
    if (script == scripts_.end()) return Problem(res, "no script for " + sql);
    if (!script->second.reject_at_start.empty()) {
      return Error(res, 400, "InvalidRequestException", script->second.reject_at_start);
    }
    // Idempotent like Athena: the same token names the same execution.
    if (const auto known = tokens_.find(token); known != tokens_.end()) {
      return Answer(res, {{"QueryExecutionId", known->second}});
    }
    const std::string id = fmt::format("7c2a4e1b-0000-4000-8000-{:012}", executions_.size() + 1);
    tokens_[token] = id;
    executions_[id] = Execution{id, sql, script->second};
    Answer(res, {{"QueryExecutionId", id}});
  }

  void Describe(Execution& e, httplib::Response& res) {
    e.state =
        e.stopped ? "CANCELLED" : e.script.states[std::min(e.polls, e.script.states.size() - 1)];
    ++e.polls;
    json status = {{"State", e.state}, {"SubmissionDateTime", 1.7551824e9}};
    if (e.state == "FAILED") {
      status["StateChangeReason"] = e.script.reason;
      status["AthenaError"] = {{"ErrorCategory", 2},
                               {"ErrorType", 1000},
                               {"Retryable", false},
                               {"ErrorMessage", e.script.reason}};
    }
    if (e.state == "CANCELLED") status["StateChangeReason"] = "Query cancelled by user";
    json execution = {
        {"QueryExecutionId", e.id},
        {"Query", e.sql},
        {"StatementType", e.script.statement_type},
        {"WorkGroup", expect_.workgroup},
        {"QueryExecutionContext", {{"Database", expect_.database}}},
        {"Status", status},
        {"Statistics",
         {{"EngineExecutionTimeInMillis", 812}, {"DataScannedInBytes", e.script.bytes_scanned}}}};
    if (!expect_.output_location.empty()) {
      execution["ResultConfiguration"] = {
          {"OutputLocation", expect_.output_location + e.id + ".csv"}};
    }
    Answer(res, {{"QueryExecution", execution}});
  }

  void Results(Execution& e, const json& body, httplib::Response& res) {
    if (e.state != "SUCCEEDED") {
      return Error(res, 400, "InvalidRequestException",
                   "Query has not yet finished. Current state: " + e.state);
    }
    std::vector<std::vector<Value>> all;
    if (e.script.statement_type == "DML") {
      std::vector<Value> labels;
      for (const json& column : e.script.columns) {
        labels.emplace_back(column["Name"].get<std::string>());
      }
      all.push_back(labels);
    }
    all.insert(all.end(), e.script.rows.begin(), e.script.rows.end());
    std::size_t offset = 0;
    if (body.contains("NextToken")) {
      const auto issued = issued_.find(body["NextToken"].get<std::string>());
      if (issued == issued_.end()) return Problem(res, "NextToken never issued");
      offset = issued->second;
    }
    const std::size_t max = body.value("MaxResults", std::size_t{1000});
    if (max > 1000) return Problem(res, "MaxResults above 1000");
    const std::size_t end = std::min(all.size(), offset + std::min(max, e.script.page_size));
    json rows = json::array();
    for (std::size_t r = offset; r < end; ++r) {
      json data = json::array();
      for (const Value& v : all[r]) data.push_back(v ? json{{"VarCharValue", *v}} : json::object());
      rows.push_back({{"Data", data}});
    }
    json answer = {
        {"UpdateCount", 0},
        {"ResultSet", {{"Rows", rows}, {"ResultSetMetadata", {{"ColumnInfo", e.script.columns}}}}}};
    if (end < all.size()) {
      const std::string token = fmt::format("AWBpZ2VfdG9rZW4t{}-{}", e.id.substr(30), end);
      issued_[token] = end;
      answer["NextToken"] = token;
    }
    Answer(res, answer);
  }

  Expect expect_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::map<std::string, Script> scripts_;
  std::vector<std::string> throttles_;
  std::map<std::string, Execution> executions_;
  std::map<std::string, std::string> tokens_;
  std::map<std::string, std::size_t> issued_;
  std::vector<Seen> seen_;
  std::vector<std::string> problems_;
};

json Column(const std::string& name, const std::string& type, int precision = 0, int scale = 0) {
  return {{"CatalogName", "hive"},  {"SchemaName", ""},
          {"TableName", ""},        {"Name", name},
          {"Label", name},          {"Type", type},
          {"Precision", precision}, {"Scale", scale},
          {"Nullable", "UNKNOWN"},  {"CaseSensitive", type == "varchar"}};
}

// Collects the result; notes how many result pages the server had served when each row came.
struct Collect final : RowSink {
  explicit Collect(const FakeAthena* fake = nullptr) : fake(fake) {}
  const FakeAthena* fake;
  std::vector<std::string> names;
  std::vector<std::vector<Cell::Type>> types;
  std::vector<std::vector<std::string>> texts;
  std::vector<std::vector<double>> reals;
  std::vector<std::size_t> pages_served;
  Status Columns(std::span<const std::string> n) override {
    names.assign(n.begin(), n.end());
    return Status::Ok();
  }
  Status Row(std::span<const Cell> cells) override {
    std::vector<Cell::Type> t;
    std::vector<std::string> x;
    std::vector<double> r;
    for (const Cell& c : cells) {
      t.push_back(c.type);
      x.push_back(CellText(c));
      r.push_back(c.real);
    }
    types.push_back(t);
    texts.push_back(x);
    reals.push_back(r);
    if (fake) pages_served.push_back(fake->Requests("GetQueryResults").size());
    return Status::Ok();
  }
};

class AthenaQueryEngineTest : public ::testing::Test {
 protected:
  AthenaOptions Options(const FakeAthena& fake, const FakeAthena::Expect& expect) {
    AthenaOptions options;
    options.client.region = kRegion;
    options.client.endpoint = fake.endpoint();
    options.client.credentials = aws::StaticCredentials({kKey, "athena-test-secret", "", "test"});
    options.client.retry.base_delay_us = 1'000;  // the client's backoff, kept short for the test
    options.client.retry.max_delay_us = 5'000;
    options.database = expect.database;
    options.workgroup = expect.workgroup;
    options.output_location = expect.output_location;
    options.poll_interval = std::chrono::milliseconds(2);  // the engine's pacing, not a sync
    return options;
  }
  void TearDown() override {
    for (const std::string& problem : fake_.Problems()) ADD_FAILURE() << problem;
  }

  const FakeAthena::Expect expect_{"stock_raw_db", "stockpipe", "s3://stockpipe-results/athena/"};
  FakeAthena fake_{expect_};
};

TEST_F(AthenaQueryEngineTest, SelectStreamsTypedRowsFromEveryPage) {
  const std::string sql =
      "SELECT symbol, ts, price, volume, trades, vwap, halted, note, notional\n"
      "FROM stock_raw_db.raw WHERE dt = '2025-08-14'";
  Script script;
  script.columns =
      json::array({Column("symbol", "varchar", 2147483647), Column("ts", "timestamp", 3),
                   Column("price", "double", 17), Column("volume", "bigint", 19),
                   Column("trades", "integer", 10), Column("vwap", "decimal", 10, 2),
                   Column("halted", "boolean"), Column("note", "varchar", 2147483647),
                   Column("notional", "decimal", 38, 6)});
  // Expected cell type per column: what a user of the CLI sees Athena's types become.
  const std::vector<Cell::Type> expected_types = {
      Cell::Type::kText,    Cell::Type::kText,    Cell::Type::kReal,
      Cell::Type::kInteger, Cell::Type::kInteger, Cell::Type::kReal,
      Cell::Type::kText,    Cell::Type::kText,    Cell::Type::kText};
  script.rows = {
      {"AAPL", "2025-08-14 14:38:12.000", "225.11", "1200", "17", "225.03", "false", std::nullopt,
       "12345678901234567890.123456"},
      {"MSFT", "2025-08-14 14:38:13.250", std::nullopt, "9223372036854775807", "-3", "512.50",
       "true", "halt, \"news\"", "0.000001"},
      {"TSLA", "2025-08-14 14:38:14.000", "NaN", "0", "0", "0.00", "false", "", std::nullopt},
      {"NVDA", "2025-08-14 14:38:15.000", "Infinity", "42", "7", "180.10", "false", "x", "1.5"},
      {"AAPL", "2025-08-14 14:38:16.000", "1.0E-4", "-42", "2147483647", "-0.01", "false", "y",
       "2"},
      {"MSFT", "2025-08-14 14:38:17.000", "513.0", "5", "1", "513.00", "false", "z", "3"},
      {std::nullopt, std::nullopt, "-2.5", "6", "2", "1.25", std::nullopt, "w", "4"},
  };
  script.page_size = 3;  // header + 7 rows: pages of 3, 3 and 2
  script.bytes_scanned = 48'213'777;
  fake_.Add(sql, script);

  AthenaQueryEngine engine(Options(fake_, expect_));
  Collect sink(&fake_);
  const QueryOutcome outcome = engine.Run(sql + " ;\n", sink);
  ASSERT_TRUE(outcome.ok()) << outcome.status.message();

  std::vector<std::string> expected_names;
  for (const json& column : script.columns) {
    expected_names.push_back(column["Name"].get<std::string>());
  }
  EXPECT_EQ(sink.names, expected_names);
  ASSERT_EQ(sink.types.size(), script.rows.size());
  for (std::size_t r = 0; r < script.rows.size(); ++r) {
    for (std::size_t c = 0; c < expected_names.size(); ++c) {
      SCOPED_TRACE(fmt::format("row {} column {}", r, expected_names[c]));
      const Value& sent = script.rows[r][c];
      if (!sent) {
        EXPECT_EQ(sink.types[r][c], Cell::Type::kNull);
        continue;
      }
      EXPECT_EQ(sink.types[r][c], expected_types[c]);
      if (expected_types[c] == Cell::Type::kReal) {
        const double want = std::strtod(sent->c_str(), nullptr);
        if (std::isnan(want)) {
          EXPECT_TRUE(std::isnan(sink.reals[r][c]));
        } else {
          EXPECT_EQ(sink.reals[r][c], want);
        }
      } else {
        EXPECT_EQ(sink.texts[r][c], *sent);  // integers print back exactly as Athena sent them
      }
    }
  }
  EXPECT_EQ(outcome.stats.rows, script.rows.size());
  EXPECT_EQ(outcome.stats.bytes_scanned, script.bytes_scanned);
  EXPECT_GT(outcome.stats.seconds, 0);

  // The start: what was sent, once; the trailing `;` dropped.
  const auto starts = fake_.Requests("StartQueryExecution");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].body["QueryString"], sql);
  // Polled until SUCCEEDED: QUEUED, RUNNING, SUCCEEDED.
  EXPECT_EQ(fake_.Requests("GetQueryExecution").size(), 3u);
  // Paged: no token first, then exactly the tokens the server handed out, in order.
  const auto pages = fake_.Requests("GetQueryResults");
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_FALSE(pages[0].body.contains("NextToken"));
  EXPECT_NE(pages[1].body.value("NextToken", ""), pages[2].body.value("NextToken", ""));
  EXPECT_EQ(pages[0].body["MaxResults"], 1000);
  // Streamed: each row reached the sink before the next page was asked for.
  EXPECT_EQ(sink.pages_served, (std::vector<std::size_t>{1, 1, 2, 2, 2, 3, 3}));
  EXPECT_TRUE(fake_.Requests("StopQueryExecution").empty());

  const std::string id = fake_.Requests("GetQueryExecution")[0].body.value("QueryExecutionId", "");
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(engine.last_query_id(), id);
  EXPECT_EQ(engine.last_output_location(),
            expect_.output_location + engine.last_query_id() + ".csv");
}

TEST_F(AthenaQueryEngineTest, ShowHasNoHeaderRowAndNoOutputLocationWhenTheWorkgroupSetsIt) {
  // A table literally named like the column: only the statement type tells it from a header.
  FakeAthena::Expect expect = expect_;
  expect.output_location.clear();
  FakeAthena fake(expect);
  Script script;
  script.statement_type = "UTILITY";
  script.states = {"SUCCEEDED"};
  script.columns = json::array({Column("tab_name", "varchar")});
  script.rows = {{"tab_name"}, {"raw"}, {"rejected"}};
  const std::string sql = "  -- what is there\nSHOW TABLES IN stock_raw_db";
  fake.Add(sql, script);  // sent as written: comments stay

  AthenaQueryEngine engine(Options(fake, expect));
  Collect sink;
  const QueryOutcome outcome = engine.Run(sql, sink);
  ASSERT_TRUE(outcome.ok()) << outcome.status.message();
  EXPECT_EQ(sink.names, std::vector<std::string>{"tab_name"});
  ASSERT_EQ(sink.texts.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(sink.texts[i][0], *script.rows[i][0]);
  EXPECT_TRUE(engine.last_output_location().empty());
  for (const std::string& problem : fake.Problems()) ADD_FAILURE() << problem;
}

TEST_F(AthenaQueryEngineTest, FailedSyntaxIsInvalidWithAthenasMessageOtherFailuresAreFailed) {
  const std::string bad = "SELECT pricee FROM raw";
  const std::string reason =
      "SYNTAX_ERROR: line 1:8: Column 'pricee' cannot be resolved or requester is not authorized "
      "to access requested resources";
  Script syntax;
  syntax.states = {"QUEUED", "FAILED"};
  syntax.reason = reason;
  fake_.Add(bad, syntax);
  const std::string parse = "SELECT * FORM raw";
  Script parser = syntax;
  parser.reason = "line 1:10: mismatched input 'FORM'. Expecting: ',', 'EXCEPT', 'FROM', <EOF>";
  fake_.Add(parse, parser);
  const std::string broken = "SELECT * FROM raw WHERE dt = '2025-08-14'";
  Script data = syntax;
  data.reason = "HIVE_BAD_DATA: Error parsing field value 'abc' for field 2: For input string";
  fake_.Add(broken, data);
  const std::string early = "SELECT 1 1 1";
  Script rejected;
  rejected.reject_at_start = "line 1:10: mismatched input '1'. Expecting: <EOF>";
  fake_.Add(early, rejected);

  AthenaQueryEngine engine(Options(fake_, expect_));
  Collect sink;
  QueryOutcome outcome = engine.Run(bad, sink);
  EXPECT_EQ(outcome.failure, QueryFailure::kInvalid);
  EXPECT_NE(outcome.status.message().find(reason), std::string::npos) << outcome.status.message();
  // Athena's position, shown under the SQL.
  EXPECT_NE(outcome.status.message().find("\n  SELECT pricee FROM raw\n         ^"),
            std::string::npos)
      << outcome.status.message();

  outcome = engine.Run(parse, sink);
  EXPECT_EQ(outcome.failure, QueryFailure::kInvalid);
  EXPECT_NE(outcome.status.message().find(parser.reason), std::string::npos);

  outcome = engine.Run(broken, sink);
  EXPECT_EQ(outcome.failure, QueryFailure::kFailed);
  EXPECT_NE(outcome.status.message().find(data.reason), std::string::npos);

  outcome = engine.Run(early, sink);
  EXPECT_EQ(outcome.failure, QueryFailure::kInvalid);
  EXPECT_NE(outcome.status.message().find(rejected.reject_at_start), std::string::npos);

  EXPECT_TRUE(fake_.Requests("GetQueryResults").empty());
  EXPECT_TRUE(sink.names.empty());
}

TEST_F(AthenaQueryEngineTest, TimeoutStopsTheExecution) {
  const std::string sql = "SELECT count(*) FROM raw";
  Script forever;
  forever.states = {"QUEUED", "RUNNING"};
  fake_.Add(sql, forever);
  AthenaOptions options = Options(fake_, expect_);
  options.timeout_seconds = 0.3;
  options.poll_interval = std::chrono::milliseconds(20);
  AthenaQueryEngine engine(options);
  Collect sink;
  const QueryOutcome outcome = engine.Run(sql, sink);
  EXPECT_EQ(outcome.failure, QueryFailure::kTimedOut);
  EXPECT_NE(outcome.status.message().find("limit of 0.3 s"), std::string::npos)
      << outcome.status.message();
  EXPECT_GE(outcome.stats.seconds, 0.3);
  const auto stops = fake_.Requests("StopQueryExecution");
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].body["QueryExecutionId"], engine.last_query_id());
  EXPECT_GE(fake_.Requests("GetQueryExecution").size(), 2u);
  EXPECT_TRUE(fake_.Requests("GetQueryResults").empty());
}

TEST_F(AthenaQueryEngineTest, WritesAreRefusedWithoutAnyRequest) {
  AthenaQueryEngine engine(Options(fake_, expect_));
  for (const char* sql :
       {"INSERT INTO raw VALUES ('AAPL', '2025-08-14', 1.0)", "drop table stock_raw_db.raw",
        "CREATE TABLE x AS SELECT * FROM raw", "/* looks harmless */ DELETE FROM raw",
        "(UPDATE raw SET price = 0)", "EXPLAIN ANALYZE INSERT INTO raw SELECT * FROM raw",
        "MSCK REPAIR TABLE raw",
        "UNLOAD (SELECT * FROM raw) TO 's3://elsewhere/' WITH (format = 'JSON')"}) {
    SCOPED_TRACE(sql);
    Collect sink;
    const QueryOutcome outcome = engine.Run(sql, sink);
    EXPECT_EQ(outcome.failure, QueryFailure::kRefused);
    EXPECT_TRUE(outcome.status.message().starts_with("refused: the query engine is read-only; "))
        << outcome.status.message();
    EXPECT_TRUE(sink.names.empty());
  }
  Collect sink;
  const QueryOutcome two = engine.Run("SELECT 1; DROP TABLE raw", sink);
  EXPECT_EQ(two.failure, QueryFailure::kInvalid);
  EXPECT_NE(two.status.message().find("one statement per query"), std::string::npos);
  EXPECT_EQ(engine.Run(" -- nothing\n ;", sink).failure, QueryFailure::kInvalid);
  EXPECT_TRUE(fake_.Requests().empty());
  EXPECT_TRUE(engine.last_query_id().empty());
}

TEST(AthenaStatementGate, LetsReadsThroughAsTheyAre) {
  struct Case {
    const char* sql;
    const char* sent;
  };
  for (const Case& c : {
           Case{"select 1", "select 1"},
           Case{"SELECT ';' AS semi, 'it''s' AS q; ", "SELECT ';' AS semi, 'it''s' AS q"},
           Case{"WITH t AS (SELECT 1 AS x) SELECT x FROM t;;",
                "WITH t AS (SELECT 1 AS x) SELECT x FROM t"},
           Case{"/* c */ ( SELECT 1 ) -- tail", "/* c */ ( SELECT 1 ) -- tail"},
           Case{"EXPLAIN (FORMAT JSON) SELECT * FROM raw",
                "EXPLAIN (FORMAT JSON) SELECT * FROM raw"},
           Case{"explain analyze verbose select 1", "explain analyze verbose select 1"},
           Case{"DESCRIBE raw", "DESCRIBE raw"},
           Case{"SHOW PARTITIONS raw", "SHOW PARTITIONS raw"},
           Case{"SELECT \"a;b\" FROM raw", "SELECT \"a;b\" FROM raw"},
       }) {
    SCOPED_TRACE(c.sql);
    const AthenaStatement statement = CheckAthenaStatement(c.sql);
    EXPECT_EQ(statement.failure, QueryFailure::kNone) << statement.message;
    EXPECT_EQ(statement.text, c.sent);
  }
  const AthenaStatement two = CheckAthenaStatement("SELECT 1;\n  SELECT 2");
  EXPECT_EQ(two.failure, QueryFailure::kInvalid);
  EXPECT_NE(two.message.find("at line 2, column 3"), std::string::npos) << two.message;
  EXPECT_EQ(CheckAthenaStatement("EXPLAIN DROP TABLE raw").failure, QueryFailure::kRefused);
  EXPECT_EQ(CheckAthenaStatement("-- only a comment").failure, QueryFailure::kInvalid);
}

TEST_F(AthenaQueryEngineTest, ThrottledStartIsRetriedAndStartsOnce) {
  const std::string sql = "SELECT symbol FROM raw LIMIT 1";
  Script script;
  script.states = {"SUCCEEDED"};
  script.columns = json::array({Column("symbol", "varchar")});
  script.rows = {{"AAPL"}};
  fake_.Add(sql, script);
  fake_.ThrottleStarts({"ThrottlingException", "TooManyRequestsException"});

  AthenaQueryEngine engine(Options(fake_, expect_));
  Collect sink;
  const QueryOutcome outcome = engine.Run(sql, sink);
  ASSERT_TRUE(outcome.ok()) << outcome.status.message();
  ASSERT_EQ(sink.texts.size(), 1u);
  EXPECT_EQ(sink.texts[0][0], "AAPL");
  const auto starts = fake_.Requests("StartQueryExecution");
  ASSERT_EQ(starts.size(), 3u);
  // Every attempt carried the same token, so a start that did land is not started again.
  EXPECT_EQ(starts[1].body["ClientRequestToken"], starts[0].body["ClientRequestToken"]);
  EXPECT_EQ(starts[2].body["ClientRequestToken"], starts[0].body["ClientRequestToken"]);
  EXPECT_EQ(fake_.Executions(), 1u);
  const auto stats = engine.CallStats();
  EXPECT_EQ(stats.at("StartQueryExecution").calls, 1u);
  EXPECT_EQ(stats.at("StartQueryExecution").retries, 2u);

  // A second Run is a new execution with a new token.
  ASSERT_TRUE(engine.Run(sql, sink).ok());
  const auto again = fake_.Requests("StartQueryExecution");
  ASSERT_EQ(again.size(), 4u);
  EXPECT_NE(again[3].body["ClientRequestToken"], starts[0].body["ClientRequestToken"]);
  EXPECT_EQ(fake_.Executions(), 2u);
}

}  // namespace
}  // namespace stockpipe
