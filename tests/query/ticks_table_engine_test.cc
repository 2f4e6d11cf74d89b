// The query engine over a clean.db whose `ticks` is the chunk table (store/sqlite/ticks_table.h):
// its internal reads of tick_chunks pass the engine's authorizer and DEFENSIVE mode, and writes
// to clean.ticks stay refused. The engine registers the module on its own connection.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <vector>

#include "core/timestamp.h"
#include "query/result_format.h"
#include "query/sqlite_query_engine.h"
#include "sqlite/database.h"
#include "store/sqlite/tick_chunks.h"
#include "store/sqlite/ticks_table.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

constexpr Micros kT0 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z

struct Collect final : RowSink {
  std::vector<std::vector<std::string>> rows;
  Status Columns(std::span<const std::string>) override { return Status::Ok(); }
  Status Row(std::span<const Cell> cells) override {
    std::vector<std::string> row;
    for (const Cell& c : cells) row.push_back(c.type == Cell::Type::kNull ? "<null>" : CellText(c));
    rows.push_back(std::move(row));
    return Status::Ok();
  }
};

class TicksTableEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = sqlite::Database::Open((dir_.path() / "clean.db").string(), true);
    ASSERT_TRUE(db.ok()) << db.error();
    ASSERT_TRUE(RegisterTicksTable((*db)->handle()).ok());
    ASSERT_TRUE((*db)->Exec(TickChunks::kSchema).ok());
    ASSERT_TRUE((*db)->Exec("CREATE VIRTUAL TABLE ticks USING stockpipe_ticks").ok());
    auto chunks = TickChunks::Open(**db);
    ASSERT_TRUE(chunks.ok()) << chunks.error();
    std::vector<bool> fresh;
    for (const std::string symbol : {"MSFT", "AAPL"}) {
      std::vector<StoredTick> run;
      for (int i = 0; i < 2'500; ++i) {
        const double price = 100 + (i * 7919 + static_cast<int>(symbol[0])) % 1'000 / 10.0;
        run.push_back({kT0 + Micros{i} * 1'000'000, price, std::nullopt, std::nullopt});
        max_[symbol] = std::max(max_[symbol], price);
        last_[symbol] = {FormatCanonical(run.back().timestamp), price};
      }
      ASSERT_TRUE(chunks->Write(symbol, run, fresh).ok());
    }
  }
  testing::TempDir dir_;
  std::map<std::string, double> max_;
  std::map<std::string, std::pair<std::string, double>> last_;
};

std::string Price(double v) {
  Cell c;
  c.type = Cell::Type::kReal;
  c.real = v;
  return CellText(c);
}

TEST_F(TicksTableEngineTest, ReadsThroughTheAuthorizer) {
  auto engine = SqliteQueryEngine::Open({dir_.str()});
  ASSERT_TRUE(engine.ok()) << engine.error();
  ASSERT_TRUE((*engine)->has_clean());

  Collect grouped;
  auto outcome = (*engine)->Run(
      "SELECT symbol, MAX(price), count(*) FROM clean.ticks GROUP BY symbol", grouped);
  ASSERT_TRUE(outcome.ok()) << outcome.status.message();
  ASSERT_EQ(grouped.rows.size(), 2u);
  EXPECT_EQ(grouped.rows[0], (std::vector<std::string>{"AAPL", Price(max_["AAPL"]), "2500"}));
  EXPECT_EQ(grouped.rows[1], (std::vector<std::string>{"MSFT", Price(max_["MSFT"]), "2500"}));

  Collect newest;
  outcome = (*engine)->Run(
      "SELECT timestamp, price FROM ticks WHERE symbol = 'MSFT' ORDER BY timestamp DESC LIMIT 1",
      newest);
  ASSERT_TRUE(outcome.ok()) << outcome.status.message();
  ASSERT_EQ(newest.rows.size(), 1u);
  EXPECT_EQ(newest.rows[0],
            (std::vector<std::string>{last_["MSFT"].first, Price(last_["MSFT"].second)}));

  Collect count;
  outcome = (*engine)->Run(
      "SELECT count(*) FROM clean.ticks a JOIN clean.ticks b ON b.symbol = a.symbol "
      "AND b.timestamp = a.timestamp WHERE a.timestamp >= '2026-01-01T00:20'",
      count);
  ASSERT_TRUE(outcome.ok()) << outcome.status.message();
  EXPECT_EQ(count.rows, (std::vector<std::vector<std::string>>{{std::to_string(2 * 1'300)}}));
}

TEST_F(TicksTableEngineTest, WritesStayRefused) {
  auto engine = SqliteQueryEngine::Open({dir_.str()});
  ASSERT_TRUE(engine.ok()) << engine.error();
  for (const char* sql : {"INSERT INTO clean.ticks(symbol, timestamp, price) VALUES('X', 'y', 1)",
                          "DELETE FROM clean.ticks", "UPDATE clean.ticks SET price = 0",
                          "DROP TABLE clean.ticks", "DELETE FROM clean.tick_chunks"}) {
    Collect rows;
    const auto outcome = (*engine)->Run(sql, rows);
    EXPECT_EQ(outcome.failure, QueryFailure::kRefused) << sql << ": " << outcome.status.message();
  }
  Collect count;
  ASSERT_TRUE((*engine)->Run("SELECT count(*) FROM clean.ticks", count).ok());
  EXPECT_EQ(count.rows, (std::vector<std::vector<std::string>>{{"5000"}}));
}

}  // namespace
}  // namespace stockpipe
