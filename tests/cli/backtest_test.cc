// `stockpipe backtest` through the binary over a data folder fed by `produce file` + `ingest
// --once`: AAPL on sma_cross (fast 2, slow 4, from [rules.AAPL]) over a series whose signals and
// returns are known by hand, MSFT on the default rule with no signal; the same answer from the
// CLEAN store and from RAW; --symbols, --from, csv; bad rules and bad times exit 2 naming the key.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace stockpipe {
namespace {

using testing::RunStockpipe;

// 2025-08-14T14:38:00Z + i minutes.
std::string TimeAt(int i) {
  return fmt::format("2025-08-14T{:02d}:{:02d}:00.000000Z", 14 + (38 + i) / 60, (38 + i) % 60);
}

class BacktestCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<double> aapl{10, 10, 10, 10, 14, 14, 14, 14, 7, 7, 7, 7, 21, 28};
    std::string file;
    for (std::size_t i = 0; i < aapl.size(); ++i) {
      file += fmt::format(R"({{"symbol":"AAPL","timestamp":"{}","price":{}}})"
                          "\n",
                          TimeAt(static_cast<int>(i)), aapl[i]);
      file += fmt::format(R"({{"symbol":"MSFT","timestamp":"{}","price":400}})"
                          "\n",
                          TimeAt(static_cast<int>(i)));
    }
    testing::WriteFile(dir_.path() / "in.jsonl", file);
    WriteConfig("");
    auto produced = Cli({"produce", "file", (dir_.path() / "in.jsonl").string()});
    ASSERT_EQ(produced.exit_code, 0) << produced.err;
    auto ingested = Cli({"ingest", "--once"});
    ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
  }

  void WriteConfig(const std::string& extra) {
    testing::WriteFile(dir_.path() / "stockpipe.toml",
                       "[trends]\ncooldown_min = 10\n\n[rules.AAPL]\nrule = \"sma_cross\"\n"
                       "fast = 2\nslow = 4\n" +
                           extra);
  }

  testing::ProcessResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", (dir_.path() / "data").string()});
    return RunStockpipe(args, {.cwd = dir_.path()});
  }

  nlohmann::json Json(std::vector<std::string> args) {
    args.insert(args.begin(), "backtest");
    args.insert(args.end(), {"--format", "json"});
    const auto r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto json = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << r.out;
    return json;
  }

  testing::TempDir dir_;
};

void ExpectAaplSignalsAndSummary(const nlohmann::json& out) {
  const auto& signals = out["signals"];
  ASSERT_EQ(signals.size(), 3u) << out.dump();
  EXPECT_EQ(signals[0]["symbol"], "AAPL");
  EXPECT_EQ(signals[0]["time"], TimeAt(4));
  EXPECT_EQ(signals[0]["action"], "BUY");
  EXPECT_EQ(signals[0]["price"], 14.0);
  EXPECT_EQ(signals[0]["reason"], "golden_cross");
  EXPECT_EQ(signals[0]["rule"], "sma_cross fast=2 slow=4");
  EXPECT_EQ(signals[0]["numbers"]["fast_sma"], 12.0);
  EXPECT_EQ(signals[0]["numbers"]["slow_sma"], 11.0);
  EXPECT_EQ(signals[1]["time"], TimeAt(8));
  EXPECT_EQ(signals[1]["action"], "SELL");
  EXPECT_EQ(signals[1]["price"], 7.0);
  EXPECT_EQ(signals[2]["time"], TimeAt(12));
  EXPECT_EQ(signals[2]["action"], "BUY");
  EXPECT_EQ(signals[2]["alerted"], false);  // 8 min after the first BUY, cooldown 10 min
  ASSERT_EQ(out["summary"].size(), 2u);
  const auto& aapl = out["summary"][0];
  EXPECT_EQ(aapl["symbol"], "AAPL");
  EXPECT_EQ(aapl["points"], 14);
  EXPECT_EQ(aapl["signals"], 3);
  EXPECT_EQ(aapl["buys"], 2);
  EXPECT_EQ(aapl["sells"], 1);
  EXPECT_EQ(aapl["trades"], 1);
  EXPECT_EQ(aapl["open_position"], true);
  EXPECT_DOUBLE_EQ(aapl["return_pct"].get<double>(), (0.5 * 28.0 / 21.0 - 1) * 100);
  EXPECT_EQ(aapl["alerted"], 2);
  EXPECT_DOUBLE_EQ(aapl["alerted_return_pct"].get<double>(), -50);
  EXPECT_DOUBLE_EQ(aapl["buy_and_hold_pct"].get<double>(), 180);
  // MSFT: flat at 400 on the reference rule (needs 20 points, has 14): nothing.
  const auto& msft = out["summary"][1];
  EXPECT_EQ(msft["symbol"], "MSFT");
  EXPECT_EQ(msft["signals"], 0);
  EXPECT_EQ(msft["return_pct"], 0.0);
  EXPECT_EQ(msft["buy_and_hold_pct"], 0.0);
  EXPECT_EQ(out["cooldown_seconds"], 600);
}

TEST_F(BacktestCliTest, CleanStoreSignalsAndSummary) {
  ExpectAaplSignalsAndSummary(Json({}));
}

TEST_F(BacktestCliTest, RawHistoryGivesTheSameAnswer) {
  const auto out = Json({"--source", "raw"});
  EXPECT_EQ(out["source"], "raw");
  ExpectAaplSignalsAndSummary(out);
}

TEST_F(BacktestCliTest, SymbolsAndFromNarrowTheReport) {
  const auto msft = Json({"--symbols", "MSFT"});
  ASSERT_EQ(msft["summary"].size(), 1u);
  EXPECT_EQ(msft["summary"][0]["symbol"], "MSFT");
  const auto from = Json({"--symbols", "AAPL", "--from", TimeAt(6)});
  ASSERT_EQ(from["signals"].size(), 2u);
  EXPECT_EQ(from["summary"][0]["trades"], 0);
  EXPECT_DOUBLE_EQ(from["summary"][0]["return_pct"].get<double>(), (28.0 / 21.0 - 1) * 100);
  EXPECT_DOUBLE_EQ(from["summary"][0]["buy_and_hold_pct"].get<double>(), 100);
}

TEST_F(BacktestCliTest, CsvAndTable) {
  const auto csv = Cli({"backtest", "--format", "csv", "--symbols", "AAPL"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_NE(csv.out.find(
                fmt::format("AAPL,{},SELL,7,sma_cross fast=2 slow=4,death_cross,true,", TimeAt(8))),
            std::string::npos)
      << csv.out;
  EXPECT_NE(csv.out.find("AAPL,sma_cross fast=2 slow=4,14,3,2,1,1,true,"), std::string::npos)
      << csv.out;
  const auto table = Cli({"backtest"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("golden_cross"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("long-only"), std::string::npos) << table.out;
}

TEST_F(BacktestCliTest, BadRulesAndTimesExitTwoNamingTheKey) {
  WriteConfig("\n[rules.MSFT]\nrule = \"macd\"\n");
  auto r = Cli({"backtest"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("rules.MSFT.rule must be one of"), std::string::npos) << r.err;
  WriteConfig("\n[rules.MSFT]\nrule = \"rsi\"\nspeed = 3\n");
  r = Cli({"backtest"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("rules.MSFT.speed is not a parameter of rsi"), std::string::npos) << r.err;
  WriteConfig("");
  r = Cli({"backtest", "--from", "yesterday"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--from"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace stockpipe
