// The Telegram channel through the alert outbox, against an in-test server speaking the Bot API
// as documented (support/chat_servers.h: no real Telegram exists here). Time is the outbox's
// injected clock: no test sleeps. What is checked: a 429's retry_after holds every delivery of
// the channel back (and only that channel), a message half sent resumes at the part that was
// refused, progress is on disk before the next part goes, and the bot token reaches neither an
// error nor outbox.db.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <random>

#include "alerts/outbox/outbox.h"
#include "alerts/telegram/telegram_notifier.h"
#include "support/chat_servers.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

using testing::FakeTelegram;

constexpr Micros kSecond = 1'000'000;
constexpr Micros kT0 = 1'755'182'292'000'000;
constexpr const char* kToken = "123456789:AAHsecretTOKENpart-x_yz0123456789abcd";

// Stands in for another configured channel (not a peer): records what it took.
class Recorder final : public Notifier {
 public:
  std::string_view Name() const override { return "log"; }
  Status Send(const AlertMessage& message) override {
    subjects.push_back(message.subject);
    return Status::Ok();
  }
  std::vector<std::string> subjects;
};

AlertMessage Message(const std::string& subject, std::size_t body_units) {
  std::mt19937 rng(static_cast<unsigned>(body_units));
  const char* words[] = {"AAPL", "sprzedaj", "zażółć", "📈", "€", "SMA20"};
  std::string body;
  while (testing::CountUtf16(body) < body_units) {
    body += words[rng() % 6];
    body += rng() % 8 ? " " : "\n";
  }
  return {MessageKind::kSignals, subject, body, kT0};
}

std::string Text(const AlertMessage& m) {
  return m.subject + "\n\n" + m.body;
}

class TelegramOutboxTest : public ::testing::Test {
 protected:
  TelegramOutboxTest() : notifier_(Options()) {}

  TelegramOptions Options() {
    TelegramOptions o;
    o.token = kToken;
    o.chat_ids = {"111"};
    o.api_url = server_.api_url();
    return o;
  }

  std::string path() const { return (dir_.path() / "outbox.db").string(); }

  std::unique_ptr<Outbox> Open(std::vector<Notifier*> channels) {
    OutboxOptions o;
    o.path = path();
    o.retry_after = 1 * kSecond;  // the outbox's own backoff: far shorter than the 429 below
    o.clock = [this] { return now_; };
    // No secrets given: the channel itself must keep the token out of its errors.
    auto outbox = Outbox::Open(std::move(o), std::move(channels));
    EXPECT_TRUE(outbox) << outbox.error();
    return outbox ? std::move(*outbox) : nullptr;
  }

  // parts_sent of the delivery of message `id` to telegram, read through its own connection.
  std::int64_t PartsSent(std::int64_t id) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(
        db, "SELECT parts_sent FROM deliveries WHERE message_id=? AND channel='telegram'", -1,
        &stmt, nullptr);
    sqlite3_bind_int64(stmt, 1, id);
    const std::int64_t parts =
        sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return parts;
  }

  std::string FileBytes() {
    std::string all;
    for (const char* suffix : {"", "-wal", "-journal"}) {
      const auto file = dir_.path() / ("outbox.db" + std::string(suffix));
      if (std::filesystem::exists(file)) all += testing::ReadFile(file);
    }
    return all;
  }

  testing::TempDir dir_;
  FakeTelegram server_{kToken};
  TelegramNotifier notifier_;
  Micros now_ = kT0;
};

