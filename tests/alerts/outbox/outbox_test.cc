// The alert outbox over a real SQLite file, with in-process channels that fail on demand (they
// stand in for a channel, not for a peer: what is tested is the outbox). Time is injected: no
// test sleeps.
#include "alerts/outbox/outbox.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "support/subprocess.h"

namespace stockpipe {
namespace {

constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kT0 = 1'755'182'292'000'000;
constexpr std::string_view kSecretUrl = "https://hooks.example.com/services/T0/B0/s3cr3t-t0ken";

// A channel that records what it took and fails while told to.
class TestChannel final : public Notifier {
 public:
  explicit TestChannel(std::string name) : name_(std::move(name)) {}
  std::string_view Name() const override { return name_; }
  Status Send(const AlertMessage& message) override {
    ++calls;
    if (on_send) on_send(message);
    if (down || fail_next > 0) {
      if (fail_next > 0) --fail_next;
      return Status::Error(fmt::format("HTTP 500 from {}", kSecretUrl));
    }
    received.push_back(message);
    return Status::Ok();
  }

  int calls = 0;
  int fail_next = 0;
  bool down = false;
  std::vector<AlertMessage> received;
  std::function<void(const AlertMessage&)> on_send;

 private:
  std::string name_;
};

AlertMessage Message(int n, Micros at = kT0) {
  return {MessageKind::kSignals, fmt::format("Alerts: S{}:BUY", n), fmt::format("body {}", n), at};
}

class OutboxTest : public ::testing::Test {
 protected:
  std::string path() const { return (dir_.path() / "outbox.db").string(); }

  OutboxOptions Options() {
    OutboxOptions o;
    o.path = path();
    o.retry_after = 30 * kSecond;
    o.max_backoff = 15 * kMinute;
    o.secrets = {{std::string(kSecretUrl), "https://hooks.example.com/<redacted>"}};
    o.clock = [this] { return now_; };
    return o;
  }

  std::unique_ptr<Outbox> Open(std::vector<Notifier*> channels) {
    return Open(Options(), std::move(channels));
  }
  std::unique_ptr<Outbox> Open(OutboxOptions options, std::vector<Notifier*> channels) {
    auto outbox = Outbox::Open(std::move(options), std::move(channels));
    EXPECT_TRUE(outbox) << outbox.error();
    return outbox ? std::move(*outbox) : nullptr;
  }

  static DeliveryReport Deliver(Outbox& outbox, Micros now) {
    auto r = outbox.DeliverDue(now);
    EXPECT_TRUE(r) << r.error();
    return r ? *r : DeliveryReport{};
  }

  // Health of one channel, read through a separate connection as `stockpipe health` does.
  ChannelHealth HealthOf(const std::string& channel) {
    auto all = ReadOutboxHealth(path(), {channel});
    EXPECT_TRUE(all) << all.error();
    if (!all) return {};
    for (const ChannelHealth& h : *all) {
      if (h.channel == channel) return h;
    }
    ADD_FAILURE() << "no health for " << channel;
    return {};
  }

