// Bars in the local CLEAN store: after any sequence of batches (duplicates, rewrites, late and
// out-of-order ticks, gaps, several UTC days), replays, reopening, a changed interval list and a
// folder from before candles, the stored bars equal CandlesFrom over every tick written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <random>

#include "store/sqlite/sqlite_clean_store.h"
#include "support/candle_ticks.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

using ::testing::HasSubstr;
using testing::Intervals;
using testing::kT0;
using testing::T;

constexpr Micros kSecond = 1'000'000;

class SqliteCandlesTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteCleanStore> Open(std::vector<Interval> intervals) {
    auto store = SqliteCleanStore::Open(path_, sqlite::Sync::kNormal, std::move(intervals));
    EXPECT_TRUE(store.ok()) << store.error();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Every stored bar of every symbol, in CandlesFrom's order.
  std::vector<Candle> Stored(SqliteCleanStore& store, const std::vector<std::string>& symbols) {
    std::vector<Candle> out;
    for (const std::string& symbol : symbols) {
      for (const Interval& interval : store.CandleIntervals()) {
        auto bars = store.Candles({symbol, interval.name, std::nullopt, std::nullopt, 1'000'000});
        EXPECT_TRUE(bars.ok()) << bars.error();
        if (bars.ok()) out.insert(out.end(), bars->begin(), bars->end());
      }
    }
    return out;
  }

  // A random batch: mostly forward in time, some late, some re-sent with another price.
  std::vector<Tick> RandomBatch(std::mt19937_64& rng, Micros& clock, std::size_t n) {
    std::vector<Tick> batch;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string symbol = std::string(1, static_cast<char>('A' + rng() % 3));
      clock += static_cast<Micros>(rng() % 40) * kSecond;
      if (rng() % 200 == 0) clock += 20 * 3600 * kSecond;  // a gap over a day boundary
      Micros t = clock;
      if (rng() % 8 == 0) t -= static_cast<Micros>(rng() % 7200) * kSecond;  // late
      if (rng() % 10 == 0 && !written_.empty()) t = written_[rng() % written_.size()].timestamp;
      std::optional<double> volume;
      if (rng() % 4 != 0) volume = static_cast<double>(rng() % 500);
      batch.push_back(T(symbol, t, 50 + static_cast<double>(rng() % 5000) / 100, volume));
    }
    return batch;
  }

  testing::TempDir dir_;
  std::string path_ = (dir_.path() / "clean.db").string();
  std::vector<Tick> written_;  // every tick upserted, in order
};

TEST_F(SqliteCandlesTest, BarsEqualAFreshComputationAfterRandomBatches) {
  const auto intervals = Intervals({"1m", "5m", "1h", "1d"});
  auto store = Open(intervals);
  std::mt19937_64 rng(7);
  Micros clock = kT0;
  for (int batch = 0; batch < 60; ++batch) {
    std::vector<Tick> ticks = RandomBatch(rng, clock, 1 + rng() % 400);
    ASSERT_TRUE(store->Upsert(ticks).ok());
    written_.insert(written_.end(), ticks.begin(), ticks.end());
    if (batch % 7 == 3) {  // a replay of the same batch changes nothing
      ASSERT_TRUE(store->Upsert(ticks).ok());
    }
    if (batch % 10 == 9) store = Open(intervals);  // a restart forgets the remembered bars
    ASSERT_EQ(Stored(*store, {"A", "B", "C"}), CandlesFrom(written_, intervals))
        << "after batch " << batch;
  }
}

