// Tick chunks: the column BLOB round-trips and refuses damage; the table keeps each symbol's
// ticks in non-overlapping chunks of at most kChunkRows, the last write of a timestamp winning,
// and says which ticks were new — checked against a plain map under random writes.
#include "store/sqlite/tick_chunks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "support/temp_dir.h"

namespace stockpipe {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr Micros kT0 = 1'755'182'292'000'000;  // 2025-08-14T14:38:12Z

StoredTick At(Micros t, double price) {
  return {kT0 + t, price, std::nullopt, std::nullopt};
}

TEST(TickChunkTest, RoundTripsWithAndWithoutMembers) {
  std::vector<StoredTick> plain = {At(1, 10.5), At(2, 11), At(9, 9.25)};
  std::vector<StoredTick> members = plain;
  members[0].volume = 300;
  members[2].bar = TickBar{9.5, 9.75, 9.0};
  members[2].volume = 0;
  for (const auto& ticks : {plain, members}) {
    const std::string blob = EncodeChunk(ticks);
    auto view = ChunkView::Of(blob);
    ASSERT_TRUE(view.ok()) << view.status().message();
    ASSERT_EQ(view->rows(), ticks.size());
    for (std::size_t i = 0; i < ticks.size(); ++i) EXPECT_EQ(view->tick(i), ticks[i]) << i;
    EXPECT_EQ(view->first(), kT0 + 1);
    EXPECT_EQ(view->last(), kT0 + 9);
    EXPECT_EQ(view->LowerBound(kT0 + 2), 1u);
    EXPECT_EQ(view->LowerBound(kT0 + 3), 2u);
    EXPECT_EQ(view->LowerBound(kT0 + 10), 3u);
  }
  // Members cost space only in chunks that have them.
  EXPECT_LT(EncodeChunk(plain).size(), EncodeChunk(members).size());
}

TEST(TickChunkTest, RefusesDamagedBlobs) {
  std::vector<StoredTick> ticks = {At(1, 1), At(2, 2)};
  ticks[1].volume = 5;
  const std::string blob = EncodeChunk(ticks);
  EXPECT_THAT(ChunkView::Of(blob.substr(0, 7)).status().message(), HasSubstr("shorter"));
  EXPECT_THAT(ChunkView::Of(blob.substr(0, blob.size() - 1)).status().message(),
              HasSubstr("bytes, not"));
  std::string other = blob;
  other[0] = 'X';
  EXPECT_THAT(ChunkView::Of(other).status().message(), HasSubstr("unknown format"));
  other = blob;
  other[8] = 0x7f;
  EXPECT_THAT(ChunkView::Of(other).status().message(), HasSubstr("unknown flags"));
  EXPECT_FALSE(ChunkView::Of(EncodeChunk({})).ok());
}

class TickChunksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = sqlite::Database::Open((dir_.path() / "clean.db").string(), true);
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(*db);
    ASSERT_TRUE(db_->Exec(TickChunks::kSchema).ok());
    auto chunks = TickChunks::Open(*db_);
    ASSERT_TRUE(chunks.ok()) << chunks.status().message();
    chunks_.emplace(std::move(*chunks));
  }

  // Writes `run` and returns which ticks were new.
  std::vector<bool> Write(std::string_view symbol, const std::vector<StoredTick>& run) {
    std::vector<bool> fresh;
    Status s = chunks_->Write(symbol, run, fresh);
    EXPECT_TRUE(s.ok()) << s.message();
    return fresh;
  }
  std::vector<StoredTick> All(std::string_view symbol) {
    std::vector<StoredTick> out;
    Status s = chunks_->Range(symbol, std::nullopt, std::nullopt, out);
    EXPECT_TRUE(s.ok()) << s.message();
    return out;
  }
  // Every chunk of `symbol` is ordered, within kChunkRows, described truly by its columns, and
  // after the one before it.
  void ExpectWellFormed(std::string_view symbol) {
    auto q = db_->Prepare(
        "SELECT first, last, rows, data FROM tick_chunks WHERE symbol=?1 ORDER BY first");
    ASSERT_TRUE(q.ok());
    q->Bind(1, symbol);
    std::optional<Micros> previous_last;
    while (q->Step() == SQLITE_ROW) {
      auto view = ChunkView::Of(q->Blob(3));
      ASSERT_TRUE(view.ok()) << view.status().message();
      EXPECT_EQ(q->Int(0), view->first());
      EXPECT_EQ(q->Int(1), view->last());
      EXPECT_EQ(static_cast<std::size_t>(q->Int(2)), view->rows());
      EXPECT_LE(view->rows(), TickChunks::kChunkRows);
      for (std::size_t i = 1; i < view->rows(); ++i) {
        ASSERT_LT(view->timestamp(i - 1), view->timestamp(i));
      }
      if (previous_last) {
        EXPECT_LT(*previous_last, view->first());
      }
      previous_last = view->last();
    }
  }
  std::int64_t ChunkCount(std::string_view symbol) {
    auto q = db_->Prepare("SELECT count(*) FROM tick_chunks WHERE symbol=?1");
    q->Bind(1, symbol);
    q->Step();
    return q->Int(0);
  }

  testing::TempDir dir_;
  std::unique_ptr<sqlite::Database> db_;
  std::optional<TickChunks> chunks_;
};

