// The CLEAN store: idempotent upserts keyed by (symbol, timestamp) where the last price wins,
// LastN oldest-first, Symbols, and a Summary whose row counts stay exact under replays.
#include "store/sqlite/sqlite_clean_store.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "store/sqlite/ticks_table.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr Micros kT0 = 1'755'182'292'000'000;  // 2025-08-14T14:38:12Z
constexpr Micros kSecond = 1'000'000;

Tick T(std::string symbol, Micros t, double price) {
  Tick tick;
  tick.symbol = std::move(symbol);
  tick.timestamp = t;
  tick.price = price;
  return tick;
}

class SqliteCleanStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_ / "clean.db").string();
    store_ = Open();
  }
  void TearDown() override { store_.reset(); }

  std::unique_ptr<SqliteCleanStore> Open() {
    auto s = SqliteCleanStore::Open(path_);
    EXPECT_TRUE(s.ok()) << s.error();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Counts straight from the file, not through the store's own bookkeeping.
  std::int64_t RowsInFile(const std::string& where = "1") {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    EXPECT_TRUE(RegisterTicksTable(db).ok());
    sqlite3_stmt* q = nullptr;
    const std::string sql = "SELECT COUNT(*) FROM ticks WHERE " + where;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr), SQLITE_OK);
    std::int64_t n = -1;
    if (sqlite3_step(q) == SQLITE_ROW) n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
  }

  std::map<std::string, SymbolSummary> SummaryBySymbol() {
    auto summary = store_->Summary();
    EXPECT_TRUE(summary.ok()) << summary.error();
    std::map<std::string, SymbolSummary> out;
    for (auto& s : *summary) out[s.symbol] = s;
    return out;
  }

  testing::TempDir temp_;
  std::filesystem::path dir_ = temp_.path();
  std::string path_;
  std::unique_ptr<SqliteCleanStore> store_;
};

TEST_F(SqliteCleanStoreTest, UpsertingTheSameTicksAgainChangesNothing) {
  std::vector<Tick> ticks;
  for (int i = 0; i < 300; ++i) {
    ticks.push_back(T(i % 3 ? "AAPL" : "MSFT", kT0 + i * kSecond, 100 + i));
  }
  ASSERT_TRUE(store_->Upsert(ticks).ok());
  const auto before = store_->LastN("AAPL", 1000);
  ASSERT_TRUE(store_->Upsert(ticks).ok());
  ASSERT_TRUE(store_->Upsert(std::span<const Tick>(ticks).subspan(10, 50)).ok());
  EXPECT_EQ(RowsInFile(), 300);
  const auto after = store_->LastN("AAPL", 1000);
  ASSERT_EQ(after->size(), before->size());
  for (std::size_t i = 0; i < after->size(); ++i) {
    EXPECT_EQ((*after)[i].timestamp, (*before)[i].timestamp);
    EXPECT_EQ((*after)[i].price, (*before)[i].price);
  }
  EXPECT_TRUE(store_->Upsert({}).ok());
  EXPECT_EQ(RowsInFile(), 300);
}

TEST_F(SqliteCleanStoreTest, TheLastPriceWinsAcrossCallsAndWithinOneCall) {
  ASSERT_TRUE(store_->Upsert(std::vector{T("AAPL", kT0, 1.0)}).ok());
  ASSERT_TRUE(store_->Upsert(std::vector{T("AAPL", kT0, 2.0)}).ok());
  auto p = store_->LastN("AAPL", 5);
  ASSERT_THAT(*p, ::testing::SizeIs(1));
  EXPECT_EQ((*p)[0].price, 2.0);

  // Within one batch the later tick is the correction, whatever else the batch holds: a batch
  // big enough that a sort of it is no longer an insertion sort.
  std::vector<Tick> batch;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 200; ++i) {
      batch.push_back(
          T(fmt::format("S{:02d}", i % 20), kT0 + (i / 20) * kSecond, 1000.0 * round + i));
    }
  }
  ASSERT_TRUE(store_->Upsert(batch).ok());
  EXPECT_EQ(RowsInFile(), 1 + 200);
  for (int i = 0; i < 200; ++i) {
    auto points = store_->Range(fmt::format("S{:02d}", i % 20), kT0 + (i / 20) * kSecond,
                                kT0 + (i / 20) * kSecond);
    ASSERT_TRUE(points.ok()) << points.error();
    ASSERT_THAT(*points, ::testing::SizeIs(1)) << i;
    EXPECT_EQ((*points)[0].price, 4000.0 + i) << "tick " << i << ": the last of 5 prices wins";
  }
  // Rows are counted once per key, however many versions a batch carried.
  for (const auto& [symbol, s] : SummaryBySymbol()) {
    if (symbol != "AAPL") {
      EXPECT_EQ(s.rows, 10u) << symbol;
    }
  }
}

