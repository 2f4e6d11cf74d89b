// The trends handler behind the Runtime API loop, in-process: CLEAN and state in SQLite, alerts
// through the real SNS channel to fauxqs, read back from a subscribed queue. The Runtime API is
// the in-test server (no Runtime Interface Emulator exists here).
#include "lambda/trends_handler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "alerts/sns/sns_notifier.h"
#include "lambda/runtime_api_server.h"
#include "lambda/sns_inbox.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "store/sqlite/sqlite_state_store.h"
#include "support/peers.h"
#include "support/temp_dir.h"

namespace stockpipe::lambda {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Posted;

constexpr char kScheduledEvent[] = R"({"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
  "detail-type":"Scheduled Event","source":"aws.events","account":"123456789012",
  "time":"2025-08-14T14:40:00Z","region":"eu-central-1",
  "resources":["arn:aws:events:eu-central-1:123456789012:rule/stockpipe-trends"],"detail":{}})";

class TrendsHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteCleanStore::Open((dir_ / "clean.db").string());
    ASSERT_TRUE(store) << store.error();
    store_ = std::move(*store);
    auto state = SqliteStateStore::Open((dir_ / "state.db").string());
    ASSERT_TRUE(state) << state.error();
    state_ = std::move(*state);

    // AAPL: 19 points at 100 then a drop to 97 (-3% vs 15 points back, below SMA20): BUY under
    // the default rule. MSFT: flat, no decision.
    std::vector<Tick> ticks;
    const Micros start = 1'755'180'000'000'000;
    for (int i = 0; i < 20; ++i) {
      ticks.push_back({"AAPL", start + i * 60'000'000LL, i == 19 ? 97.0 : 100.0, ""});
      ticks.push_back({"MSFT", start + i * 60'000'000LL, 410.0, ""});
    }
    ASSERT_TRUE(store_->Upsert(ticks).ok());
  }

  Posted Invoke(TrendsHandler& handler, const std::string& event) {
    testing::RuntimeApiServer api;
    api.Enqueue(event);
    Runtime runtime({api.address(), 1});
    Status s = runtime.Run(std::ref(handler));
    EXPECT_TRUE(s.ok()) << s.message();
    auto results = api.WaitForResults(1);
    if (results.size() != 1) {
      ADD_FAILURE() << "no answer posted";
      return {};
    }
    return results[0];
  }

  SnsNotifier Sns(const std::string& topic_arn) {
    return SnsNotifier(
        SnsOptions{testing::LocalClientOptions(aws::kSns, peer_.endpoint()), topic_arn});
  }

  testing::Peer peer_{"fauxqs"};
  testing::TempDir temp_;
  std::filesystem::path dir_ = temp_.path();
  std::unique_ptr<SqliteCleanStore> store_;
  std::unique_ptr<SqliteStateStore> state_;
};

TEST_F(TrendsHandlerTest, AlertGoesOutOnSnsAndTheResponseCountsLikeTheReference) {
  testing::SnsInbox inbox(peer_.endpoint(), "stock-alerts");
  SnsNotifier sns = Sns(inbox.topic_arn());
  TrendsHandler handler(*store_, *state_, {&sns}, TrendsSettings{});

  const Posted first = Invoke(handler, kScheduledEvent);
  ASSERT_EQ(first.kind, Posted::Kind::kResponse) << first.body;
  EXPECT_EQ(json::parse(first.body), json::parse(R"({"alerts_count":1,"symbols_checked":2})"));
  const auto received = inbox.Receive();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0]["Subject"], "Alerty: AAPL:KUPUJ");
  const std::string body = received[0]["Message"];
  EXPECT_NE(body.find("AAPL"), std::string::npos) << body;
  EXPECT_NE(body.find("KUPUJ"), std::string::npos) << body;
  EXPECT_EQ(body.find("MSFT"), std::string::npos) << body;

  // The cooldown (30 min by default) holds the same alert back on the next run.
  const Posted second = Invoke(handler, kScheduledEvent);
  EXPECT_EQ(json::parse(second.body), json::parse(R"({"alerts_count":0,"symbols_checked":2})"));
  EXPECT_TRUE(inbox.Receive(0).empty());
}

TEST_F(TrendsHandlerTest, WhenSnsRefusesTheInvocationFailsAndTheCooldownDoesNotStart) {
  SnsNotifier missing = Sns("arn:aws:sns:eu-central-1:000000000000:deleted-topic");
  TrendsHandler failing(*store_, *state_, {&missing}, TrendsSettings{});
  const Posted posted = Invoke(failing, kScheduledEvent);
  ASSERT_EQ(posted.kind, Posted::Kind::kError) << posted.body;
  EXPECT_EQ(posted.error_type, kHandlerErrorType);
  const std::string message = json::parse(posted.body)["errorMessage"];
  EXPECT_NE(message.find("deleted-topic"), std::string::npos) << message;
  auto cooldown = state_->Get(CooldownKey("AAPL", Action::kBuy));
  ASSERT_TRUE(cooldown);
  EXPECT_FALSE(cooldown->has_value());

  // EventBridge's retry, with SNS back, sends the alert.
  testing::SnsInbox inbox(peer_.endpoint(), "stock-alerts");
  SnsNotifier sns = Sns(inbox.topic_arn());
  TrendsHandler working(*store_, *state_, {&sns}, TrendsSettings{});
  EXPECT_EQ(json::parse(Invoke(working, kScheduledEvent).body)["alerts_count"], 1);
  EXPECT_EQ(inbox.Receive().size(), 1u);
}

TEST_F(TrendsHandlerTest, EnglishAlertsAndANonObjectEvent) {
  testing::SnsInbox inbox(peer_.endpoint(), "stock-alerts-en");
  SnsNotifier sns = Sns(inbox.topic_arn());
  TrendsSettings settings;
  settings.lang = Lang::kEn;
  settings.cooldown = 0;
  TrendsHandler handler(*store_, *state_, {&sns}, settings);

  const Posted refused = Invoke(handler, "[1,2,3]");
  EXPECT_EQ(refused.kind, Posted::Kind::kError);
  EXPECT_TRUE(inbox.Receive(0).empty());

  EXPECT_EQ(Invoke(handler, "{}").kind, Posted::Kind::kResponse);
  const auto received = inbox.Receive();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0]["Subject"], "Alerts: AAPL:BUY");
}

}  // namespace
}  // namespace stockpipe::lambda
