// `ingest --streaming` through the binary: produce file -> ingest --once --streaming writes the
// alert to the alert log within the batch, with no trends run; without the flag ingest alerts
// nothing (streaming is off by default); the cooldown keys are the scheduled run's, so a
// following `trends --once` does not send the same alerts again; TRENDS_STREAMING and
// `[trends] streaming` turn it on as the flag does.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/subprocess.h"
#include "support/lines.h"

namespace stockpipe {
namespace {

using testing::RunStockpipe;

using stockpipe::testing::Lines;

// `count` records one minute apart, each price `step` times the previous one.
std::string Series(const std::string& symbol, double start, double step, int count) {
  std::string out;
  double price = start;
  for (int i = 0; i < count; ++i) {
    out += fmt::format(R"({{"symbol":"{}","timestamp":{},"price":{}}})", symbol,
                       1'755'180'000 + 60 * i, price);
    out += "\n";
    price *= step;
  }
  return out;
}

class StreamingIngestTest : public ::testing::Test {
 protected:
  testing::ProcessResult Cli(std::vector<std::string> args, std::string stdin_text = "",
                             std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {"--data-dir", (dir_.path() / "data").string()});
    return RunStockpipe(
        args, {.cwd = dir_.path(), .stdin_text = std::move(stdin_text), .env = std::move(env)});
  }
  std::vector<std::string> AlertLog() {
    return Lines(testing::ReadFile(dir_.path() / "data" / "alerts.jsonl"));
  }

  testing::TempDir dir_;
};

TEST_F(StreamingIngestTest, IngestOnceStreamingWritesTheAlertWithinTheBatch) {
  const std::string input =
      Series("AAPL", 100, 1.01, 30) + Series("MSFT", 100, 0.99, 30) + Series("GOOG", 100, 1.0, 30);
  ASSERT_EQ(Cli({"produce", "file", "-"}, input).exit_code, 0);
  auto ingested = Cli({"ingest", "--once", "--streaming"});
  ASSERT_EQ(ingested.exit_code, 0) << ingested.err;

  // One message per batch (a batch is one shard's), each (symbol, action) in one of them.
  const auto lines = AlertLog();
  ASSERT_FALSE(lines.empty());
  std::map<std::string, int> messages_naming;
  simdjson::dom::parser parser;
  for (const std::string& line : lines) {
    simdjson::dom::element root;
    ASSERT_EQ(parser.parse(line).get(root), simdjson::SUCCESS) << line;
    EXPECT_EQ(std::string_view(root["kind"]), "signals");
    const std::string_view body = root["body"];
    for (const char* symbol : {"AAPL", "MSFT", "GOOG"}) {
      if (body.find(symbol) != std::string_view::npos) ++messages_naming[symbol];
    }
  }
  EXPECT_EQ(messages_naming["AAPL"], 1);
  EXPECT_EQ(messages_naming["MSFT"], 1);
  EXPECT_EQ(messages_naming["GOOG"], 0);

  // The scheduled run sees the same signals, held by the cooldown streaming started.
  auto trends = Cli({"trends", "--once"});
  ASSERT_EQ(trends.exit_code, 0) << trends.err;
  EXPECT_EQ(AlertLog().size(), lines.size()) << "the cooldown keys are not shared: " << trends.out;
}

TEST_F(StreamingIngestTest, WithoutTheFlagIngestAlertsNothing) {
  ASSERT_EQ(Cli({"produce", "file", "-"}, Series("AAPL", 100, 1.01, 30)).exit_code, 0);
  ASSERT_EQ(Cli({"ingest", "--once"}).exit_code, 0);
  EXPECT_TRUE(AlertLog().empty());
  // The same data does alert in a scheduled run: the silence above is streaming being off.
  ASSERT_EQ(Cli({"trends", "--once"}).exit_code, 0);
  EXPECT_EQ(AlertLog().size(), 1u);
}

TEST_F(StreamingIngestTest, TheConfigKeyAndItsVariableTurnItOn) {
  ASSERT_EQ(Cli({"produce", "file", "-"}, Series("AAPL", 100, 1.01, 30)).exit_code, 0);
  ASSERT_EQ(Cli({"ingest", "--once"}, "", {{"TRENDS_STREAMING", "true"}}).exit_code, 0);
  EXPECT_EQ(AlertLog().size(), 1u) << "TRENDS_STREAMING=true";

  ASSERT_EQ(Cli({"produce", "file", "-"}, Series("MSFT", 100, 0.99, 30)).exit_code, 0);
  testing::WriteFile(dir_.path() / "streaming.toml", "[trends]\nstreaming = true\n");
  auto ingested = Cli({"--config", (dir_.path() / "streaming.toml").string(), "ingest", "--once"});
  ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
  EXPECT_EQ(ingested.err.find("unknown key"), std::string::npos) << ingested.err;
  const auto lines = AlertLog();
  ASSERT_EQ(lines.size(), 2u) << "[trends] streaming = true";
  EXPECT_NE(lines[1].find("MSFT"), std::string::npos) << lines[1];
}

}  // namespace
}  // namespace stockpipe
