// The Yahoo producer's poll passes against a chart API served on 127.0.0.1 from response files:
// which bars become records (completed only, nulls skipped, each bar once, across restarts through
// the state store), market hours (nothing while closed, said once, a followed session's last bars
// at the close), failures of one symbol not stopping the others, and the polling schedule. The
// clock is a variable the test moves and sleeps are recorded, never slept.
#include "producers/yahoo/poller.h"

#include <gtest/gtest.h>

#include "support/subprocess.h"
#include "producers/yahoo/chart_server.h"
#include "store/sqlite/sqlite_state_store.h"

namespace stockpipe::yahoo {
namespace {

using stockpipe::testing::Answer;
using stockpipe::testing::ChartServer;
using stockpipe::testing::FileAnswer;
using stockpipe::testing::LogCapture;

constexpr Micros kSecond = 1'000'000;
// The session of the data files: 2026-11-25, regular 14:30Z-21:00Z.
constexpr Micros kOpen = 1795617000 * kSecond;
constexpr Micros kClose = 1795640400 * kSecond;
Micros At(int hour, int minute, int second = 0) {
  return kOpen + ((hour - 14) * 3600 + (minute - 30) * 60 + second) * kSecond;
}

class PollerTest : public ::testing::Test {
 protected:
  PollerTest() {
    auto state = SqliteStateStore::Open((dir_.path() / "state.db").string());
    EXPECT_TRUE(state.ok()) << state.error();
    state_ = std::move(*state);
  }

  ChartClientOptions ClientOptions() {
    ChartClientOptions o;
    o.endpoint = server_.endpoint();
    o.seed = 3;
    o.backoff.max_attempts = 3;
    o.sleep = [this](Micros w) {
      backoffs_.push_back(w);
      return true;
    };
    return o;
  }

  PollerOptions Options(std::vector<std::string> symbols, bool any_hours = false) {
    PollerOptions o;
    o.symbols = std::move(symbols);
    o.any_hours = any_hours;
    o.now = [this] { return now_; };
    return o;
  }

  Poller::Send Sender() {
    return [this](std::span<const StreamRecord> batch) {
      ++writes_;
      sent_.insert(sent_.end(), batch.begin(), batch.end());
      return Status::Ok();
    };
  }

  std::vector<std::string> Data() const {
    std::vector<std::string> out;
    for (const auto& r : sent_) out.push_back(r.data);
    return out;
  }
  std::vector<std::string> Times() const {
    std::vector<std::string> out;
    for (const auto& r : sent_) {
      const auto at = r.data.find(R"("timestamp":")") + 13;
      out.push_back(r.partition_key + " " + r.data.substr(at, 20));
    }
    return out;
  }

