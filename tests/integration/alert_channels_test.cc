// Alert channels end to end through the outbox: the real WebhookNotifier against a loopback HTTP
// server that fails its first requests with 500 on purpose, the real SmtpNotifier against the
// smtp-server sink (tests/peers), and the no-data watchdog driving console, log, SMTP and webhook
// at once. The clock is injected (outbox and watchdog), so retries are proven by the time they
// are due, never by sleeping.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "alerts/console_notifier.h"
#include "alerts/log_notifier.h"
#include "alerts/outbox/outbox.h"
#include "alerts/smtp/smtp_notifier.h"
#include "alerts/webhook/webhook_notifier.h"
#include "cli/webhook_sink.h"
#include "codec/base64.h"
#include "pipeline/backends.h"
#include "pipeline/local_stores.h"
#include "rules/alert_text.h"
#include "rules/pct_sma_rule.h"
#include "store/sqlite/sqlite_state_store.h"
#include "support/peers.h"
#include "support/subprocess.h"
#include "trends/watchdog.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::WebhookSink;

constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kT0 = 1'755'182'292'000'000;  // 2025-08-14T14:38:12Z
constexpr std::string_view kHookPath = "/hooks/T0AB/B0CD/s3cr3t-t0ken";

class AlertChannelsTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(mail_dir()); }

  fs::path mail_dir() const { return dir_.path() / "mail"; }

  std::unique_ptr<testing::Peer> StartSmtpSink() {
    return std::make_unique<testing::Peer>("smtp-server", mail_dir().string());
  }
  static SmtpOptions Smtp(const testing::Peer& sink) {
    SmtpOptions o;
    o.url = "smtp://127.0.0.1:" + std::to_string(sink.port());
    o.from = "Stockpipe <alerts@example.com>";
    o.to = {"ops@example.com"};
    o.require_tls = false;  // the sink has no certificate; TLS is the SMTP channel's own test
    return o;
  }
  // Subjects of the mails the sink accepted, in order.
  std::vector<std::string> MailSubjects() const {
    std::vector<std::string> out;
    for (int n = 1; fs::exists(mail_dir() / fmt::format("{}.eml", n)); ++n) {
      const std::string mail = testing::ReadFile(mail_dir() / fmt::format("{}.eml", n));
      const std::size_t at = mail.find("\r\nSubject: ");
      out.push_back(at == std::string::npos
                        ? "<no subject>"
                        : mail.substr(at + 11, mail.find("\r\n", at + 2) - at - 11));
    }
    return out;
  }

  // The outbox over `channels` at <dir>/outbox.db, its clock reading `now_`, with the secrets
  // the CLI would derive from a configuration holding `webhook_url`.
  std::unique_ptr<Outbox> OpenOutbox(std::vector<Notifier*> channels,
                                     const std::string& webhook_url) {
    Config config;
    config.alerts.webhook.url = webhook_url;
    OutboxOptions options;
    options.path = (dir_.path() / "outbox.db").string();
    options.retry_after = 30 * kSecond;
    options.secrets = ChannelSecrets(config);
    options.clock = [this] { return now_; };
    auto outbox = Outbox::Open(std::move(options), std::move(channels));
    EXPECT_TRUE(outbox) << outbox.error();
    return outbox ? std::move(*outbox) : nullptr;
  }

  ChannelHealth HealthOf(Outbox& outbox, std::string_view channel) {
    auto all = outbox.Health();
    EXPECT_TRUE(all) << all.error();
    if (all) {
      for (const ChannelHealth& h : *all) {
        if (h.channel == channel) return h;
      }
    }
    ADD_FAILURE() << "no health for " << channel;
    return {};
  }

  testing::TempDir dir_;
  Micros now_ = kT0;
};

