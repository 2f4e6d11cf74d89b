// Database::Open's page size: a file it creates takes the size asked for (it must be set before
// the switch to WAL, after which SQLite ignores it); a file that exists keeps its own.
#include "sqlite/database.h"

#include <gtest/gtest.h>

#include <string>

#include "support/temp_dir.h"

namespace stockpipe::sqlite {
namespace {

std::int64_t PageSize(Database& db) {
  auto q = db.Prepare("PRAGMA page_size");
  EXPECT_TRUE(q.ok()) << q.status().message();
  return q.ok() && q->Step() == SQLITE_ROW ? q->Int(0) : -1;
}

TEST(DatabaseTest, NewFileTakesThePageSizeAsked) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "blobs.db").string();
  auto db = Database::Open(path, true, Sync::kNormal, false, kBlobPageSize);
  ASSERT_TRUE(db.ok()) << db.status().message();
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t(x BLOB)").ok());
  EXPECT_EQ(PageSize(**db), kBlobPageSize);
  auto mode = (*db)->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_EQ(mode->Step(), SQLITE_ROW);
  EXPECT_EQ(mode->Text(0), "wal");
}

TEST(DatabaseTest, ExistingFileKeepsItsPageSize) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "old.db").string();
  {
    auto db = Database::Open(path, true);
    ASSERT_TRUE(db.ok()) << db.status().message();
    ASSERT_TRUE((*db)->Exec("CREATE TABLE t(x BLOB)").ok());
    EXPECT_EQ(PageSize(**db), 4096);
  }
  auto again = Database::Open(path, true, Sync::kNormal, false, kBlobPageSize);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(PageSize(**again), 4096);
  EXPECT_TRUE((*again)->Exec("INSERT INTO t VALUES(randomblob(100000))").ok());
}

}  // namespace
}  // namespace stockpipe::sqlite