TEST_F(TelegramOutboxTest, RetryAfterHoldsTheChannelBackAndTheRetryResumesAtTheRefusedPart) {
  Recorder other;
  auto outbox = Open({&notifier_, &other});
  ASSERT_NE(outbox, nullptr);
  const AlertMessage first = Message("Alerts: AAPL:SELL", 10'000);  // 3 parts
  server_.PassNext();
  server_.RateLimitNext(30);
  auto id = outbox->Enqueue(first, now_);
  ASSERT_TRUE(id) << id.error();
  auto report = outbox->DeliverDue(now_);
  ASSERT_TRUE(report) << report.error();
  EXPECT_EQ(report->delivered, 1u);  // the other channel
  EXPECT_EQ(report->failed, 1u);
  EXPECT_EQ(server_.requests(), 2);
  EXPECT_EQ(server_.accepted().size(), 1u);
  EXPECT_EQ(PartsSent(*id), 1);

  // A new message while paused: the other channel gets it, Telegram does not, at any time
  // before the 30 s are over, although the outbox's own backoff (1 s) ran out long before.
  now_ = kT0 + 10 * kSecond;
  const AlertMessage second = Message("Alerts: MSFT:BUY", 100);
  ASSERT_TRUE(outbox->Send(second));
  EXPECT_EQ(other.subjects, (std::vector<std::string>{first.subject, second.subject}));
  for (Micros at : {kT0 + 2 * kSecond, kT0 + 29 * kSecond, kT0 + 30 * kSecond - 1}) {
    now_ = at;
    report = outbox->DeliverDue(now_);
    ASSERT_TRUE(report) << report.error();
    EXPECT_EQ(report->delivered + report->failed, 0u) << "called at +" << (at - kT0) / kSecond;
  }
  EXPECT_EQ(server_.requests(), 2) << "no request during the pause";

  auto health = outbox->Health();
  ASSERT_TRUE(health);
  const ChannelHealth& telegram = (*health)[0];
  EXPECT_EQ(telegram.channel, "telegram");
  EXPECT_TRUE(telegram.failing);
  EXPECT_EQ(telegram.pending, 2u);
  EXPECT_NE(telegram.last_error.find("HTTP 429"), std::string::npos) << telegram.last_error;

  now_ = kT0 + 30 * kSecond;
  report = outbox->DeliverDue(now_);
  ASSERT_TRUE(report) << report.error();
  EXPECT_EQ(report->delivered, 2u);
  // Parts 2 and 3 of the first message, then the second: no part twice, in order.
  EXPECT_EQ(server_.accepted().size(), 4u);
  EXPECT_EQ(server_.TextOf("111"), Text(first) + Text(second));
  health = outbox->Health();
  ASSERT_TRUE(health);
  EXPECT_FALSE((*health)[0].failing);
  EXPECT_EQ((*health)[0].pending, 0u);
  EXPECT_EQ((*health)[0].delivered, 2u);
}

TEST_F(TelegramOutboxTest, EachAcceptedPartIsOnDiskBeforeTheNextIsSent) {
  auto outbox = Open({&notifier_});
  ASSERT_NE(outbox, nullptr);
  const AlertMessage long_one = Message("Alerts: AAPL:SELL", 10'000);
  std::vector<std::int64_t> seen;  // parts_sent on disk as each request arrives
  server_.OnRequest([&](int) { seen.push_back(PartsSent(1)); });
  ASSERT_TRUE(outbox->Send(long_one));
  EXPECT_EQ(seen, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(server_.TextOf("111"), Text(long_one));
}

TEST_F(TelegramOutboxTest, OtherRefusalsAreRetriedWithTheOutboxBackoff) {
  auto outbox = Open({&notifier_});
  ASSERT_NE(outbox, nullptr);
  server_.RefuseNext(400, "Bad Request: chat not found");
  ASSERT_TRUE(outbox->Send(Message("Alerts: AAPL:SELL", 50)));
  EXPECT_EQ(server_.requests(), 1);
  now_ = kT0 + kSecond - 1;
  ASSERT_TRUE(outbox->DeliverDue(now_));
  EXPECT_EQ(server_.requests(), 1);
  now_ = kT0 + kSecond;
  auto report = outbox->DeliverDue(now_);
  ASSERT_TRUE(report) << report.error();
  EXPECT_EQ(report->delivered, 1u);
  EXPECT_EQ(server_.accepted().size(), 1u);
}

TEST_F(TelegramOutboxTest, TheTokenReachesNeitherTheErrorsNorTheFile) {
  auto outbox = Open({&notifier_});
  ASSERT_NE(outbox, nullptr);
  // A server that echoes the token in its reason: still never stored.
  server_.RefuseNext(400, std::string("Bad Request: bot") + kToken + " cannot write to chat");
  ASSERT_TRUE(outbox->Send(Message("Alerts: AAPL:SELL", 50)));
  EXPECT_EQ(server_.requests(), 1);
  auto health = outbox->Health();
  ASSERT_TRUE(health);
  EXPECT_NE((*health)[0].last_error.find("HTTP 400"), std::string::npos);
  EXPECT_EQ((*health)[0].last_error.find("AAHsecretTOKEN"), std::string::npos)
      << (*health)[0].last_error;
  outbox.reset();  // closes the file (the WAL is checked too)
  const std::string bytes = FileBytes();
  ASSERT_NE(bytes.find("cannot write to chat"), std::string::npos) << "the error was stored";
  EXPECT_EQ(bytes.find("AAHsecretTOKEN"), std::string::npos);
  EXPECT_EQ(bytes.find(kToken), std::string::npos);
}

}  // namespace
}  // namespace stockpipe