TEST_F(SqliteCleanStoreTest, LastNReturnsTheNewestPointsOldestFirst) {
  std::vector<Tick> ticks;
  // Out of order on purpose: the store orders by time, not by arrival.
  for (int i : {5, 1, 9, 3, 7, 2, 8, 0, 6, 4}) ticks.push_back(T("TSLA", kT0 + i * kSecond, i));
  ticks.push_back(T("OTHER", kT0 + 100 * kSecond, 42));
  ASSERT_TRUE(store_->Upsert(ticks).ok());

  auto last3 = store_->LastN("TSLA", 3);
  ASSERT_TRUE(last3.ok());
  ASSERT_THAT(*last3, ::testing::SizeIs(3));
  EXPECT_EQ((*last3)[0].timestamp, kT0 + 7 * kSecond);
  EXPECT_EQ((*last3)[1].timestamp, kT0 + 8 * kSecond);
  EXPECT_EQ((*last3)[2].timestamp, kT0 + 9 * kSecond);
  EXPECT_EQ((*last3)[2].price, 9.0);

  auto all = store_->LastN("TSLA", 100);
  ASSERT_THAT(*all, ::testing::SizeIs(10));
  for (int i = 0; i < 10; ++i) EXPECT_EQ((*all)[i].timestamp, kT0 + i * kSecond);
  EXPECT_THAT(*store_->LastN("TSLA", 0), IsEmpty());
  EXPECT_THAT(*store_->LastN("NOPE", 5), IsEmpty());
  // Microsecond precision survives the round trip.
  ASSERT_TRUE(store_->Upsert(std::vector{T("TSLA", kT0 + 10 * kSecond + 1, 10.5)}).ok());
  EXPECT_EQ((*store_->LastN("TSLA", 1))[0].timestamp, kT0 + 10 * kSecond + 1);
}

TEST_F(SqliteCleanStoreTest, SymbolsListsEverySymbolOnceInOrder) {
  EXPECT_THAT(*store_->Symbols(), IsEmpty());
  ASSERT_TRUE(
      store_->Upsert(std::vector{T("MSFT", kT0, 1), T("AAPL", kT0, 1), T("MSFT", kT0 + 1, 1)})
          .ok());
  ASSERT_TRUE(store_->Upsert(std::vector{T("GOOGL", kT0, 1), T("AAPL", kT0, 3)}).ok());
  EXPECT_THAT(*store_->Symbols(), ElementsAre("AAPL", "GOOGL", "MSFT"));
}

TEST_F(SqliteCleanStoreTest, SummaryCountsRowsNotUpsertsAndKnowsTheNewestTick) {
  std::vector<Tick> ticks;
  for (int i = 0; i < 50; ++i) ticks.push_back(T("AAPL", kT0 + i * kSecond, 100 + i));
  for (int i = 0; i < 20; ++i) ticks.push_back(T("MSFT", kT0 - i * kSecond, 200 + i));
  ASSERT_TRUE(store_->Upsert(ticks).ok());
  ASSERT_TRUE(store_->Upsert(ticks).ok());  // a replayed batch
  // Half old keys with new prices, half new keys.
  std::vector<Tick> mixed;
  for (int i = 40; i < 60; ++i) mixed.push_back(T("AAPL", kT0 + i * kSecond, 1));
  mixed.push_back(T("AAPL", kT0 + 45 * kSecond, 2));  // the same key twice in one call
  ASSERT_TRUE(store_->Upsert(mixed).ok());
  ASSERT_TRUE(store_->Upsert(mixed).ok());

  auto summary = SummaryBySymbol();
  ASSERT_EQ(summary.size(), 2u);
  EXPECT_EQ(summary["AAPL"].rows, 60u);
  EXPECT_EQ(static_cast<std::int64_t>(summary["AAPL"].rows), RowsInFile("symbol='AAPL'"));
  EXPECT_EQ(summary["AAPL"].newest, kT0 + 59 * kSecond);
  EXPECT_EQ(summary["MSFT"].rows, 20u);
  EXPECT_EQ(static_cast<std::int64_t>(summary["MSFT"].rows), RowsInFile("symbol='MSFT'"));
  EXPECT_EQ(summary["MSFT"].newest, kT0);
  auto p45 = store_->Range("AAPL", kT0 + 45 * kSecond, kT0 + 45 * kSecond);
  ASSERT_THAT(*p45, ::testing::SizeIs(1));
  EXPECT_EQ((*p45)[0].price, 2.0);
}

