// BatchWriteItem's partial failures: items DynamoDB answers as `UnprocessedItems` are resent and
// never lost, and items refused for good fail the Upsert so the caller retries the batch.
//
// dynalite always writes every item, so the test puts a small forwarding proxy (cpp-httplib)
// between the store and a real dynalite. The proxy withholds some PutRequests of a BatchWriteItem
// (forwards the rest) and reports the withheld ones as UnprocessedItems, as DynamoDB does when a
// partition is throttled. Every other byte goes to, and comes from, the real emulator.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "store/dynamodb/dynamodb_api.h"
#include "store/dynamodb/dynamodb_clean_store.h"
#include "support/peers.h"

namespace stockpipe {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr Micros kT0 = 1'755'182'292'000'000;

class ThrottlingProxy {
 public:
  enum class Mode { kPass, kWithholdSome, kWithholdAll };

  explicit ThrottlingProxy(int upstream_port) : upstream_port_(upstream_port) {
    server_.Post("/", [this](const httplib::Request& request, httplib::Response& response) {
      Handle(request, response);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~ThrottlingProxy() {
    server_.stop();
    thread_.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::atomic<Mode> mode{Mode::kPass};
  // kWithholdSome: how many more calls lose their last 5 tick puts.
  std::atomic<int> withhold_budget{0};
  std::atomic<int> withheld_items{0};

 private:
  void Handle(const httplib::Request& request, httplib::Response& response) {
    std::string body = request.body;
    json unprocessed = json::object();
    const bool batch = request.get_header_value("X-Amz-Target").ends_with(".BatchWriteItem");
    if (batch && mode != Mode::kPass) {
      json parsed = json::parse(body);
      if (mode == Mode::kWithholdAll) {
        withheld_items += static_cast<int>(Items(parsed["RequestItems"]));
        response.set_content(json{{"UnprocessedItems", parsed["RequestItems"]}}.dump(),
                             "application/x-amz-json-1.0");
        return;
      }
      for (auto& [table, requests] : parsed["RequestItems"].items()) {
        if (!table.starts_with("ticks") || requests.size() <= 5 || withhold_budget-- <= 0) continue;
        json kept = json::array();
        json held = json::array();
        for (std::size_t i = 0; i < requests.size(); ++i) {
          (i + 5 < requests.size() ? kept : held).push_back(requests[i]);
        }
        requests = kept;
        unprocessed[table] = held;
        withheld_items += 5;
      }
      body = parsed.dump();
    }
    httplib::Client upstream("127.0.0.1", upstream_port_);
    httplib::Headers headers;
    for (const char* name : {"X-Amz-Target", "X-Amz-Date", "Authorization"}) {
      headers.emplace(name, request.get_header_value(name));
    }
    auto answer = upstream.Post("/", headers, body, "application/x-amz-json-1.0");
    if (!answer) {
      response.status = 502;
      return;
    }
    response.status = answer->status;
    std::string text = answer->body;
    if (!unprocessed.empty() && answer->status == 200) {
      json parsed = json::parse(text);
      parsed["UnprocessedItems"] = unprocessed;
      text = parsed.dump();
    }
    response.set_content(text, "application/x-amz-json-1.0");
  }

  static std::size_t Items(const json& request_items) {
    std::size_t n = 0;
    for (const auto& [table, requests] : request_items.items()) n += requests.size();
    return n;
  }

  int upstream_port_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

class UnprocessedItemsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    direct_.client.service = aws::kDynamoDb;
    direct_.client.region = "eu-central-1";
    direct_.client.endpoint = peer_.endpoint();
    direct_.client.credentials = aws::StaticCredentials({"AKID", "SECRET", "", "test"});
    direct_.table = "ticks";
    direct_.state_table = "state";
    // Quick backoff: the test is about what is resent, not about how long it waits.
    direct_.client.retry.base_delay_us = 1'000;
    direct_.client.retry.max_delay_us = 4'000;
    ASSERT_TRUE(DynamoDbCleanStore(direct_).CreateTablesIfMissing().ok());
    proxied_ = direct_;
    proxied_.client.endpoint = proxy_.endpoint();
  }

  std::vector<Tick> Ticks(int n, std::string symbol) {
    std::vector<Tick> ticks(n);
    for (int i = 0; i < n; ++i) {
      ticks[i].symbol = symbol;
      ticks[i].timestamp = kT0 + i;
      ticks[i].price = 10 + i * 0.5;
    }
    return ticks;
  }

  std::size_t Count(DynamoDbCleanStore& store, const std::string& table) {
    auto page =
        dynamodb::Call(store.client(), "Scan", json{{"TableName", table}, {"Select", "COUNT"}});
    EXPECT_TRUE(page.ok()) << page.error();
    return page.ok() ? (*page)["Count"].get<std::size_t>() : 0;
  }

  testing::Peer peer_{"dynalite"};
  ThrottlingProxy proxy_{peer_.port()};
  DynamoDbOptions direct_;
  DynamoDbOptions proxied_;
};

TEST_F(UnprocessedItemsTest, WithheldItemsAreResentUntilEveryTickIsStored) {
  proxy_.mode = ThrottlingProxy::Mode::kWithholdSome;
  proxy_.withhold_budget = 6;
  DynamoDbCleanStore store(proxied_);
  const std::vector<Tick> ticks = Ticks(200, "AAPL");
  ASSERT_TRUE(store.Upsert(ticks).ok());

  EXPECT_EQ(proxy_.withheld_items, 30);
  // 201 items (200 ticks + 1 registry put) = 9 calls, plus one resend per withholding call, then
  // one call for the ticks' 3 bars (one per default interval).
  EXPECT_EQ(store.client().Stats()["BatchWriteItem"].calls, 9u + 6u + 1u);
  DynamoDbCleanStore reader(direct_);
  EXPECT_EQ(Count(reader, "ticks"), 200u);
  auto all = reader.LastN("AAPL", 500);
  ASSERT_TRUE(all.ok()) << all.error();
  ASSERT_EQ(all->size(), 200u);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ((*all)[i].timestamp, ticks[i].timestamp);
    EXPECT_EQ((*all)[i].price, ticks[i].price);
  }
}

TEST_F(UnprocessedItemsTest, ItemsRefusedForGoodFailTheUpsertAndARetryWritesThemAll) {
  proxy_.mode = ThrottlingProxy::Mode::kWithholdAll;
  proxied_.client.retry.max_attempts = 3;
  DynamoDbCleanStore store(proxied_);
  const std::vector<Tick> ticks = Ticks(60, "MSFT");  // 61 items: 3 calls
  Status s = store.Upsert(ticks);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("unprocessed after 3 rounds"));
  EXPECT_THAT(s.message(), HasSubstr("retried"));
  // Every call of the batch tried its rounds, or stopped early once another had failed.
  EXPECT_GE(store.client().Stats()["BatchWriteItem"].calls, 3u);
  EXPECT_LE(store.client().Stats()["BatchWriteItem"].calls, 9u);
  DynamoDbCleanStore reader(direct_);
  EXPECT_EQ(Count(reader, "ticks"), 0u);

  // The caller retries the batch once the throttling is over: every tick and the registry item
  // (not cached as known, since its Upsert failed) are written.
  proxy_.mode = ThrottlingProxy::Mode::kPass;
  ASSERT_TRUE(store.Upsert(ticks).ok());
  EXPECT_EQ(Count(reader, "ticks"), 60u);
  auto symbols = reader.Symbols();
  ASSERT_TRUE(symbols.ok()) << symbols.error();
  EXPECT_EQ(*symbols, std::vector<std::string>{"MSFT"});
}

}  // namespace
}  // namespace stockpipe
