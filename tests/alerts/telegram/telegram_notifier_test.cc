// The Telegram channel against an in-test server speaking the Bot API as documented
// (support/chat_servers.h: no real Telegram exists here): delivery to every chat, long messages
// split within 4,096 characters and whole again when joined, 429 and other refusals, resuming
// after the parts already sent, and the bot token never in an error.
#include "alerts/telegram/telegram_notifier.h"

#include <gtest/gtest.h>

#include <random>

#include "support/chat_servers.h"

namespace stockpipe {
namespace {

using testing::ChatFailure;
using testing::FakeTelegram;

constexpr const char* kToken = "123456789:AAHsecretTOKENpart-x_yz0123456789abcd";

TelegramOptions Options(const FakeTelegram& server, std::vector<std::string> chats) {
  TelegramOptions o;
  o.token = kToken;
  o.chat_ids = std::move(chats);
  o.api_url = server.api_url();
  return o;
}

AlertMessage Alert(std::string body = "📉 Alert giełdowy — AAPL\nAkcja: SPRZEDAJ\nPowód: +6.00%") {
  return {MessageKind::kSignals, "Alerty: AAPL:SPRZEDAJ", std::move(body), 1'755'182'292'000'000};
}

std::string Text(const AlertMessage& m) {
  return m.subject + "\n\n" + m.body;
}

void ExpectNoToken(const std::string& text) {
  EXPECT_EQ(text.find("AAHsecretTOKEN"), std::string::npos) << text;
  EXPECT_EQ(text.find("123456789:"), std::string::npos) << text;
}

// A body of about `units` characters: words, emoji, Polish letters, a few line breaks.
std::string LongBody(unsigned seed, std::size_t units) {
  std::mt19937 rng(seed);
  const char* words[] = {"AAPL", "kupuj", "zażółć", "📈", "📉", "€", "SMA20", "👩‍💻", "日本"};
  std::string out;
  while (testing::CountUtf16(out) < units) {
    out += words[rng() % 9];
    out += rng() % 10 == 0 ? "\n" : " ";
  }
  return out;
}

TEST(TelegramNotifier, SendsTheMessageToEveryChat) {
  FakeTelegram server(kToken);
  TelegramNotifier notifier(Options(server, {"123", "-100200300", "@stockpipe_alerts"}));
  EXPECT_EQ(notifier.Name(), "telegram");
  const AlertMessage alert = Alert();
  const Status sent = notifier.Send(alert);
  ASSERT_TRUE(sent) << sent.message();
  const auto got = server.accepted();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].chat, "123");
  EXPECT_TRUE(got[0].numeric) << "numeric chat ids go as numbers";
  EXPECT_EQ(got[1].chat, "-100200300");
  EXPECT_EQ(got[2].chat, "@stockpipe_alerts");
  EXPECT_FALSE(got[2].numeric);
  for (const auto& m : got) EXPECT_EQ(m.text, Text(alert));
  for (const std::string& path : server.paths()) {
    EXPECT_EQ(path, std::string("/bot") + kToken + "/sendMessage");
  }
}

TEST(TelegramNotifier, LongMessagesAreSplitWithinTheLimitAndJoinBackWhole) {
  FakeTelegram server(kToken);
  TelegramNotifier notifier(Options(server, {"111", "222"}));
  for (unsigned seed = 1; seed <= 3; ++seed) {
    const AlertMessage alert = Alert(LongBody(seed, 9000 + 1000 * seed));
    const Status sent = notifier.Send(alert);
    ASSERT_TRUE(sent) << sent.message();
  }
  // The server refuses any part over 4,096 UTF-16 units, so acceptance proves the limit.
  std::string joined_111;
  std::size_t parts_111 = 0;
  for (const auto& m : server.accepted()) {
    EXPECT_LE(testing::CountUtf16(m.text), kTelegramMaxChars);
    if (m.chat == "111") {
      joined_111 += m.text;
      ++parts_111;
    }
  }
  std::string expected;
  for (unsigned seed = 1; seed <= 3; ++seed)
    expected += Text(Alert(LongBody(seed, 9000 + 1000 * seed)));
  EXPECT_EQ(joined_111, expected);
  EXPECT_EQ(server.TextOf("222"), expected);
  EXPECT_GE(parts_111, 9u);
  EXPECT_EQ(server.requests(), static_cast<int>(2 * parts_111)) << "no request refused";
}

TEST(TelegramNotifier, TooManyRequestsStopsAndReportsRetryAfterThenResumes) {
  FakeTelegram server(kToken);
  TelegramNotifier notifier(Options(server, {"111", "222"}));
  const AlertMessage alert = Alert(LongBody(7, 9000));  // 3 parts per chat
  // Chat 111 takes part 1, then the service says: wait 31 s.
  server.PassNext();
  server.RateLimitNext(31);
  DeliveryProgress progress;
  std::vector<std::size_t> reported;
  progress.on_part = [&](std::size_t n) { reported.push_back(n); };
  const Status first = notifier.Resume(alert, progress);
  ASSERT_FALSE(first);
  EXPECT_NE(first.message().find("HTTP 429"), std::string::npos) << first.message();
  EXPECT_NE(first.message().find("retry after 31"), std::string::npos) << first.message();
  EXPECT_NE(first.message().find("chat 111 (part 2 of 3)"), std::string::npos) << first.message();
  ExpectNoToken(first.message());
  EXPECT_EQ(progress.parts_sent, 1u);
  EXPECT_EQ(progress.retry_after, 31'000'000);
  EXPECT_EQ(reported, (std::vector<std::size_t>{1}));
  ASSERT_EQ(server.accepted().size(), 1u);

  // The retry starts at part 2 of chat 111: nothing is sent twice.
  const Status second = notifier.Resume(alert, progress);
  ASSERT_TRUE(second) << second.message();
  EXPECT_EQ(progress.parts_sent, 6u);
  EXPECT_EQ(progress.retry_after, 0);
  EXPECT_EQ(reported, (std::vector<std::size_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(server.accepted().size(), 6u);
  EXPECT_EQ(server.TextOf("111"), Text(alert));
  EXPECT_EQ(server.TextOf("222"), Text(alert));
}

TEST(TelegramNotifier, AFailureInTheSecondChatKeepsTheFirstChatsParts) {
  FakeTelegram server(kToken);
  TelegramNotifier notifier(Options(server, {"111", "222"}));
  server.PassNext();
  server.RefuseNext(502, "Bad Gateway");
  DeliveryProgress progress;
  const Status first = notifier.Resume(Alert(), progress);
  ASSERT_FALSE(first);
  EXPECT_NE(first.message().find("telegram chat 222"), std::string::npos) << first.message();
  EXPECT_NE(first.message().find("HTTP 502: Bad Gateway"), std::string::npos) << first.message();
  EXPECT_EQ(progress.parts_sent, 1u);
  EXPECT_EQ(progress.retry_after, 0) << "only a 429 asks for a pause";
  ASSERT_TRUE(notifier.Resume(Alert(), progress));
  const auto got = server.accepted();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].chat, "111");
  EXPECT_EQ(got[1].chat, "222");
}

TEST(TelegramNotifier, RefusalsNameTheChatAndTelegramsReasonButNeverTheToken) {
  FakeTelegram server(kToken);
  server.UnknownChat("404404");
  const Status missing = TelegramNotifier(Options(server, {"404404"})).Send(Alert());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.message().find("telegram chat 404404"), std::string::npos) << missing.message();
  EXPECT_NE(missing.message().find("HTTP 400: Bad Request: chat not found"), std::string::npos)
      << missing.message();
  EXPECT_NE(missing.message().find(server.api_url().substr(0, 16)), std::string::npos)
      << missing.message();
  ExpectNoToken(missing.message());