TEST_F(SqliteCleanStoreTest, SummaryStaysExactUnderRandomReplays) {
  std::mt19937 rng(17);
  std::vector<Tick> universe;
  for (int s = 0; s < 7; ++s) {
    for (int i = 0; i < 400; ++i) {
      universe.push_back(T(fmt::format("R{}", s), kT0 + i * kSecond, s * 1000 + i));
    }
  }
  std::set<std::pair<std::string, Micros>> written;
  for (int round = 0; round < 40; ++round) {
    std::vector<Tick> batch;
    const int n = static_cast<int>(rng() % 300);
    for (int i = 0; i < n; ++i) {
      const Tick& t = universe[rng() % universe.size()];
      batch.push_back(t);
      written.insert({t.symbol, t.timestamp});
    }
    ASSERT_TRUE(store_->Upsert(batch).ok());
  }
  std::map<std::string, std::uint64_t> expected;
  Micros newest[7] = {};
  for (const auto& [symbol, t] : written) {
    ++expected[symbol];
    newest[symbol[1] - '0'] = std::max(newest[symbol[1] - '0'], t);
  }
  auto summary = SummaryBySymbol();
  ASSERT_EQ(summary.size(), expected.size());
  std::uint64_t total = 0;
  for (const auto& [symbol, rows] : expected) {
    EXPECT_EQ(summary[symbol].rows, rows) << symbol;
    EXPECT_EQ(summary[symbol].newest, newest[symbol[1] - '0']) << symbol;
    total += rows;
  }
  EXPECT_EQ(static_cast<std::int64_t>(total), RowsInFile());
}

TEST_F(SqliteCleanStoreTest, RowsSurviveReopeningAndASecondConnection) {
  ASSERT_TRUE(store_->Upsert(std::vector{T("AAPL", kT0, 1.5), T("AAPL", kT0 + kSecond, 2.5)}).ok());
  auto second = Open();
  ASSERT_TRUE(second->Upsert(std::vector{T("AAPL", kT0 + kSecond, 3.5)}).ok());
  EXPECT_EQ((*store_->LastN("AAPL", 1))[0].price, 3.5);
  second.reset();
  store_ = Open();
  EXPECT_EQ(store_->LastN("AAPL", 5)->size(), 2u);
  EXPECT_EQ(SummaryBySymbol()["AAPL"].rows, 2u);
}

TEST_F(SqliteCleanStoreTest, RangeIsInclusiveAndOpenEndedWithZero) {
  std::vector<Tick> ticks;
  for (int i = 0; i < 10; ++i) ticks.push_back(T("AAPL", kT0 + i * kSecond, i));
  ASSERT_TRUE(store_->Upsert(ticks).ok());
  auto mid = store_->Range("AAPL", kT0 + 2 * kSecond, kT0 + 4 * kSecond);
  ASSERT_THAT(*mid, ::testing::SizeIs(3));
  EXPECT_EQ((*mid)[0].price, 2.0);
  EXPECT_EQ((*mid)[2].price, 4.0);
  EXPECT_THAT(*store_->Range("AAPL", kT0 + 8 * kSecond, 0), ::testing::SizeIs(2));
}