TEST_F(AlertChannelsTest, WebhookThatFailsIsRetriedWhenDueUntilItTakesTheAlertOnce) {
  WebhookSink sink(/*fail_first=*/3);
  WebhookOptions options;
  options.url = sink.url(kHookPath);
  WebhookNotifier webhook(options);
  auto outbox = OpenOutbox({&webhook}, sink.url(kHookPath));
  ASSERT_TRUE(outbox);

  const AlertMessage alert{MessageKind::kSignals, "Alerts: AAPL:SELL", "Action: SELL\nLast: 1.0",
                           kT0};
  ASSERT_TRUE(outbox->Send(alert).ok()) << "a failing channel must not fail the caller";
  EXPECT_EQ(sink.requests(), 1);
  ChannelHealth h = HealthOf(*outbox, "webhook");
  EXPECT_TRUE(h.failing);
  EXPECT_EQ(h.pending, 1u);
  EXPECT_NE(h.last_error.find("500"), std::string::npos) << h.last_error;
  EXPECT_EQ(h.last_error.find("s3cr3t"), std::string::npos) << "secret in: " << h.last_error;

  // Retries at +30 s, +90 s, +210 s (doubling); nothing in between.
  int expected = 1;
  for (Micros due : {30 * kSecond, 90 * kSecond, 210 * kSecond}) {
    ASSERT_TRUE(outbox->DeliverDue(kT0 + due - 1));
    EXPECT_EQ(sink.requests(), expected) << "retried before +" << due / kSecond << " s";
    ASSERT_TRUE(outbox->DeliverDue(kT0 + due));
    EXPECT_EQ(sink.requests(), ++expected) << "not retried at +" << due / kSecond << " s";
  }
  for (Micros t = kT0 + 211 * kSecond; t < kT0 + 2 * 3600 * kSecond; t += kMinute) {
    ASSERT_TRUE(outbox->DeliverDue(t));
  }
  EXPECT_EQ(sink.requests(), 4) << "delivered more than once";
  const auto accepted = sink.accepted();
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_EQ(accepted[0].value("subject", ""), "Alerts: AAPL:SELL");
  EXPECT_EQ(accepted[0].value("kind", ""), "signals");
  EXPECT_EQ(sink.paths().at(0), kHookPath);
  h = HealthOf(*outbox, "webhook");
  EXPECT_FALSE(h.failing);
  EXPECT_EQ(h.delivered, 1u);
  EXPECT_EQ(h.pending, 0u);
  EXPECT_EQ(h.attempts, 4u);
  EXPECT_EQ(h.failures, 3u);
  EXPECT_EQ(h.last_success, kT0 + 210 * kSecond);
}

TEST_F(AlertChannelsTest, SmtpThroughTheOutboxReachesTheSink) {
  auto sink = StartSmtpSink();
  SmtpNotifier smtp(Smtp(*sink));
  auto outbox = OpenOutbox({&smtp}, "");
  ASSERT_TRUE(outbox);
  ASSERT_TRUE(outbox->Send({MessageKind::kSignals, "Alerts: MSFT:BUY", "Action: BUY", kT0}).ok());
  EXPECT_EQ(MailSubjects(), std::vector<std::string>{"Alerts: MSFT:BUY"});
  const json envelope = json::parse(testing::ReadFile(mail_dir() / "1.json"));
  EXPECT_EQ(envelope["rcptTo"], json::array({"ops@example.com"}));
  EXPECT_EQ(HealthOf(*outbox, "smtp").delivered, 1u);
}

