// A rule on 1-minute bars through the binary: a data folder fed by `produce file` + `ingest
// --once` with three ticks a minute (the last of each minute at the series' price, the others
// away from it) and `[rules.AAPL] on = "1m"`. `trends --once` decides the newest closed bar (a
// golden cross) and alerts with the interval in its params line; a second run decides nothing new;
// `backtest` finds every cross on the bar closes, timed at the bars' starts. An `on` naming no
// kept interval exits 2 naming the key and the kept intervals.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace stockpipe {
namespace {

using testing::RunStockpipe;

// 2025-08-14T14:38:00Z + i minutes + s seconds.
std::string TimeAt(int i, int s = 0) {
  return fmt::format("2025-08-14T{:02d}:{:02d}:{:02d}.000000Z", 14 + (38 + i) / 60, (38 + i) % 60,
                     s);
}

class BarRulesCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Closes: golden cross of SMA2 over SMA4 at minutes 4 and 12, death cross at 8; minute 13,
    // with one tick, is open.
    const std::vector<double> closes{10, 10, 10, 10, 14, 14, 14, 14, 7, 7, 7, 7, 21};
    std::string file;
    const auto tick = [&](int minute, int second, double price) {
      file += fmt::format(R"({{"symbol":"AAPL","timestamp":"{}","price":{}}})"
                          "\n",
                          TimeAt(minute, second), price);
    };
    for (std::size_t i = 0; i < closes.size(); ++i) {
      const int minute = static_cast<int>(i);
      tick(minute, 0, closes[i] * 2);
      tick(minute, 20, closes[i] / 2);
      tick(minute, 40, closes[i]);
    }
    tick(13, 5, 50);
    testing::WriteFile(dir_.path() / "in.jsonl", file);
    WriteConfig("on = \"1m\"\n");
    auto produced = Cli({"produce", "file", (dir_.path() / "in.jsonl").string()});
    ASSERT_EQ(produced.exit_code, 0) << produced.err;
    auto ingested = Cli({"ingest", "--once"});
    ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
  }

  void WriteConfig(const std::string& on) {
    testing::WriteFile(dir_.path() / "stockpipe.toml",
                       "[trends]\ncooldown_min = 0\n\n[candles]\nintervals = [\"1m\", \"1h\"]\n\n"
                       "[rules.AAPL]\nrule = \"sma_cross\"\nfast = 2\nslow = 4\n" +
                           on);
  }

  testing::ProcessResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", (dir_.path() / "data").string()});
    return RunStockpipe(args, {.cwd = dir_.path()});
  }

  testing::TempDir dir_;
};

TEST_F(BarRulesCliTest, TrendsOnceDecidesTheNewestClosedBarOnce) {
  auto first = Cli({"trends", "--once", "--lang", "en"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("Alerts: AAPL:BUY"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("Reason: golden cross: SMA2 crossed above SMA4"), std::string::npos)
      << first.out;
  // The close of minute 12, not the open bar's 50 nor a tick inside the minute.
  EXPECT_NE(first.out.find("Last: 21.00\nSMA2: 14.00, SMA4: 10.50\n"), std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("Params: RULE=sma_cross, fast=2, slow=4, on=1m"), std::string::npos)
      << first.out;
  // No bar closed since: nothing decided, although the cooldown is 0.
  auto second = Cli({"trends", "--once", "--lang", "en"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out.find("AAPL:BUY"), std::string::npos) << second.out;
}

TEST_F(BarRulesCliTest, BacktestDecidesEveryClosedBar) {
  auto r = Cli({"backtest", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(out.is_discarded()) << r.out;
  const auto& signals = out["signals"];
  ASSERT_EQ(signals.size(), 3u) << r.out;
  EXPECT_EQ(signals[0]["time"], TimeAt(4));
  EXPECT_EQ(signals[0]["action"], "BUY");
  EXPECT_EQ(signals[0]["price"], 14.0);
  EXPECT_EQ(signals[0]["rule"], "sma_cross fast=2 slow=4 on=1m");
  EXPECT_EQ(signals[1]["time"], TimeAt(8));
  EXPECT_EQ(signals[1]["action"], "SELL");
  EXPECT_EQ(signals[2]["time"], TimeAt(12));
  EXPECT_EQ(signals[2]["price"], 21.0);
  ASSERT_EQ(out["summary"].size(), 1u);
  EXPECT_EQ(out["summary"][0]["points"], 13);  // bars; minute 13 is open
  EXPECT_EQ(out["summary"][0]["last_price"], 21.0);
  // The same from RAW.
  auto raw = Cli({"backtest", "--format", "json", "--source", "raw"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  const auto from_raw = nlohmann::json::parse(raw.out, nullptr, false);
  ASSERT_FALSE(from_raw.is_discarded()) << raw.out;
  EXPECT_EQ(from_raw["signals"], signals);
}

TEST_F(BarRulesCliTest, AnOnNamingNoKeptIntervalExits2NamingTheKeyAndTheKeptOnes) {
  WriteConfig("on = \"5m\"\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"trends", "--once"}, std::vector<std::string>{"backtest"}}) {
    auto r = Cli(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("rules.AAPL.on must be \"tick\" or one of the bar intervals kept "
                         "([candles] intervals: \"1m\", \"1h\"), got \"5m\""),
              std::string::npos)
        << args[0] << ": " << r.err;
  }
}

}  // namespace
}  // namespace stockpipe