  TelegramOptions wrong = Options(server, {"111"});
  wrong.token = "987654321:AAHotherTOKENotherTOKENotherTOKEN12";
  const Status unauthorized = TelegramNotifier(wrong).Send(Alert());
  ASSERT_FALSE(unauthorized);
  EXPECT_NE(unauthorized.message().find("HTTP 401: Unauthorized (check TELEGRAM_BOT_TOKEN)"),
            std::string::npos)
      << unauthorized.message();
  EXPECT_EQ(unauthorized.message().find("AAHotherTOKEN"), std::string::npos)
      << unauthorized.message();
  EXPECT_TRUE(server.accepted().empty());
}

TEST(TelegramNotifier, ConnectionRefusedNamesOnlyTheServer) {
  std::string api;
  {
    FakeTelegram closed(kToken);  // a port that was just free and has nothing listening any more
    api = closed.api_url();
  }
  TelegramOptions o;
  o.token = kToken;
  o.chat_ids = {"111"};
  o.api_url = api;
  const Status sent = TelegramNotifier(o).Send(Alert());
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.message().find("telegram chat 111"), std::string::npos) << sent.message();
  ExpectNoToken(sent.message());
}

TEST(ValidateTelegramOptions, ChecksTokenChatsAndServerWithoutQuotingTheToken) {
  TelegramOptions o;
  o.token = kToken;
  o.chat_ids = {"123", "-1001234567890", "@channel_name"};
  EXPECT_TRUE(ValidateTelegramOptions(o));
  EXPECT_EQ(o.api_url, "https://api.telegram.org");

  const auto refused = [&](TelegramOptions bad, std::string_view says) {
    const Status s = ValidateTelegramOptions(bad);
    EXPECT_FALSE(s) << says;
    EXPECT_NE(s.message().find(says), std::string::npos) << s.message();
    ExpectNoToken(s.message());
    // Send refuses too, before any connection.
    EXPECT_FALSE(TelegramNotifier(bad).Send(Alert()));
  };
  TelegramOptions bad = o;
  bad.token = "";
  refused(bad, "TELEGRAM_BOT_TOKEN must be set");
  bad.token = "123456789:AAHsecretTOKEN/../../x";
  refused(bad, "TELEGRAM_BOT_TOKEN is not a bot token");
  bad.token = "AAHsecretTOKENnocolon";
  refused(bad, "TELEGRAM_BOT_TOKEN is not a bot token");
  bad = o;
  bad.chat_ids = {};
  refused(bad, "alerts.telegram.chat_ids must list at least one chat");
  bad.chat_ids = {"123", "12ab"};
  refused(bad, "alerts.telegram.chat_ids[1]: \"12ab\" is not a chat id");
  bad.chat_ids = {"@ab"};
  refused(bad, "is not a chat id");
  bad = o;
  bad.api_url = "http://api.example.com";
  refused(bad, "plain http:// is allowed only to this machine");
  bad.api_url = std::string("https://api.telegram.org/bot") + kToken;
  refused(bad, "alerts.telegram.api_url must name the Bot API server only");
  bad.api_url = "ftp://api.telegram.org";
  refused(bad, "alerts.telegram.api_url must start with https://");
  bad.api_url = "not a url";
  refused(bad, "alerts.telegram.api_url is not a URL");

  TelegramOptions insecure = o;
  insecure.api_url = "http://api.example.com";
  insecure.allow_insecure = true;
  EXPECT_TRUE(ValidateTelegramOptions(insecure));
}

TEST(TelegramPayload, NumericChatsAsNumbersOthersAsText) {
  EXPECT_EQ(TelegramPayload("-1001234567890", "hi"), R"({"chat_id":-1001234567890,"text":"hi"})");
  EXPECT_EQ(TelegramPayload("@channel_name", "zażółć 📈"),
            R"({"chat_id":"@channel_name","text":"zażółć 📈"})");
}

}  // namespace
}  // namespace stockpipe
