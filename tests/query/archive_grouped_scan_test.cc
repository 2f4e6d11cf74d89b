// The archive table's grouped scan (GROUP BY / DISTINCT answered by the table, bucketed on the
// helper threads) must give exactly what SQLite's own sorter gives over the same rows: irregular
// records (missing or NULL members, numbers as symbols, integer prices, extra members) spread over
// several objects and days. `GROUP BY +symbol` is an expression, so SQLite sorts itself; the query
// plans prove which path each query took.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "archive/local/file_archive.h"
#include "codec/gzip.h"
#include "query/result_format.h"
#include "query/sqlite_query_engine.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

struct Collect final : RowSink {
  std::vector<std::vector<std::string>> rows;
  Status Columns(std::span<const std::string>) override { return Status::Ok(); }
  Status Row(std::span<const Cell> cells) override {
    std::vector<std::string> row;
    for (const Cell& c : cells) {
      row.push_back(c.type == Cell::Type::kNull
                        ? "<null>"
                        : fmt::format("{}:{}", static_cast<int>(c.type), CellText(c)));
    }
    rows.push_back(std::move(row));
    return Status::Ok();
  }
};

void Replace(std::string& text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

class GroupedScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FileArchive archive(dir_.path());
    // Rows of every shape; each object mixes them so groups span objects and days.
    const std::vector<std::string> shapes = {
        R"({"symbol":"AAPL","timestamp":"t@N","price":@P.5})",
        R"({"symbol":"AAPL","timestamp":"t@N"})",
        R"({"symbol":null,"timestamp":"t@N","price":@P})",
        R"({"timestamp":"t@N","price":4.25,"venue":"X@P"})",
        R"({"symbol":7,"timestamp":"t@N","price":@P})",
        R"({"symbol":2.5,"timestamp":"t@N","price":-@P.75})",
        R"({"symbol":"MSFT","timestamp":"t@N","price":1e300,"note":{"a":[@P,2]}})",
        R"({"symbol":"aapl","timestamp":null,"price":0})",
        R"({"symbol":"MSFT","price":"12.5","timestamp":"t@N"})",
        R"({"symbol":"ZZ","timestamp":"t@N","price":@P,"flag":true})",
    };
    int n = 0;
    for (const std::string day : {"2025-08-12", "2025-08-13"}) {
      for (int object = 0; object < 3; ++object) {
        std::string lines;
        const int count = 40 + 13 * object;
        for (int i = 0; i < count; ++i, ++n) {
          // Not every shape in every object: some groups appear only in some objects.
          const std::size_t shape = static_cast<std::size_t>((i * 7 + object * 3) % 10);
          if (object == 1 && shape == 9) continue;
          std::string line = shapes[shape];
          Replace(line, "@N", std::to_string(n));
          Replace(line, "@P", std::to_string((n * 37) % 101));
          lines += line + "\n";
        }
        ASSERT_TRUE(archive
                        .Put(fmt::format("raw/dt={}/shard-{:06}-1-{}.jsonl.gz", day, object, n),
                             *GzipCompress(lines))
                        .ok());
      }
    }
  }

  std::vector<std::vector<std::string>> Run(const std::string& sql) {
    auto engine = SqliteQueryEngine::Open({dir_.str(), {}});
    EXPECT_TRUE(engine.ok()) << engine.error();
    Collect out;
    const QueryOutcome r = (*engine)->Run(sql, out);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status.message();
    return out.rows;
  }

  // The query plan as one text: "USE TEMP B-TREE FOR GROUP BY" means SQLite sorted itself.
  std::string Plan(const std::string& sql) {
    std::string plan;
    for (const auto& row : Run("EXPLAIN QUERY PLAN " + sql)) plan += row.back() + "\n";
    return plan;
  }

  testing::TempDir dir_;
};

