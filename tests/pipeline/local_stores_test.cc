// `[ingest] fsync`: the local stream and CLEAN store commit with an fsync (power-cut safe) only
// when asked, and the connections really run that way (PRAGMA synchronous, read back). A new
// folder's stream file has the large pages its chunks are written fastest in.
#include "pipeline/local_stores.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace stockpipe {
namespace {

TEST(LocalStoresTest, FsyncMakesTheStreamAndCleanCommitsFull) {
  for (const bool fsync : {false, true}) {
    testing::TempDir dir;
    Config config;
    config.data_dir = dir.path().string();
    config.fsync = fsync;
    const sqlite::Sync expected = fsync ? sqlite::Sync::kFull : sqlite::Sync::kNormal;
    auto stream = OpenStream(config);
    ASSERT_TRUE(stream.ok()) << stream.error();
    auto stream_sync = (*stream)->sync();
    ASSERT_TRUE(stream_sync.ok()) << stream_sync.error();
    EXPECT_EQ(*stream_sync, expected) << "fsync=" << fsync;
    auto clean = OpenCleanStore(config, CandleIntervalsChange::kApply);
    ASSERT_TRUE(clean.ok()) << clean.error();
    auto clean_sync = (*clean)->sync();
    ASSERT_TRUE(clean_sync.ok()) << clean_sync.error();
    EXPECT_EQ(*clean_sync, expected) << "fsync=" << fsync;
  }
}

TEST(LocalStoresTest, NewStreamFileHasBlobPagesThoughItsStampCreatesIt) {
  testing::TempDir dir;
  Config config;
  config.data_dir = dir.path().string();
  ASSERT_TRUE(OpenStream(config).ok());
  auto db = sqlite::Database::Open(LocalPaths(config.data_dir).stream, false);
  ASSERT_TRUE(db.ok()) << db.error();
  auto page_size = (*db)->Prepare("PRAGMA page_size");
  ASSERT_TRUE(page_size.ok());
  ASSERT_EQ(page_size->Step(), SQLITE_ROW);
  EXPECT_EQ(page_size->Int(0), sqlite::kBlobPageSize);
}

}  // namespace
}  // namespace stockpipe
