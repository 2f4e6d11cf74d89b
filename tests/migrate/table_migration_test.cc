// `migrate dynamodb` against a real DynamoDB emulator (dynalite): a StockCleanedData filled the way
// the reference pipeline filled it (its item shape: symbol S, timestamp S as received, price N or
// S unchecked; no registry) becomes stockpipe's form, nothing is lost, bad items stay and are
// reported, and a run stopped at any write then rerun gives the same table.
#include "migrate/table_migration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "store/dynamodb/dynamodb_api.h"
#include "support/peers.h"

namespace stockpipe::migrate {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

struct RefItem {
  std::string symbol, timestamp;
  std::string price;  // as stored
  bool numeric = true;
};

// The reference's table: mixed timestamp forms, one instant stored twice in two forms (the same
// price) and once more with another price, a naive time, an epoch, bad prices, a lower-case symbol.
const std::vector<RefItem> kReferenceItems = {
    {"AAPL", "2025-08-14T14:38:12Z", "225.11"},
    {"AAPL", "2025-08-14T14:38:12+00:00", "225.11"},  // the same instant, same price
    {"AAPL", "2025-08-14T14:38:13.5+00:00", "225.5"},
    {"AAPL", "2025-08-14T14:38:14", "226", false},   // naive = UTC; price as a string
    {"AAPL", "2025-08-14T14:38:15.000000Z", "227"},  // stockpipe's form already
    {"MSFT", "2025-08-14T14:38:12Z", "512.5"},
    {"MSFT", "2025-08-14T16:38:12+02:00", "513"},    // the same instant, another price
    {"MSFT", "2025-08-14T14:40:00Z", "0"},           // bad: not positive
    {"MSFT", "2025-08-14T14:41:00Z", "-4"},          // bad
    {"MSFT", "2025-08-14T14:42:00Z", "n/a", false},  // bad: not a number
    {"TSLA", "yesterday", "330"},                    // bad: not a time
    {"nvda", "2025-08-14T14:38:12Z", "181.25"},      // lower case
};

class TableMigrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { peer_ = new testing::Peer("dynalite"); }
  static void TearDownTestSuite() { delete peer_; }

  void SetUp() override {
    static int counter = 0;
    options_.table = "StockCleanedData" + std::to_string(++counter);
    options_.state_table = "stockpipe-state" + std::to_string(counter);
    aws::ClientOptions client;
    client.service = aws::kDynamoDb;
    client.region = "us-east-1";
    client.endpoint = peer_->endpoint();
    client.credentials = aws::StaticCredentials({"AKID", "SECRET", "", "test"});
    client.retry.base_delay_us = 1000;
    client_ = std::make_unique<aws::Client>(client);
    ASSERT_TRUE(dynamodb::EnsureTable(*client_, options_.table, "symbol", "timestamp").ok());
    for (const RefItem& item : kReferenceItems) Put(item);
  }

  void Put(const RefItem& item) {
    auto put = dynamodb::Call(*client_, "PutItem",
                              json{{"TableName", options_.table},
                                   {"Item",
                                    {{"symbol", {{"S", item.symbol}}},
                                     {"timestamp", {{"S", item.timestamp}}},
                                     {"price", {{item.numeric ? "N" : "S", item.price}}},
                                     {"source", {{"S", "reference"}}}}}});
    ASSERT_TRUE(put.ok()) << put.error();
  }