TEST_F(GroupedScanTest, GroupByMatchesSqlitesSorterExactly) {
  const std::string columns =
      "symbol, typeof(symbol), count(*), count(price), max(price), min(price), total(price), "
      "typeof(max(price)), max(timestamp), min(timestamp), count(timestamp), min(extra), "
      "max(extra), count(extra), min(object), max(object), count(DISTINCT dt)";
  const std::string grouped = "SELECT " + columns + " FROM raw GROUP BY symbol";
  const std::string sorted = "SELECT " + columns + " FROM raw GROUP BY +symbol";
  ASSERT_EQ(Plan(grouped).find("TEMP B-TREE FOR GROUP BY"), std::string::npos) << Plan(grouped);
  ASSERT_NE(Plan(sorted).find("TEMP B-TREE FOR GROUP BY"), std::string::npos) << Plan(sorted);
  const auto want = Run(sorted);
  // NULL, 2.5, 7, AAPL, MSFT, ZZ, aapl: the shapes' distinct symbols, missing ones as NULL.
  ASSERT_EQ(want.size(), 7u);
  EXPECT_EQ(Run(grouped), want);
}

TEST_F(GroupedScanTest, MultiColumnKeysAndDescendingOrderMatch) {
  const std::string columns = "count(*), sum(price), max(timestamp), count(extra)";
  for (const std::string order : {"", " ORDER BY dt DESC, symbol DESC", " ORDER BY dt, symbol"}) {
    const std::string grouped =
        "SELECT dt, symbol, " + columns + " FROM raw GROUP BY dt, symbol" + order;
    const std::string sorted =
        "SELECT dt, symbol, " + columns + " FROM raw GROUP BY +dt, +symbol" + order;
    const auto want = Run(sorted);
    ASSERT_EQ(want.size(), 14u) << order;
    EXPECT_EQ(Run(grouped), want) << order;
  }
}

TEST_F(GroupedScanTest, NumericKeysDistinctAndPrunedScansMatch) {
  // Prices as keys: integers in a REAL column group with equal reals; NULL for missing ones.
  EXPECT_EQ(Run("SELECT price, typeof(price), count(*), max(symbol) FROM raw GROUP BY price"),
            Run("SELECT price, typeof(price), count(*), max(symbol) FROM raw GROUP BY +price"));
  auto distinct = Run("SELECT DISTINCT symbol, dt FROM raw");
  auto expected = Run("SELECT DISTINCT +symbol, +dt FROM raw");
  std::sort(distinct.begin(), distinct.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(distinct, expected);
  EXPECT_EQ(distinct.size(), 14u);
  EXPECT_EQ(Run("SELECT symbol, count(*), max(price) FROM raw WHERE dt = '2025-08-13' "
                "GROUP BY symbol"),
            Run("SELECT symbol, count(*), max(price) FROM raw WHERE dt = '2025-08-13' "
                "GROUP BY +symbol"));
}

TEST_F(GroupedScanTest, TheTimeLimitStopsAGroupedScanBetweenObjects) {
  // The grouped scan reads every object inside one SQLite call, where the progress handler that
  // enforces the limit never runs: the scan must check the deadline itself.
  FileArchive archive(dir_.path());
  constexpr int kObjects = 20;
  for (int object = 0; object < kObjects; ++object) {
    std::string lines;
    for (int i = 0; i < 20'000; ++i) {
      lines += fmt::format(R"({{"symbol":"S{}","timestamp":"t{}","price":{}.5}})", i % 7, i, i);
      lines += "\n";
    }
    ASSERT_TRUE(archive
                    .Put(fmt::format("raw/dt=2025-09-01/shard-{:06}-1-1.jsonl.gz", object),
                         *GzipCompress(lines))
                    .ok());
  }
  auto engine = SqliteQueryEngine::Open({dir_.str(), std::chrono::milliseconds(1)});
  ASSERT_TRUE(engine.ok()) << engine.error();
  Collect out;
  const QueryOutcome r = (*engine)->Run(
      "SELECT symbol, max(price) FROM raw WHERE dt = '2025-09-01' GROUP BY symbol", out);
  EXPECT_EQ(r.failure, QueryFailure::kTimedOut) << r.status.message();
  EXPECT_LT(r.stats.objects_opened.size(), static_cast<std::size_t>(kObjects));
}

}  // namespace
}  // namespace stockpipe
