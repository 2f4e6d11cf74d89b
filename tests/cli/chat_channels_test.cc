// Telegram and Discord through the binary, against in-test servers speaking the Bot API and the
// Discord webhook API as documented (support/chat_servers.h: no real peer exists here).
// `trends --once` with TELEGRAM_BOT_TOKEN set delivers the SELL alert to every chat; a chat that
// fails once gets it on a later run while the chat that took it first does not get it twice;
// the token shows in no log line and not in outbox.db. Discord likewise. Configuration errors
// exit 2 naming the setting, never the token.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/chat_servers.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

using nlohmann::json;
using testing::RunStockpipe;

constexpr const char* kToken = "123456789:AAHsecretTOKENpart-x_yz0123456789abcd";
constexpr const char* kDiscordPath = "/api/webhooks/1234567890/s3cretWebhookT0ken-abc";

class ChatChannelsTest : public ::testing::Test {
 protected:
  std::string data() const { return (dir_.path() / "data").string(); }

  testing::ProcessResult Cli(std::vector<std::string> args,
                             std::map<std::string, std::string> env = {},
                             std::string stdin_text = "") {
    args.insert(args.begin(), {"--data-dir", data()});
    auto r = RunStockpipe(
        args, {.cwd = dir_.path(), .stdin_text = std::move(stdin_text), .env = std::move(env)});
    logs_ += r.err;
    return r;
  }

  // 30 rising prices: the PCT + SMA rule says SELL.
  void Ingest(const std::map<std::string, std::string>& env) {
    std::string series;
    double price = 100;
    for (int i = 0; i < 30; ++i, price *= 1.01) {
      series += fmt::format(R"({{"symbol":"AAPL","timestamp":{},"price":{}}})"
                            "\n",
                            1'755'180'000 + 60 * i, price);
    }
    ASSERT_EQ(Cli({"produce", "file", "-"}, env, series).exit_code, 0);
    ASSERT_EQ(Cli({"ingest", "--once"}, env).exit_code, 0);
  }

  std::string OutboxBytes() {
    std::string all;
    for (const char* suffix : {"", "-wal"}) {
      const auto file = dir_.path() / "data" / ("outbox.db" + std::string(suffix));
      if (std::filesystem::exists(file)) all += testing::ReadFile(file);
    }
    return all;
  }

  static const json* Channel(const json& health, std::string_view name) {
    if (!health.contains("alerts")) return nullptr;
    for (const json& c : health["alerts"]) {
      if (c.value("channel", "") == name) return &c;
    }
    return nullptr;
  }

  testing::TempDir dir_;
  std::string logs_;  // stderr of every run
};

TEST_F(ChatChannelsTest, TrendsDeliversTheAlertToEveryTelegramChatOnceWithoutLeakingTheToken) {
  testing::FakeTelegram telegram(kToken);
  testing::WriteFile(dir_.path() / "stockpipe.toml",
                     fmt::format("[alerts]\nretry_after = \"0.2s\"\n"
                                 "[alerts.telegram]\nchat_ids = [111, \"-100200300\"]\n"
                                 "api_url = \"{}\"\n",
                                 telegram.api_url()));
  const std::map<std::string, std::string> env = {{"TELEGRAM_BOT_TOKEN", kToken}};
  Ingest(env);
  // Chat 111 takes it; the second chat fails once (Telegram's side).
  telegram.PassNext();
  telegram.RefuseNext(500, "Internal Server Error");
  auto trends = Cli({"trends", "--once", "--lang", "en"}, env);
  EXPECT_EQ(trends.exit_code, 0) << trends.err;
  EXPECT_NE(trends.out.find("Alerts: AAPL:SELL"), std::string::npos) << trends.out;
  EXPECT_NE(trends.err.find("telegram chat -100200300"), std::string::npos) << trends.err;
  EXPECT_EQ(telegram.requests(), 2);

  auto health = Cli({"health", "--json"}, env);
  ASSERT_EQ(health.exit_code, 0) << health.err;
  const json before = json::parse(health.out, nullptr, false);
  const json* failing = Channel(before, "telegram");
  ASSERT_NE(failing, nullptr) << health.out;
  EXPECT_EQ(failing->value("state", ""), "failing");
  EXPECT_EQ(failing->value("pending", -1), 1);
  EXPECT_EQ(health.out.find("AAHsecretTOKEN"), std::string::npos) << health.out;

  // A later run sends what is due: only the chat that failed.
  ASSERT_TRUE(testing::Eventually([&] {
    Cli({"trends", "--once", "--lang", "en"}, env);
    return telegram.accepted().size() >= 2;
  }));
  const auto got = telegram.accepted();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].chat, "111");
  EXPECT_EQ(got[1].chat, "-100200300");
  EXPECT_EQ(got[0].text, got[1].text);
  EXPECT_EQ(got[0].text.rfind("Alerts: AAPL:SELL\n\n", 0), 0u) << got[0].text;
  for (const std::string& path : telegram.paths()) {
    EXPECT_EQ(path, std::string("/bot") + kToken + "/sendMessage");
  }

  const json after = json::parse(Cli({"health", "--json"}, env).out, nullptr, false);
  const json* delivered = Channel(after, "telegram");
  ASSERT_NE(delivered, nullptr);
  EXPECT_EQ(delivered->value("state", ""), "ok");
  EXPECT_EQ(delivered->value("delivered", -1), 1);

  EXPECT_EQ(logs_.find("AAHsecretTOKEN"), std::string::npos) << "token logged:\n" << logs_;
  const std::string bytes = OutboxBytes();
  ASSERT_NE(bytes.find("Alerts: AAPL:SELL"), std::string::npos);
  EXPECT_EQ(bytes.find("AAHsecretTOKEN"), std::string::npos) << "token in outbox.db";
}

