// The DynamoDB StateStore against dynalite: get/put/overwrite/missing, values seen by another
// store object at once, and its items living beside the symbol registry without mixing.
#include "store/dynamodb/dynamodb_state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/dynamodb/dynamodb_clean_store.h"
#include "support/peers.h"

namespace stockpipe {
namespace {

using ::testing::HasSubstr;

class DynamoDbStateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.client.service = aws::kDynamoDb;
    options_.client.region = "eu-central-1";
    options_.client.endpoint = peer_.endpoint();
    options_.client.credentials = aws::StaticCredentials({"AKID", "SECRET", "", "test"});
    options_.state_table = "stockpipe-state";
    store_ = std::make_unique<DynamoDbStateStore>(options_);
    ASSERT_TRUE(store_->CreateTableIfMissing().ok());
  }

  testing::Peer peer_{"dynalite"};
  DynamoDbOptions options_;
  std::unique_ptr<DynamoDbStateStore> store_;
};

TEST_F(DynamoDbStateStoreTest, GetPutOverwriteAndMissing) {
  auto missing = store_->Get("cooldown/AAPL/BUY");
  ASSERT_TRUE(missing.ok()) << missing.error();
  EXPECT_FALSE(missing->has_value());

  ASSERT_TRUE(store_->Put("cooldown/AAPL/BUY", "1755182292000000").ok());
  EXPECT_EQ(store_->Get("cooldown/AAPL/BUY")->value_or("<none>"), "1755182292000000");
  ASSERT_TRUE(store_->Put("cooldown/AAPL/BUY", "2").ok());
  EXPECT_EQ(store_->Get("cooldown/AAPL/BUY")->value_or("<none>"), "2");

  const std::string json = R"({"shard":"shardId-000000000001","seq":"4959 é \u00e9","n":[1,2]})";
  ASSERT_TRUE(store_->Put("kinesis/checkpoint/shardId-000000000001", json).ok());
  EXPECT_EQ(store_->Get("kinesis/checkpoint/shardId-000000000001")->value_or(""), json);
  ASSERT_TRUE(store_->Put("empty", "").ok());
  auto empty = store_->Get("empty");
  ASSERT_TRUE(empty.ok()) << empty.error();
  ASSERT_TRUE(empty->has_value());
  EXPECT_EQ(**empty, "");

  EXPECT_FALSE(store_->Get("cooldown/AAPL/SELL")->has_value());
  EXPECT_FALSE(store_->Put("", "x").ok());
  EXPECT_FALSE(store_->Get("").ok());
  // One PutItem per Put (an empty key never reached DynamoDB).
  EXPECT_EQ(store_->client().Stats()["PutItem"].calls, 4u);
}

TEST_F(DynamoDbStateStoreTest, AnotherStoreObjectSeesAPutAtOnce) {
  DynamoDbStateStore other(options_);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store_->Put("watchdog/last", std::to_string(i)).ok());
    EXPECT_EQ(other.Get("watchdog/last")->value_or(""), std::to_string(i));
  }
}

TEST_F(DynamoDbStateStoreTest, SharesTheTableWithTheSymbolRegistryWithoutMixing) {
  DynamoDbCleanStore clean(options_);
  ASSERT_TRUE(clean.CreateTablesIfMissing().ok());
  Tick tick;
  tick.symbol = "AAPL";
  tick.timestamp = 1'755'182'292'000'000;
  tick.price = 1;
  ASSERT_TRUE(clean.Upsert(std::vector<Tick>{tick}).ok());
  ASSERT_TRUE(store_->Put("MSFT", "state value").ok());

  EXPECT_FALSE(store_->Get("AAPL")->has_value());  // a registry item is not a state value
  EXPECT_EQ(*clean.Symbols(), std::vector<std::string>{"AAPL"});  // nor a state value a symbol
}

TEST_F(DynamoDbStateStoreTest, AMissingTableIsAnActionableError) {
  DynamoDbOptions missing = options_;
  missing.state_table = "no-such-state";
  DynamoDbStateStore store(missing);
  auto got = store.Get("k");
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.error(), HasSubstr("ResourceNotFoundException"));
  EXPECT_THAT(store.Put("k", "v").message(), HasSubstr("ResourceNotFoundException"));
}

}  // namespace
}  // namespace stockpipe