TEST_F(AlertChannelsTest, AReferenceMessageArrivesUnchangedOnEveryChannel) {
  // A run's message as the reference writes it: 9 alerts, the subject cut to 100 characters
  // right after ", " (its trailing space kept), each body's second line `⏰ ... UTC`.
  const rules::PctSmaRule rule(PctSmaParams{});
  std::vector<double> falling;
  for (double p = 100; falling.size() < 25; p *= 0.99) falling.push_back(p);
  std::vector<Alert> alerts;
  for (const char* symbol : {"AAPL", "AMZN", "BAC", "CVX", "G", "I", "JPM", "KO", "MSFT"}) {
    alerts.push_back({symbol, &rule, rule.Evaluate(falling)});
  }
  const AlertMessage message{MessageKind::kSignals, AlertSubject(alerts, Lang::kEn),
                             AlertMessageBody(alerts, Lang::kEn, kT0 + 123'456, false), kT0};
  ASSERT_EQ(message.subject,
            "Alerts: AAPL:BUY, Alerts: AMZN:BUY, Alerts: BAC:BUY, Alerts: CVX:BUY, Alerts: G:BUY, "
            "Alerts: I:BUY, ");
  ASSERT_TRUE(message.body.starts_with("📉 Stock Alert — AAPL\n⏰ 2025-08-14 14:38:12 UTC\n"));

  auto smtp_sink = StartSmtpSink();
  WebhookSink hook_sink(/*fail_first=*/0);
  std::FILE* console_out = std::tmpfile();
  ASSERT_NE(console_out, nullptr);
  ConsoleNotifier console(console_out);
  const fs::path log_path = dir_.path() / "alerts.jsonl";
  LogNotifier log(log_path.string());
  SmtpNotifier smtp(Smtp(*smtp_sink));
  WebhookOptions hook_options;
  hook_options.url = hook_sink.url(kHookPath);
  WebhookNotifier webhook(hook_options);
  auto outbox = OpenOutbox({&console, &log, &smtp, &webhook}, hook_sink.url(kHookPath));
  ASSERT_TRUE(outbox);
  ASSERT_TRUE(outbox->Send(message).ok());

  std::fflush(console_out);
  std::rewind(console_out);
  std::string printed;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, console_out)) > 0;) {
    printed.append(buffer, n);
  }
  std::fclose(console_out);
  EXPECT_EQ(printed, "\n=== " + message.subject + " ===\n" + message.body + "\n\n");

  const json logged = json::parse(testing::ReadFile(log_path));
  EXPECT_EQ(logged["subject"], message.subject);
  EXPECT_EQ(logged["body"], message.body);

  const std::vector<json> hooks = hook_sink.accepted();
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0]["subject"], message.subject);
  EXPECT_EQ(hooks[0]["body"], message.body);
  EXPECT_EQ(hooks[0]["text"], message.subject + "\n\n" + message.body);

  // Mail: the subject in RFC 2047 words (it is longer than a header line), the body base64 of
  // its text with CRLF line ends, as MIME requires of text/plain; decoded, the same text.
  const std::string mail = testing::ReadFile(mail_dir() / "1.eml");
  const std::size_t subject_at = mail.find("\r\nSubject: ");
  ASSERT_NE(subject_at, std::string::npos) << mail;
  std::string subject;
  const std::string header = mail.substr(subject_at, mail.find("\r\nMessage-ID:") - subject_at);
  for (std::size_t at = header.find("=?UTF-8?B?"); at != std::string::npos;
       at = header.find("=?UTF-8?B?", at + 1)) {
    const std::size_t from = at + 10;
    auto word = Base64Decode(header.substr(from, header.find("?=", from) - from));
    ASSERT_TRUE(word) << word.error();
    subject += *word;
  }
  EXPECT_EQ(subject, message.subject);
  const std::size_t body_at = mail.find("\r\n\r\n");
  std::string base64;
  for (char c : mail.substr(body_at + 4)) {
    if (c != '\r' && c != '\n') base64 += c;
  }
  auto text = Base64Decode(base64);
  ASSERT_TRUE(text) << text.error();
  std::string unix_text;
  for (std::size_t i = 0; i < text->size(); ++i) {
    if ((*text)[i] == '\r' && i + 1 < text->size() && (*text)[i + 1] == '\n') continue;
    unix_text += (*text)[i];
  }
  EXPECT_EQ(unix_text, message.body);
}