TEST_F(ChatChannelsTest, TrendsDeliversTheAlertToDiscord) {
  testing::FakeDiscord discord(kDiscordPath);
  const std::map<std::string, std::string> env = {{"DISCORD_WEBHOOK_URL", discord.url()}};
  Ingest(env);
  discord.RefuseNext(502, "Bad Gateway");
  testing::WriteFile(dir_.path() / "stockpipe.toml", "[alerts]\nretry_after = \"0.2s\"\n");
  auto trends = Cli({"trends", "--once", "--lang", "en"}, env);
  EXPECT_EQ(trends.exit_code, 0) << trends.err;
  EXPECT_NE(trends.err.find("discord"), std::string::npos) << trends.err;
  ASSERT_TRUE(testing::Eventually([&] {
    Cli({"trends", "--once", "--lang", "en"}, env);
    return !discord.accepted().empty();
  }));
  ASSERT_EQ(discord.accepted().size(), 1u);
  EXPECT_EQ(discord.accepted()[0].rfind("Alerts: AAPL:SELL\n\n", 0), 0u);
  const json health = json::parse(Cli({"health", "--json"}, env).out, nullptr, false);
  ASSERT_NE(Channel(health, "discord"), nullptr) << health.dump();
  EXPECT_EQ(logs_.find("s3cretWebhookT0ken"), std::string::npos) << logs_;
  EXPECT_EQ(OutboxBytes().find("s3cretWebhookT0ken"), std::string::npos);
}

TEST_F(ChatChannelsTest, ConfigurationErrorsExit2NamingTheSettingNotTheToken) {
  struct Case {
    std::string toml;
    std::map<std::string, std::string> env;
    std::string named;
  };
  const std::string chats = "[alerts.telegram]\nchat_ids = [\"111\"]\n";
  for (const Case& c : std::vector<Case>{
           {fmt::format("[alerts.telegram]\nchat_ids = [\"111\"]\ntoken = \"{}\"\n", kToken),
            {},
            "alerts.telegram.token is not allowed in the config file: set TELEGRAM_BOT_TOKEN"},
           {fmt::format("[trends]\nTELEGRAM_BOT_TOKEN = \"{}\"\n", kToken),
            {},
            "trends.TELEGRAM_BOT_TOKEN is not allowed in the config file"},
           {chats, {}, "TELEGRAM_BOT_TOKEN must be set in the environment"},
           {"", {{"TELEGRAM_BOT_TOKEN", kToken}}, "alerts.telegram.chat_ids"},
           {"[alerts.telegram]\nchat_ids = [\"not-a-chat\"]\n",
            {{"TELEGRAM_BOT_TOKEN", kToken}},
            "alerts.telegram.chat_ids[0]: \"not-a-chat\" is not a chat id"},
           {chats + "api_url = \"http://api.example.com\"\n",
            {{"TELEGRAM_BOT_TOKEN", kToken}},
            "alerts.telegram.api_url http://api.example.com:80: plain http://"},
           {chats,
            {{"TELEGRAM_BOT_TOKEN", "AAHsecretTOKEN-without-the-bot-id"}},
            "TELEGRAM_BOT_TOKEN is not a bot token"},
           {"",
            {{"DISCORD_WEBHOOK_URL", "http://discord.com/api/webhooks/1/s3cretWebhookT0ken"}},
            "DISCORD_WEBHOOK_URL (alerts.discord): alerts.discord.webhook_url"},
           {"[alerts.discord]\nwebhook_url = \"https://discord.com\"\n",
            {},
            "alerts.discord.webhook_url has no path"},
       }) {
    SCOPED_TRACE(c.named);
    testing::WriteFile(dir_.path() / "stockpipe.toml", c.toml);
    auto r = Cli({"trends", "--once"}, c.env);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.named), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("AAHsecretTOKEN"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("s3cretWebhookT0ken"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace stockpipe