// Writes `rows` ticks per symbol in the one-row-per-tick table of folders from before the chunks;
// every seventh tick carries volume and open/high/low.
void WriteRowFolder(const std::string& path, const std::vector<std::string>& symbols, int rows) {
  auto db = sqlite::Database::Open(path, true);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)
                  ->Exec("CREATE TABLE ticks(symbol TEXT NOT NULL, timestamp TEXT NOT NULL, "
                         "price REAL NOT NULL, volume REAL, open REAL, high REAL, low REAL, "
                         "PRIMARY KEY(symbol, timestamp)) WITHOUT ROWID;"
                         "CREATE TABLE symbols(symbol TEXT PRIMARY KEY, rows INTEGER NOT NULL "
                         "DEFAULT 0, newest TEXT NOT NULL) WITHOUT ROWID;")
                  .ok());
  auto insert = (*db)->Prepare("INSERT INTO ticks VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  auto summary = (*db)->Prepare("INSERT INTO symbols VALUES(?1, ?2, ?3)");
  ASSERT_TRUE((*db)->Exec("BEGIN").ok());
  for (const std::string& symbol : symbols) {
    for (int i = 0; i < rows; ++i) {
      insert->Reset();
      insert->Bind(1, symbol).Bind(2, FormatCanonical(kT0 + i * kSecond)).Bind(3, 100.0 + i);
      if (i % 7 == 0)
        insert->Bind(4, 10.0 * i).Bind(5, 99.0 + i).Bind(6, 101.0 + i).Bind(7, 98.0 + i);
      ASSERT_EQ(insert->Step(), SQLITE_DONE);
    }
    summary->Reset();
    summary->Bind(1, symbol)
        .Bind(2, std::int64_t{rows})
        .Bind(3, FormatCanonical(kT0 + (rows - 1) * kSecond));
    ASSERT_EQ(summary->Step(), SQLITE_DONE);
  }
  ASSERT_TRUE((*db)->Exec("COMMIT").ok());
}

std::string TicksSchema(const std::string& path) {
  auto db = sqlite::Database::Open(path, false);
  auto q = (*db)->Prepare("SELECT sql FROM sqlite_master WHERE name='ticks'");
  return q->Step() == SQLITE_ROW ? std::string(q->Text(0)) : "";
}

TEST_F(SqliteCleanStoreTest, AFolderOfTickRowsMovesIntoChunksOnFirstOpen) {
  store_.reset();
  fs::remove(path_);
  WriteRowFolder(path_, {"AAPL", "MSFT", "TSLA"}, 2500);
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  EXPECT_THAT(TicksSchema(path_), ::testing::StartsWith("CREATE VIRTUAL TABLE"));
  EXPECT_EQ(RowsInFile(), 7500);
  EXPECT_EQ(RowsInFile("symbol='MSFT' AND volume IS NOT NULL AND open IS NOT NULL"), 358);
  auto last = store_->LastN("TSLA", 3);
  ASSERT_TRUE(last.ok());
  ASSERT_THAT(*last, ::testing::SizeIs(3));
  EXPECT_EQ((*last)[0].timestamp, kT0 + 2497 * kSecond);
  EXPECT_EQ((*last)[2].price, 100.0 + 2499);
  EXPECT_EQ(SummaryBySymbol()["AAPL"].rows, 2500u);
  // Ingest goes on where the rows ended: a replayed tick replaces, a new one adds.
  ASSERT_TRUE(store_
                  ->Upsert(std::vector{T("AAPL", kT0 + 5 * kSecond, 1.25),
                                       T("AAPL", kT0 + 2500 * kSecond, 2.5)})
                  .ok());
  EXPECT_EQ(RowsInFile("symbol='AAPL'"), 2501);
  EXPECT_EQ(RowsInFile("symbol='AAPL' AND price=1.25"), 1);
  EXPECT_EQ(SummaryBySymbol()["AAPL"].rows, 2501u);
  // A second open finds chunks and moves nothing.
  store_ = Open();
  EXPECT_EQ(RowsInFile(), 7501);
}

TEST_F(SqliteCleanStoreTest, AFolderWhoseRowsCannotMoveIsRefusedAndLeftAsItWas) {
  store_.reset();
  fs::remove(path_);
  WriteRowFolder(path_, {"AAPL"}, 10);
  {
    auto db = sqlite::Database::Open(path_, false);
    ASSERT_TRUE(
        (*db)->Exec("INSERT INTO ticks(symbol, timestamp, price) VALUES('AAPL', 'soon', 1)").ok());
  }
  auto refused = SqliteCleanStore::Open(path_);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error(), ::testing::HasSubstr("soon"));
  EXPECT_THAT(TicksSchema(path_), ::testing::StartsWith("CREATE TABLE ticks"));
  EXPECT_EQ(RowsInFile(), 11) << "the rows stay where they were";
}

}  // namespace
}  // namespace stockpipe
