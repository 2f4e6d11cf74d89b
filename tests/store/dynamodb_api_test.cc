// The BatchWriteItem body builder: bodies of at most 25 requests, in order, each table once per
// body, every body valid JSON.
#include "store/dynamodb/dynamodb_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace stockpipe::dynamodb {
namespace {

using nlohmann::json;

std::string Put(int i) {
  return json{{"PutRequest", {{"Item", {{"n", {{"N", std::to_string(i)}}}}}}}}.dump();
}

TEST(WriteBodiesTest, CutsRequestsIntoCallsOf25InOrder) {
  WriteBodies bodies;
  EXPECT_TRUE(bodies.empty());
  // 3 registry puts, then 60 ticks: 25 + 25 + 13 requests.
  for (int i = 0; i < 3; ++i) bodies.Add("state") += Put(i);
  for (int i = 3; i < 63; ++i) bodies.Add("ticks \"x\"") += Put(i);
  EXPECT_FALSE(bodies.empty());
  const std::vector<std::string> out = bodies.Take();
  EXPECT_TRUE(bodies.empty());
  ASSERT_EQ(out.size(), 3U);
  int next = 0;
  std::vector<std::size_t> sizes;
  for (const std::string& text : out) {
    const json body = json::parse(text);
    std::size_t size = 0;
    for (const auto& [table, requests] : body["RequestItems"].items()) {
      for (const json& request : requests) {
        EXPECT_EQ(request["PutRequest"]["Item"]["n"]["N"], std::to_string(next));
        EXPECT_EQ(table, next < 3 ? "state" : "ticks \"x\"");
        ++next;
        ++size;
      }
    }
    sizes.push_back(size);
  }
  EXPECT_EQ(next, 63);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{25, 25, 13}));
}

TEST(WriteBodiesTest, ATableMetAgainStartsANewBody) {
  WriteBodies bodies;
  bodies.Add("a") += Put(0);
  bodies.Add("b") += Put(1);
  bodies.Add("a") += Put(2);  // one key per table in a body: this one goes to the next
  const std::vector<std::string> out = bodies.Take();
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(json::parse(out[0])["RequestItems"].size(), 2U);
  EXPECT_EQ(json::parse(out[1])["RequestItems"]["a"].size(), 1U);
  EXPECT_TRUE(bodies.Take().empty());
}

}  // namespace
}  // namespace stockpipe::dynamodb
