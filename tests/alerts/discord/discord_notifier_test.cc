// The Discord channel against an in-test server speaking the webhook API as documented
// (support/chat_servers.h: no real Discord exists here): delivery, long messages split within
// 2,000 characters and whole again when joined, 429 with a fractional retry_after, resuming after
// the parts already sent, through the outbox with its injected clock (no sleeps), and the
// webhook's secret path never in an error or outbox.db.
#include "alerts/discord/discord_notifier.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "alerts/outbox/outbox.h"
#include "support/chat_servers.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

using testing::FakeDiscord;

constexpr Micros kSecond = 1'000'000;
constexpr Micros kT0 = 1'755'182'292'000'000;
constexpr const char* kPath = "/api/webhooks/1234567890/s3cretWebhookT0ken-abc";

DiscordOptions Options(const std::string& url) {
  DiscordOptions o;
  o.url = url;
  return o;
}

AlertMessage Alert(std::size_t body_units = 60) {
  std::mt19937 rng(static_cast<unsigned>(body_units));
  const char* words[] = {"AAPL", "sprzedaj", "zażółć", "📈", "€", "SMA20", "@everyone"};
  std::string body;
  while (testing::CountUtf16(body) < body_units) {
    body += words[rng() % 7];
    body += rng() % 9 ? " " : "\n";
  }
  return {MessageKind::kSignals, "Alerts: AAPL:SELL", body, kT0};
}

std::string Text(const AlertMessage& m) {
  return m.subject + "\n\n" + m.body;
}

void ExpectNoSecret(const std::string& text) {
  EXPECT_EQ(text.find("s3cretWebhookT0ken"), std::string::npos) << text;
  EXPECT_EQ(text.find("/api/webhooks/1234567890"), std::string::npos) << text;
}

TEST(DiscordNotifier, PostsTheContentWithMentionsOff) {
  FakeDiscord server(kPath);
  DiscordNotifier notifier(Options(server.url()));
  EXPECT_EQ(notifier.Name(), "discord");
  const AlertMessage alert = Alert();
  ASSERT_TRUE(notifier.Send(alert));
  ASSERT_EQ(server.accepted().size(), 1u);
  EXPECT_EQ(server.accepted()[0], Text(alert));
  const auto mentions = server.allowed_mentions();
  ASSERT_EQ(mentions.size(), 1u);
  EXPECT_EQ(mentions[0], nlohmann::json({{"parse", nlohmann::json::array()}}))
      << "an alert never pings anyone";
}

TEST(DiscordNotifier, LongMessagesAreSplitWithinTheLimitAndJoinBackWhole) {
  FakeDiscord server(kPath);
  DiscordNotifier notifier(Options(server.url()));
  std::string expected;
  for (std::size_t units : {2001u, 4500u, 9999u}) {
    const AlertMessage alert = Alert(units);
    expected += Text(alert);
    const Status sent = notifier.Send(alert);
    ASSERT_TRUE(sent) << sent.message();
  }
  // The server refuses any part over 2,000 UTF-16 units, so acceptance proves the limit.
  for (const std::string& part : server.accepted()) {
    EXPECT_LE(testing::CountUtf16(part), kDiscordMaxChars);
  }
  EXPECT_EQ(server.Text(), expected);
  EXPECT_GE(server.accepted().size(), 2u + 3u + 5u);
  EXPECT_EQ(server.requests(), static_cast<int>(server.accepted().size()));
}

TEST(DiscordNotifier, TooManyRequestsReportsTheFractionalRetryAfterThenResumes) {
  FakeDiscord server(kPath);
  DiscordNotifier notifier(Options(server.url()));
  const AlertMessage alert = Alert(5000);  // 3 parts
  server.PassNext();
  server.RateLimitNext(1.5);
  DeliveryProgress progress;
  const Status first = notifier.Resume(alert, progress);
  ASSERT_FALSE(first);
  EXPECT_NE(first.message().find("discord (part 2 of 3)"), std::string::npos) << first.message();
  EXPECT_NE(first.message().find("HTTP 429: You are being rate limited."), std::string::npos)
      << first.message();
  ExpectNoSecret(first.message());
  EXPECT_EQ(progress.parts_sent, 1u);
  EXPECT_EQ(progress.retry_after, 1'500'000) << "the JSON's 1.5 s, not the header's rounded 2";
  ASSERT_TRUE(notifier.Resume(alert, progress));
  EXPECT_EQ(progress.parts_sent, 3u);
  EXPECT_EQ(server.Text(), Text(alert));
}

