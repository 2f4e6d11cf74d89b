// The binary's log lines on stderr: the text format's UTC time with a `Z`; with
// STOCKPIPE_LOG_FORMAT=json (or `[log] format = "json"`) one JSON object a line with `ts`, `level`,
// `msg`, `command` and the fields of ingest, trends and alert lines; an unknown format is a
// configuration error (exit 2); and no secret of the environment or the configuration (AWS keys,
// the SMTP password, the webhook URL's token, the dashboard token) appears in either format.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "cli/webhook_sink.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

using nlohmann::json;
using testing::RunStockpipe;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    out.push_back(text.substr(start, end - start));
  }
  if (start < text.size()) out.push_back(text.substr(start));
  return out;
}

// Every line of `err` parsed; a line that is not a JSON object fails the test.
std::vector<json> JsonLines(const std::string& err) {
  std::vector<json> out;
  for (const std::string& line : Lines(err)) {
    json doc = json::parse(line, nullptr, false);
    EXPECT_TRUE(doc.is_object()) << "not a JSON object: " << line;
    if (doc.is_object()) out.push_back(std::move(doc));
  }
  return out;
}

const json* Find(const std::vector<json>& lines, std::string_view msg) {
  for (const json& line : lines) {
    if (line.value("msg", "") == msg) return &line;
  }
  return nullptr;
}

// 30 rising prices: the PCT + SMA rule says SELL; two lines ingest must reject.
std::string RisingSeriesAndTwoBadLines() {
  std::string out;
  double price = 100;
  for (int i = 0; i < 30; ++i, price *= 1.01) {
    out += fmt::format(R"({{"symbol":"AAPL","timestamp":{},"price":{}}})", 1'755'180'000 + 60 * i,
                       price);
    out += "\n";
  }
  out += R"({"symbol":"AAPL","price":-3})"
         "\n"
         "not json\n";
  return out;
}

