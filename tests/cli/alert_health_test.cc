// Alert channels through the binary: `trends --once` with a webhook that is down still succeeds
// (the alert is queued), `health --json` and `health` then report the failing channel's pending
// count and error without the webhook's secret, and a later `trends --once` delivers the queued
// alert once the retry is due. `run` sends the no-data alarm once to every channel, the webhook
// after a failure. Channel configuration errors exit 2 without quoting a secret.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/subprocess.h"
#include "cli/webhook_sink.h"

namespace stockpipe {
namespace {

using nlohmann::json;
using testing::RunStockpipe;
using testing::WebhookSink;

constexpr std::string_view kSecretPath = "/hooks/T0AB/B0CD/s3cr3t-t0ken";

class AlertHealthTest : public ::testing::Test {
 protected:
  std::string data() const { return (dir_.path() / "data").string(); }

  testing::ProcessResult Cli(std::vector<std::string> args,
                             std::map<std::string, std::string> env = {},
                             std::string stdin_text = "") {
    args.insert(args.begin(), {"--data-dir", data()});
    return RunStockpipe(
        args, {.cwd = dir_.path(), .stdin_text = std::move(stdin_text), .env = std::move(env)});
  }

  // 30 rising prices: the PCT + SMA rule says SELL.
  static std::string RisingSeries() {
    std::string out;
    double price = 100;
    for (int i = 0; i < 30; ++i, price *= 1.01) {
      out += fmt::format(R"({{"symbol":"AAPL","timestamp":{},"price":{}}})", 1'755'180'000 + 60 * i,
                         price);
      out += "\n";
    }
    return out;
  }

  static const json* Channel(const json& health, std::string_view name) {
    if (!health.contains("alerts")) return nullptr;
    for (const json& c : health["alerts"]) {
      if (c.value("channel", "") == name) return &c;
    }
    return nullptr;
  }

  testing::TempDir dir_;
};

TEST_F(AlertHealthTest, HealthReportsAFailingChannelsPendingAlertAndErrorWithoutTheSecret) {
  WebhookSink sink(/*fail_first=*/1);
  // A short first retry so the second `trends --once` below finds it due.
  testing::WriteFile(dir_.path() / "stockpipe.toml", "[alerts]\nretry_after = \"0.2s\"\n");
  const std::map<std::string, std::string> env = {{"WEBHOOK_URL", sink.url(kSecretPath)}};
  ASSERT_EQ(Cli({"produce", "file", "-"}, env, RisingSeries()).exit_code, 0);
  ASSERT_EQ(Cli({"ingest", "--once"}, env).exit_code, 0);

  auto trends = Cli({"trends", "--once", "--lang", "en"}, env);
  EXPECT_EQ(trends.exit_code, 0) << "a channel that is down must not fail the run: " << trends.err;
  EXPECT_NE(trends.out.find("Alerts: AAPL:SELL"), std::string::npos) << trends.out;
  EXPECT_NE(trends.err.find("webhook"), std::string::npos) << trends.err;
  EXPECT_EQ(trends.err.find("s3cr3t"), std::string::npos) << "secret logged: " << trends.err;
  EXPECT_EQ(sink.requests(), 1);

  auto health = Cli({"health", "--json"}, env);
  ASSERT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out.find("s3cr3t"), std::string::npos) << health.out;
  const json root = json::parse(health.out, nullptr, false);
  ASSERT_FALSE(root.is_discarded()) << health.out;
  const json* webhook = Channel(root, "webhook");
  ASSERT_NE(webhook, nullptr) << health.out;
  EXPECT_EQ(webhook->value("state", ""), "failing");
  EXPECT_EQ(webhook->value("pending", -1), 1);
  EXPECT_EQ(webhook->value("delivered", -1), 0);
  EXPECT_TRUE((*webhook)["oldest_pending"].is_string()) << health.out;
  const std::string error = webhook->value("last_error", "");
  EXPECT_NE(error.find("500"), std::string::npos) << error;
  EXPECT_NE(error.find(fmt::format("127.0.0.1:{}", sink.port())), std::string::npos) << error;
  for (std::string_view name : {"console", "log"}) {
    const json* ok = Channel(root, name);
    ASSERT_NE(ok, nullptr) << name << ": " << health.out;
    EXPECT_EQ(ok->value("state", ""), "ok");
    EXPECT_EQ(ok->value("delivered", -1), 1);
    EXPECT_EQ(ok->value("pending", -1), 0);
  }