  testing::TempDir dir_;
  Micros now_ = kT0;
};

TEST_F(OutboxTest, MessageIsDurablyQueuedBeforeAnyChannelIsCalled) {
  TestChannel a("a"), b("b");
  auto outbox = Open({&a, &b});
  ASSERT_TRUE(outbox);
  std::vector<std::uint64_t> pending_seen;
  const auto look = [&](const AlertMessage&) {
    // Another connection sees only committed rows: the message must already be there, once per
    // channel (b's row still pending while a is being called).
    auto all = ReadOutboxHealth(path(), {"a", "b"});
    ASSERT_TRUE(all) << all.error();
    pending_seen.push_back((*all)[0].pending + (*all)[1].pending);
  };
  a.on_send = look;
  b.on_send = look;
  ASSERT_TRUE(outbox->Send(Message(1)).ok());
  EXPECT_EQ(pending_seen, (std::vector<std::uint64_t>{2, 1}));
  ASSERT_EQ(a.received.size(), 1u);
  ASSERT_EQ(b.received.size(), 1u);
  EXPECT_EQ(a.received[0].subject, "Alerts: S1:BUY");
  EXPECT_EQ(a.received[0].body, "body 1");
  EXPECT_EQ(a.received[0].created, kT0);
}

TEST_F(OutboxTest, AFailingChannelNeitherFailsSendNorStopsTheOthers) {
  TestChannel good("good"), bad("bad");
  bad.down = true;
  auto outbox = Open({&bad, &good});
  ASSERT_TRUE(outbox);
  EXPECT_TRUE(outbox->Send(Message(1)).ok());
  EXPECT_EQ(good.received.size(), 1u);
  EXPECT_EQ(bad.calls, 1);
  const ChannelHealth h = HealthOf("bad");
  EXPECT_TRUE(h.failing);
  EXPECT_EQ(h.pending, 1u);
  EXPECT_EQ(h.oldest_pending, kT0);
  EXPECT_EQ(h.pending_attempts, 1u);
  EXPECT_NE(h.last_error.find("HTTP 500"), std::string::npos) << h.last_error;
  EXPECT_EQ(h.last_error.find("s3cr3t"), std::string::npos) << "secret stored: " << h.last_error;
  EXPECT_NE(h.last_error.find("<redacted>"), std::string::npos) << h.last_error;
  EXPECT_FALSE(HealthOf("good").failing);
  EXPECT_EQ(HealthOf("good").pending, 0u);
}

TEST_F(OutboxTest, FailedDeliveryIsRetriedOnlyWhenDueWithDoublingBackoffUpToTheCap) {
  TestChannel ch("webhook");
  ch.down = true;
  auto outbox = Open({&ch});
  ASSERT_TRUE(outbox);
  ASSERT_TRUE(outbox->Send(Message(1)).ok());
  ASSERT_EQ(ch.calls, 1);
  Micros last_try = kT0;
  // 30 s, 60 s, 2 min, 4 min, 8 min, then 15 min (the cap) for good.
  for (Micros wait : {30 * kSecond, 60 * kSecond, 2 * kMinute, 4 * kMinute, 8 * kMinute,
                      15 * kMinute, 15 * kMinute, 15 * kMinute}) {
    const int before = ch.calls;
    Deliver(*outbox, last_try + wait - 1);
    EXPECT_EQ(ch.calls, before) << "retried before the backoff of " << wait / kSecond << " s";
    Deliver(*outbox, last_try + wait);
    EXPECT_EQ(ch.calls, before + 1) << "not retried once " << wait / kSecond << " s had passed";
    last_try += wait;
  }
  EXPECT_EQ(HealthOf("webhook").pending_attempts, 9u);
  EXPECT_EQ(HealthOf("webhook").pending, 1u);
}

TEST_F(OutboxTest, SuccessAfterFailuresDeliversExactlyOnce) {
  TestChannel ch("webhook");
  ch.fail_next = 3;
  auto outbox = Open({&ch});
  ASSERT_TRUE(outbox);
  ASSERT_TRUE(outbox->Send(Message(7)).ok());
  // Passes every 500 ms of simulated time for an hour, as `stockpipe run` makes them.
  for (Micros t = kT0; t <= kT0 + 60 * kMinute; t += kSecond / 2) Deliver(*outbox, t);
  EXPECT_EQ(ch.calls, 4);
  ASSERT_EQ(ch.received.size(), 1u);
  EXPECT_EQ(ch.received[0].subject, "Alerts: S7:BUY");
  const ChannelHealth h = HealthOf("webhook");
  EXPECT_FALSE(h.failing);
  EXPECT_EQ(h.delivered, 1u);
  EXPECT_EQ(h.pending, 0u);
  EXPECT_EQ(h.attempts, 4u);
  EXPECT_EQ(h.failures, 3u);
  // Delivered at the third retry: 30 s + 60 s + 120 s after the first try.
  EXPECT_EQ(h.last_success, kT0 + 210 * kSecond);
}

TEST_F(OutboxTest, AChannelThatJustFailedIsNotSentTheRestOfItsQueueInThatPass) {
  TestChannel ch("smtp");
  auto outbox = Open({&ch});
  ASSERT_TRUE(outbox);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(outbox->Enqueue(Message(i), kT0));
  ch.down = true;
  const DeliveryReport r = Deliver(*outbox, kT0);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.deferred, 2u);
  EXPECT_EQ(ch.calls, 1);
  Deliver(*outbox, kT0 + 30 * kSecond - 1);
  EXPECT_EQ(ch.calls, 1);
  ch.down = false;
  const DeliveryReport later = Deliver(*outbox, kT0 + 30 * kSecond);
  EXPECT_EQ(later.delivered, 3u);
  ASSERT_EQ(ch.received.size(), 3u);
  // Oldest first.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ch.received[i].body, fmt::format("body {}", i));
}

TEST_F(OutboxTest, ACrashBetweenEnqueueAndDeliveryLosesNothing) {
  {
    TestChannel first("webhook");
    auto outbox = Open({&first});
    ASSERT_TRUE(outbox);
    AlertMessage alarm{MessageKind::kNoData, "Alarm: no data for 10 min", "⚠️ No new records.",
                       kT0};
    ASSERT_TRUE(outbox->Enqueue(alarm, kT0));
    EXPECT_EQ(first.calls, 0);
  }  // the process "dies" here: nothing was sent
  TestChannel after("webhook");
  auto reopened = Open({&after});
  ASSERT_TRUE(reopened);
  EXPECT_EQ(HealthOf("webhook").pending, 1u);
  EXPECT_EQ(Deliver(*reopened, kT0 + kSecond).delivered, 1u);
  ASSERT_EQ(after.received.size(), 1u);
  EXPECT_EQ(after.received[0].kind, MessageKind::kNoData);
  EXPECT_EQ(after.received[0].subject, "Alarm: no data for 10 min");
  EXPECT_EQ(after.received[0].body, "⚠️ No new records.");
  EXPECT_EQ(after.received[0].created, kT0);
  EXPECT_EQ(Deliver(*reopened, kT0 + kMinute).delivered, 0u) << "delivered twice";
}

TEST_F(OutboxTest, AClaimedRowIsNotSentByAnotherOutboxUntilItsLeaseRunsOut) {
  TestChannel a("webhook"), b("webhook");
  auto first = Open({&a});
  auto second = Open({&b});
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(first->Enqueue(Message(1), kT0));
  const Micros lease = Options().lease;
  DeliveryReport during{}, after_lease{};
  a.on_send = [&](const AlertMessage&) {
    // While `first` is inside the channel's Send, `second` (its own connection, as another
    // process) passes: the row is leased. Once the lease would have run out (as when `first`
    // crashed mid-send), `second` sends it: a repeat, never a loss.
    during = Deliver(*second, kT0);
    after_lease = Deliver(*second, kT0 + lease);
  };
  EXPECT_EQ(Deliver(*first, kT0).delivered, 1u);
  EXPECT_EQ(during.delivered + during.failed + during.deferred, 0u);
  EXPECT_EQ(after_lease.delivered, 1u);
  EXPECT_EQ(a.received.size(), 1u);
  EXPECT_EQ(b.received.size(), 1u);
  EXPECT_EQ(HealthOf("webhook").pending, 0u);
}

TEST_F(OutboxTest, TwoOutboxesOnOneFileNeverSendTheSameRowTwice) {
  constexpr int kMessages = 300;
  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::string, int> taken;
  int sends[2] = {0, 0};
  // Each channel records what it took. Its first send waits (bounded) until the other outbox
  // has sent something too, so both are surely delivering at once, one of them from inside a
  // send: the other must find only rows nobody holds.
  const auto channel_send = [&](int self) {
    return [&, self](const AlertMessage& m) {
      std::unique_lock lock(mutex);
      ++taken[m.subject];
      if (++sends[self] == 1) {
        cv.notify_all();
        cv.wait_for(lock, std::chrono::seconds(30), [&] { return sends[1 - self] > 0; });
      }
    };
  };
  TestChannel a("log"), b("log");
  a.on_send = channel_send(0);
  b.on_send = channel_send(1);
  auto first = Open({&a});
  auto second = Open({&b});
  ASSERT_TRUE(first && second);
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(first->Enqueue(Message(i), kT0));

  const auto drain = [&](Outbox& outbox) {
    // Each pass delivers at most a few batches; keep passing until nothing is left for anyone.
    while (true) {
      auto r = outbox.DeliverDue(kT0);
      EXPECT_TRUE(r) << r.error();
      if (!r || (r->delivered == 0 && HealthOf("log").pending == 0)) break;
    }
  };
  std::thread t1([&] { drain(*first); });
  std::thread t2([&] { drain(*second); });
  t1.join();
  t2.join();
  EXPECT_GT(a.received.size(), 0u);
  EXPECT_GT(b.received.size(), 0u);
  EXPECT_EQ(taken.size(), static_cast<std::size_t>(kMessages));
  for (const auto& [subject, n] : taken) EXPECT_EQ(n, 1) << subject << " sent " << n << " times";
  EXPECT_EQ(a.received.size() + b.received.size(), static_cast<std::size_t>(kMessages));
  EXPECT_EQ(HealthOf("log").delivered, static_cast<std::uint64_t>(kMessages));
}

TEST_F(OutboxTest, CountsAddUpPerChannel) {
  TestChannel good("console"), flaky("smtp"), bad("webhook");
  bad.down = true;
  auto outbox = Open({&good, &flaky, &bad});
  ASSERT_TRUE(outbox);
  constexpr int kMessages = 12;
  for (int i = 0; i < kMessages; ++i) {
    now_ = kT0 + i * kMinute;
    flaky.fail_next = i % 3 == 0 ? 2 : 0;
    ASSERT_TRUE(outbox->Send(Message(i, now_)).ok());
    Deliver(*outbox, now_ + 30 * kSecond);
  }
  auto health = outbox->Health();
  ASSERT_TRUE(health) << health.error();
  ASSERT_EQ(health->size(), 3u);
  const std::map<std::string, const TestChannel*> by_name = {
      {"console", &good}, {"smtp", &flaky}, {"webhook", &bad}};
  for (const ChannelHealth& h : *health) {
    const TestChannel& ch = *by_name.at(h.channel);
    SCOPED_TRACE(h.channel);
    EXPECT_EQ(h.delivered + h.pending + h.given_up, static_cast<std::uint64_t>(kMessages));
    EXPECT_EQ(h.delivered, ch.received.size());
    EXPECT_EQ(h.attempts, static_cast<std::uint64_t>(ch.calls));
    EXPECT_EQ(h.attempts, h.delivered + h.failures);
  }
  EXPECT_EQ((*health)[0].delivered, static_cast<std::uint64_t>(kMessages));
  EXPECT_EQ((*health)[2].delivered, 0u);
  EXPECT_EQ((*health)[2].oldest_pending, kT0);
  EXPECT_TRUE((*health)[2].failing);
}

TEST_F(OutboxTest, GiveUpAfterStopsRetryingAndShowsTheLoss) {
  TestChannel ch("webhook");
  ch.down = true;
  OutboxOptions options = Options();
  options.give_up_after = 10 * kMinute;
  auto outbox = Open(options, {&ch});
  ASSERT_TRUE(outbox);
  ASSERT_TRUE(outbox->Send(Message(1)).ok());
  for (Micros t = kT0; t <= kT0 + 2 * 3600 * kSecond; t += 10 * kSecond) Deliver(*outbox, t);
  const int calls = ch.calls;
  // 0, 30 s, 1.5 min, 3.5 min, 7.5 min, 15.5 min: the last one is past the limit.
  EXPECT_EQ(calls, 6);
  const ChannelHealth h = HealthOf("webhook");
  EXPECT_EQ(h.pending, 0u);
  EXPECT_EQ(h.given_up, 1u);
}

TEST_F(OutboxTest, PruningDropsOldDeliveredRowsButKeepsCountsAndPendingOnes) {
  TestChannel ok("console"), down("webhook");
  down.down = true;
  auto outbox = Open({&ok, &down});
  ASSERT_TRUE(outbox);
  ASSERT_TRUE(outbox->Send(Message(1)).ok());
  ASSERT_TRUE(outbox->Prune(kT0 + 8 * 24 * 3600 * kSecond).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT channel, state FROM deliveries", -1, &q, nullptr);
  std::vector<std::string> left;
  while (sqlite3_step(q) == SQLITE_ROW) {
    left.push_back(fmt::format("{}:{}", reinterpret_cast<const char*>(sqlite3_column_text(q, 0)),
                               reinterpret_cast<const char*>(sqlite3_column_text(q, 1))));
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  EXPECT_EQ(left, std::vector<std::string>{"webhook:pending"});
  EXPECT_EQ(HealthOf("console").delivered, 1u);
  down.down = false;
  EXPECT_EQ(Deliver(*outbox, kT0 + 9 * 24 * 3600 * kSecond).delivered, 1u);
  EXPECT_EQ(down.received.at(0).body, "body 1");
}

TEST_F(OutboxTest, RowsOfAChannelNoLongerConfiguredStayAndShowInHealth) {
  TestChannel console("console"), webhook("webhook");
  webhook.down = true;
  {
    auto outbox = Open({&console, &webhook});
    ASSERT_TRUE(outbox && outbox->Send(Message(1)).ok());
  }
  auto without = Open({&console});
  ASSERT_TRUE(without);
  Deliver(*without, kT0 + kMinute);
  auto health = without->Health();
  ASSERT_TRUE(health) << health.error();
  ASSERT_EQ(health->size(), 2u);
  EXPECT_EQ((*health)[1].channel, "webhook");
  EXPECT_EQ((*health)[1].pending, 1u);
  EXPECT_EQ(webhook.calls, 1);
}

TEST_F(OutboxTest, RedactReplacesEveryOccurrenceLongestSecretFirst) {
  OutboxOptions options = Options();
  options.secrets = {{"/services/T0/B0/s3cr3t-t0ken", "<path>"},
                     {std::string(kSecretUrl), "<url>"},
                     {"", "never"},
                     {"hunter2", "***"}};
  TestChannel ch("x");
  auto outbox = Open(options, {&ch});
  ASSERT_TRUE(outbox);
  EXPECT_EQ(outbox->Redact(fmt::format("{} then {} and hunter2hunter2", kSecretUrl,
                                       "/services/T0/B0/s3cr3t-t0ken")),
            "<url> then <path> and ******");
}

}  // namespace
}  // namespace stockpipe