TEST_F(TickChunksTest, AppendsOfRunsKeepTheirOwnChunks) {
  std::vector<StoredTick> expected;
  for (int batch = 0; batch < 30; ++batch) {
    std::vector<StoredTick> run;
    for (int i = 0; i < 100; ++i) run.push_back(At(batch * 100 + i, batch + i / 100.0));
    const std::vector<bool> fresh = Write("AAPL", run);
    EXPECT_EQ(std::count(fresh.begin(), fresh.end(), true), 100);
    expected.insert(expected.end(), run.begin(), run.end());
  }
  EXPECT_THAT(All("AAPL"), ElementsAreArray(expected));
  ExpectWellFormed("AAPL");
  // A run of 100 extends a last chunk of fewer than 100 (or 64): 30 runs of 100 ticks make
  // 30 chunks of 100, where runs of 10 would have made chunks of ~64.
  EXPECT_EQ(ChunkCount("AAPL"), 30);
  EXPECT_THAT(All("MSFT"), ElementsAreArray(std::vector<StoredTick>{}));
  EXPECT_EQ(*chunks_->Count(), 3000u);
}

TEST_F(TickChunksTest, AReplayReplacesPricesAndIsNotFresh) {
  std::vector<StoredTick> run;
  for (int i = 0; i < 2500; ++i) run.push_back(At(i * 2, 1));
  Write("AAPL", run);
  // Overlapping every chunk: even timestamps are stored (new price), odd ones are new.
  std::vector<StoredTick> replay;
  for (int i = 0; i < 4999; ++i) replay.push_back(At(i, 2));
  const std::vector<bool> fresh = Write("AAPL", replay);
  for (int i = 0; i < 4999; ++i) EXPECT_EQ(fresh[i], i % 2 == 1) << i;
  EXPECT_THAT(All("AAPL"), ElementsAreArray(replay));
  ExpectWellFormed("AAPL");
  EXPECT_EQ(*chunks_->Count(), 4999u);
}

TEST_F(TickChunksTest, SmallRunsGatherAndLongOnesSplit) {
  std::vector<StoredTick> expected;
  for (int batch = 0; batch < 200; ++batch) {
    const std::vector<StoredTick> run = {At(batch * 2, 1), At(batch * 2 + 1, 2)};
    Write("MANY", run);
    expected.insert(expected.end(), run.begin(), run.end());
  }
  EXPECT_THAT(All("MANY"), ElementsAreArray(expected));
  ExpectWellFormed("MANY");
  // 400 ticks in runs of two gather into chunks of 64 (the last one shorter): 7, not 200.
  EXPECT_EQ(ChunkCount("MANY"), 7);
  std::vector<StoredTick> run;
  for (int i = 0; i < 3000; ++i) run.push_back(At(i, i));
  Write("LONG", run);
  ExpectWellFormed("LONG");
  EXPECT_EQ(ChunkCount("LONG"), 3) << "1,024 + 1,024 + 952";
}

TEST_F(TickChunksTest, ALateTickRewritesOnlyTheChunkItLandsIn) {
  std::vector<StoredTick> history;
  for (int i = 0; i < 10 * 1024; ++i) history.push_back(At(i * 2, 1));
  Write("AAPL", history);
  const auto rowids = [&] {
    std::vector<std::int64_t> out;
    auto q = db_->Prepare("SELECT rowid FROM tick_chunks WHERE symbol='AAPL' ORDER BY first");
    while (q->Step() == SQLITE_ROW) out.push_back(q->Int(0));
    return out;
  };
  const std::vector<std::int64_t> before = rowids();
  ASSERT_EQ(before.size(), 10u);
  // One tick between two of the third chunk's, one after everything: a run spanning the history.
  const StoredTick late = At(2 * 1024 * 2 + 1, 7);
  const StoredTick now = At(10 * 1024 * 2, 8);
  EXPECT_EQ(Write("AAPL", {late, now}), (std::vector<bool>{true, true}));
  const std::vector<std::int64_t> after = rowids();
  for (std::size_t i : {0u, 1u, 3u, 4u, 5u, 6u, 7u, 8u, 9u}) {
    EXPECT_NE(std::find(after.begin(), after.end(), before[i]), after.end())
        << "chunk " << i << " was rewritten";
  }
  EXPECT_EQ(std::find(after.begin(), after.end(), before[2]), after.end());
  history.push_back(late);
  history.push_back(now);
  std::sort(history.begin(), history.end(),
            [](const StoredTick& a, const StoredTick& b) { return a.timestamp < b.timestamp; });
  EXPECT_THAT(All("AAPL"), ElementsAreArray(history));
  ExpectWellFormed("AAPL");
}

