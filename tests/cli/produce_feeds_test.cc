// `stockpipe produce yahoo` and `stockpipe produce csv` through the binary, as a user runs them,
// each followed by `ingest --once`: the records arrive in RAW (and CLEAN) with their volume.
//
// The Yahoo API is served on 127.0.0.1 inside the test from the response files of
// tests/producers/yahoo/data, with the session moved to the present: the binary reads the real
// clock. The files' null minute (14:32) is placed at the current minute, so the bars before it
// are complete and the next one cannot complete for at least a minute: the set sent does not
// depend on when the test runs.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/subprocess.h"
#include "core/timestamp.h"
#include "producers/yahoo/chart_server.h"

namespace stockpipe {
namespace {

using nlohmann::json;
using testing::RunStockpipe;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // CSV output ends lines with CRLF
    out.push_back(line);
  }
  return out;
}

// A chart response file with every time moved by `delta` seconds.
std::string Shifted(const std::string& name, std::int64_t delta) {
  json chart = json::parse(testing::YahooFile(name));
  json& result = chart["chart"]["result"][0];
  for (json& t : result["timestamp"]) t = t.get<std::int64_t>() + delta;
  for (auto& [name, period] : result["meta"]["currentTradingPeriod"].items()) {
    period["start"] = period["start"].get<std::int64_t>() + delta;
    period["end"] = period["end"].get<std::int64_t>() + delta;
  }
  return chart.dump();
}

class ProduceFeedsTest : public ::testing::Test {
 protected:
  std::string data() const { return (dir_.path() / "data").string(); }