const std::regex kUtcMillis(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");

class LogsTest : public ::testing::Test {
 protected:
  testing::ProcessResult Cli(std::vector<std::string> args,
                             std::map<std::string, std::string> env = {},
                             std::string stdin_text = "") {
    args.insert(args.begin(), {"--data-dir", (dir_.path() / "data").string()});
    return RunStockpipe(
        args, {.cwd = dir_.path(), .stdin_text = std::move(stdin_text), .env = std::move(env)});
  }
  testing::TempDir dir_;
};

TEST_F(LogsTest, TextLinesStartWithUtcMillisecondsAndZ) {
  ASSERT_EQ(Cli({"produce", "file", "-"}, {}, RisingSeriesAndTwoBadLines()).exit_code, 0);
  const auto r = Cli({"ingest", "--once"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = Lines(r.err);
  ASSERT_FALSE(lines.empty());
  static const std::regex line(
      R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info|warning|error) .+)");
  for (const std::string& l : lines) EXPECT_TRUE(std::regex_match(l, line)) << l;
  // The summary's counts as key=value.
  EXPECT_NE(r.err.find("ingest summary records=32 accepted=30 rejected=2"), std::string::npos)
      << r.err;
}

TEST_F(LogsTest, JsonLinesCarryCommandAndTheFieldsOfIngestTrendsAndAlerts) {
  testing::WebhookSink sink(/*fail_first=*/0);
  const std::map<std::string, std::string> env = {{"STOCKPIPE_LOG_FORMAT", "json"},
                                                  {"STOCKPIPE_LOG", "debug"},
                                                  {"WEBHOOK_URL", sink.url("/hook")}};
  ASSERT_EQ(Cli({"produce", "file", "-"}, env, RisingSeriesAndTwoBadLines()).exit_code, 0);

  const auto ingest = Cli({"ingest", "--once"}, env);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  const auto ingest_lines = JsonLines(ingest.err);
  ASSERT_FALSE(ingest_lines.empty());
  for (const json& line : ingest_lines) {
    EXPECT_TRUE(std::regex_match(line.value("ts", ""), kUtcMillis)) << line;
    EXPECT_TRUE(line["level"].is_string()) << line;
    EXPECT_TRUE(line["msg"].is_string()) << line;
    EXPECT_EQ(line.value("command", ""), "ingest") << line;
  }
  const json* summary = Find(ingest_lines, "ingest summary");
  ASSERT_NE(summary, nullptr) << ingest.err;
  EXPECT_EQ((*summary)["level"], "info");
  EXPECT_EQ((*summary)["records"], 32);
  EXPECT_EQ((*summary)["accepted"], 30);
  EXPECT_EQ((*summary)["rejected"], 2);
  EXPECT_EQ((*summary)["rejected_malformed_json"], 1) << *summary;
  EXPECT_TRUE((*summary)["duration_ms"].is_number_integer()) << *summary;
  // Per batch (debug): the batch's own counts, which add up to the summary's.
  std::uint64_t batch_records = 0, batch_rejected = 0;
  for (const json& line : ingest_lines) {
    if (line.value("msg", "") != "ingest batch") continue;
    EXPECT_EQ(line["level"], "debug");
    EXPECT_TRUE(line["shard"].is_string()) << line;
    EXPECT_TRUE(line["duration_ms"].is_number_integer()) << line;
    batch_records += line["records"].get<std::uint64_t>();
    batch_rejected += line["rejected"].get<std::uint64_t>();
  }
  EXPECT_EQ(batch_records, 32u) << ingest.err;
  EXPECT_EQ(batch_rejected, 2u);

  const auto trends = Cli({"trends", "--once", "--lang", "en"}, env);
  ASSERT_EQ(trends.exit_code, 0) << trends.err;
  const auto trends_lines = JsonLines(trends.err);
  for (const json& line : trends_lines) EXPECT_EQ(line.value("command", ""), "trends") << line;
  const json* run = Find(trends_lines, "trends run");
  ASSERT_NE(run, nullptr) << trends.err;
  EXPECT_EQ((*run)["symbols_checked"], 1);
  EXPECT_EQ((*run)["alerts"], 1);
  const json* queued = Find(trends_lines, "alert queued");
  ASSERT_NE(queued, nullptr) << trends.err;
  EXPECT_EQ((*queued)["symbol"], "AAPL");
  EXPECT_EQ((*queued)["action"], "SELL");
  std::vector<std::string> channels;
  for (const json& line : trends_lines) {
    if (line.value("msg", "") != "alert sent") continue;
    channels.push_back(line["channel"]);
    EXPECT_NE(line.value("subject", "").find("AAPL"), std::string::npos) << line;
  }
  std::sort(channels.begin(), channels.end());
  EXPECT_EQ(channels, (std::vector<std::string>{"console", "log", "webhook"})) << trends.err;
  EXPECT_EQ(sink.accepted().size(), 1u);
}

TEST_F(LogsTest, TomlLogFormatJsonAppliesAndTheEnvironmentOverridesIt) {
  testing::WriteFile(dir_.path() / "stockpipe.toml", "[log]\nformat = \"json\"\n");
  ASSERT_EQ(Cli({"produce", "file", "-"}, {}, RisingSeriesAndTwoBadLines()).exit_code, 0);
  const auto json_run = Cli({"ingest", "--once"});
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
  const auto lines = JsonLines(json_run.err);
  ASSERT_NE(Find(lines, "ingest summary"), nullptr) << json_run.err;

  const auto text_run = Cli({"ingest", "--once"}, {{"STOCKPIPE_LOG_FORMAT", "text"}});
  ASSERT_EQ(text_run.exit_code, 0) << text_run.err;
  EXPECT_NE(text_run.err.find("Z info ingest summary records=0"), std::string::npos)
      << text_run.err;
}

TEST_F(LogsTest, AnUnknownFormatIsAConfigurationError) {
  auto r = Cli({"health"}, {{"STOCKPIPE_LOG_FORMAT", "xml"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("STOCKPIPE_LOG_FORMAT"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("xml"), std::string::npos) << r.err;

  testing::WriteFile(dir_.path() / "stockpipe.toml", "[log]\nformat = \"yaml\"\n");
  r = Cli({"health"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("[log] format"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("yaml"), std::string::npos) << r.err;
}

// Secrets everywhere the binary could see them, channels that fail (so errors about them are
// logged), debug level; neither format may show any of them.
TEST_F(LogsTest, NoSecretAppearsInEitherFormat) {
  testing::WebhookSink sink(/*fail_first=*/100);
  const std::string webhook_token = "T0SECRET/B0SECRET/webhookTokenXYZ123";
  const std::map<std::string, std::string> secrets = {
      {"AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7SECRETID"},
      {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLESECRET"},
      {"AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLESESSIONTOKENsecret"},
      {"SMTP_PASSWORD", "smtp-pass-Secret-42"},
      {"STOCKPIPE_HTTP_TOKEN", "dashboardTokenSecret0123456789"},
  };
  testing::WriteFile(dir_.path() / "stockpipe.toml",
                     "[alerts]\nretry_after = \"1h\"\n[alerts.smtp]\nrequire_tls = false\n");
  std::map<std::string, std::string> env = secrets;
  env["WEBHOOK_URL"] = sink.url("/hooks/" + webhook_token);
  env["SMTP_URL"] = "smtp://127.0.0.1:1/stockpipe.test";
  env["SMTP_FROM"] = "stockpipe@example.com";
  env["SMTP_TO"] = "ops@example.com";
  env["SMTP_USERNAME"] = "stockpipe";
  env["STOCKPIPE_LOG"] = "debug";
  ASSERT_EQ(Cli({"produce", "file", "-"}, env, RisingSeriesAndTwoBadLines()).exit_code, 0);

  for (const char* format : {"text", "json"}) {
    SCOPED_TRACE(format);
    env["STOCKPIPE_LOG_FORMAT"] = format;
    std::string all;
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"ingest", "--once"},
          std::vector<std::string>{"trends", "--once", "--lang", "en"},
          std::vector<std::string>{"health"}}) {
      const auto r = Cli(args, env);
      EXPECT_LE(r.exit_code, 1) << r.err;
      if (std::string(format) == "json") {
        const auto lines = JsonLines(r.err);
        if (args[0] != "health") {  // health prints its report, it logs nothing
          EXPECT_FALSE(lines.empty());
        }
        for (const json& line : lines) {
          EXPECT_TRUE(std::regex_match(line.value("ts", ""), kUtcMillis)) << line;
          EXPECT_EQ(line.value("command", ""), args[0]) << line;
        }
      }
      all += r.err + r.out;
    }
    // The channels did fail and say so: the check below is not vacuous.
    EXPECT_NE(all.find("webhook"), std::string::npos) << all;
    EXPECT_NE(all.find("smtp"), std::string::npos) << all;
    for (const auto& [name, value] : secrets) {
      EXPECT_EQ(all.find(value), std::string::npos) << name << " leaked:\n" << all;
    }
    EXPECT_EQ(all.find("webhookTokenXYZ123"), std::string::npos) << "webhook token leaked:\n"
                                                                 << all;
  }
  EXPECT_GE(sink.requests(), 1) << "the webhook was tried";
}

}  // namespace
}  // namespace stockpipe
