#include "core/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "support/temp_dir.h"

namespace stockpipe {
namespace {

using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;

// A fake environment: only what a test puts in it, and a record of what was asked.
class FakeEnv {
 public:
  FakeEnv() = default;
  FakeEnv(std::initializer_list<std::pair<const std::string, std::string>> vars) : vars_(vars) {}

  std::function<const char*(const char*)> Getenv() {
    return [this](const char* name) -> const char* {
      asked_.insert(name);
      auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }
  const std::set<std::string>& asked() const { return asked_; }

 private:
  std::map<std::string, std::string> vars_;
  std::set<std::string> asked_;
};

class ConfigTest : public ::testing::Test {
 protected:
  std::string Write(std::string_view toml) {
    const std::string path = (dir_ / "stockpipe.toml").string();
    std::ofstream(path) << toml;
    return path;
  }
  std::string Missing() const { return (dir_ / "absent.toml").string(); }

  Result<Config> Load(std::string_view toml, FakeEnv env = {}) {
    return LoadConfig(Write(toml), true, env.Getenv());
  }
  Result<Config> LoadEnv(FakeEnv env) { return LoadConfig(Missing(), false, env.Getenv()); }

  testing::TempDir temp_;
  std::filesystem::path dir_ = temp_.path();
};

TEST_F(ConfigTest, DefaultsAreTheReferenceParameters) {
  FakeEnv env;
  auto c = LoadConfig(Missing(), false, env.Getenv());
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->trends.thresh_pct, 1.5);
  EXPECT_EQ(c->trends.lookback_points, 15);
  EXPECT_EQ(c->trends.sma_window, 20);
  EXPECT_EQ(c->trends.min_points, 20);
  EXPECT_EQ(c->trends.eps_pct, 0.2);
  EXPECT_EQ(c->trends.cooldown, 30 * kMinute);
  EXPECT_EQ(c->trends.every, 2 * kMinute);
  EXPECT_EQ(c->no_data_after, 10 * kMinute);
  EXPECT_EQ(c->data_dir, "./data");
  EXPECT_TRUE(ValidateConfig(*c).ok()) << ValidateConfig(*c).message();
}

TEST_F(ConfigTest, MissingRequiredFileIsAnErrorNamingIt) {
  FakeEnv env;
  auto c = LoadConfig(Missing(), true, env.Getenv());
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error(), HasSubstr("absent.toml"));
}

TEST_F(ConfigTest, TrendsSectionUsesTheReferenceNames) {
  auto c = Load(R"(
[trends]
THRESH_PCT = 2.5
LOOKBACK_POINTS = 10
SMA_WINDOW = 12
MIN_POINTS = 30
EPS_PCT = 0.05
ALERT_LANG = "en"
INCLUDE_JSON_FOOTER = true
)");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->trends.thresh_pct, 2.5);
  EXPECT_EQ(c->trends.lookback_points, 10);
  EXPECT_EQ(c->trends.sma_window, 12);
  EXPECT_EQ(c->trends.min_points, 30);
  EXPECT_EQ(c->trends.eps_pct, 0.05);
  EXPECT_EQ(c->trends.lang, "en");
  EXPECT_TRUE(c->trends.include_json_footer);
}

TEST_F(ConfigTest, TomlNumbersMayBeIntegersOrNumericStrings) {
  auto c = Load("[trends]\nTHRESH_PCT = 2\nEPS_PCT = \"0.3\"\nSMA_WINDOW = \"25\"\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->trends.thresh_pct, 2.0);
  EXPECT_EQ(c->trends.eps_pct, 0.3);
  EXPECT_EQ(c->trends.sma_window, 25);
}

TEST_F(ConfigTest, BackendsAndAwsResourcesFromTomlAndEnvironment) {
  auto c = Load(R"(
[backends]
stream = "kinesis"
archive = "s3"
store = "dynamodb"
[aws]
kinesis_stream = "ticks"
raw_bucket = "raw-bucket"
sns_topic_arn = "arn:aws:sns:eu-central-1:123456789012:alerts"
)",
                FakeEnv{{"RAW_DATA_BUCKET", "from-env"}});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->warnings.empty());
  EXPECT_EQ(c->backends.stream, "kinesis");
  EXPECT_EQ(c->backends.archive, "s3");
  EXPECT_EQ(c->backends.store, "dynamodb");
  EXPECT_EQ(c->aws.kinesis_stream, "ticks");
  EXPECT_EQ(c->aws.raw_bucket, "from-env");
  EXPECT_EQ(c->aws.dynamodb_table, "StockCleanedData");
  EXPECT_EQ(c->aws.sns_topic_arn, "arn:aws:sns:eu-central-1:123456789012:alerts");
}