  testing::ProcessResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data()});
    return RunStockpipe(args, {.cwd = dir_.path()});
  }

  // RAW rows as `symbol,timestamp,price,volume,source` lines, in order.
  std::vector<std::string> RawRows() {
    const auto r = Cli({"query", "--format", "csv",
                        "SELECT symbol, timestamp, price, json_extract(extra, '$.volume'), "
                        "json_extract(extra, '$.source') FROM stock_raw_db.raw "
                        "ORDER BY symbol, timestamp"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto lines = Lines(r.out);
    if (!lines.empty()) lines.erase(lines.begin());  // the header
    return lines;
  }

  std::uint64_t CleanRows() {
    const auto r = Cli({"health", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const json health = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(health.is_discarded()) << r.out;
    return health.is_discarded() ? 0 : health["clean"]["rows"].get<std::uint64_t>();
  }

  testing::TempDir dir_;
};

TEST_F(ProduceFeedsTest, YahooOnceThenIngestPutsCompletedBarsInRawAndClean) {
  const std::int64_t minute = NowMicros() / 1'000'000 / 60 * 60;
  const std::int64_t delta = minute - 1795617120;  // 14:32, the null minute, -> this minute
  testing::ChartServer server;
  server.Script("AAPL", {{200, Shifted("aapl_1.json", delta), {}}});
  server.Script("MSFT", {{200, Shifted("msft.json", delta), {}}});

  const auto produced = Cli({"produce", "yahoo", "--once", "--symbols", "aapl,NOPE,MSFT",
                             "--endpoint", server.endpoint()});
  EXPECT_EQ(produced.exit_code, 1) << "a symbol failed: " << produced.err;
  const auto out = Lines(produced.out);
  ASSERT_GE(out.size(), 2u) << produced.out;
  EXPECT_EQ(out[0], "sent 4 (AAPL 2, MSFT 2)");
  EXPECT_EQ(out[1], "failed: unknown symbol NOPE: No data found, symbol may be delisted");
  EXPECT_NE(produced.err.find("unknown symbol NOPE"), std::string::npos) << produced.err;

  const auto ingested = Cli({"ingest", "--once"});
  ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
  const auto t = [&](int minutes_before) {
    return FormatCanonical((minute - 60 * minutes_before) * 1'000'000);
  };
  EXPECT_EQ(RawRows(), (std::vector<std::string>{
                           fmt::format("AAPL,{},189.31,120034,yahoo", t(2)),
                           fmt::format("AAPL,{},189.42,53311,yahoo", t(1)),
                           fmt::format("MSFT,{},415.1,80211,yahoo", t(2)),
                           fmt::format("MSFT,{},415.2,51007,yahoo", t(1)),
                       }));
  EXPECT_EQ(CleanRows(), 4u);

  // The state store remembers the bars: the next run sends nothing again.
  const auto again = Cli(
      {"produce", "yahoo", "--once", "--symbols", "AAPL,MSFT", "--endpoint", server.endpoint()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Lines(again.out).at(0), "sent 0");
}

TEST_F(ProduceFeedsTest, YahooBadFlagsAreUsageErrors) {
  const auto no_symbols = Cli({"produce", "yahoo", "--once"});
  EXPECT_NE(no_symbols.exit_code, 0);
  EXPECT_NE(no_symbols.err.find("--symbols"), std::string::npos) << no_symbols.err;
  const auto bad_poll = Cli({"produce", "yahoo", "--symbols", "AAPL", "--poll", "often"});
  EXPECT_EQ(bad_poll.exit_code, 2);
  EXPECT_NE(bad_poll.err.find("--poll"), std::string::npos) << bad_poll.err;
}

TEST_F(ProduceFeedsTest, CsvThenIngestPutsTheRowsInRawAndReportsTheRest) {
  const auto csv_data = std::filesystem::path(STOCKPIPE_TESTS_DIR) / "producers" / "csv" / "data";
  const auto produced =
      Cli({"produce", "csv", (csv_data / "AAPL.csv").string(), (csv_data / "ticks.csv").string(),
           (dir_.path() / "missing.csv").string()});
  EXPECT_EQ(produced.exit_code, 1) << "a file could not be read: " << produced.err;
  EXPECT_EQ(Lines(produced.out), (std::vector<std::string>{
                                     "AAPL.csv: 9 rows read, 5 sent, 4 skipped",
                                     "ticks.csv: 8 rows read, 5 sent, 3 skipped",
                                     "total: 17 rows read, 10 sent, 7 skipped",
                                 }));
  EXPECT_NE(produced.err.find("AAPL.csv:5: Close is null"), std::string::npos) << produced.err;
  EXPECT_NE(produced.err.find("ticks.csv:9: timestamp is not a date or time: 'yesterday'"),
            std::string::npos)
      << produced.err;
  EXPECT_NE(produced.err.find("cannot open"), std::string::npos) << produced.err;
  // stderr is a file here, not a terminal: plain progress lines, no bar redrawn with \r.
  EXPECT_NE(produced.err.find("AAPL.csv: 100% (5 rows"), std::string::npos) << produced.err;
  EXPECT_EQ(produced.err.find('\r'), std::string::npos);

  const auto ingested = Cli({"ingest", "--once"});
  ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
  // Daily bars at 00:00Z of their date, ticks at their time; volume kept where the file has it.
  EXPECT_EQ(RawRows(), (std::vector<std::string>{
                           "AAPL,2024-01-02T00:00:00.000000Z,185.639999,82488700,csv",
                           "AAPL,2024-01-02T14:30:00.000000Z,185.64,,csv",
                           "AAPL,2024-01-02T14:30:01.000000Z,185.66,,csv",
                           "AAPL,2024-01-02T14:30:03.000000Z,185.7,,csv",
                           "AAPL,2024-01-03T00:00:00.000000Z,184.25,58414500,csv",
                           "AAPL,2024-01-04T00:00:00.000000Z,181.910004,71983600,csv",
                           "AAPL,2024-01-08T00:00:00.000000Z,185.559998,59144500,csv",
                           "AAPL,2024-01-11T00:00:00.000000Z,185.589996,49128400,csv",
                           "GOOGL,2024-01-02T14:30:07.250000Z,138.1,,csv",
                           "MSFT,2024-01-02T14:30:00.000000Z,375.68,,csv",
                       }));
  EXPECT_EQ(CleanRows(), 10u);
}

TEST_F(ProduceFeedsTest, CsvBadSpeedIsAUsageError) {
  const auto r = Cli({"produce", "csv", "x.csv", "--speed", "fast"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--speed"), std::string::npos) << r.err;
}

TEST_F(ProduceFeedsTest, YahooPollsUntilCtrlCThenSaysWhatItSent) {
  const std::int64_t minute = NowMicros() / 1'000'000 / 60 * 60;
  testing::ChartServer server;
  server.Script("AAPL", {{200, Shifted("aapl_1.json", minute - 1795617120), {}}});
  auto child = testing::Start({"--data-dir", data(), "produce", "yahoo", "--symbols", "AAPL",
                               "--endpoint", server.endpoint(), "--poll", "60s"},
                              {.cwd = dir_.path()});
  // The first pass is logged when it has sent; the next one is up to a minute away.
  ASSERT_TRUE(testing::Eventually([&] {
    return child.StdErrSoFar().find("yahoo: sent 2 bars") != std::string::npos;
  })) << child.StdErrSoFar();
  child.Signal(SIGINT);
  const auto r = child.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out), std::vector<std::string>{"sent 2"});
  EXPECT_EQ(server.CountFor("AAPL"), 1);
}

TEST_F(ProduceFeedsTest, CsvAtASlowSpeedStopsOnCtrlCWithItsSummary) {
  const auto ticks =
      std::filesystem::path(STOCKPIPE_TESTS_DIR) / "producers" / "csv" / "data" / "ticks.csv";
  // At 1/10000 of real time the second second of the file is almost three hours away.
  auto child =
      testing::Start({"--data-dir", data(), "produce", "csv", ticks.string(), "--speed", "0.0001"},
                     {.cwd = dir_.path()});
  ASSERT_TRUE(testing::Eventually([&] {
    return child.StdErrSoFar().find("ticks.csv: 39% (2 rows") != std::string::npos;
  })) << child.StdErrSoFar();
  child.Signal(SIGINT);
  const auto r = child.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out),
            std::vector<std::string>{"ticks.csv: 8 rows read, 2 sent, 3 skipped (stopped)"});
}

}  // namespace
}  // namespace stockpipe
