// The CLEAN store with many symbols: a batch of few ticks a symbol is logged and folded later, a
// slice of symbols per batch. Checked against what the same ticks mean when written one batch at
// a time: every tick once, the last price of a key winning across batches and within one, the
// summaries and the bars as computed from all the ticks at once; SQL over the file sees logged
// ticks once settled, reads through the store always. And a SIGKILL at any moment of logging and
// folding loses and duplicates nothing once the unacknowledged batches are sent again.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>

#include "sqlite/database.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "store/sqlite/ticks_table.h"
#include "support/candle_ticks.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

using testing::kT0;
using testing::T;

constexpr Micros kSecond = 1'000'000;
constexpr int kSymbols = 400;

std::string Symbol(int i) {
  return fmt::format("S{:03}", i);
}

std::vector<std::pair<const Micros, double>> Pairs(const std::vector<PricePoint>& points) {
  std::vector<std::pair<const Micros, double>> out;
  for (const PricePoint& p : points) out.emplace_back(p.timestamp, p.price);
  return out;
}

// Batch `b` of a feed of kSymbols symbols: ~1,300 ticks, about three a symbol (so it is logged),
// a tick a second per symbol, with what real feeds do between batches: some ticks of the batch
// before sent again (a replay), some with a corrected price, and a key twice within the batch
// (the later wins).
std::vector<Tick> Batch(int b) {
  std::mt19937 rng(1000 + b);
  std::vector<Tick> ticks;
  for (int s = 0; s < kSymbols; ++s) {
    for (int k = 0; k < 3; ++k) {
      const Micros t = kT0 + (b * 3 + k) * kSecond;
      ticks.push_back(T(Symbol(s), t, 100 + s + (b * 3 + k) * 0.01));
    }
  }
  for (int extra = 0; extra < 100 && b > 0; ++extra) {
    const int s = static_cast<int>(rng() % kSymbols);
    const Micros t = kT0 + ((b - 1) * 3 + static_cast<int>(rng() % 3)) * kSecond;
    const bool corrected = rng() % 2 == 0;
    ticks.push_back(
        T(Symbol(s), t, corrected ? 50.0 + extra : 100 + s + (t - kT0) / kSecond * 0.01));
  }
  std::shuffle(ticks.begin(), ticks.end(), rng);
  ticks.push_back(T(Symbol(7), kT0 + b * 3 * kSecond, 1.5));  // replaces this batch's own tick
  return ticks;
}

// What a store holds after `batches` were upserted in order.
struct Expected {
  std::map<std::string, std::map<Micros, double>> prices;
  std::vector<Candle> bars;
};

Expected ExpectedAfter(int batches, const std::vector<Interval>& intervals) {
  Expected expected;
  std::vector<Tick> all;
  for (int b = 0; b < batches; ++b) {
    for (Tick& tick : Batch(b)) {
      expected.prices[tick.symbol][tick.timestamp] = tick.price;
      all.push_back(std::move(tick));
    }
  }
  expected.bars = CandlesFrom(all, intervals);
  return expected;
}

class ManySymbolsTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteCleanStore> Open() {
    auto store = SqliteCleanStore::Open(path_, sqlite::Sync::kNormal, intervals_);
    EXPECT_TRUE(store.ok()) << store.error();
    if (!store.ok()) return nullptr;
    (*store)->set_fold_ticks(kFoldTicks);
    return std::move(*store);
  }

  // A number straight from the file, on a connection of its own (as `stockpipe query` reads).
  std::int64_t Count(const std::string& sql) {
    auto db = sqlite::Database::Open(path_, false);
    EXPECT_TRUE(db.ok()) << db.status().message();
    EXPECT_TRUE(RegisterTicksTable((*db)->handle()).ok());
    auto q = (*db)->Prepare(sql);
    EXPECT_TRUE(q.ok()) << q.status().message();
    if (!q.ok() || q->Step() != SQLITE_ROW) return -1;
    return q->Int(0);
  }

  // The store's reads against `expected`: every symbol's ticks, its summary and its bars.
  void ExpectHolds(SqliteCleanStore& store, const Expected& expected) {
    auto summary = store.Summary();
    ASSERT_TRUE(summary.ok()) << summary.error();
    ASSERT_EQ(summary->size(), expected.prices.size());
    std::size_t at = 0;
    for (const auto& [symbol, prices] : expected.prices) {
      const SymbolSummary& row = (*summary)[at++];
      EXPECT_EQ(row.symbol, symbol);
      EXPECT_EQ(row.rows, prices.size()) << symbol;
      EXPECT_EQ(row.newest, prices.rbegin()->first) << symbol;
      auto points = store.Range(symbol, 0, 0);
      ASSERT_TRUE(points.ok()) << points.error();
      EXPECT_EQ(Pairs(*points), std::vector(prices.begin(), prices.end())) << symbol;
    }
    for (const Interval& interval : intervals_) {
      for (const auto& [symbol, prices] : expected.prices) {
        std::vector<Candle> want;
        for (const Candle& bar : expected.bars) {
          if (bar.symbol == symbol && bar.interval == interval.name) want.push_back(bar);
        }
        auto bars = store.Candles({symbol, interval.name, std::nullopt, std::nullopt, 100'000});
        ASSERT_TRUE(bars.ok()) << bars.error();
        ASSERT_EQ(*bars, want) << symbol << " " << interval.name;
      }
    }
  }

  static constexpr std::size_t kFoldTicks = 4'000;
  testing::TempDir dir_;
  std::string path_ = (dir_.path() / "clean.db").string();
  std::vector<Interval> intervals_ = testing::Intervals({"1m", "5m", "1h"});
};

TEST_F(ManySymbolsTest, SQLSeesALoggedBatchOnceSettledAndTheStoreAlways) {
  auto store = Open();
  ASSERT_TRUE(store);
  const std::vector<Tick> batch = Batch(0);
  ASSERT_TRUE(store->Upsert(batch).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM tick_log"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM ticks"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM symbols"), 0);

  // A read through the store settles first.
  auto points = store->LastN(Symbol(7), 10);
  ASSERT_TRUE(points.ok()) << points.error();
  EXPECT_EQ(points->size(), 3u);
  EXPECT_EQ(points->front().price, 1.5) << "the later of two ticks of one key";
  EXPECT_EQ(Count("SELECT count(*) FROM tick_log"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM ticks"), 3 * kSymbols);

  // Settling an empty log changes nothing.
  ASSERT_TRUE(store->Upsert(Batch(1)).ok());
  ASSERT_TRUE(store->Settle().ok());
  ASSERT_TRUE(store->Settle().ok());
  EXPECT_EQ(Count("SELECT count(*) FROM ticks"), 6 * kSymbols);
  ExpectHolds(*store, ExpectedAfter(2, intervals_));
}

TEST_F(ManySymbolsTest, SmallAndDenseBatchesAreWrittenAtOnce) {
  auto store = Open();
  ASSERT_TRUE(store);
  // A live feed's small batch: SQL sees it as soon as Upsert returns.
  std::vector<Tick> small;
  for (int s = 0; s < 100; ++s) small.push_back(T(Symbol(s), kT0, 1));
  ASSERT_TRUE(store->Upsert(small).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM ticks"), 100);
  // Many ticks of few symbols.
  std::vector<Tick> dense;
  for (int i = 0; i < 2'000; ++i) dense.push_back(T(Symbol(i % 10), kT0 + (i + 1) * kSecond, 2));
  ASSERT_TRUE(store->Upsert(dense).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM ticks"), 2'100);
  EXPECT_EQ(Count("SELECT count(*) FROM tick_log"), 0);
}

TEST_F(ManySymbolsTest, FoldsInSlicesEqualWritingEveryBatchAtOnce) {
  auto store = Open();
  ASSERT_TRUE(store);
  constexpr int kBatches = 40;
  int seen_mid_fold = 0, dense_at = 25;
  for (int b = 0; b < kBatches; ++b) {
    ASSERT_TRUE(store->Upsert(Batch(b)).ok()) << b;
    if (Count("SELECT count(*) FROM tick_log_fold") == 1) ++seen_mid_fold;
    // The log never holds much more than a fold's worth.
    EXPECT_LE(Count("SELECT COALESCE(sum(ticks), 0) FROM tick_log"),
              static_cast<std::int64_t>(2 * kFoldTicks));
    if (b == dense_at) {
      // A dense batch in the middle of a fold: logged ticks go first, so its prices win.
      std::vector<Tick> dense;
      for (int i = 0; i < 1'000; ++i) dense.push_back(T(Symbol(i % 5), kT0 + (b * 3) * kSecond, 7));
      ASSERT_TRUE(store->Upsert(dense).ok());
      EXPECT_EQ(Count("SELECT count(*) FROM tick_log"), 0);
      auto points = store->Range(Symbol(3), kT0 + b * 3 * kSecond, kT0 + b * 3 * kSecond);
      ASSERT_TRUE(points.ok());
      EXPECT_THAT(Pairs(*points), ::testing::ElementsAre(std::pair{kT0 + b * 3 * kSecond, 7.0}));
      // The same tick again as the batch had it, so the expected state stays Batch()'s.
      ASSERT_TRUE(store->Upsert(Batch(b)).ok());
    }
  }
  EXPECT_GE(seen_mid_fold, 5) << "folds went in slices";
  ASSERT_TRUE(store->Settle().ok());
  EXPECT_EQ(Count("SELECT count(*) FROM tick_log") + Count("SELECT count(*) FROM tick_log_fold"),
            0);
  const Expected expected = ExpectedAfter(kBatches, intervals_);
  ExpectHolds(*store, expected);
  // SQL counts what the store does.
  std::int64_t ticks = 0;
  for (const auto& [symbol, prices] : expected.prices)
    ticks += static_cast<std::int64_t>(prices.size());
  EXPECT_EQ(Count("SELECT count(*) FROM ticks"), ticks);
  EXPECT_EQ(Count("SELECT sum(rows) FROM symbols"), ticks);
}

TEST_F(ManySymbolsTest, AReaderThatKeepsOtherIntervalsFoldsAtTheFoldersOwn) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    for (int b = 0; b < 6; ++b) ASSERT_TRUE(store->Upsert(Batch(b)).ok());
    ASSERT_GT(Count("SELECT count(*) FROM tick_log"), 0);
  }
  // A command configured with other intervals reads: it folds, and the bars are the folder's.
  auto reader = SqliteCleanStore::Open(path_, sqlite::Sync::kNormal, testing::Intervals({"1d"}),
                                       CandleIntervalsChange::kLeave);
  ASSERT_TRUE(reader.ok()) << reader.error();
  ASSERT_TRUE((*reader)->Symbols().ok());
  EXPECT_EQ(Count("SELECT count(*) FROM tick_log"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM bars WHERE interval = '1d'"), 0);
  auto writer = Open();
  ASSERT_TRUE(writer);
  ExpectHolds(*writer, ExpectedAfter(6, intervals_));
}

// Kills: a child upserts batch after batch and reports each that returned; the parent kills it
// once it has reported a seeded number of them, wherever it is then (logging, in a fold's slice,
// committing). Afterwards the file holds exactly the reported batches, or those and the one in
// flight; sending again every batch after the reported ones (what ingest's replay does) gives the
// same state as an uninterrupted run.
TEST_F(ManySymbolsTest, AKillAtAnyMomentLosesAndDuplicatesNothing) {
  constexpr int kBatches = 30;
  const Expected complete = ExpectedAfter(kBatches, intervals_);
  std::mt19937 rng(23);
  int killed_mid_fold = 0;
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::filesystem::remove_all(dir_.path());
    std::filesystem::create_directories(dir_.path());
    int reports[2];
    ASSERT_EQ(::pipe(reports), 0);
    const int kill_after = 3 + static_cast<int>(rng() % (kBatches - 6));
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(reports[0]);
      auto store = Open();
      if (!store) ::_exit(2);
      for (int b = 0; b < kBatches; ++b) {
        if (!store->Upsert(Batch(b)).ok()) ::_exit(3);
        const char done = 1;
        if (::write(reports[1], &done, 1) != 1) ::_exit(4);
      }
      ::_exit(0);
    }
    ::close(reports[1]);
    int reported = 0;
    char done;
    while (reported < kill_after && ::read(reports[0], &done, 1) == 1) ++reported;
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    while (::read(reports[0], &done, 1) == 1) ++reported;
    ::close(reports[0]);
    if (!WIFSIGNALED(status)) continue;  // it finished first: nothing to check here
    if (Count("SELECT count(*) FROM tick_log_fold") == 1) ++killed_mid_fold;

    auto store = Open();  // a writer's open folds what was left logged
    ASSERT_TRUE(store);
    EXPECT_EQ(Count("SELECT count(*) FROM tick_log"), 0);
    auto summary = store->Summary();
    ASSERT_TRUE(summary.ok());
    std::uint64_t rows = 0;
    for (const SymbolSummary& s : *summary) rows += s.rows;
    const auto ticks_after = [&](int batches) {
      std::uint64_t n = 0;
      for (const auto& [symbol, prices] : ExpectedAfter(batches, intervals_).prices)
        n += prices.size();
      return n;
    };
    EXPECT_TRUE(rows == ticks_after(reported) || rows == ticks_after(reported + 1))
        << "attempt " << attempt << ": " << rows << " rows after " << reported << " batches";
    EXPECT_EQ(static_cast<std::int64_t>(rows), Count("SELECT count(*) FROM ticks"));
    for (int b = reported; b < kBatches; ++b) ASSERT_TRUE(store->Upsert(Batch(b)).ok());
    ASSERT_TRUE(store->Settle().ok());
    ExpectHolds(*store, complete);
  }
  EXPECT_GE(killed_mid_fold, 1) << "no kill landed while a fold was under way";
}

}  // namespace
}  // namespace stockpipe