TEST_F(ConfigTest, AnAwsBackendWithoutItsResourceNameIsAnErrorNamingTheVariable) {
  auto stream = LoadEnv({{"STOCKPIPE_STREAM", "kinesis"}});
  ASSERT_FALSE(stream.ok());
  EXPECT_THAT(stream.error(), HasSubstr("KINESIS_STREAM"));
  auto archive = LoadEnv({{"STOCKPIPE_ARCHIVE", "s3"}});
  ASSERT_FALSE(archive.ok());
  EXPECT_THAT(archive.error(), HasSubstr("RAW_DATA_BUCKET"));
  auto store = LoadEnv({{"STOCKPIPE_STORE", "mongodb"}});
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.error(), HasSubstr("sqlite or dynamodb"));
}

TEST_F(ConfigTest, FriendlyAliasesInOtherSections) {
  auto c = Load(R"(
data_dir = "/srv/stockpipe"
[stream]
shards = 8
retention_hours = 48
[ingest]
batch_records = 500
[trends]
cooldown_min = 5
every = "90s"
[watchdog]
no_data_after = "15m"
[records]
max_record_bytes = 4096
[alerts]
console = false
)");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->data_dir, "/srv/stockpipe");
  EXPECT_EQ(c->shards, 8);
  EXPECT_EQ(c->retention, 48 * 60 * kMinute);
  EXPECT_EQ(c->batch_records, 500u);
  EXPECT_EQ(c->trends.cooldown, 5 * kMinute);
  EXPECT_EQ(c->trends.every, 90 * kSecond);
  EXPECT_EQ(c->no_data_after, 15 * kMinute);
  EXPECT_EQ(c->limits.max_record_bytes, 4096u);
  EXPECT_FALSE(c->alerts.console);
}

TEST_F(ConfigTest, PlainNumbersUseEachKeysOwnUnit) {
  // cooldown in minutes, the trends timer and the watchdog in seconds, retention in hours.
  auto c = Load(
      "[trends]\ncooldown_min = 3\nevery = 45\n[watchdog]\nno_data_after = 600\n"
      "[stream]\nretention_hours = 2\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->trends.cooldown, 3 * kMinute);
  EXPECT_EQ(c->trends.every, 45 * kSecond);
  EXPECT_EQ(c->no_data_after, 600 * kSecond);
  EXPECT_EQ(c->retention, 2 * 60 * kMinute);
}

TEST_F(ConfigTest, FractionalNumbersUseEachKeysOwnUnitToo) {
  // COOLDOWN_MIN=1.5 is a minute and a half, not 1.5 seconds.
  auto c = LoadEnv({{"COOLDOWN_MIN", "1.5"}, {"RETENTION_HOURS", "0.5"}, {"TRENDS_EVERY", "2.5"}});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->trends.cooldown, 90 * kSecond);
  EXPECT_EQ(c->retention, 30 * kMinute);
  EXPECT_EQ(c->trends.every, 2'500'000);
  auto t = Load("[trends]\ncooldown_min = 0.5\n");
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->trends.cooldown, 30 * kSecond);
}

TEST_F(ConfigTest, CooldownZeroGivesTheReferenceBehaviour) {
  auto c = Load("[trends]\ncooldown_min = 0\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->trends.cooldown, 0);
  EXPECT_TRUE(ValidateConfig(*c).ok()) << ValidateConfig(*c).message();
}

TEST_F(ConfigTest, EnvironmentOverridesToml) {
  auto c = Load(
      "data_dir = \"/from/toml\"\n[stream]\nshards = 8\n"
      "[trends]\nTHRESH_PCT = 2.5\nALERT_LANG = \"en\"\ncooldown_min = 5\n"
      "[watchdog]\nno_data_after = \"15m\"\n",
      {{"THRESH_PCT", "3.25"},
       {"ALERT_LANG", "pl"},
       {"COOLDOWN_MIN", "0"},
       {"NO_DATA_AFTER", "2h"},
       {"STOCKPIPE_SHARDS", "2"},
       {"STOCKPIPE_DATA_DIR", "/from/env"}});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->trends.thresh_pct, 3.25);
  EXPECT_EQ(c->trends.lang, "pl");
  EXPECT_EQ(c->trends.cooldown, 0);
  EXPECT_EQ(c->no_data_after, 2 * 60 * kMinute);
  EXPECT_EQ(c->shards, 2);
  EXPECT_EQ(c->data_dir, "/from/env");
}

TEST_F(ConfigTest, TomlValuesStandWhereTheEnvironmentIsSilent) {
  auto c = Load("[trends]\nTHRESH_PCT = 2.5\nSMA_WINDOW = 30\n", {{"SMA_WINDOW", "40"}});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->trends.thresh_pct, 2.5);
  EXPECT_EQ(c->trends.sma_window, 40);
}

