// `[ingest] fsync`: the local stream and CLEAN store commit with an fsync (power-cut safe) only
// when asked, and the connections really run that way (PRAGMA synchronous, read back).
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

}  // namespace
}  // namespace stockpipe