  // The whole table as "SYMBOL timestamp price(type)", sorted.
  std::vector<std::string> Table(const std::string& name) {
    std::vector<std::string> rows;
    json start;
    do {
      json scan = {{"TableName", name}};
      if (!start.is_null()) scan["ExclusiveStartKey"] = start;
      auto page = dynamodb::Call(*client_, "Scan", scan);
      EXPECT_TRUE(page.ok()) << page.error();
      if (!page.ok()) break;
      for (const json& item : (*page)["Items"]) {
        std::string row;
        for (const auto& [attribute, value] : item.items()) {
          for (const auto& [type, text] : value.items()) {
            row += attribute + "=" + text.get<std::string>() + "(" + type + ") ";
          }
        }
        rows.push_back(row);
      }
      start = page->value("LastEvaluatedKey", json());
    } while (!start.is_null());
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  Result<TableMigrationCounts> Migrate(std::vector<TableMigrationReport>* reports = nullptr) {
    return MigrateTable(*client_, options_, [reports](const TableMigrationReport& r) {
      if (reports) reports->push_back(r);
    });
  }

  static testing::Peer* peer_;
  TableMigrationOptions options_;
  std::unique_ptr<aws::Client> client_;
};

testing::Peer* TableMigrationTest::peer_ = nullptr;

// Between the migration and dynalite: forwards every call, and refuses every BatchWriteItem after
// the first `allowed` (a non-retryable error), as if the process died there. Counts the writes.
class StopAfterWrites {
 public:
  StopAfterWrites(int upstream_port, int allowed)
      : upstream_("127.0.0.1", upstream_port), left_(allowed) {
    server_.Post("/", [this](const httplib::Request& request, httplib::Response& response) {
      const std::string target = request.get_header_value("X-Amz-Target");
      if (target.ends_with(".BatchWriteItem")) {
        ++writes_;
        if (left_-- <= 0) {
          response.status = 400;
          response.set_content(R"({"__type":"ValidationException","message":"stopped here"})",
                               "application/x-amz-json-1.0");
          return;
        }
      }
      httplib::Headers headers;
      for (const char* name : {"X-Amz-Target", "X-Amz-Date", "Authorization"}) {
        headers.emplace(name, request.get_header_value(name));
      }
      auto answer =
          upstream_.Post("/", headers, request.body, request.get_header_value("Content-Type"));
      if (!answer) {
        response.status = 502;
        return;
      }
      response.status = answer->status;
      response.set_content(answer->body, "application/x-amz-json-1.0");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    // Bound and listening already: calls queue until the thread accepts them.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~StopAfterWrites() {
    server_.stop();
    thread_.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int writes() const { return writes_; }

 private:
  httplib::Server server_;
  httplib::Client upstream_;
  std::atomic<int> left_;
  std::atomic<int> writes_{0};
  int port_ = 0;
  std::thread thread_;
};

std::string Row(const std::string& symbol, const std::string& timestamp, const std::string& price) {
  return "price=" + price + "(N) source=reference(S) symbol=" + symbol +
         "(S) timestamp=" + timestamp + "(S) ";
}

const std::vector<std::string> kBadRows = {
    "price=-4(N) source=reference(S) symbol=MSFT(S) timestamp=2025-08-14T14:41:00Z(S) ",
    "price=0(N) source=reference(S) symbol=MSFT(S) timestamp=2025-08-14T14:40:00Z(S) ",
    "price=330(N) source=reference(S) symbol=TSLA(S) timestamp=yesterday(S) ",
    "price=n/a(S) source=reference(S) symbol=MSFT(S) timestamp=2025-08-14T14:42:00Z(S) ",
};

std::vector<std::string> ExpectedTable() {
  std::vector<std::string> rows = {
      Row("AAPL", "2025-08-14T14:38:12.000000Z", "225.11"),
      Row("AAPL", "2025-08-14T14:38:13.500000Z", "225.5"),
      Row("AAPL", "2025-08-14T14:38:14.000000Z", "226"),
      Row("AAPL", "2025-08-14T14:38:15.000000Z", "227"),
      Row("NVDA", "2025-08-14T14:38:12.000000Z", "181.25"),
  };
  rows.insert(rows.end(), kBadRows.begin(), kBadRows.end());
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST_F(TableMigrationTest, RewritesEveryValidItemToCanonicalFormAndLeavesBadOnesReported) {
  std::vector<TableMigrationReport> reports;
  auto counts = Migrate(&reports);
  ASSERT_TRUE(counts.ok()) << counts.error();
  EXPECT_EQ(counts->scanned, kReferenceItems.size() + counts->written_by_run);
  EXPECT_EQ(counts->scanned, counts->canonical + counts->rewritten + counts->merged + counts->bad +
                                 counts->written_by_run);
  EXPECT_EQ(counts->canonical, 1u);
  EXPECT_EQ(counts->bad, 4u);
  EXPECT_EQ(counts->merged, 2u);  // AAPL's and MSFT's second form of 14:38:12
  EXPECT_EQ(counts->price_conflicts, 1u);
  EXPECT_EQ(counts->rewritten, 5u);
  EXPECT_EQ(counts->symbols, 4u);  // TSLA's only item is bad, but it is the table's symbol

  // MSFT 14:38:12 keeps one of its two prices, whichever form the scan met first.
  std::vector<std::string> table = Table(options_.table);
  const std::vector<std::string> msft = {Row("MSFT", "2025-08-14T14:38:12.000000Z", "512.5"),
                                         Row("MSFT", "2025-08-14T14:38:12.000000Z", "513")};
  const auto kept = std::find_if(table.begin(), table.end(), [&](const std::string& row) {
    return row == msft[0] || row == msft[1];
  });
  ASSERT_NE(kept, table.end());
  const std::string dropped = *kept == msft[0] ? "513" : "512.5";
  table.erase(kept);
  EXPECT_EQ(table, ExpectedTable());

  std::map<std::string, std::string> reasons;  // timestamp -> reason
  for (const auto& r : reports) reasons[r.symbol + " " + r.timestamp] = r.reason;
  EXPECT_EQ(reasons["MSFT 2025-08-14T14:40:00Z"], "price_not_positive");
  EXPECT_EQ(reasons["MSFT 2025-08-14T14:41:00Z"], "price_not_positive");
  EXPECT_EQ(reasons["MSFT 2025-08-14T14:42:00Z"], "invalid_price");
  EXPECT_EQ(reasons["TSLA yesterday"], "invalid_timestamp");
  ASSERT_EQ(reports.size(), 5u);
  const auto conflict = std::find_if(reports.begin(), reports.end(),
                                     [](const auto& r) { return r.reason == "price_conflict"; });
  ASSERT_NE(conflict, reports.end());
  EXPECT_EQ(conflict->price, dropped);

  std::vector<std::string> registry;
  for (const std::string& row : Table(options_.state_table)) {
    if (row.starts_with("pk=symbols")) registry.push_back(row);
  }
  EXPECT_THAT(registry,
              UnorderedElementsAre("pk=symbols(S) sk=AAPL(S) ", "pk=symbols(S) sk=MSFT(S) ",
                                   "pk=symbols(S) sk=NVDA(S) ", "pk=symbols(S) sk=TSLA(S) "));
}

TEST_F(TableMigrationTest, ARerunChangesNothing) {
  ASSERT_TRUE(Migrate().ok());
  const auto table = Table(options_.table);
  std::vector<TableMigrationReport> reports;
  auto again = Migrate(&reports);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->rewritten + again->merged, 0u);
  EXPECT_EQ(again->canonical, 5u + 1u);  // MSFT 14:38:12 too
  EXPECT_EQ(again->bad, 4u);
  EXPECT_EQ(Table(options_.table), table);
}

TEST_F(TableMigrationTest, ADryRunWritesNothing) {
  const auto before = Table(options_.table);
  TableMigrationOptions dry = options_;
  dry.dry_run = true;
  auto counts = MigrateTable(*client_, dry, [](const TableMigrationReport&) {});
  ASSERT_TRUE(counts.ok()) << counts.error();
  EXPECT_EQ(counts->rewritten, 5u);
  EXPECT_EQ(counts->merged, 2u);
  EXPECT_EQ(Table(options_.table), before);
  EXPECT_TRUE(dynamodb::IsError(
      dynamodb::Call(*client_, "DescribeTable", json{{"TableName", options_.state_table}}).status(),
      "ResourceNotFoundException"));
}

TEST_F(TableMigrationTest, StoppedAtAnyWriteThenRerunGivesTheTableOfOneRun) {
  options_.page_size = 3;  // several pages, so stops fall between pages too
  const std::string base_table = options_.table, base_state = options_.state_table;
  aws::ClientOptions through = client_->options();
  through.retry.max_attempts = 1;
  int total_writes = 0;
  std::vector<std::string> expected;
  {
    StopAfterWrites counter(peer_->port(), 1'000'000);
    through.endpoint = counter.endpoint();
    aws::Client client(through);
    auto counted = MigrateTable(client, options_, [](const TableMigrationReport&) {});
    ASSERT_TRUE(counted.ok()) << counted.error();
    total_writes = counter.writes();
    expected = Table(options_.table);
  }
  ASSERT_GE(total_writes, 3);
  for (int allowed = 0; allowed < total_writes; ++allowed) {
    options_.table = base_table + "-stop" + std::to_string(allowed);
    options_.state_table = base_state + "-stop" + std::to_string(allowed);
    ASSERT_TRUE(dynamodb::EnsureTable(*client_, options_.table, "symbol", "timestamp").ok());
    for (const RefItem& item : kReferenceItems) Put(item);
    {
      StopAfterWrites stop(peer_->port(), allowed);
      through.endpoint = stop.endpoint();
      aws::Client client(through);
      auto stopped = MigrateTable(client, options_, [](const TableMigrationReport&) {});
      ASSERT_FALSE(stopped.ok()) << "expected a stop after " << allowed << " writes";
    }
    auto rerun = Migrate();
    ASSERT_TRUE(rerun.ok()) << rerun.error();
    EXPECT_EQ(Table(options_.table), expected) << "stopped after " << allowed << " writes";
  }
}

TEST_F(TableMigrationTest, SmallPagesGiveTheSameTable) {
  options_.page_size = 2;
  auto counts = Migrate();
  ASSERT_TRUE(counts.ok()) << counts.error();
  EXPECT_EQ(counts->scanned, counts->canonical + counts->rewritten + counts->merged + counts->bad +
                                 counts->written_by_run);
  auto table = Table(options_.table);
  EXPECT_EQ(table.size(), ExpectedTable().size() + 1);
}

}  // namespace
}  // namespace stockpipe::migrate