TEST_F(TickChunksTest, RangeAndLastCutAtTheirBounds) {
  std::vector<StoredTick> run;
  for (int i = 0; i < 3000; ++i) run.push_back(At(i * 10, i));
  Write("AAPL", run);
  std::vector<StoredTick> out;
  ASSERT_TRUE(chunks_->Range("AAPL", kT0 + 10'235, kT0 + 20'480, out).ok());
  EXPECT_THAT(out, ElementsAreArray(run.begin() + 1024, run.begin() + 2048));
  out.clear();
  ASSERT_TRUE(chunks_->Range("AAPL", std::nullopt, kT0 + 15, out).ok());
  EXPECT_THAT(out, ElementsAreArray(run.begin(), run.begin() + 2));
  out.clear();
  ASSERT_TRUE(chunks_->Range("AAPL", kT0 + 29'990, std::nullopt, out).ok());
  EXPECT_THAT(out, ElementsAreArray(run.end() - 1, run.end()));
  ASSERT_TRUE(chunks_->Last("AAPL", 1100, out).ok());
  EXPECT_THAT(out, ElementsAreArray(run.end() - 1100, run.end()));
  ASSERT_TRUE(chunks_->Last("AAPL", 5000, out).ok());
  EXPECT_THAT(out, ElementsAreArray(run));
  ASSERT_TRUE(chunks_->Last("NONE", 5, out).ok());
  EXPECT_TRUE(out.empty());
}

TEST_F(TickChunksTest, RandomWritesMatchAMapWhereTheLastPriceWins) {
  std::mt19937_64 random(17);
  std::map<std::string, std::map<Micros, StoredTick>> model;
  const std::vector<std::string> symbols = {"A", "BB", "CCC"};
  for (int batch = 0; batch < 300; ++batch) {
    const std::string& symbol = symbols[random() % symbols.size()];
    // Mostly after the newest, sometimes anywhere (late ticks, replays), in runs of 1..600.
    const bool late = random() % 4 == 0;
    const Micros newest = model[symbol].empty() ? 0 : model[symbol].rbegin()->first - kT0;
    Micros t = late ? static_cast<Micros>(random() % (newest + 1)) : newest + 1;
    std::vector<StoredTick> run;
    const std::size_t n = 1 + random() % 600;
    for (std::size_t i = 0; i < n; ++i) {
      StoredTick tick = At(t, static_cast<double>(random() % 100000) / 100);
      if (random() % 5 == 0) tick.volume = static_cast<double>(random() % 1000);
      run.push_back(tick);
      t += 1 + static_cast<Micros>(random() % 3);
    }
    std::vector<bool> expected_fresh;
    for (const StoredTick& tick : run) {
      expected_fresh.push_back(!model[symbol].contains(tick.timestamp));
      model[symbol][tick.timestamp] = tick;
    }
    ASSERT_EQ(Write(symbol, run), expected_fresh) << "batch " << batch;
  }
  std::uint64_t total = 0;
  for (const auto& [symbol, ticks] : model) {
    std::vector<StoredTick> expected;
    for (const auto& [t, tick] : ticks) expected.push_back(tick);
    EXPECT_THAT(All(symbol), ElementsAreArray(expected)) << symbol;
    ExpectWellFormed(symbol);
    total += expected.size();
    std::vector<StoredTick> last;
    ASSERT_TRUE(chunks_->Last(symbol, 777, last).ok());
    const std::size_t keep = std::min<std::size_t>(777, expected.size());
    EXPECT_THAT(last, ElementsAreArray(expected.end() - keep, expected.end())) << symbol;
  }
  EXPECT_EQ(*chunks_->Count(), total);
}

TEST_F(TickChunksTest, ARunOutOfTimeOrderIsRefused) {
  std::vector<bool> fresh;
  for (const auto& run :
       {std::vector<StoredTick>{At(2, 1), At(1, 1)}, std::vector<StoredTick>{At(1, 1), At(1, 2)}}) {
    Status s = chunks_->Write("AAPL", run, fresh);
    EXPECT_THAT(s.message(), HasSubstr("not in strictly increasing time"));
  }
  EXPECT_EQ(*chunks_->Count(), 0u);
}

TEST_F(TickChunksTest, ADamagedChunkIsAnErrorNamingTheSymbol) {
  Write("AAPL", {At(1, 1), At(2, 2)});
  ASSERT_TRUE(db_->Exec("UPDATE tick_chunks SET data = x'00010203'").ok());
  std::vector<StoredTick> out;
  Status s = chunks_->Range("AAPL", std::nullopt, std::nullopt, out);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("AAPL"));
  std::vector<bool> fresh;
  EXPECT_FALSE(chunks_->Write("AAPL", std::vector<StoredTick>{At(3, 3)}, fresh).ok());
}

}  // namespace
}  // namespace stockpipe
