// The command line surface: `--help` on every command and subcommand, and configuration errors
// (TOML, environment, flags) that exit 2 with a message naming the key.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/subprocess.h"

namespace stockpipe {
namespace {

using testing::RunStockpipe;

class HelpTest : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(HelpTest, ExitsZeroAndDescribesTheCommand) {
  testing::TempDir dir;
  std::vector<std::string> args = GetParam();
  args.push_back("--help");
  const auto r = RunStockpipe(args, {.cwd = dir.path()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--help"), std::string::npos) << r.out;
  // Help must not create or touch a data folder.
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data"));
}

INSTANTIATE_TEST_SUITE_P(
    EveryCommand, HelpTest,
    ::testing::Values(
        std::vector<std::string>{}, std::vector<std::string>{"run"},
        std::vector<std::string>{"produce"}, std::vector<std::string>{"produce", "synthetic"},
        std::vector<std::string>{"produce", "file"}, std::vector<std::string>{"produce", "yahoo"},
        std::vector<std::string>{"produce", "csv"}, std::vector<std::string>{"ingest"},
        std::vector<std::string>{"trends"}, std::vector<std::string>{"trends", "eval"},
        std::vector<std::string>{"health"}, std::vector<std::string>{"catalog"},
        std::vector<std::string>{"query"}, std::vector<std::string>{"backtest"},
        std::vector<std::string>{"serve"}),
    [](const ::testing::TestParamInfo<std::vector<std::string>>& info) {
      std::string name = "stockpipe";
      for (const std::string& a : info.param) name += "_" + a;
      return name;
    });

TEST(Help, ShortFlagAndHelpAfterOtherFlagsWork) {
  testing::TempDir dir;
  EXPECT_EQ(RunStockpipe({"-h"}, {.cwd = dir.path()}).exit_code, 0);
  EXPECT_EQ(RunStockpipe({"trends", "--once", "--help"}, {.cwd = dir.path()}).exit_code, 0);
  EXPECT_EQ(RunStockpipe({"--data-dir", "x", "health", "-h"}, {.cwd = dir.path()}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "x"));
}

TEST(Help, CommandListAndRuleParametersAreDocumented) {
  testing::TempDir dir;
  const auto top = RunStockpipe({"--help"}, {.cwd = dir.path()});
  for (const char* command :
       {"run", "produce", "ingest", "trends", "health", "catalog", "query", "backtest", "serve"}) {
    EXPECT_NE(top.out.find(command), std::string::npos) << command;
  }
  const auto trends = RunStockpipe({"trends", "--help"}, {.cwd = dir.path()});
  for (const char* flag : {"--THRESH_PCT", "--LOOKBACK_POINTS", "--SMA_WINDOW", "--MIN_POINTS",
                           "--EPS_PCT", "--once"}) {
    EXPECT_NE(trends.out.find(flag), std::string::npos) << flag;
  }
}

TEST(Usage, UnknownCommandOrFlagIsAnError) {
  testing::TempDir dir;
  EXPECT_NE(RunStockpipe({"frobnicate"}, {.cwd = dir.path()}).exit_code, 0);
  EXPECT_NE(RunStockpipe({"health", "--no-such-flag"}, {.cwd = dir.path()}).exit_code, 0);
  EXPECT_NE(RunStockpipe({}, {.cwd = dir.path()}).exit_code, 0) << "a command is required";
}

// ---- configuration errors ----

struct BadConfig {
  std::string name;
  std::map<std::string, std::string> env;
  std::string toml;               // written to stockpipe.toml in the working folder when set
  std::vector<std::string> args;  // inserted before the command
  std::string key;                // must appear in the message
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, ExitsTwoNamingTheKey) {
  const BadConfig& c = GetParam();
  for (const char* command : {"health", "trends"}) {
    SCOPED_TRACE(command);
    testing::TempDir dir;
    if (!c.toml.empty()) testing::WriteFile(dir.path() / "stockpipe.toml", c.toml);
    std::vector<std::string> args = c.args;
    args.insert(args.begin(), {"--data-dir", (dir.path() / "data").string()});
    args.push_back(command);
    if (std::string(command) == "trends") args.push_back("--once");
    const auto r = RunStockpipe(args, {.cwd = dir.path(), .env = c.env});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.key), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "data" / "alerts.jsonl"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Values, BadConfigTest,
    ::testing::Values(
        BadConfig{"EnvNotANumber", {{"THRESH_PCT", "abc"}}, "", {}, "THRESH_PCT"},
        BadConfig{"EnvNegativeThreshold", {{"THRESH_PCT", "-1"}}, "", {}, "THRESH_PCT"},
        BadConfig{"EnvZeroWindow", {{"SMA_WINDOW", "0"}}, "", {}, "SMA_WINDOW"},
        BadConfig{"EnvFractionalLookback", {{"LOOKBACK_POINTS", "1.5"}}, "", {}, "LOOKBACK_POINTS"},
        BadConfig{"EnvNegativeEps", {{"EPS_PCT", "-0.1"}}, "", {}, "EPS_PCT"},
        BadConfig{"EnvLanguage", {{"ALERT_LANG", "de"}}, "", {}, "ALERT_LANG"},
        BadConfig{"EnvFooter", {{"INCLUDE_JSON_FOOTER", "maybe"}}, "", {}, "INCLUDE_JSON_FOOTER"},
        BadConfig{"EnvCooldown", {{"COOLDOWN_MIN", "soon"}}, "", {}, "COOLDOWN_MIN"},
        BadConfig{"EnvNoDataAfter", {{"NO_DATA_AFTER", "0"}}, "", {}, "NO_DATA_AFTER"},
        BadConfig{"EnvShards", {{"STOCKPIPE_SHARDS", "0"}}, "", {}, "shards"},
        BadConfig{"TomlNotANumber", {}, "[trends]\nTHRESH_PCT = \"high\"\n", {}, "THRESH_PCT"},
        BadConfig{"TomlZeroWindow", {}, "[trends]\nSMA_WINDOW = 0\n", {}, "SMA_WINDOW"},
        BadConfig{"TomlLanguage", {}, "[trends]\nALERT_LANG = \"fr\"\n", {}, "ALERT_LANG"},
        BadConfig{"TomlSyntax", {}, "[trends\nTHRESH_PCT = 1\n", {}, "stockpipe.toml"},
        BadConfig{"FlagShards", {}, "", {"--shards", "0"}, "shards"},
        BadConfig{"MissingExplicitConfig", {}, "", {"--config", "nope.toml"}, "nope.toml"}),
    [](const ::testing::TestParamInfo<BadConfig>& info) { return info.param.name; });

TEST(BadConfig, RuleFlagsAreCheckedToo) {
  testing::TempDir dir;
  const std::string data = (dir.path() / "data").string();
  auto r = RunStockpipe({"--data-dir", data, "trends", "--once", "--THRESH_PCT", "-2"},
                        {.cwd = dir.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("THRESH_PCT"), std::string::npos) << r.err;
  r = RunStockpipe({"--data-dir", data, "trends", "--once", "--cooldown", "later"},
                   {.cwd = dir.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("cooldown"), std::string::npos) << r.err;
  r = RunStockpipe({"--data-dir", data, "run", "--for", "1s", "--lang", "xx"}, {.cwd = dir.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("ALERT_LANG"), std::string::npos) << r.err;
}

TEST(BadConfig, FlagsOverrideTheEnvironmentWhichOverridesToml) {
  testing::TempDir dir;
  const std::string data = (dir.path() / "data").string();
  testing::WriteFile(dir.path() / "stockpipe.toml", "[trends]\nSMA_WINDOW = 0\n");
  // The environment fixes the bad TOML value ...
  auto r = RunStockpipe({"--data-dir", data, "health"},
                        {.cwd = dir.path(), .env = {{"SMA_WINDOW", "5"}}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // ... and a flag fixes a bad environment value.
  r = RunStockpipe({"--data-dir", data, "trends", "--once", "--SMA_WINDOW", "5"},
                   {.cwd = dir.path(), .env = {{"SMA_WINDOW", "-3"}}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace stockpipe