  stockpipe::testing::TempDir dir_;
  ChartServer server_;
  std::unique_ptr<SqliteStateStore> state_;
  Micros now_ = 0;
  std::vector<Micros> backoffs_;
  std::vector<StreamRecord> sent_;
  int writes_ = 0;
  ChartClient client_{ClientOptions()};
};

TEST_F(PollerTest, SendsCompletedBarsOnceWithCloseVolumeAndCurrency) {
  server_.Script("AAPL", {FileAnswer("aapl_1.json"), FileAnswer("aapl_2.json")});
  Poller poller(client_, Sender(), state_.get(), Options({"AAPL"}));

  now_ = At(14, 35, 30);  // 14:35 is still running; 14:32 had no trades
  PassResult first = poller.PollOnce();
  EXPECT_EQ(first.sent, 4u);
  EXPECT_EQ(Times(),
            (std::vector<std::string>{"AAPL 2026-11-25T14:30:00Z", "AAPL 2026-11-25T14:31:00Z",
                                      "AAPL 2026-11-25T14:33:00Z", "AAPL 2026-11-25T14:34:00Z"}));
  // Yahoo's float noise (189.30999755859375) is rounded to its priceHint (2 decimals).
  EXPECT_EQ(sent_[0].data, R"({"symbol":"AAPL","timestamp":"2026-11-25T14:30:00Z","price":189.31,)"
                           R"("volume":120034,"currency":"USD","source":"yahoo"})");
  EXPECT_EQ(sent_[2].data, R"({"symbol":"AAPL","timestamp":"2026-11-25T14:33:00Z","price":189.1,)"
                           R"("volume":40210,"currency":"USD","source":"yahoo"})");

  // A poll later: only 14:35 (now complete, with its final close, not the live 189.5) and 14:36.
  sent_.clear();
  now_ = At(14, 37, 10);
  PassResult second = poller.PollOnce();
  EXPECT_EQ(second.sent, 2u);
  EXPECT_EQ(Times(),
            (std::vector<std::string>{"AAPL 2026-11-25T14:35:00Z", "AAPL 2026-11-25T14:36:00Z"}));
  EXPECT_EQ(sent_[0].data, R"({"symbol":"AAPL","timestamp":"2026-11-25T14:35:00Z","price":189.55,)"
                           R"("volume":21544,"currency":"USD","source":"yahoo"})");

  // Nothing new: nothing sent, no empty write.
  sent_.clear();
  const int writes = writes_;
  EXPECT_EQ(poller.PollOnce().sent, 0u);
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(writes_, writes);
}

TEST_F(PollerTest, RestartResumesAfterTheLastBarSavedInTheStateStore) {
  server_.Script("AAPL", {FileAnswer("aapl_1.json"), FileAnswer("aapl_2.json")});
  now_ = At(14, 35, 30);
  {
    Poller first(client_, Sender(), state_.get(), Options({"AAPL"}));
    EXPECT_EQ(first.PollOnce().sent, 4u);
  }
  auto saved = state_->Get(LastBarKey("AAPL"));
  ASSERT_TRUE(saved.ok() && saved->has_value());
  EXPECT_EQ(**saved, "1795617240");  // 14:34

  sent_.clear();
  now_ = At(14, 37, 10);
  Poller second(client_, Sender(), state_.get(), Options({"AAPL"}));
  EXPECT_EQ(second.PollOnce().sent, 2u);
  EXPECT_EQ(Times(),
            (std::vector<std::string>{"AAPL 2026-11-25T14:35:00Z", "AAPL 2026-11-25T14:36:00Z"}));
}

TEST_F(PollerTest, RateLimitedThenSuccessSendsOneSetOfRecords) {
  server_.Script("AAPL",
                 {{429, "Too Many Requests", {{"Retry-After", "3"}}}, FileAnswer("aapl_1.json")});
  Poller poller(client_, Sender(), state_.get(), Options({"AAPL"}));
  now_ = At(14, 35, 30);
  const PassResult pass = poller.PollOnce();
  EXPECT_EQ(pass.sent, 4u);
  EXPECT_EQ(sent_.size(), 4u);
  EXPECT_EQ(writes_, 1);
  EXPECT_TRUE(pass.failed.empty());
  EXPECT_EQ(backoffs_, std::vector<Micros>{3 * kSecond});
  EXPECT_EQ(server_.CountFor("AAPL"), 2);
}

TEST_F(PollerTest, UnknownSymbolIsReportedByNameAndTheOthersAreSent) {
  server_.Script("AAPL", {FileAnswer("aapl_1.json")});
  server_.Script("MSFT", {FileAnswer("msft.json")});
  LogCapture log;
  Poller poller(client_, Sender(), state_.get(), Options({"AAPL", "NOPE", "MSFT"}));
  now_ = At(14, 35, 30);
  const PassResult pass = poller.PollOnce();
  ASSERT_EQ(pass.failed.size(), 1u);
  EXPECT_EQ(pass.failed[0], "unknown symbol NOPE: No data found, symbol may be delisted");
  EXPECT_EQ(log.Count("unknown symbol NOPE"), 1) << log.text();
  EXPECT_EQ(pass.sent_by_symbol.at("AAPL"), 4u);
  EXPECT_EQ(pass.sent_by_symbol.at("MSFT"), 2u);
  EXPECT_EQ(sent_.size(), 6u);
  EXPECT_EQ(server_.CountFor("NOPE"), 1);

  // The same problem on the next pass is not said again.
  poller.PollOnce();
  EXPECT_EQ(log.Count("unknown symbol NOPE"), 1) << log.text();
}

TEST_F(PollerTest, PersistentServerErrorOnOneSymbolIsBoundedAndTheOthersAreSent) {
  server_.Script("AAPL", {{500, "oops", {}}});
  server_.Script("MSFT", {FileAnswer("msft.json")});
  Poller poller(client_, Sender(), state_.get(), Options({"AAPL", "MSFT"}));
  now_ = At(14, 35, 30);
  const PassResult pass = poller.PollOnce();
  EXPECT_EQ(server_.CountFor("AAPL"), 3);  // max_attempts
  EXPECT_EQ(backoffs_.size(), 2u);
  ASSERT_EQ(pass.failed.size(), 1u);
  EXPECT_NE(pass.failed[0].find("AAPL: HTTP 500"), std::string::npos) << pass.failed[0];
  EXPECT_EQ(pass.sent, 2u);
  EXPECT_EQ(sent_[0].partition_key, "MSFT");
}

TEST_F(PollerTest, EmptyChartIsReportedAndNothingIsSent) {
  server_.Script("AAPL", {FileAnswer("empty.json")});
  LogCapture log;
  Poller poller(client_, Sender(), state_.get(), Options({"AAPL"}));
  now_ = At(14, 35, 30);
  const PassResult pass = poller.PollOnce();
  EXPECT_EQ(pass.empty, std::vector<std::string>{"AAPL"});
  EXPECT_EQ(pass.sent, 0u);
  EXPECT_EQ(writes_, 0);
  EXPECT_EQ(log.Count("no 1-minute bars for AAPL"), 1) << log.text();
}

TEST_F(PollerTest, MarketClosedSendsNothingAndSaysSoOncePerClosedPeriod) {
  server_.Script("AAPL", {FileAnswer("aapl_1.json")});
  LogCapture log;
  Poller poller(client_, Sender(), state_.get(), Options({"AAPL"}));
  now_ = At(9, 0);  // 04:00 EST, pre-market: the bars in the file are not for now
  for (int i = 0; i < 3; ++i) {
    const PassResult pass = poller.PollOnce();
    EXPECT_EQ(pass.closed, std::vector<std::string>{"AAPL"});
    EXPECT_EQ(pass.sent, 0u);
    now_ += 60 * kSecond;
  }
  EXPECT_EQ(writes_, 0);
  EXPECT_EQ(log.Count("market closed for AAPL until 2026-11-25 09:30 EST (14:30Z)"), 1)
      << log.text();

  now_ = At(14, 35, 30);  // open: the session's completed bars go out
  EXPECT_EQ(poller.PollOnce().sent, 4u);
  EXPECT_EQ(log.Count("market open for AAPL"), 1) << log.text();
}

TEST_F(PollerTest, AtTheCloseAFollowedSessionsLastBarsAreSentAFreshStartSendsNothing) {
  server_.Script("AAPL", {FileAnswer("aapl_1.json")});
  LogCapture log;
  Poller following(client_, Sender(), state_.get(), Options({"AAPL"}));
  now_ = At(14, 34, 30);
  EXPECT_EQ(following.PollOnce().sent, 3u);  // 14:30, 14:31, 14:33

  // (The file stands in for the end of the session.) After the close, the bars that completed
  // since the last pass still belong to the session being followed.
  sent_.clear();
  now_ = kClose + 5 * 60 * kSecond;
  PassResult pass = following.PollOnce();
  EXPECT_EQ(pass.closed, std::vector<std::string>{"AAPL"});
  EXPECT_EQ(Times(),
            (std::vector<std::string>{"AAPL 2026-11-25T14:34:00Z", "AAPL 2026-11-25T14:35:00Z"}));
  EXPECT_EQ(log.Count("market closed for AAPL since 2026-11-25 16:00 EST (21:00Z)"), 1)
      << log.text();
  sent_.clear();
  EXPECT_EQ(following.PollOnce().sent, 0u);

  // A producer started in the evening sends nothing of the day.
  auto other_state = SqliteStateStore::Open((dir_.path() / "other.db").string());
  ASSERT_TRUE(other_state.ok());
  Poller fresh(client_, Sender(), other_state->get(), Options({"AAPL"}));
  EXPECT_EQ(fresh.PollOnce().sent, 0u);
  EXPECT_TRUE(sent_.empty());
}

TEST_F(PollerTest, AnyHoursSendsCompletedBarsWhileClosed) {
  server_.Script("AAPL", {FileAnswer("aapl_1.json")});
  Poller poller(client_, Sender(), state_.get(), Options({"AAPL"}, /*any_hours=*/true));
  now_ = kClose + 3600 * kSecond;
  const PassResult pass = poller.PollOnce();
  EXPECT_TRUE(pass.closed.empty());
  EXPECT_EQ(pass.sent, 5u);  // 14:30, 14:31, 14:33, 14:34 and the 14:35 bar of the live element
}

TEST_F(PollerTest, RefusedStreamWriteIsSentAgainOnTheNextPass) {
  server_.Script("AAPL", {FileAnswer("aapl_1.json")});
  bool refuse = true;
  Poller poller(
      client_,
      [&](std::span<const StreamRecord> batch) {
        if (refuse) return Status::Error("stream unavailable");
        sent_.insert(sent_.end(), batch.begin(), batch.end());
        return Status::Ok();
      },
      state_.get(), Options({"AAPL"}));
  now_ = At(14, 35, 30);
  const PassResult failed = poller.PollOnce();
  EXPECT_FALSE(failed.stream.ok());
  EXPECT_EQ(failed.sent, 0u);
  auto saved = state_->Get(LastBarKey("AAPL"));
  ASSERT_TRUE(saved.ok());
  EXPECT_FALSE(saved->has_value());  // nothing marked sent

  refuse = false;
  EXPECT_EQ(poller.PollOnce().sent, 4u);
  EXPECT_EQ(sent_.size(), 4u);
}

TEST_F(PollerTest, RunPollsOnThePeriodPlusTwoSecondsUntilSleepSaysStop) {
  server_.Script("AAPL", {FileAnswer("aapl_1.json"), FileAnswer("aapl_2.json")});
  PollerOptions o = Options({"AAPL"});
  std::vector<Micros> waits;
  o.sleep = [&](Micros w) {
    waits.push_back(w);
    now_ += w;
    return waits.size() < 2;
  };
  Poller poller(client_, Sender(), state_.get(), o);
  now_ = At(14, 35, 30);
  poller.Run();
  // 14:35:30 -> 14:36:02 (32 s), then 14:36:02 -> 14:37:02 (60 s), where sleep says stop.
  EXPECT_EQ(waits, (std::vector<Micros>{32 * kSecond, 60 * kSecond}));
  EXPECT_EQ(server_.CountFor("AAPL"), 2);
  // Pass 2 ran at 14:36:02 on aapl_2.json: 14:35 completed, 14:36 not yet.
  EXPECT_EQ(sent_.size(), 5u);
  EXPECT_EQ(Times().back(), "AAPL 2026-11-25T14:35:00Z");
}

}  // namespace
}  // namespace stockpipe::yahoo