TEST_F(ConfigTest, EveryListedEnvironmentVariableIsHonoured) {
  const Config defaults = *LoadEnv({});
  // A valid, non-default value for each key, and how to see it took effect.
  const std::map<std::string, std::pair<std::string, std::function<bool(const Config&)>>> cases = {
      {"THRESH_PCT", {"2.75", [](const Config& c) { return c.trends.thresh_pct == 2.75; }}},
      {"LOOKBACK_POINTS", {"9", [](const Config& c) { return c.trends.lookback_points == 9; }}},
      {"SMA_WINDOW", {"11", [](const Config& c) { return c.trends.sma_window == 11; }}},
      {"MIN_POINTS", {"13", [](const Config& c) { return c.trends.min_points == 13; }}},
      {"EPS_PCT", {"0.7", [](const Config& c) { return c.trends.eps_pct == 0.7; }}},
      {"ALERT_LANG", {"en", [](const Config& c) { return c.trends.lang == "en"; }}},
      {"INCLUDE_JSON_FOOTER", {"1", [](const Config& c) { return c.trends.include_json_footer; }}},
      {"COOLDOWN_MIN", {"7", [](const Config& c) { return c.trends.cooldown == 7 * kMinute; }}},
      {"TRENDS_EVERY", {"45", [](const Config& c) { return c.trends.every == 45 * kSecond; }}},
      {"NO_DATA_AFTER", {"120", [](const Config& c) { return c.no_data_after == 120 * kSecond; }}},
      {"STOCKPIPE_DATA_DIR", {"/d", [](const Config& c) { return c.data_dir == "/d"; }}},
      {"STOCKPIPE_SHARDS", {"3", [](const Config& c) { return c.shards == 3; }}},
      {"RETENTION_HOURS", {"6", [](const Config& c) { return c.retention == 360 * kMinute; }}},
      {"BATCH_RECORDS", {"100", [](const Config& c) { return c.batch_records == 100; }}},
      {"STOCKPIPE_STORE",
       {"dynamodb", [](const Config& c) { return c.backends.store == "dynamodb"; }}},
      {"KINESIS_STREAM",
       {"ticks", [](const Config& c) { return c.aws.kinesis_stream == "ticks"; }}},
      {"RAW_DATA_BUCKET", {"raw-b", [](const Config& c) { return c.aws.raw_bucket == "raw-b"; }}},
      {"DYNAMODB_TABLE", {"T", [](const Config& c) { return c.aws.dynamodb_table == "T"; }}},
      {"DYNAMODB_STATE_TABLE", {"S", [](const Config& c) { return c.aws.state_table == "S"; }}},
      {"DYNAMODB_CANDLES_TABLE", {"C", [](const Config& c) { return c.aws.candles_table == "C"; }}},
      {"SNS_TOPIC_ARN",
       {"arn:aws:sns:eu-central-1:1:a",
        [](const Config& c) { return !c.aws.sns_topic_arn.empty(); }}},
      {"ATHENA_WORKGROUP", {"wg", [](const Config& c) { return c.aws.athena_workgroup == "wg"; }}},
      {"ATHENA_DATABASE", {"db", [](const Config& c) { return c.aws.athena_database == "db"; }}},
      {"ATHENA_OUTPUT_LOCATION",
       {"s3://r/q/", [](const Config& c) { return c.aws.athena_output == "s3://r/q/"; }}},
      {"SMTP_URL",
       {"smtps://mail.example.com:465",
        [](const Config& c) { return c.alerts.smtp.url == "smtps://mail.example.com:465"; }}},
      {"SMTP_FROM",
       {"x@example.com", [](const Config& c) { return c.alerts.smtp.from == "x@example.com"; }}},
      {"SMTP_TO",
       {"a@example.com,b@example.com",
        [](const Config& c) {
          return c.alerts.smtp.to == std::vector<std::string>{"a@example.com", "b@example.com"};
        }}},
      {"SMTP_USERNAME", {"bot", [](const Config& c) { return c.alerts.smtp.username == "bot"; }}},
      {"SMTP_PASSWORD", {"pw", [](const Config& c) { return c.alerts.smtp.password == "pw"; }}},
      {"WEBHOOK_URL",
       {"https://hooks.example.com/T/B/x",
        [](const Config& c) { return c.alerts.webhook.url == "https://hooks.example.com/T/B/x"; }}},
      {"STOCKPIPE_LOG_FORMAT", {"json", [](const Config& c) { return c.log.format == "json"; }}},
  };
  // Keys that are only valid together: what each needs beside it.
  const std::map<std::string, std::string> smtp_base = {
      {"SMTP_URL", "smtp://127.0.0.1:2525/stockpipe"},
      {"SMTP_FROM", "from@example.com"},
      {"SMTP_TO", "to@example.com"}};
  for (std::string_view key : kEnvironmentKeys) {
    SCOPED_TRACE(std::string(key));
    const auto it = cases.find(std::string(key));
    if (it == cases.end()) {
      // A key added since this table was written: it must at least be read and checked.
      auto c = LoadEnv({{std::string(key), "not a valid value!"}});
      ASSERT_FALSE(c.ok()) << "no test value for this listed key, and garbage is not rejected";
      EXPECT_THAT(c.error(), HasSubstr(std::string(key)));
      continue;
    }
    const auto& [value, took_effect] = it->second;
    EXPECT_FALSE(took_effect(defaults)) << "test value equals the default";
    if (key.starts_with("SMTP_")) {
      std::map<std::string, std::string> vars = smtp_base;
      vars[std::string(key)] = value;
      auto c = LoadConfig(Missing(), false, [&](const char* name) -> const char* {
        auto v = vars.find(name);
        return v == vars.end() ? nullptr : v->second.c_str();
      });
      ASSERT_TRUE(c.ok()) << c.error();
      EXPECT_TRUE(took_effect(*c));
      continue;
    }
    auto c = LoadEnv({{std::string(key), value}});
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_TRUE(took_effect(*c));
  }
}