TEST_F(AlertChannelsTest, NoDataAlarmAndRecoveryReachEveryChannelExactlyOnce) {
  auto smtp_sink = StartSmtpSink();
  WebhookSink hook_sink(/*fail_first=*/2);
  std::FILE* console_out = std::tmpfile();
  ASSERT_NE(console_out, nullptr);
  ConsoleNotifier console(console_out);
  const fs::path log_path = dir_.path() / "alerts.jsonl";
  LogNotifier log(log_path.string());
  SmtpNotifier smtp(Smtp(*smtp_sink));
  WebhookOptions hook_options;
  hook_options.url = hook_sink.url(kHookPath);
  WebhookNotifier webhook(hook_options);
  auto outbox = OpenOutbox({&console, &log, &smtp, &webhook}, hook_sink.url(kHookPath));
  ASSERT_TRUE(outbox);
  auto state = SqliteStateStore::Open((dir_.path() / "state.db").string());
  ASSERT_TRUE(state) << state.error();
  Watchdog watchdog(**state, 10 * kMinute, Lang::kEn, kT0);

  // One pass of `stockpipe run`'s loop at `now_`: due retries, then the watchdog.
  int changes = 0;
  const auto pass = [&](Micros last_arrival) {
    ASSERT_TRUE(outbox->DeliverDue(now_));
    auto change = watchdog.Check(now_, last_arrival, [&](const AlertMessage& message) {
      ++changes;
      return outbox->Send(message);
    });
    ASSERT_TRUE(change) << change.error();
  };
  const auto console_text = [&] {
    std::fflush(console_out);
    std::rewind(console_out);
    std::string text;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, console_out)) > 0;) {
      text.append(buffer, n);
    }
    return text;
  };
  const auto count = [](const std::string& text, std::string_view what) {
    int n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
      ++n;
    }
    return n;
  };

  // Data stops at kT0; an hour of passes every 30 s.
  for (; now_ <= kT0 + 60 * kMinute; now_ += 30 * kSecond) pass(kT0);
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(count(console_text(), "Alarm: no data"), 1);
  EXPECT_EQ(testing::ReadFile(log_path).find("\"kind\":\"no_data\""),
            testing::ReadFile(log_path).rfind("\"kind\":\"no_data\""));
  EXPECT_EQ(MailSubjects(), std::vector<std::string>{"Alarm: no data for 10 min"});
  std::vector<json> hooks = hook_sink.accepted();
  ASSERT_EQ(hooks.size(), 1u) << "the webhook should have taken the alarm after 2 failures";
  EXPECT_EQ(hooks[0].value("kind", ""), "no_data");
  EXPECT_EQ(hook_sink.requests(), 3);

  // Data flows again: one recovery notice everywhere, then quiet for another hour.
  const Micros back = now_;
  for (; now_ <= back + 60 * kMinute; now_ += 30 * kSecond) pass(now_ - kSecond);
  EXPECT_EQ(changes, 2);
  const std::string printed = console_text();
  EXPECT_EQ(count(printed, "Alarm: no data"), 1);
  EXPECT_EQ(count(printed, "Recovered: data is flowing again"), 1);
  int log_lines = 0;
  for (char c : testing::ReadFile(log_path)) log_lines += c == '\n';
  EXPECT_EQ(log_lines, 2);
  EXPECT_EQ(MailSubjects(), (std::vector<std::string>{"Alarm: no data for 10 min",
                                                      "Recovered: data is flowing again"}));
  hooks = hook_sink.accepted();
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[1].value("kind", ""), "recovered");

  auto health = outbox->Health();
  ASSERT_TRUE(health) << health.error();
  ASSERT_EQ(health->size(), 4u);
  for (const ChannelHealth& h : *health) {
    SCOPED_TRACE(h.channel);
    EXPECT_EQ(h.delivered, 2u);
    EXPECT_EQ(h.pending, 0u);
    EXPECT_FALSE(h.failing);
  }
  std::fclose(console_out);
}

}  // namespace
}  // namespace stockpipe
