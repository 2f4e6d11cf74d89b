// The tick log: a logged batch's runs read back as written and refuse damage; the table keeps
// rows in order, counts their ticks, and a fold covers the rows logged before it started, no later
// ones, until it is finished.
#include "store/sqlite/tick_log.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace stockpipe {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr Micros kT0 = 1'755'182'292'000'000;  // 2025-08-14T14:38:12Z

StoredTick At(Micros t, double price) {
  return {kT0 + t, price, std::nullopt, std::nullopt};
}

// Every run of `data` as (symbol, ticks).
std::vector<std::pair<std::string, std::vector<StoredTick>>> Runs(std::string_view data) {
  std::vector<std::pair<std::string, std::vector<StoredTick>>> out;
  LoggedRuns runs(data);
  Status s = runs.Next();
  while (s.ok() && runs.run()) {
    auto& [symbol, ticks] =
        out.emplace_back(std::string(runs.run()->symbol), std::vector<StoredTick>{});
    for (std::size_t i = 0; i < runs.run()->ticks.rows(); ++i) {
      ticks.push_back(runs.run()->ticks.tick(i));
    }
    s = runs.Next();
  }
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

TEST(LoggedRunsTest, ReadBackAsWritten) {
  std::vector<StoredTick> aapl = {At(1, 10.5), At(2, 11)};
  aapl[1].volume = 300;
  aapl[1].bar = TickBar{10, 11.5, 9.5};
  const std::vector<StoredTick> msft = {At(1, 400)};
  std::string data;
  AppendLoggedRun("AAPL", aapl, data);
  AppendLoggedRun("MSFT", msft, data);
  EXPECT_THAT(Runs(data), ElementsAre(std::pair{std::string("AAPL"), aapl},
                                      std::pair{std::string("MSFT"), msft}));
  // An empty batch has no runs.
  EXPECT_THAT(Runs(""), ElementsAre());
}

TEST(LoggedRunsTest, RefuseDamage) {
  std::string data;
  AppendLoggedRun("AAPL", std::vector<StoredTick>{At(1, 1)}, data);
  const std::string first = data;
  AppendLoggedRun("MSFT", std::vector<StoredTick>{At(1, 2), At(2, 3)}, data);
  // Cut inside the second run: the first still reads, the second is the error.
  LoggedRuns cut(std::string_view(data).substr(0, data.size() - 3));
  ASSERT_TRUE(cut.Next().ok());
  EXPECT_THAT(cut.Next().message(), HasSubstr("ends inside the run"));
  // Cut inside the first.
  EXPECT_THAT(LoggedRuns(std::string_view(first).substr(0, 5)).Next().message(),
              HasSubstr("ends inside the run"));
  // Runs out of symbol order.
  std::string swapped;
  AppendLoggedRun("MSFT", std::vector<StoredTick>{At(1, 2)}, swapped);
  AppendLoggedRun("AAPL", std::vector<StoredTick>{At(1, 1)}, swapped);
  LoggedRuns disordered(swapped);
  ASSERT_TRUE(disordered.Next().ok());
  EXPECT_THAT(disordered.Next().message(), HasSubstr("out of symbol order"));
  // A damaged chunk names the symbol.
  std::string damaged = first;
  damaged[2 + 4 + 4] = 'X';  // the chunk's magic, after the symbol and the chunk's length
  EXPECT_THAT(LoggedRuns(damaged).Next().message(), HasSubstr("run of AAPL"));
}

class TickLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = sqlite::Database::Open((dir_.path() / "clean.db").string(), true);
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(*db);
    ASSERT_TRUE(db_->Exec(TickLog::kSchema).ok());
    auto log = TickLog::Open(*db_);
    ASSERT_TRUE(log.ok()) << log.status().message();
    log_.emplace(std::move(*log));
  }

  // A batch of one run of `ticks` ticks of `symbol`.
  static std::string Batch(std::string_view symbol, int ticks) {
    std::vector<StoredTick> run;
    for (int i = 0; i < ticks; ++i) run.push_back(At(i, i));
    std::string data;
    AppendLoggedRun(symbol, run, data);
    return data;
  }
  // The symbols of the rows up to `through`, oldest first, read with a cursor each.
  std::vector<std::string> Logged(std::int64_t through) {
    std::vector<std::int64_t> ids;
    Status s = log_->Ids(through, ids);
    EXPECT_TRUE(s.ok()) << s.message();
    std::vector<std::string> symbols;
    for (std::int64_t id : ids) {
      for (const auto& [symbol, ticks] : ReadRow(id)) symbols.push_back(symbol);
    }
    return symbols;
  }
  // Row `id`'s runs as (symbol, ticks), through a cursor.
  std::vector<std::pair<std::string, std::vector<StoredTick>>> ReadRow(std::int64_t id) {
    std::vector<std::pair<std::string, std::vector<StoredTick>>> out;
    LoggedRowCursor cursor(id);
    Status s = cursor.Start(*db_);
    while (s.ok() && cursor.run()) {
      auto& [symbol, ticks] =
          out.emplace_back(std::string(cursor.run()->symbol), std::vector<StoredTick>{});
      for (std::size_t i = 0; i < cursor.run()->ticks.rows(); ++i) {
        ticks.push_back(cursor.run()->ticks.tick(i));
      }
      s = cursor.Next(*db_);
    }
    EXPECT_TRUE(s.ok()) << s.message();
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<sqlite::Database> db_;
  std::optional<TickLog> log_;
};