TEST_F(ConfigTest, ReadsOnlyTheListedEnvironmentVariables) {
  FakeEnv env{{"HOME", "/root"}, {"thresh_pct", "9"}};
  auto c = LoadConfig(Missing(), false, env.Getenv());
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->trends.thresh_pct, 1.5);
  for (const std::string& name : env.asked()) {
    EXPECT_NE(std::find(kEnvironmentKeys.begin(), kEnvironmentKeys.end(), name),
              kEnvironmentKeys.end())
        << name << " is read but not listed in kEnvironmentKeys";
  }
  EXPECT_EQ(env.asked().size(), kEnvironmentKeys.size());
}

TEST_F(ConfigTest, BadEnvironmentValuesNameTheKeyAndValue) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"THRESH_PCT", "abc"},
      {"LOOKBACK_POINTS", "ten"},
      {"SMA_WINDOW", "2.5"},
      {"MIN_POINTS", "20x"},
      {"EPS_PCT", ""},
      {"INCLUDE_JSON_FOOTER", "maybe"},
      {"COOLDOWN_MIN", "soon"},
      {"TRENDS_EVERY", "5 m"},
      {"NO_DATA_AFTER", "-5m"},
      {"STOCKPIPE_SHARDS", "many"},
      {"RETENTION_HOURS", "1w"},
      {"BATCH_RECORDS", "-1"},
      {"SMA_WINDOW", "99999999999"},
  };
  for (const auto& [key, value] : bad) {
    SCOPED_TRACE(key + "=" + value);
    auto c = LoadEnv({{key, value}});
    ASSERT_FALSE(c.ok());
    EXPECT_THAT(c.error(), HasSubstr(key));
    EXPECT_THAT(c.error(), HasSubstr("\"" + value + "\""));
  }
}

TEST_F(ConfigTest, BadTomlValuesNameTheKey) {
  auto c = Load("[trends]\nLOOKBACK_POINTS = \"ten\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error(), AllOf(HasSubstr("LOOKBACK_POINTS"), HasSubstr("ten")));

  auto f = Load("[trends]\nINCLUDE_JSON_FOOTER = \"perhaps\"\n");
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(f.error(), AllOf(HasSubstr("INCLUDE_JSON_FOOTER"), HasSubstr("perhaps")));

  auto a = Load("[stream]\nshards = \"many\"\n");
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.error(), HasSubstr("many"));
  EXPECT_THAT(a.error(), AnyOf(HasSubstr("stream.shards"), HasSubstr("SHARDS")));

  auto w = Load("[watchdog]\nno_data_after = \"whenever\"\n");
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(w.error(), HasSubstr("whenever"));
  EXPECT_THAT(w.error(), AnyOf(HasSubstr("no_data_after"), HasSubstr("NO_DATA_AFTER")));
}

TEST_F(ConfigTest, OutOfRangeValuesAreRejected) {
  for (const auto& [key, value, named] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"STOCKPIPE_SHARDS", "0", "shards"},
           {"STOCKPIPE_SHARDS", "5000", "shards"},
           {"ALERT_LANG", "de", "ALERT_LANG"},
           {"TRENDS_EVERY", "0", "TRENDS_EVERY"},
           {"NO_DATA_AFTER", "0s", "NO_DATA_AFTER"},
           {"BATCH_RECORDS", "0", "batch_records"},
       }) {
    SCOPED_TRACE(key + "=" + value);
    auto c = LoadEnv({{key, value}});
    ASSERT_FALSE(c.ok());
    EXPECT_THAT(c.error(), HasSubstr(named));
  }
}