  auto text = Cli({"health"}, env);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("FAILING"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("s3cr3t"), std::string::npos) << text.out;

  // The next run delivers what is due first; the retry becomes due 0.2 s after the failure, so
  // poll (bounded) rather than assume how long that took.
  ASSERT_TRUE(testing::Eventually([&] {
    Cli({"trends", "--once", "--lang", "en"}, env);
    return !sink.accepted().empty();
  }));
  const auto accepted = sink.accepted();
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_EQ(accepted[0].value("subject", ""), "Alerts: AAPL:SELL");
  const json after = json::parse(Cli({"health", "--json"}, env).out, nullptr, false);
  const json* delivered = Channel(after, "webhook");
  ASSERT_NE(delivered, nullptr);
  EXPECT_EQ(delivered->value("state", ""), "ok");
  EXPECT_EQ(delivered->value("delivered", -1), 1);
  EXPECT_EQ(delivered->value("pending", -1), 0);
}

TEST_F(AlertHealthTest, RunSendsTheNoDataAlarmThroughTheOutboxToEveryChannelOnce) {
  WebhookSink sink(/*fail_first=*/1);
  testing::WriteFile(dir_.path() / "stockpipe.toml", "[alerts]\nretry_after = \"0.2s\"\n");
  const std::map<std::string, std::string> env = {{"WEBHOOK_URL", sink.url(kSecretPath)}};
  // No producer, so no data: the alarm is due 1 s after the start; the run's own timer ends it
  // (the test waits for the process, not for a time). The webhook fails once, on purpose.
  auto run = Cli({"run", "--no-http", "--for", "6s", "--no-data-after", "1s", "--lang", "en"}, env);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err.find("s3cr3t"), std::string::npos) << run.err;
  std::size_t printed = 0;
  for (std::size_t at = run.out.find("Alarm: no data"); at != std::string::npos;
       at = run.out.find("Alarm: no data", at + 1)) {
    ++printed;
  }
  EXPECT_EQ(printed, 1u) << run.out;
  const std::string log = testing::ReadFile(dir_.path() / "data" / "alerts.jsonl");
  EXPECT_EQ(log.find("\"kind\":\"no_data\""), log.rfind("\"kind\":\"no_data\"")) << log;
  EXPECT_NE(log.find("\"kind\":\"no_data\""), std::string::npos) << log;
  const auto accepted = sink.accepted();
  ASSERT_EQ(accepted.size(), 1u) << "requests: " << sink.requests() << "\n" << run.err;
  EXPECT_EQ(accepted[0].value("kind", ""), "no_data");
  EXPECT_EQ(sink.requests(), 2);
}

TEST_F(AlertHealthTest, ChannelConfigurationErrorsExit2NamingTheKeyNotTheSecret) {
  struct Case {
    std::map<std::string, std::string> env;
    std::string named, hidden;
  };
  for (const Case& c : std::vector<Case>{
           {{{"SMTP_URL", "smtp://127.0.0.1:2525/x"}, {"SMTP_TO", "ops@example.com"}},
            "SMTP_FROM",
            "2525"},
           {{{"WEBHOOK_URL", "http://hooks.example.com/T0/B0/s3cr3t"}}, "WEBHOOK_URL", "s3cr3t"},
           {{{"WEBHOOK_URL", "gopher://hooks.example.com/s3cr3t"}}, "WEBHOOK_URL", "s3cr3t"},
       }) {
    SCOPED_TRACE(c.named);
    auto r = Cli({"health"}, c.env);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.named), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find(c.hidden), std::string::npos) << r.err;
  }
  testing::WriteFile(dir_.path() / "stockpipe.toml",
                     "[alerts.smtp]\nurl = \"smtp://127.0.0.1:2525/x\"\nfrom = \"a@example.com\"\n"
                     "to = [\"b@example.com\"]\npassword = \"hunter2\"\n");
  auto r = Cli({"health"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("SMTP_PASSWORD"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace stockpipe