TEST(DiscordNotifier, ErrorsNameTheStatusAndDiscordsMessageButNotThePath) {
  FakeDiscord server(kPath);
  const Status unknown =
      DiscordNotifier(Options(server.url("/api/webhooks/1234567890/wrongT0ken"))).Send(Alert());
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.message().find("HTTP 404: Unknown Webhook (check DISCORD_WEBHOOK_URL)"),
            std::string::npos)
      << unknown.message();
  EXPECT_EQ(unknown.message().find("wrongT0ken"), std::string::npos) << unknown.message();
  EXPECT_NE(unknown.message().find("http://127.0.0.1:" + std::to_string(server.port())),
            std::string::npos)
      << unknown.message();

  server.RefuseNext(503, "upstream connect error");
  const Status down = DiscordNotifier(Options(server.url())).Send(Alert());
  ASSERT_FALSE(down);
  EXPECT_NE(down.message().find("HTTP 503: upstream connect error"), std::string::npos)
      << down.message();
  ExpectNoSecret(down.message());
}

TEST(ValidateDiscordOptions, ChecksTheUrlWithoutQuotingItsPath) {
  EXPECT_TRUE(ValidateDiscordOptions(Options(std::string("https://discord.com") + kPath)));
  EXPECT_TRUE(ValidateDiscordOptions(Options(std::string("http://127.0.0.1:9") + kPath)));
  for (const auto& [url, says] : std::vector<std::pair<std::string, std::string>>{
           {std::string("http://discord.com") + kPath, "plain http:// is allowed only to this"},
           {"https://discord.com", "alerts.discord.webhook_url has no path"},
           {std::string("ftp://discord.com") + kPath, "must start with https://"},
           {"not a url", "alerts.discord.webhook_url is not a URL"}}) {
    const Status s = ValidateDiscordOptions(Options(url));
    EXPECT_FALSE(s) << url;
    EXPECT_NE(s.message().find(says), std::string::npos) << s.message();
    ExpectNoSecret(s.message());
    EXPECT_FALSE(DiscordNotifier(Options(url)).Send(Alert())) << url;
  }
  DiscordOptions insecure = Options(std::string("http://discord.com") + kPath);
  insecure.allow_insecure = true;
  EXPECT_TRUE(ValidateDiscordOptions(insecure));
}

TEST(DiscordOutbox, RetryAfterIsHonouredToTheMicrosecondAndNoPartIsSentTwice) {
  testing::TempDir dir;
  FakeDiscord server(kPath);
  DiscordNotifier notifier(Options(server.url()));
  Micros now = kT0;
  OutboxOptions o;
  o.path = (dir.path() / "outbox.db").string();
  o.retry_after = kSecond / 10;  // shorter than the service's ask
  o.clock = [&] { return now; };
  auto outbox = Outbox::Open(std::move(o), {&notifier});
  ASSERT_TRUE(outbox) << outbox.error();

  const AlertMessage alert = Alert(7000);  // 4 parts
  server.PassNext();
  server.PassNext();
  server.RateLimitNext(1.5);
  ASSERT_TRUE((*outbox)->Send(alert));
  EXPECT_EQ(server.requests(), 3);
  now = kT0 + 1'500'000 - 1;
  ASSERT_TRUE((*outbox)->DeliverDue(now));
  EXPECT_EQ(server.requests(), 3) << "called before retry_after";
  now = kT0 + 1'500'000;
  auto report = (*outbox)->DeliverDue(now);
  ASSERT_TRUE(report) << report.error();
  EXPECT_EQ(report->delivered, 1u);
  EXPECT_EQ(server.requests(), 5);
  EXPECT_EQ(server.accepted().size(), 4u);
  EXPECT_EQ(server.Text(), Text(alert));

  outbox->reset();
  std::string bytes;
  for (const char* suffix : {"", "-wal"}) {
    const auto file = dir.path() / ("outbox.db" + std::string(suffix));
    if (std::filesystem::exists(file)) bytes += testing::ReadFile(file);
  }
  ASSERT_NE(bytes.find("HTTP 429"), std::string::npos);
  EXPECT_EQ(bytes.find("s3cretWebhookT0ken"), std::string::npos);
}

}  // namespace
}  // namespace stockpipe