TEST_F(ConfigTest, TomlSyntaxErrorsGiveFileAndLine) {
  auto c = Load("[trends]\nTHRESH_PCT = 1.5\nSMA_WINDOW = = 3\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error(), HasSubstr("stockpipe.toml:3:"));
}

TEST_F(ConfigTest, UnknownKeysAreIgnored) {
  auto c = Load("[trends]\nSOMETHING_ELSE = 1\n[future_section]\nx = \"y\"\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->trends.thresh_pct, 1.5);
}

TEST(ParseDurationTest, UnitsAndPlainSeconds) {
  EXPECT_EQ(ParseDuration("90s"), 90 * kSecond);
  EXPECT_EQ(ParseDuration("10m"), 10 * kMinute);
  EXPECT_EQ(ParseDuration("2h"), 120 * kMinute);
  EXPECT_EQ(ParseDuration("1d"), 24 * 60 * kMinute);
  EXPECT_EQ(ParseDuration("600"), 600 * kSecond);
  EXPECT_EQ(ParseDuration("0"), 0);
  EXPECT_EQ(ParseDuration("0m"), 0);
  EXPECT_EQ(ParseDuration("1.5h"), 90 * kMinute);
  EXPECT_EQ(ParseDuration("0.25s"), 250'000);
}

TEST(ParseDurationTest, RejectsNonsense) {
  for (const char* text : {"", "s", "m", "abc", "-5", "-5m", "10x", "10 m", " 10m", "10M", "1e8",
                           "1e400", "inf", "infh", "1h30m", "PT10M"}) {
    EXPECT_FALSE(ParseDuration(text)) << '"' << text << "\" -> " << *ParseDuration(text);
  }
}

TEST(ParseDurationTest, RejectsNan) {
  for (const char* text : {"nan", "nans", "NaNm", "nan(0x1)h"}) {
    EXPECT_FALSE(ParseDuration(text)) << '"' << text << "\" -> " << *ParseDuration(text);
  }
}

TEST_F(ConfigTest, UnknownKeysAreReportedNotSilentlyIgnored) {
  auto c = Load(
      "data_dir = \"/d\"\nshard = 3\n[stream]\nshards = 2\nretention = 5\n"
      "[trends]\nTHRESH_PCT = 2.0\nthresh_pct = 9.0\n[watchdog]\nno_data_after = \"5m\"\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->trends.thresh_pct, 2.0);
  ASSERT_EQ(c->warnings.size(), 3u);
  std::string all;
  for (const auto& w : c->warnings) all += w + "\n";
  EXPECT_NE(all.find("unknown key shard "), std::string::npos) << all;
  EXPECT_NE(all.find("unknown key stream.retention "), std::string::npos) << all;
  EXPECT_NE(all.find("unknown key trends.thresh_pct "), std::string::npos) << all;
}

TEST_F(ConfigTest, IngestFsyncIsOffByDefaultAndOnFromTheFile) {
  auto defaults = LoadEnv({});
  ASSERT_TRUE(defaults.ok()) << defaults.error();
  EXPECT_FALSE(defaults->fsync);
  auto on = Load("[ingest]\nfsync = true\n");
  ASSERT_TRUE(on.ok()) << on.error();
  EXPECT_TRUE(on->warnings.empty()) << on->warnings.front();
  EXPECT_TRUE(on->fsync);
  auto bad = Load("[ingest]\nfsync = \"always\"\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("ingest.fsync"), std::string::npos) << bad.error();
}

TEST_F(ConfigTest, AlertDefaultsAreConsoleAndLogWithRetriesForever) {
  auto c = LoadEnv({});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->alerts.console);
  EXPECT_TRUE(c->alerts.log);
  EXPECT_EQ(c->alerts.retry_after, 30 * kSecond);
  EXPECT_FALSE(c->alerts.give_up_after);
  EXPECT_TRUE(c->alerts.queue_fsync);
  EXPECT_TRUE(c->alerts.smtp.url.empty());
  EXPECT_TRUE(c->alerts.smtp.require_tls);
  EXPECT_TRUE(c->alerts.webhook.url.empty());
  EXPECT_FALSE(c->alerts.webhook.allow_insecure);
}

TEST_F(ConfigTest, AlertsSectionWithSmtpAndWebhookTables) {
  auto c = Load(R"(
[alerts]
console = false
log = false
retry_after = "45s"
give_up_after = "2h"
queue_fsync = false
[alerts.smtp]
url = "smtp://mail.example.com:587/stockpipe"
from = "Stockpipe <alerts@example.com>"
to = ["ops@example.com", "trader@example.com"]
username = "alerts"
require_tls = false
ca_bundle = "/etc/ssl/mail-ca.pem"
[alerts.webhook]
url = "http://10.0.0.5:8080/hook/abc"
allow_insecure = true
ca_bundle = "/etc/ssl/hook-ca.pem"
)");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->warnings.empty()) << c->warnings.front();
  const AlertsConfig& a = c->alerts;
  EXPECT_FALSE(a.console);
  EXPECT_FALSE(a.log);
  EXPECT_EQ(a.retry_after, 45 * kSecond);
  EXPECT_EQ(a.give_up_after, 120 * kMinute);
  EXPECT_FALSE(a.queue_fsync);
  EXPECT_EQ(a.smtp.url, "smtp://mail.example.com:587/stockpipe");
  EXPECT_EQ(a.smtp.from, "Stockpipe <alerts@example.com>");
  EXPECT_EQ(a.smtp.to, (std::vector<std::string>{"ops@example.com", "trader@example.com"}));
  EXPECT_EQ(a.smtp.username, "alerts");
  EXPECT_FALSE(a.smtp.require_tls);
  EXPECT_EQ(a.smtp.ca_bundle, "/etc/ssl/mail-ca.pem");
  EXPECT_EQ(a.webhook.url, "http://10.0.0.5:8080/hook/abc");
  EXPECT_TRUE(a.webhook.allow_insecure);
  EXPECT_EQ(a.webhook.ca_bundle, "/etc/ssl/hook-ca.pem");
}

TEST_F(ConfigTest, SmtpEnvironmentOverridesTheFileAndSplitsRecipients) {
  auto c = Load(
      "[alerts.smtp]\nurl = \"smtp://a.example.com/x\"\nfrom = \"a@example.com\"\n"
      "to = \"old@example.com\"\n",
      {{"SMTP_TO", " one@example.com, two@example.com ,,"},
       {"SMTP_PASSWORD", "s3cret"},
       {"SMTP_USERNAME", "bot"},
       {"WEBHOOK_URL", "https://hooks.example.com/T/B/token"}});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->alerts.smtp.to, (std::vector<std::string>{"one@example.com", "two@example.com"}));
  EXPECT_EQ(c->alerts.smtp.password, "s3cret");
  EXPECT_EQ(c->alerts.smtp.username, "bot");
  EXPECT_EQ(c->alerts.webhook.url, "https://hooks.example.com/T/B/token");
}

TEST_F(ConfigTest, APasswordInTheFileIsRefusedPointingToTheEnvironment) {
  auto c = Load(
      "[alerts.smtp]\nurl = \"smtp://a.example.com/x\"\nfrom = \"a@example.com\"\n"
      "to = [\"b@example.com\"]\npassword = \"hunter2\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error(), AllOf(HasSubstr("alerts.smtp.password"), HasSubstr("SMTP_PASSWORD")));
  EXPECT_THAT(c.error(), ::testing::Not(HasSubstr("hunter2")));
}

TEST_F(ConfigTest, TelegramAndDiscordFromTomlAndEnvironment) {
  auto c = Load(
      "[alerts.telegram]\nchat_ids = [123456789, \"-1001234567890\", \"@my_channel\"]\n"
      "api_url = \"http://127.0.0.1:9000\"\nca_bundle = \"/etc/ca.pem\"\n"
      "[alerts.discord]\nwebhook_url = \"https://discord.com/api/webhooks/1/from-file\"\n",
      {{"TELEGRAM_BOT_TOKEN", "123:abc"},
       {"DISCORD_WEBHOOK_URL", "https://discord.com/api/webhooks/1/from-env"}});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->alerts.telegram.chat_ids,
            (std::vector<std::string>{"123456789", "-1001234567890", "@my_channel"}));
  EXPECT_EQ(c->alerts.telegram.token, "123:abc");
  EXPECT_EQ(c->alerts.telegram.api_url, "http://127.0.0.1:9000");
  EXPECT_EQ(c->alerts.telegram.ca_bundle, "/etc/ca.pem");
  EXPECT_EQ(c->alerts.discord.webhook_url, "https://discord.com/api/webhooks/1/from-env");
  EXPECT_TRUE(c->warnings.empty()) << c->warnings.front();
  EXPECT_EQ(AlertChannelNames(*c),
            (std::vector<std::string>{"console", "log", "telegram", "discord"}));

  auto env =
      LoadEnv({{"TELEGRAM_BOT_TOKEN", "123:abc"}, {"TELEGRAM_CHAT_IDS", "1, -2 ,@chan_nel"}});
  ASSERT_TRUE(env.ok()) << env.error();
  EXPECT_EQ(env->alerts.telegram.chat_ids, (std::vector<std::string>{"1", "-2", "@chan_nel"}));
  EXPECT_EQ(env->alerts.telegram.api_url, "https://api.telegram.org");
}

TEST_F(ConfigTest, ATelegramTokenInTheFileIsRefusedPointingToTheEnvironment) {
  for (const std::string toml :
       {"[alerts.telegram]\nchat_ids = [\"1\"]\ntoken = \"123:s3cretTok\"\n",
        "[alerts.telegram]\nchat_ids = [\"1\"]\nbot_token = \"123:s3cretTok\"\n",
        "[trends]\nTELEGRAM_BOT_TOKEN = \"123:s3cretTok\"\n"}) {
    auto c = Load(toml, {{"TELEGRAM_BOT_TOKEN", "123:abc"}});
    ASSERT_FALSE(c.ok()) << toml;
    EXPECT_THAT(c.error(), AllOf(HasSubstr("not allowed in the config file"),
                                 HasSubstr("TELEGRAM_BOT_TOKEN")));
    EXPECT_THAT(c.error(), ::testing::Not(HasSubstr("s3cretTok")));
  }
  auto half = Load("[alerts.telegram]\nchat_ids = [\"1\"]\n");
  ASSERT_FALSE(half.ok());
  EXPECT_THAT(half.error(), HasSubstr("TELEGRAM_BOT_TOKEN must be set in the environment"));
  auto no_chats = LoadEnv({{"TELEGRAM_BOT_TOKEN", "123:s3cretTok"}});
  ASSERT_FALSE(no_chats.ok());
  EXPECT_THAT(no_chats.error(), HasSubstr("alerts.telegram.chat_ids"));
  EXPECT_THAT(no_chats.error(), ::testing::Not(HasSubstr("s3cretTok")));
}

TEST_F(ConfigTest, ChannelErrorsNameTheKeyButNeverQuoteAUrl) {
  const std::vector<std::tuple<std::map<std::string, std::string>, std::string, std::string>>
      cases = {
          {{{"WEBHOOK_URL", "ftp://h.example.com/T/B/s3cr3t"}}, "WEBHOOK_URL", "s3cr3t"},
          {{{"SMTP_URL", "http://user:pa55@mail.example.com"},
            {"SMTP_FROM", "a@example.com"},
            {"SMTP_TO", "b@example.com"}},
           "SMTP_URL",
           "pa55"},
          {{{"SMTP_URL", "smtp://mail.example.com/x"}, {"SMTP_TO", "b@example.com"}},
           "SMTP_FROM",
           "mail.example.com"},
          {{{"SMTP_URL", "smtp://mail.example.com/x"}, {"SMTP_FROM", "a@example.com"}},
           "SMTP_TO",
           "mail.example.com"},
          {{{"SMTP_URL", "smtp://mail.example.com/x"},
            {"SMTP_FROM", "a@example.com"},
            {"SMTP_TO", "b@example.com,nobody"}},
           "nobody",
           "mail.example.com"},
          {{{"SMTP_PASSWORD", "pa55word"}}, "SMTP_URL", "pa55word"},
      };
  for (const auto& [vars, named, hidden] : cases) {
    SCOPED_TRACE(named);
    auto c = LoadConfig(Missing(), false, [&](const char* name) -> const char* {
      auto v = vars.find(name);
      return v == vars.end() ? nullptr : v->second.c_str();
    });
    ASSERT_FALSE(c.ok());
    EXPECT_THAT(c.error(), HasSubstr(named));
    EXPECT_THAT(c.error(), ::testing::Not(HasSubstr(hidden)));
  }
}

TEST_F(ConfigTest, RetryAndGiveUpDurations) {
  auto never = Load("[alerts]\nretry_after = 5\ngive_up_after = \"never\"\n");
  ASSERT_TRUE(never.ok()) << never.error();
  EXPECT_EQ(never->alerts.retry_after, 5 * kSecond);
  EXPECT_FALSE(never->alerts.give_up_after);
  for (const char* bad : {"[alerts]\nretry_after = \"0s\"\n", "[alerts]\nretry_after = \"soon\"\n",
                          "[alerts]\ngive_up_after = \"0\"\n", "[alerts]\nlog = \"perhaps\"\n"}) {
    SCOPED_TRACE(bad);
    auto c = Load(bad);
    ASSERT_FALSE(c.ok());
    EXPECT_THAT(c.error(), HasSubstr("alerts."));
  }
}

TEST_F(ConfigTest, MisspeltAlertKeysAreReported) {
  auto c = Load(
      "[alerts]\nconsol = false\n[alerts.webhook]\nurll = \"https://h.example.com/x\"\n"
      "[alerts.smtp]\nrequire_tls = true\n");
  ASSERT_TRUE(c.ok()) << c.error();
  std::string all;
  for (const auto& w : c->warnings) all += w + "\n";
  EXPECT_EQ(c->warnings.size(), 2u) << all;
  EXPECT_NE(all.find("unknown key alerts.consol "), std::string::npos) << all;
  EXPECT_NE(all.find("unknown key alerts.webhook.urll "), std::string::npos) << all;
  EXPECT_TRUE(c->alerts.webhook.url.empty());
}

}  // namespace
}  // namespace stockpipe

namespace stockpipe {
namespace {

TEST_F(ConfigTest, RulesDefaultIsTheReferenceRuleWithNoSymbolTables) {
  auto c = LoadEnv({});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->trends.rules.fallback.rule, "pct_sma");
  EXPECT_TRUE(c->trends.rules.fallback.params.empty());
  EXPECT_TRUE(c->trends.rules.symbols.empty());
}

TEST_F(ConfigTest, RulesSectionKeepsTheDefaultItsParametersAndEachSymbolsTable) {
  auto c = Load(
      "[rules]\ndefault = \"rsi\"\nlower = 25\n"
      "[rules.AAPL]\nrule = \"sma_cross\"\nfast = 10\nslow = 50\n"
      "[rules.\"BRK.B\"]\nrule = \"bollinger\"\nk = 2.5\nmode = \"reversion\"\n");
  ASSERT_TRUE(c.ok()) << c.error();
  const RulesConfig& r = c->trends.rules;
  EXPECT_EQ(r.fallback.rule, "rsi");
  ASSERT_EQ(r.fallback.params.size(), 1u);
  EXPECT_EQ(r.fallback.params[0], (std::pair<std::string, std::string>{"lower", "25"}));
  ASSERT_EQ(r.symbols.size(), 2u);
  EXPECT_EQ(r.symbols[0].first, "AAPL");
  EXPECT_EQ(r.symbols[0].second.rule, "sma_cross");
  ASSERT_EQ(r.symbols[0].second.params.size(), 2u);
  EXPECT_EQ(r.symbols[0].second.params[1], (std::pair<std::string, std::string>{"slow", "50"}));
  EXPECT_EQ(r.symbols[1].first, "BRK.B");
  EXPECT_EQ(r.symbols[1].second.params[0], (std::pair<std::string, std::string>{"k", "2.5"}));
  EXPECT_EQ(r.symbols[1].second.params[1],
            (std::pair<std::string, std::string>{"mode", "reversion"}));
  // Rule keys are checked by the rules library, not reported as unknown here.
  EXPECT_TRUE(c->warnings.empty()) << c->warnings[0];
}

// `on` says which series a rule reads (rules/on_bars.h): not a parameter of the rule.
TEST_F(ConfigTest, RulesOnIsKeptApartFromTheParametersForTheDefaultAndEachSymbol) {
  auto c = Load(
      "[candles]\nintervals = [\"1m\", \"5m\"]\n"
      "[rules]\ndefault = \"rsi\"\non = \"5m\"\nlower = 25\n"
      "[rules.AAPL]\nrule = \"sma_cross\"\non = \"1m\"\nfast = 10\n"
      "[rules.MSFT]\nrule = \"rsi\"\non = \"tick\"\n"
      "[rules.TSLA]\nrule = \"rsi\"\n");
  ASSERT_TRUE(c.ok()) << c.error();
  const RulesConfig& r = c->trends.rules;
  EXPECT_EQ(r.fallback.on, "5m");
  ASSERT_EQ(r.fallback.params.size(), 1u);
  EXPECT_EQ(r.fallback.params[0].first, "lower");
  ASSERT_EQ(r.symbols.size(), 3u);
  EXPECT_EQ(r.symbols[0].second.on, "1m");
  ASSERT_EQ(r.symbols[0].second.params.size(), 1u);
  EXPECT_EQ(r.symbols[0].second.params[0].first, "fast");
  EXPECT_EQ(r.symbols[1].second.on, "tick");
  EXPECT_EQ(r.symbols[2].second.on, "");
  EXPECT_TRUE(c->warnings.empty()) << c->warnings[0];
}

// Issue 19: configuration mistakes that used to pass are errors that say what is wrong.
TEST_F(ConfigTest, AConfigPathNamingAFolderIsAnErrorNotAnEmptyConfig) {
  for (bool required : {true, false}) {
    auto c = LoadConfig(dir_.string(), required, FakeEnv{}.Getenv());
    ASSERT_FALSE(c) << required;
    EXPECT_NE(c.error().find("is a directory"), std::string::npos) << c.error();
    EXPECT_NE(c.error().find(dir_.string()), std::string::npos) << c.error();
  }
}

TEST_F(ConfigTest, OnlySpdlogsLevelNamesAreLogLevels) {
  EXPECT_TRUE(CheckLogLevel(nullptr).ok());
  for (const char* level : {"debug", "info", "warn", "error"}) {
    EXPECT_TRUE(CheckLogLevel(level).ok()) << level;
  }
  for (const char* level : {"", "INFO", "verbose", "warning", "trace "}) {
    Status s = CheckLogLevel(level);
    ASSERT_FALSE(s.ok()) << level;
    EXPECT_NE(s.message().find("STOCKPIPE_LOG"), std::string::npos) << s.message();
  }
}

TEST_F(ConfigTest, ServeLimitsReadFromTomlAndOutOfRangeOnesAreErrorsNamingTheKey) {
  auto c = Load(R"(
[serve]
read_timeout = "3s"
idle_timeout = "0.5s"
write_timeout = 20
max_connections = 100
max_connections_per_client = 10
)");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->serve.read_timeout, 3'000'000);
  EXPECT_EQ(c->serve.idle_timeout, 500'000);
  EXPECT_EQ(c->serve.write_timeout, 20'000'000);
  EXPECT_EQ(c->serve.max_connections, 100u);
  EXPECT_EQ(c->serve.max_connections_per_client, 10u);
  EXPECT_TRUE(ValidateConfig(*c).ok()) << ValidateConfig(*c).message();

  const std::pair<const char*, const char*> bad[] = {
      {"query_timeout = \"0s\"", "serve.query_timeout"},
      {"query_timeout = \"2h\"", "serve.query_timeout"},
      {"query_max_rows = 0", "serve.query_max_rows"},
      {"query_max_rows = 2000000", "serve.query_max_rows"},
      {"read_timeout = \"0.01s\"", "serve.read_timeout"},
      {"idle_timeout = \"2h\"", "serve.idle_timeout"},
      {"write_timeout = \"0s\"", "serve.write_timeout"},
      {"max_connections = 0", "serve.max_connections"},
      {"max_connections = 1000000", "serve.max_connections"},
      {"max_connections = 10\nmax_connections_per_client = 11", "serve.max_connections_per_client"},
  };
  for (const auto& [line, key] : bad) {
    // Loading validates: an out-of-range limit is a configuration error naming its key.
    auto loaded = Load(std::string("[serve]\n") + line + "\n");
    ASSERT_FALSE(loaded) << line;
    EXPECT_THAT(loaded.error(), HasSubstr(key)) << line;
  }
}

}  // namespace
}  // namespace stockpipe
