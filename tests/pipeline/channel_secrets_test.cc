// What the CLI hands the outbox to redact: the SMTP password and the webhook URL's credential
// (user info, path and query), so that only scheme://host:port of a webhook ever shows.
#include <gtest/gtest.h>

#include "alerts/outbox/outbox.h"
#include "pipeline/backends.h"
#include "pipeline/local_stores.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

class FailingChannel final : public Notifier {
 public:
  explicit FailingChannel(std::string error) : error_(std::move(error)) {}
  std::string_view Name() const override { return "webhook"; }
  Status Send(const AlertMessage&) override { return Status::Error(error_); }

 private:
  std::string error_;
};

// The error a channel reports, as the outbox stores and logs it under `config`'s secrets.
std::string Stored(const Config& config, const std::string& error) {
  testing::TempDir dir;
  FailingChannel channel(error);
  OutboxOptions options;
  options.path = (dir.path() / "outbox.db").string();
  options.secrets = ChannelSecrets(config);
  auto outbox = Outbox::Open(std::move(options), {&channel});
  EXPECT_TRUE(outbox) << outbox.error();
  if (!outbox) return {};
  EXPECT_TRUE((*outbox)->Send({MessageKind::kSignals, "s", "b", 1}).ok());
  auto health = (*outbox)->Health();
  EXPECT_TRUE(health && health->size() == 1u);
  return health && !health->empty() ? health->front().last_error : "";
}

TEST(ChannelSecretsTest, WebhookPathQueryAndUserInfoNeverReachTheOutbox) {
  Config config;
  config.alerts.webhook.url =
      "https://bot:p4ss@hooks.example.com:8443/services/T0/B0/t0k3n?sig=abc";
  const std::string stored = Stored(
      config, "POST " + config.alerts.webhook.url + " failed; path /services/T0/B0/t0k3n?sig=abc");
  for (const char* secret : {"p4ss", "t0k3n", "sig=abc", "bot:"}) {
    EXPECT_EQ(stored.find(secret), std::string::npos) << secret << " in: " << stored;
  }
  EXPECT_NE(stored.find("https://hooks.example.com:8443/<redacted>"), std::string::npos) << stored;
}

TEST(ChannelSecretsTest, SmtpPasswordNeverReachesTheOutbox) {
  Config config;
  config.alerts.smtp.url = "smtp://mail.example.com:587/x";
  config.alerts.smtp.password = "correct horse battery";
  const std::string stored =
      Stored(config, "AUTH failed for correct horse battery at smtp://mail.example.com:587");
  EXPECT_EQ(stored.find("horse"), std::string::npos) << stored;
  EXPECT_NE(stored.find("smtp://mail.example.com:587"), std::string::npos) << stored;
}

TEST(ChannelSecretsTest, TelegramTokenNeverReachesTheOutbox) {
  Config config;
  config.alerts.telegram.token = "123456789:AAHsecretTOKENpart-x_yz0123456789abcd";
  config.alerts.telegram.chat_ids = {"111"};
  // Even a channel that quoted its whole request URL: the token in it is blanked.
  const std::string stored =
      Stored(config,
             "POST https://api.telegram.org/bot123456789:AAHsecretTOKENpart-x_yz0123456789abcd/"
             "sendMessage failed");
  EXPECT_EQ(stored.find("AAHsecretTOKEN"), std::string::npos) << stored;
  EXPECT_NE(stored.find("https://api.telegram.org/bot<redacted>/sendMessage"), std::string::npos)
      << stored;
}

TEST(ChannelSecretsTest, DiscordWebhookPathNeverReachesTheOutbox) {
  Config config;
  config.alerts.discord.webhook_url = "https://discord.com/api/webhooks/123/d1sc0rdT0ken";
  const std::string stored =
      Stored(config, "POST " + config.alerts.discord.webhook_url + " gave HTTP 500");
  EXPECT_EQ(stored.find("d1sc0rdT0ken"), std::string::npos) << stored;
  EXPECT_NE(stored.find("https://discord.com/<redacted>"), std::string::npos) << stored;
}

TEST(ChannelSecretsTest, NoChannelNoSecrets) {
  EXPECT_TRUE(ChannelSecrets(Config{}).empty());
}

}  // namespace
}  // namespace stockpipe
