// The local alert channels: the JSON Lines alert log and the console.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "alerts/console_notifier.h"
#include "alerts/log_notifier.h"
#include "support/subprocess.h"
#include "support/lines.h"

namespace stockpipe {
namespace {

constexpr Micros kT0 = 1'755'182'292'123'456;

using stockpipe::testing::Lines;

TEST(LogNotifier, AppendsOneValidJsonLinePerMessage) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "alerts.jsonl").string();
  const std::vector<AlertMessage> messages{
      {MessageKind::kSignals, "Alerty: AAPL:KUPUJ, ŻABKA:SPRZEDAJ",
       "📉 Alert giełdowy — AAPL\nAkcja: KUPUJ\n\n---\n[{\"symbol\":\"AAPL\"}]", kT0},
      {MessageKind::kNoData, "quote \" backslash \\ tab \t", "control \x01\x1f end", kT0 + 1},
      {MessageKind::kRecovered, "bad utf-8 \xff\xfe here", "", kT0 + 2},
  };
  {
    LogNotifier log(path);
    EXPECT_EQ(log.Name(), "log");
    for (const AlertMessage& m : messages) ASSERT_TRUE(log.Send(m).ok());
  }
  // A second notifier on the same file appends; it never truncates.
  LogNotifier again(path);
  ASSERT_TRUE(again.Send(messages[0]).ok());

  const auto lines = Lines(testing::ReadFile(path));
  ASSERT_EQ(lines.size(), 4u);
  simdjson::dom::parser parser;
  const char* kinds[] = {"signals", "no_data", "recovered", "signals"};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(lines[i]);
    const AlertMessage& m = messages[i % 3];
    simdjson::dom::element root;
    ASSERT_EQ(parser.parse(lines[i]).get(root), simdjson::SUCCESS);
    EXPECT_EQ(std::string_view(root["time"]), FormatCanonical(m.created));
    EXPECT_EQ(std::string_view(root["kind"]), kinds[i]);
    if (i != 2) {
      EXPECT_EQ(std::string_view(root["subject"]), m.subject);
      EXPECT_EQ(std::string_view(root["body"]), m.body);
    } else {
      // Invalid bytes are replaced, the rest kept.
      const std::string_view subject = root["subject"];
      EXPECT_TRUE(subject.starts_with("bad utf-8 ")) << subject;
      EXPECT_TRUE(subject.ends_with(" here")) << subject;
    }
  }
}

TEST(LogNotifier, UnwritablePathIsAnErrorNamingThePath) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "missing" / "alerts.jsonl").string();
  LogNotifier log(path);
  const Status s = log.Send({MessageKind::kSignals, "s", "b", kT0});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
}

TEST(ConsoleNotifier, PrintsSubjectThenBody) {
  testing::TempDir dir;
  const auto path = dir.path() / "console.txt";
  std::FILE* out = std::fopen(path.c_str(), "w");
  ASSERT_NE(out, nullptr);
  {
    ConsoleNotifier console(out);
    EXPECT_EQ(console.Name(), "console");
    ASSERT_TRUE(
        console.Send({MessageKind::kSignals, "Alerts: AAPL:BUY", "body line 1\nline 2", kT0}).ok());
  }
  std::fclose(out);
  const std::string text = testing::ReadFile(path);
  const auto subject = text.find("Alerts: AAPL:BUY");
  const auto body = text.find("body line 1\nline 2");
  ASSERT_NE(subject, std::string::npos) << text;
  ASSERT_NE(body, std::string::npos) << text;
  EXPECT_LT(subject, body);
}

}  // namespace
}  // namespace stockpipe