TEST_F(TickLogTest, AFoldCoversTheRowsLoggedBeforeItStarted) {
  EXPECT_EQ(*log_->Ticks(), 0u);
  EXPECT_FALSE(log_->StartFold()->has_value()) << "nothing to fold";
  ASSERT_TRUE(log_->Append(3, Batch("AAPL", 3)).ok());
  ASSERT_TRUE(log_->Append(2, Batch("MSFT", 2)).ok());
  EXPECT_EQ(*log_->Ticks(), 5u);
  EXPECT_FALSE(log_->Folding()->has_value());

  auto fold = log_->StartFold();
  ASSERT_TRUE(fold.ok() && fold->has_value());
  ASSERT_TRUE(log_->Append(4, Batch("TSLA", 4)).ok());  // after the fold started
  EXPECT_THAT(Logged((*fold)->through), ElementsAre("AAPL", "MSFT"));
  EXPECT_EQ((*fold)->next, "");

  // Where a slice stopped is kept, and read back.
  TickLog::Fold stopped{(*fold)->through, "MSFT"};
  ASSERT_TRUE(log_->SaveFold(stopped).ok());
  auto folding = log_->Folding();
  ASSERT_TRUE(folding.ok() && folding->has_value());
  EXPECT_EQ((*folding)->through, stopped.through);
  EXPECT_EQ((*folding)->next, "MSFT");

  // Finishing deletes what it covered, not the row logged since.
  ASSERT_TRUE(log_->FinishFold(stopped).ok());
  EXPECT_FALSE(log_->Folding()->has_value());
  EXPECT_EQ(*log_->Ticks(), 4u);
  auto next = log_->StartFold();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_GT((*next)->through, stopped.through);
  EXPECT_THAT(Logged((*next)->through), ElementsAre("TSLA"));
}

TEST_F(TickLogTest, RowIdsAreNotReusedOnceTheLogIsEmpty) {
  // A fold is named by the newest row it covers: a row logged after the log emptied must not
  // take that name again.
  ASSERT_TRUE(log_->Append(1, Batch("AAPL", 1)).ok());
  auto fold = log_->StartFold();
  ASSERT_TRUE(fold.ok() && fold->has_value());
  ASSERT_TRUE(log_->FinishFold(**fold).ok());
  EXPECT_EQ(*log_->Ticks(), 0u);
  ASSERT_TRUE(log_->Append(1, Batch("MSFT", 1)).ok());
  auto again = log_->StartFold();
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_GT((*again)->through, (*fold)->through);
}

TEST_F(TickLogTest, ACursorReadsARowBiggerThanItsWindowAsWritten) {
  // Thousands of small runs and one longer than the cursor's window (64 KB), around it.
  std::string data;
  for (int s = 0; s < 6'000; ++s) {
    const int ticks = s == 3'000 ? 20'000 : 1 + s % 5;
    std::vector<StoredTick> run;
    for (int i = 0; i < ticks; ++i) run.push_back(At(i, s + i / 100.0));
    if (s % 7 == 0) run.back().volume = s;
    AppendLoggedRun(fmt::format("S{:05}", s), run, data);
  }
  ASSERT_GT(data.size(), 4u * 64 * 1024);
  ASSERT_TRUE(log_->Append(0, data).ok());
  auto fold = log_->StartFold();
  ASSERT_TRUE(fold.ok() && fold->has_value());
  EXPECT_EQ(ReadRow((*fold)->through), Runs(data));
}

}  // namespace
}  // namespace stockpipe
