// `stockpipe run` with its stages on different stores is refused before anything starts: exit 2,
// the keys named, no data folder created. Its watchdog and dashboard read the local stream.db and
// clean.db, so ingest and trends on DynamoDB or Kinesis would leave them reading other data.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/subprocess.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;

TEST(RunConfigTest, AStoreOutsideTheDataFolderIsRefusedWithExitTwo) {
  testing::TempDir dir;
  const fs::path data = dir.path() / "data";
  const auto r =
      testing::RunStockpipe({"--data-dir", data.string(), "run", "--no-http", "--for", "5m"},
                            {.cwd = dir.path(),
                             .env = {{"STOCKPIPE_STORE", "dynamodb"},
                                     {"DYNAMODB_TABLE", "StockCleanedData"},
                                     {"AWS_REGION", "us-east-1"}}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("STOCKPIPE_STORE=dynamodb"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("STOCKPIPE_STREAM="), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(data)) << "a refused run touched the data folder";
}

TEST(RunConfigTest, AStreamAndAStoreOutsideTheDataFolderAreBothNamed) {
  testing::TempDir dir;
  const fs::path data = dir.path() / "data";
  const auto r =
      testing::RunStockpipe({"--data-dir", data.string(), "run", "--no-http", "--for", "5m"},
                            {.cwd = dir.path(),
                             .env = {{"STOCKPIPE_STREAM", "kinesis"},
                                     {"KINESIS_STREAM", "ticks"},
                                     {"STOCKPIPE_STORE", "dynamodb"},
                                     {"DYNAMODB_TABLE", "StockCleanedData"},
                                     {"AWS_REGION", "us-east-1"}}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("STOCKPIPE_STREAM=kinesis"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("STOCKPIPE_STORE=dynamodb"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(data)) << "a refused run touched the data folder";
}

}  // namespace
}  // namespace stockpipe