TEST_F(SqliteCandlesTest, ARewriteOfAnExtremeRecomputesTheBar) {
  const auto intervals = Intervals({"1m"});
  auto store = Open(intervals);
  written_ = {T("A", kT0, 10), T("A", kT0 + kSecond, 50), T("A", kT0 + 2 * kSecond, 20)};
  ASSERT_TRUE(store->Upsert(written_).ok());
  const std::vector<Tick> fix = {T("A", kT0 + kSecond, 15)};  // the 50 was wrong
  ASSERT_TRUE(store->Upsert(fix).ok());
  written_.push_back(fix[0]);
  const auto bars = Stored(*store, {"A"});
  ASSERT_EQ(bars.size(), 1U);
  EXPECT_EQ(bars[0].high, 20);
  EXPECT_EQ(bars, CandlesFrom(written_, intervals));
}

TEST_F(SqliteCandlesTest, ANewIntervalIsBuiltFromTheTicksAndADroppedOneRemoved) {
  std::mt19937_64 rng(11);
  Micros clock = kT0;
  {
    auto store = Open(Intervals({"1m", "1d"}));
    written_ = RandomBatch(rng, clock, 2000);
    ASSERT_TRUE(store->Upsert(written_).ok());
  }
  const auto now = Intervals({"1m", "5m"});
  auto store = Open(now);
  EXPECT_EQ(Stored(*store, {"A", "B", "C"}), CandlesFrom(written_, now));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "SELECT count(*) FROM bars WHERE interval='1d'", -1, &q, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(q, 0), 0) << "bars nobody keeps up to date are not left behind";
  sqlite3_finalize(q);
  sqlite3_close(db);
}

TEST_F(SqliteCandlesTest, AFolderFromBeforeCandlesGetsColumnsAndBars) {
  // The schema every earlier stockpipe wrote.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE ticks(symbol TEXT NOT NULL, timestamp TEXT NOT NULL, "
                         "price REAL NOT NULL, PRIMARY KEY(symbol, timestamp)) WITHOUT ROWID;"
                         "CREATE TABLE symbols(symbol TEXT PRIMARY KEY, rows INTEGER NOT NULL "
                         "DEFAULT 0, newest TEXT NOT NULL) WITHOUT ROWID;"
                         "INSERT INTO ticks VALUES('A','2025-08-14T00:00:10.000000Z',10),"
                         "('A','2025-08-14T00:00:50.000000Z',12),"
                         "('A','2025-08-14T00:01:05.000000Z',11);"
                         "INSERT INTO symbols VALUES('A',3,'2025-08-14T00:01:05.000000Z');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const auto intervals = Intervals({"1m"});
  auto store = Open(intervals);
  written_ = {T("A", kT0 + 10 * kSecond, 10), T("A", kT0 + 50 * kSecond, 12),
              T("A", kT0 + 65 * kSecond, 11)};
  EXPECT_EQ(Stored(*store, {"A"}), CandlesFrom(written_, intervals));
  // And the new columns take ticks with volume from now on.
  const std::vector<Tick> more = {T("A", kT0 + 70 * kSecond, 13, 100)};
  ASSERT_TRUE(store->Upsert(more).ok());
  written_.push_back(more[0]);
  EXPECT_EQ(Stored(*store, {"A"}), CandlesFrom(written_, intervals));
}

TEST_F(SqliteCandlesTest, QueryRangeAndLimit) {
  const auto intervals = Intervals({"1m"});
  auto store = Open(intervals);
  for (int i = 0; i < 10; ++i) written_.push_back(T("A", kT0 + i * 60 * kSecond, 10 + i));
  ASSERT_TRUE(store->Upsert(written_).ok());
  auto newest = store->Candles({"A", "1m", std::nullopt, std::nullopt, 3});
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 3U);
  EXPECT_EQ(newest->front().close, 17) << "the newest three, oldest first";
  EXPECT_EQ(newest->back().close, 19);
  auto range = store->Candles({"A", "1m", kT0 + 120 * kSecond, kT0 + 300 * kSecond, 100});
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->size(), 3U) << "[from, to) by start";
  EXPECT_EQ(range->front().start, kT0 + 120 * kSecond);
  auto unknown = store->Candles({"A", "5m", std::nullopt, std::nullopt, 3});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error(), HasSubstr("1m"));
}

