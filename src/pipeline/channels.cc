#include <fmt/format.h>

#include <algorithm>

#include "alerts/console_notifier.h"
#include "alerts/discord/discord_notifier.h"
#include "alerts/log_notifier.h"
#include "alerts/smtp/smtp_notifier.h"
#include "alerts/telegram/telegram_notifier.h"
#include "alerts/webhook/webhook_notifier.h"
#include "pipeline/aws_options.h"
#include "pipeline/backends.h"
#include "pipeline/local_stores.h"

namespace stockpipe {

namespace {

SmtpOptions SmtpFrom(const Config& config) {
  const SmtpConfig& c = config.alerts.smtp;
  SmtpOptions o;
  o.url = c.url;
  o.from = c.from;
  o.to = c.to;
  o.username = c.username;
  o.password = c.password;
  o.require_tls = c.require_tls;
  o.ca_bundle = c.ca_bundle;
  return o;
}

WebhookOptions WebhookFrom(const Config& config) {
  const WebhookConfig& c = config.alerts.webhook;
  WebhookOptions o;
  o.url = c.url;
  o.allow_insecure = c.allow_insecure;
  o.ca_bundle = c.ca_bundle;
  return o;
}

TelegramOptions TelegramFrom(const Config& config) {
  const TelegramConfig& c = config.alerts.telegram;
  TelegramOptions o;
  o.token = c.token;
  o.chat_ids = c.chat_ids;
  o.api_url = c.api_url;
  o.allow_insecure = c.allow_insecure;
  o.ca_bundle = c.ca_bundle;
  return o;
}

DiscordOptions DiscordFrom(const Config& config) {
  const DiscordConfig& c = config.alerts.discord;
  DiscordOptions o;
  o.url = c.webhook_url;
  o.allow_insecure = c.allow_insecure;
  o.ca_bundle = c.ca_bundle;
  return o;
}

// A channel URL whose user info, path and query are its credential: only scheme://host:port may
// show.
void AddUrlSecrets(const std::string& url,
                   std::vector<std::pair<std::string, std::string>>& secrets) {
  if (url.empty()) return;
  const std::size_t scheme = url.find("://");
  const std::size_t host = scheme == std::string::npos ? 0 : scheme + 3;
  const std::size_t end = std::min(url.find_first_of("/?#", host), url.size());
  std::string authority = url.substr(host, end - host);
  if (const std::size_t at = authority.rfind('@'); at != std::string::npos) {
    secrets.emplace_back(authority.substr(0, at), "<redacted>");
    authority.erase(0, at + 1);
  }
  secrets.emplace_back(url, url.substr(0, host) + authority + "/<redacted>");
  if (url.size() - end > 1) secrets.emplace_back(url.substr(end), "/<redacted>");
}

}  // namespace

Status ValidateChannels(const Config& config) {
  if (!config.alerts.smtp.url.empty()) {
    if (Status s = ValidateSmtpOptions(SmtpFrom(config)); !s.ok()) {
      return Status::Error(fmt::format("SMTP (alerts.smtp, SMTP_*): {}", s.message()));
    }
  }
  if (!config.alerts.webhook.url.empty()) {
    if (Status s = ValidateWebhookOptions(WebhookFrom(config)); !s.ok()) {
      return Status::Error(fmt::format("WEBHOOK_URL (alerts.webhook): {}", s.message()));
    }
  }
  if (!config.alerts.telegram.chat_ids.empty() || !config.alerts.telegram.token.empty()) {
    if (Status s = ValidateTelegramOptions(TelegramFrom(config)); !s.ok()) {
      return Status::Error(fmt::format("Telegram (alerts.telegram): {}", s.message()));
    }
  }
  if (!config.alerts.discord.webhook_url.empty()) {
    if (Status s = ValidateDiscordOptions(DiscordFrom(config)); !s.ok()) {
      return Status::Error(fmt::format("DISCORD_WEBHOOK_URL (alerts.discord): {}", s.message()));
    }
  }
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> ChannelSecrets(const Config& config) {
  std::vector<std::pair<std::string, std::string>> secrets;
  if (!config.alerts.smtp.password.empty()) {
    secrets.emplace_back(config.alerts.smtp.password, "<redacted>");
  }
  AddUrlSecrets(config.alerts.webhook.url, secrets);
  AddUrlSecrets(config.alerts.discord.webhook_url, secrets);
  // The bot token travels in the request path (/bot<TOKEN>/sendMessage).
  if (!config.alerts.telegram.token.empty()) {
    secrets.emplace_back(config.alerts.telegram.token, "<redacted>");
  }
  return secrets;
}

Result<Channels> OpenChannels(const Config& config) {
  if (Status s = EnsureStore(config, StoreKind::kOutbox); !s.ok()) return s;
  Channels out;
  const LocalPaths paths(config.data_dir);
  if (config.alerts.console) out.channels.push_back(std::make_unique<ConsoleNotifier>());
  if (config.alerts.log) out.channels.push_back(std::make_unique<LogNotifier>(paths.alert_log));
  if (!config.alerts.smtp.url.empty()) {
    out.channels.push_back(std::make_unique<SmtpNotifier>(SmtpFrom(config)));
  }
  if (!config.alerts.webhook.url.empty()) {
    out.channels.push_back(std::make_unique<WebhookNotifier>(WebhookFrom(config)));
  }
  if (!config.alerts.telegram.chat_ids.empty()) {
    out.channels.push_back(std::make_unique<TelegramNotifier>(TelegramFrom(config)));
  }
  if (!config.alerts.discord.webhook_url.empty()) {
    out.channels.push_back(std::make_unique<DiscordNotifier>(DiscordFrom(config)));
  }
  if (!config.aws.sns_topic_arn.empty()) {
    auto sns = SnsOptionsFrom(config);
    if (!sns) return sns.status();
    out.channels.push_back(std::make_unique<SnsNotifier>(std::move(*sns)));
  }

  OutboxOptions options;
  options.path = paths.outbox;
  options.retry_after = config.alerts.retry_after;
  options.give_up_after = config.alerts.give_up_after;
  options.enqueue_sync = config.alerts.queue_fsync ? sqlite::Sync::kFull : sqlite::Sync::kNormal;
  options.secrets = ChannelSecrets(config);
  std::vector<Notifier*> targets;
  for (const auto& channel : out.channels) targets.push_back(channel.get());
  auto outbox = Outbox::Open(std::move(options), std::move(targets));
  if (!outbox) return outbox.status();
  out.outbox = std::move(*outbox);
  return out;
}

}  // namespace stockpipe
