// CheckOneDataFolder: `run` refuses a stream or store outside its data folder, naming each key
// to change, and accepts the embedded set-up (whatever the RAW archive).
#include "pipeline/backends.h"

#include <gtest/gtest.h>

namespace stockpipe {
namespace {

TEST(OneDataFolderTest, TheEmbeddedSetUpIsAccepted) {
  Config config;
  EXPECT_TRUE(CheckOneDataFolder(config).ok());
  config.backends.archive = "s3";  // written by ingest only: no other stage of run reads it
  EXPECT_TRUE(CheckOneDataFolder(config).ok());
}

TEST(OneDataFolderTest, AStoreElsewhereIsRefusedNamingItsKey) {
  Config config;
  config.backends.store = "dynamodb";
  const Status s = CheckOneDataFolder(config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("STOCKPIPE_STORE=dynamodb"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("clean.db"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("STOCKPIPE_STREAM="), std::string::npos) << s.message();
}

TEST(OneDataFolderTest, AStreamElsewhereIsRefusedNamingItsKey) {
  Config config;
  config.backends.stream = "kinesis";
  const Status s = CheckOneDataFolder(config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("STOCKPIPE_STREAM=kinesis"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("STOCKPIPE_STORE="), std::string::npos) << s.message();
}

TEST(OneDataFolderTest, BothElsewhereNameBothKeys) {
  Config config;
  config.backends.stream = "kinesis";
  config.backends.store = "dynamodb";
  const Status s = CheckOneDataFolder(config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("STOCKPIPE_STREAM=kinesis"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("STOCKPIPE_STORE=dynamodb"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace stockpipe
