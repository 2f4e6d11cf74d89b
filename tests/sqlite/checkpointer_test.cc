// The background checkpointer: once it has taken a writer's checkpoints, commits leave pages in
// the log until it copies them into the main file on its own thread; past `inline_frames` the
// committing thread copies them itself; and it copies nothing when no commit asked.
#include "sqlite/checkpointer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace stockpipe::sqlite {
namespace {

namespace fs = std::filesystem;

class CheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(path_, true);
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(*db);
    ASSERT_TRUE(db_->Exec("CREATE TABLE t(x BLOB); PRAGMA wal_checkpoint(TRUNCATE);").ok());
    main_size_ = fs::file_size(path_);
  }

  // Commits `n` transactions of a 16 KB row each (four pages and more).
  void Commit(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(db_->Exec("INSERT INTO t VALUES(randomblob(16384))").ok());
    }
  }
  // Pages copied back have grown the main file.
  bool Copied() { return fs::file_size(path_) > main_size_; }

  testing::TempDir dir_;
  std::string path_ = (dir_.path() / "db").string();
  std::unique_ptr<Database> db_;
  std::uintmax_t main_size_ = 0;
};

TEST_F(CheckpointerTest, ALogPastTheThresholdIsCopiedInTheBackground) {
  auto checkpointer = Checkpointer::Start(*db_, Sync::kNormal, 20, 1'000'000);
  ASSERT_TRUE(checkpointer.ok()) << checkpointer.status().message();
  Commit(2);  // ~10 frames: under the threshold, nothing is asked
  EXPECT_FALSE(Copied());
  Commit(10);
  EXPECT_TRUE(stockpipe::testing::Eventually([&] { return Copied(); }));
}

TEST_F(CheckpointerTest, ALogPastTheInlineLimitIsCopiedByTheCommitThatTookItThere) {
  // A background that never runs (its threshold is out of reach) leaves it to the commit.
  auto checkpointer = Checkpointer::Start(*db_, Sync::kNormal, 1'000'000, 20);
  ASSERT_TRUE(checkpointer.ok()) << checkpointer.status().message();
  Commit(2);
  EXPECT_FALSE(Copied());
  Commit(10);
  EXPECT_TRUE(Copied()) << "copied before the commit returned";
}

TEST_F(CheckpointerTest, StoppingHandsCheckpointsBackToSQLite) {
  {
    auto checkpointer = Checkpointer::Start(*db_, Sync::kNormal, 1'000'000, 1'000'000);
    ASSERT_TRUE(checkpointer.ok()) << checkpointer.status().message();
    Commit(30);
    EXPECT_FALSE(Copied()) << "neither threshold reached: the log keeps every page";
  }
  // SQLite's own automatic checkpoint (1,000 frames) is back.
  Commit(250);
  EXPECT_TRUE(Copied());
}

}  // namespace
}  // namespace stockpipe::sqlite