TEST_F(SqliteCandlesTest, RebuildRepairsBarsAndReportsProgress) {
  const auto intervals = Intervals({"1m", "1h"});
  auto store = Open(intervals);
  std::mt19937_64 rng(3);
  Micros clock = kT0;
  written_ = RandomBatch(rng, clock, 1500);
  ASSERT_TRUE(store->Upsert(written_).ok());
  // Damage the bars behind the store's back.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE bars SET high = high + 1; DELETE FROM bars WHERE symbol='B'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ASSERT_NE(Stored(*store, {"A", "B", "C"}), CandlesFrom(written_, intervals));
  std::vector<std::size_t> done;
  CandleRebuild scope;
  scope.progress = [&](std::size_t n, std::size_t total) {
    EXPECT_EQ(total, 3U);
    done.push_back(n);
  };
  auto written = store->RebuildCandles(scope);
  ASSERT_TRUE(written.ok()) << written.error();
  EXPECT_EQ(done, (std::vector<std::size_t>{1, 2, 3}));
  const auto expected = CandlesFrom(written_, intervals);
  EXPECT_EQ(*written, expected.size());
  EXPECT_EQ(Stored(*store, {"A", "B", "C"}), expected);
  // Ingest after a rebuild by another connection still merges into the right bars.
  auto more = RandomBatch(rng, clock, 300);
  ASSERT_TRUE(store->Upsert(more).ok());
  written_.insert(written_.end(), more.begin(), more.end());
  EXPECT_EQ(Stored(*store, {"A", "B", "C"}), CandlesFrom(written_, intervals));
}

TEST_F(SqliteCandlesTest, AnotherConnectionsRebuildIsNotOverwrittenByRememberedBars) {
  const auto intervals = Intervals({"1m"});
  auto ingest = Open(intervals);
  written_ = {T("A", kT0, 10), T("A", kT0 + kSecond, 11)};
  ASSERT_TRUE(ingest->Upsert(written_).ok());
  {
    // Another process changes a remembered bar (a repair writes a tick through its own store).
    auto other = Open(intervals);
    const std::vector<Tick> fix = {T("A", kT0 + 2 * kSecond, 30)};
    ASSERT_TRUE(other->Upsert(fix).ok());
    written_.push_back(fix[0]);
  }
  const std::vector<Tick> next = {T("A", kT0 + 3 * kSecond, 12)};
  ASSERT_TRUE(ingest->Upsert(next).ok());
  written_.push_back(next[0]);
  EXPECT_EQ(Stored(*ingest, {"A"}), CandlesFrom(written_, intervals));
}

TEST_F(SqliteCandlesTest, AReaderWithAnotherIntervalListChangesNothing) {
  const auto kept = Intervals({"1m", "1h"});
  auto writer = Open(kept);
  written_ = {T("A", kT0, 10), T("A", kT0 + 61 * kSecond, 11)};
  ASSERT_TRUE(writer->Upsert(written_).ok());
  auto reader = SqliteCleanStore::Open(path_, sqlite::Sync::kNormal, Intervals({"1m", "5m"}),
                                       CandleIntervalsChange::kLeave);
  ASSERT_TRUE(reader.ok()) << reader.error();
  auto minutes = (*reader)->Candles({"A", "1m", std::nullopt, std::nullopt, 10});
  ASSERT_TRUE(minutes.ok()) << minutes.error();
  EXPECT_EQ(minutes->size(), 2U);
  auto five = (*reader)->Candles({"A", "5m", std::nullopt, std::nullopt, 10});
  ASSERT_FALSE(five.ok());
  EXPECT_THAT(five.error(), HasSubstr("keeps no bars at 5m"));
  EXPECT_EQ(Stored(*writer, {"A"}), CandlesFrom(written_, kept)) << "the 1h bars are still there";
}

}  // namespace
}  // namespace stockpipe
