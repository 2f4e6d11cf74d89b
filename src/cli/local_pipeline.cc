#include "cli/local_pipeline.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "alerts/smtp/smtp_notifier.h"
#include "alerts/webhook/webhook_notifier.h"
#include "cli/backends.h"

namespace stockpipe {

LocalPaths::LocalPaths(const std::string& data_dir)
    : root(data_dir),
      stream(data_dir + "/stream.db"),
      clean(data_dir + "/clean.db"),
      state(data_dir + "/state.db"),
      alert_log(data_dir + "/alerts.jsonl"),
      outbox(data_dir + "/outbox.db"),
      ingest_lock(data_dir + "/ingest.lock") {}

Status EnsureDataDir(const Config& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return Status::Error(
        fmt::format("cannot create data folder {}: {}", config.data_dir, ec.message()));
  }
  return Status::Ok();
}

Status EnsureStore(const Config& config, StoreKind kind) {
  if (Status s = EnsureDataDir(config); !s.ok()) return s;
  return BindStore(config.data_dir, kind);
}

Result<std::unique_ptr<SqliteStream>> OpenStream(const Config& config) {
  if (Status s = EnsureStore(config, StoreKind::kStream); !s.ok()) return s;
  return SqliteStream::Open(LocalPaths(config.data_dir).stream, config.shards);
}

Result<std::unique_ptr<SqliteCleanStore>> OpenCleanStore(const Config& config) {
  if (Status s = EnsureStore(config, StoreKind::kClean); !s.ok()) return s;
  return SqliteCleanStore::Open(LocalPaths(config.data_dir).clean);
}

Result<std::unique_ptr<SqliteStateStore>> OpenStateStore(const Config& config) {
  if (Status s = EnsureStore(config, StoreKind::kState); !s.ok()) return s;
  return SqliteStateStore::Open(LocalPaths(config.data_dir).state);
}

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
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> ChannelSecrets(const Config& config) {
  std::vector<std::pair<std::string, std::string>> secrets;
  if (!config.alerts.smtp.password.empty()) {
    secrets.emplace_back(config.alerts.smtp.password, "<redacted>");
  }
  const std::string& url = config.alerts.webhook.url;
  if (!url.empty()) {
    // Only scheme://host:port may show: the path and query are the webhook's credential.
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
  auto sns = OpenSns(config);
  if (!sns) return sns.status();
  if (*sns) out.channels.push_back(std::move(*sns));

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

Result<std::unique_ptr<IngestLock>> IngestLock::Acquire(const Config& config) {
  if (Status s = EnsureDataDir(config); !s.ok()) return s;
  const std::string path = LocalPaths(config.data_dir).ingest_lock;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::Error(fmt::format("another ingest is already running on {} (it holds {})",
                                     config.data_dir, path));
  }
  return std::unique_ptr<IngestLock>(new IngestLock(fd));
}

IngestLock::~IngestLock() {
  ::close(fd_);
}

}  // namespace stockpipe
