// The state store: small named values that outlive a process.
#include "store/sqlite/sqlite_state_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "support/temp_dir.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;

TEST(SqliteStateStoreTest, GetPutOverwriteAndReopen) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "state.db").string();
  {
    auto store = SqliteStateStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.error();
    auto missing = (*store)->Get("cooldown/AAPL/BUY");
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing->has_value());
    ASSERT_TRUE((*store)->Put("cooldown/AAPL/BUY", "1").ok());
    ASSERT_TRUE((*store)->Put("cooldown/AAPL/BUY", "2").ok());
    ASSERT_TRUE((*store)->Put("empty", "").ok());
    ASSERT_TRUE((*store)->Put("json", R"({"a":[1,2]})").ok());
  }
  auto store = SqliteStateStore::Open(path);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(**(*store)->Get("cooldown/AAPL/BUY"), "2");
  auto empty = (*store)->Get("empty");
  ASSERT_TRUE(empty->has_value());
  EXPECT_EQ(**empty, "");
  EXPECT_EQ(**(*store)->Get("json"), R"({"a":[1,2]})");
  EXPECT_FALSE((*store)->Get("cooldown/AAPL/SELL")->has_value());
}

}  // namespace
}  // namespace stockpipe
