// The log line formats (src/core/log.h): the text line's UTC time with a `Z` and its key=value
// fields, the JSON line's members and types, valid JSON whatever the bytes, Lambda's JSON shape
// with the request id, and registered secrets replaced in every format. The binary's own lines
// are checked end to end in tests/cli/logs_test.cc.
#include "core/log.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace stockpipe {
namespace {

// 2026-12-06T23:40:01.123Z
constexpr std::int64_t kAt = 1796600401123;

nlohmann::json ParseLine(const std::string& line) {
  auto doc = nlohmann::json::parse(line, nullptr, false);
  EXPECT_TRUE(doc.is_object()) << line;
  return doc;
}

TEST(LogText, UtcMillisecondsWithZThenLevelMessageAndFields) {
  const std::string line =
      log::Render(log::Format::text, log::Level::info, kAt, "ingest summary",
                  {{"records", 20000}, {"rejected", std::uint64_t{3}}, {"ok", true}});
  EXPECT_EQ(line, "2026-12-06T23:40:01.123Z info ingest summary records=20000 rejected=3 ok=true");
}

TEST(LogText, QuotesValuesThatWouldBeAmbiguous) {
  const std::string line = log::Render(
      log::Format::text, log::Level::warn, kAt, "x",
      {{"error", "no \"route\" to host"}, {"empty", ""}, {"path", "a=b"}, {"plain", "shard-0001"}});
  EXPECT_EQ(line,
            "2026-12-06T23:40:01.123Z warning x error=\"no \\\"route\\\" to host\" empty=\"\" "
            "path=\"a=b\" plain=shard-0001");
}

TEST(LogText, TimesBeforeTheEpochKeepPositiveMilliseconds) {
  const std::string line = log::Render(log::Format::text, log::Level::info, -1, "m", {});
  EXPECT_EQ(line, "1969-12-31T23:59:59.999Z info m");
}

TEST(LogJson, OneObjectWithTsLevelMsgCommandAndTypedFields) {
  log::SetCommand("ingest");
  const std::string line = log::Render(log::Format::json, log::Level::warn, kAt, "ingest batch",
                                       {{"shard", "shard-0000"},
                                        {"records", 512},
                                        {"duration_ms", 1.5},
                                        {"streaming", false},
                                        {"negative", -4}});
  log::SetCommand("");
  const auto doc = ParseLine(line);
  EXPECT_EQ(doc["ts"], "2026-12-06T23:40:01.123Z");
  EXPECT_EQ(doc["level"], "warn");
  EXPECT_EQ(doc["msg"], "ingest batch");
  EXPECT_EQ(doc["command"], "ingest");
  EXPECT_EQ(doc["shard"], "shard-0000");
  EXPECT_EQ(doc["records"], 512);
  EXPECT_DOUBLE_EQ(doc["duration_ms"].get<double>(), 1.5);
  EXPECT_EQ(doc["streaming"], false);
  EXPECT_EQ(doc["negative"], -4);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line";
}

TEST(LogJson, AnyBytesGiveValidJson) {
  const std::string nasty = std::string("quote \" backslash \\ newline \n tab \t nul ") +
                            std::string(1, '\0') + " bad utf8 \xff\xfe end \x01";
  const std::string line =
      log::Render(log::Format::json, log::Level::error, kAt, nasty,
                  {{"field", nasty}, {"nan", std::nan("")}, {"inf", HUGE_VAL}});
  const auto doc = ParseLine(line);
  const std::string msg = doc["msg"];
  EXPECT_NE(msg.find("quote \" backslash \\ newline \n tab"), std::string::npos);
  EXPECT_NE(msg.find("\xEF\xBF\xBD"), std::string::npos) << "invalid UTF-8 became U+FFFD";
  EXPECT_EQ(doc["field"], doc["msg"]);
  EXPECT_TRUE(doc["nan"].is_null());
  EXPECT_TRUE(doc["inf"].is_null());
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LogLambda, JsonShapeCarriesTheRequestIdOnlyDuringAnInvocation) {
  log::SetRequestId("8f5e1a2b-request");
  const auto during = ParseLine(
      log::Render(log::Format::lambda_json, log::Level::info, kAt, "batch", {{"records", 2}}));
  log::SetRequestId("");
  const auto after =
      ParseLine(log::Render(log::Format::lambda_json, log::Level::error, kAt, "idle", {}));
  EXPECT_EQ(during["timestamp"], "2026-12-06T23:40:01.123Z");
  EXPECT_EQ(during["level"], "INFO");
  EXPECT_EQ(during["message"], "batch");
  EXPECT_EQ(during["requestId"], "8f5e1a2b-request");
  EXPECT_EQ(during["records"], 2);
  EXPECT_FALSE(during.contains("msg"));
  EXPECT_EQ(after["level"], "ERROR");
  EXPECT_FALSE(after.contains("requestId"));
}

TEST(LogLambda, TextLeavesTheTimeToCloudWatch) {
  EXPECT_EQ(log::Render(log::Format::lambda_text, log::Level::info, kAt, "start", {{"n", 1}}),
            "[info] start n=1");
}

TEST(LogSecrets, RegisteredValuesNeverAppearInAnyFormat) {
  const std::string key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETKEY";
  const std::string hook = "https://hooks.example.com/services/T000/B000/XXXXtoken";
  log::RegisterSecret(key);
  log::RegisterSecret(hook);
  log::RegisterSecret("ab");  // too short to be told from ordinary words: ignored
  for (log::Format format :
       {log::Format::text, log::Format::json, log::Format::lambda_text, log::Format::lambda_json}) {
    const std::string line = log::Render(format, log::Level::error, kAt, "key " + key + " here",
                                         {{"url", hook}, {"note", "about"}});
    EXPECT_EQ(line.find(key), std::string::npos) << line;
    EXPECT_EQ(line.find("XXXXtoken"), std::string::npos) << line;
    EXPECT_NE(line.find("[redacted]"), std::string::npos) << line;
    EXPECT_NE(line.find("about"), std::string::npos) << "short values are left alone: " << line;
  }
}

TEST(LogFormat, ParsesTheUserFacingNames) {
  EXPECT_EQ(*log::ParseFormat("json"), log::Format::json);
  EXPECT_EQ(*log::ParseFormat("text"), log::Format::text);
  auto bad = log::ParseFormat("JSONL");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("JSONL"), std::string::npos);
}

}  // namespace
}  // namespace stockpipe
