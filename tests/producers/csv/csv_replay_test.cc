// CSV replay over the files in tests/producers/csv/data: both layouts parsed exactly (timestamps
// checked), bad rows reported with their line numbers and counted (read = sent + skipped), time
// order, speed N waits (captured through the injected sleep on a clock the test moves), progress
// in plain and terminal form, and stopping.
#include "producers/csv/csv_replay.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/csv_cells.h"
#include "support/temp_dir.h"

namespace stockpipe::csv {
namespace {

constexpr Micros kMs = 1'000;

std::string DataFile(const std::string& name) {
  return (std::filesystem::path(STOCKPIPE_TESTS_DIR) / "producers" / "csv" / "data" / name)
      .string();
}

struct Capture {
  std::vector<std::string> reports;
  std::vector<std::vector<StreamRecord>> writes;
  std::function<void(const std::string&)> Reporter() {
    return [this](const std::string& r) { reports.push_back(r); };
  }
  std::function<Status(std::span<const StreamRecord>)> Sender() {
    return [this](std::span<const StreamRecord> batch) {
      writes.emplace_back(batch.begin(), batch.end());
      return Status::Ok();
    };
  }
  std::vector<std::string> Data() const {
    std::vector<std::string> out;
    for (const auto& w : writes) {
      for (const auto& r : w) out.push_back(r.data);
    }
    return out;
  }
};

TEST(CsvReplay, YahooDailyFileParsedExactlyAndBadRowsReportedWithLineNumbers) {
  Capture c;
  auto file = LoadFile(DataFile("AAPL.csv"), "", c.Reporter());
  ASSERT_TRUE(file.ok()) << file.error();
  const std::string path = DataFile("AAPL.csv");
  EXPECT_EQ(c.reports, (std::vector<std::string>{
                           path + ":5: Close is null",
                           path + ":7: Close is not a number: 'abc'",
                           path + ":8: 3 fields, the header has 7",
                           path + ":11: Date is not a date or time: '2024-13-12'",
                       }));
  const ReplayResult r = Replay(*file, c.Sender(), {});
  EXPECT_EQ(file->rows_read, 9u);  // the blank line is not a row
  EXPECT_EQ(file->skipped, 4u);
  EXPECT_EQ(r.sent, 5u);
  EXPECT_EQ(file->rows_read, r.sent + file->skipped);
  EXPECT_EQ(Summary(*file, r), "AAPL.csv: 9 rows read, 5 sent, 4 skipped");
  const auto data = c.Data();
  ASSERT_EQ(data.size(), 5u);
  // The symbol from the file name; a daily bar at 00:00Z of its date; Close, not Adj Close.
  EXPECT_EQ(data[0], R"({"symbol":"AAPL","timestamp":"2024-01-02T00:00:00Z","price":185.639999,)"
                     R"("open":187.149994,"high":188.440002,"low":183.889999,"close":185.639999,)"
                     R"("volume":82488700,"source":"csv"})");
  EXPECT_NE(data[4].find(R"("timestamp":"2024-01-11T00:00:00Z")"), std::string::npos) << data[4];
  EXPECT_EQ(c.writes[0][0].partition_key, "AAPL");
}

// `record` carries its row's bar: price = close = the Close cell, open/high/low/volume their cells
// as parsed numbers, and no member for a column the file lacks or a cell that is empty or null.
// `close` rides along only when the file has an open, high or low column.
void ExpectBarOfRow(const std::string& record, const std::map<std::string, std::string>& cells) {
  const nlohmann::json r = nlohmann::json::parse(record);
  const double close = std::stod(cells.at("close"));
  EXPECT_EQ(r.at("price").get<double>(), close) << record;
  const bool bar_file = cells.contains("open") || cells.contains("high") || cells.contains("low");
  for (const std::string name : {"open", "high", "low", "close", "volume"}) {
    const auto cell = cells.find(name);
    const bool absent = cell == cells.end() || cell->second.empty() || cell->second == "null" ||
                        (name == "close" && !bar_file);
    if (absent) {
      EXPECT_FALSE(r.contains(name)) << name << " in " << record;
      continue;
    }
    ASSERT_TRUE(r.contains(name)) << name << " missing from " << record;
    EXPECT_TRUE(r.at(name).is_number()) << record;
    EXPECT_EQ(r.at(name).get<double>(), std::stod(cell->second)) << name << " in " << record;
  }
}

// Each sent record against the file line it came from (the usable lines, in time order).
void ExpectBarsOfLines(const std::string& name, const std::vector<int>& lines) {
  Capture c;
  auto file = LoadFile(DataFile(name), "", c.Reporter());
  ASSERT_TRUE(file.ok()) << file.error();
  Replay(*file, c.Sender(), {});
  const auto data = c.Data();
  const auto cells = testing::CsvCells(DataFile(name));
  ASSERT_EQ(data.size(), lines.size()) << name;
  for (std::size_t i = 0; i < data.size(); ++i) {
    SCOPED_TRACE(name + ":" + std::to_string(lines[i]));
    ExpectBarOfRow(data[i], cells.at(lines[i]));
  }
}

TEST(CsvReplay, YahooDailyAndIntradayRecordsCarryTheFilesBars) {
  ExpectBarsOfLines("AAPL.csv", {2, 3, 4, 6, 10});
  ExpectBarsOfLines("MSFT.csv", {2, 3, 4});
}

TEST(CsvReplay, MissingBarCellsAreLeftOutAndBadOnesSkipTheirRow) {
  Capture c;
  auto file = LoadFile(DataFile("SPY.csv"), "", c.Reporter());
  ASSERT_TRUE(file.ok()) << file.error();
  const std::string path = DataFile("SPY.csv");
  EXPECT_EQ(c.reports, (std::vector<std::string>{
                           path + ":5: open is not a number: 'n/a'",
                           path + ":6: low must be positive, got 0",
                       }));
  EXPECT_EQ(file->rows_read, file->rows.size() + file->skipped);
  ExpectBarsOfLines("SPY.csv", {2, 3, 4, 7});
  // UTC times kept as they are.
  EXPECT_EQ(file->rows.front().row.time, *ParseTimestampText("2024-03-01T14:30:00Z"));
}

TEST(CsvReplay, FilesOfClosesAloneGiveThePriceOnlyRecords) {
  Capture c;
  auto file = LoadFile(DataFile("closes.csv"), "X", c.Reporter());
  ASSERT_TRUE(file.ok()) << file.error();
  Replay(*file, c.Sender(), {});
  EXPECT_EQ(c.Data(), (std::vector<std::string>{
                          R"({"symbol":"X","timestamp":"2024-01-02T00:00:00Z","price":100.5,)"
                          R"("volume":1000,"source":"csv"})",
                          R"({"symbol":"X","timestamp":"2024-01-03T00:00:00Z","price":101.25,)"
                          R"("source":"csv"})",
                      }));
  ExpectBarsOfLines("closes.csv", {2, 3});
}

TEST(CsvReplay, IntradayOffsetsBecomeUtcAndSymbolFlagWins) {
  Capture c;
  auto file = LoadFile(DataFile("MSFT.csv"), "MSFT.L", c.Reporter());
  ASSERT_TRUE(file.ok()) << file.error();
  EXPECT_TRUE(c.reports.empty());
  Replay(*file, c.Sender(), {});
  EXPECT_EQ(c.Data(), (std::vector<std::string>{
                          R"({"symbol":"MSFT.L","timestamp":"2024-01-02T14:30:00Z",)"
                          R"("price":375.679993,"open":373.859985,"high":375.899994,)"
                          R"("low":373.279999,"close":375.679993,"volume":0,"source":"csv"})",
                          R"({"symbol":"MSFT.L","timestamp":"2024-01-02T14:31:00Z",)"
                          R"("price":375.220001,"open":375.660004,"high":376.190002,)"
                          R"("low":374.950012,"close":375.220001,"volume":260112,"source":"csv"})",
                          R"({"symbol":"MSFT.L","timestamp":"2024-01-02T14:32:00Z",)"
                          R"("price":375.100006,"open":375.230011,"high":375.480011,)"
                          R"("low":374.850006,"close":375.100006,"volume":178240,"source":"csv"})",
                      }));
}

TEST(CsvReplay, TicksLayoutIsSentInTimeOrderWithExtrasKept) {
  Capture c;
  auto file = LoadFile(DataFile("ticks.csv"), "", c.Reporter());
  ASSERT_TRUE(file.ok()) << file.error();
  const std::string path = DataFile("ticks.csv");
  EXPECT_EQ(c.reports, (std::vector<std::string>{
                           path + ":7: symbol is empty",
                           path + ":8: price must be positive, got -3",
                           path + ":9: timestamp is not a date or time: 'yesterday'",
                       }));
  EXPECT_FALSE(file->in_file_order);
  const ReplayResult r = Replay(*file, c.Sender(), {});
  EXPECT_EQ(Summary(*file, r), "ticks.csv: 8 rows read, 5 sent, 3 skipped");
  EXPECT_EQ(c.Data(),
            (std::vector<std::string>{
                R"({"symbol":"MSFT","timestamp":"2024-01-02T14:30:00Z","price":375.68,)"
                R"("exchange":"XNAS","size":200,"source":"csv"})",
                R"({"symbol":"AAPL","timestamp":"2024-01-02T14:30:00Z","price":185.64,)"
                R"("exchange":"XNAS","size":50,"source":"csv"})",
                R"({"symbol":"AAPL","timestamp":"2024-01-02T14:30:01Z","price":185.66,)"
                R"("exchange":null,"size":null,"source":"csv"})",
                R"({"symbol":"AAPL","timestamp":"2024-01-02T14:30:03Z","price":185.7,)"
                R"("exchange":"XNAS","size":100,"source":"csv"})",
                R"({"symbol":"GOOGL","timestamp":"2024-01-02T14:30:07.250000Z","price":138.1,)"
                R"("exchange":"XNAS","size":300,"source":"csv"})",
            }));
}

TEST(CsvReplay, SpeedNWaitsTheGapsDividedByNAndSendsRowsDueTogetherInOneWrite) {
  Capture c;
  auto file = LoadFile(DataFile("ticks.csv"), "", c.Reporter());
  ASSERT_TRUE(file.ok());
  Micros now = 1'000'000'000;
  std::vector<Micros> waits;
  ReplayOptions o;
  o.speed = 2;
  o.now = [&] { return now; };
  o.sleep = [&](Micros w) {
    waits.push_back(w);
    now += w;
    return true;
  };
  const ReplayResult r = Replay(*file, c.Sender(), o);
  EXPECT_EQ(r.sent, 5u);
  // Times 0, 0, 1, 3, 7.25 s at 2x: due at 0, 0, 0.5, 1.5, 3.625 s.
  EXPECT_EQ(waits, (std::vector<Micros>{500 * kMs, 1000 * kMs, 2125 * kMs}));
  ASSERT_EQ(c.writes.size(), 4u);
  EXPECT_EQ(c.writes[0].size(), 2u);  // MSFT and AAPL at 14:30:00
}

TEST(CsvReplay, TimeSpentWritingIsNotAddedToTheSchedule) {
  Capture c;
  auto file = LoadFile(DataFile("ticks.csv"), "", c.Reporter());
  ASSERT_TRUE(file.ok());
  Micros now = 0;
  std::vector<Micros> waits;
  ReplayOptions o;
  o.speed = 1;
  o.now = [&] { return now; };
  o.sleep = [&](Micros w) {
    waits.push_back(w);
    now += w;
    return true;
  };
  const auto slow_send = [&](std::span<const StreamRecord>) {
    now += 300 * kMs;  // each write takes 0.3 s
    return Status::Ok();
  };
  Replay(*file, slow_send, o);
  // Due at 1, 3, 7.25 s; each wait starts 0.3 s after the previous due time.
  EXPECT_EQ(waits, (std::vector<Micros>{700 * kMs, 1700 * kMs, 3950 * kMs}));
}

// A file of 100 rows of equal length under a fresh folder, removed afterwards.
class HundredRows : public ::testing::Test {
 protected:
  HundredRows() {
    std::ofstream out(path_);
    out << "Date,Open,High,Low,Close,Adj Close,Volume\n";
    for (int i = 0; i < 100; ++i) out << "2024-01-02,1,1,1," << 100 + i << ",1,10\n";
  }

  std::vector<std::string> ProgressLines(Micros clock_step, std::size_t batch) {
    Capture c;
    auto file = LoadFile(path_, "", c.Reporter());
    EXPECT_TRUE(file.ok()) << file.error();
    std::ostringstream progress;
    Micros now = 0;
    ReplayOptions o;
    o.batch = batch;
    o.now = [&] { return now += clock_step; };
    o.progress = &progress;
    o.terminal = false;
    Replay(*file, c.Sender(), o);
    text_ = progress.str();
    std::vector<std::string> lines;
    std::istringstream in(text_);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  testing::TempDir temp_;
  std::filesystem::path dir_ = temp_.path();
  std::string path_ = (dir_ / "SPY.csv").string();
  std::string text_;
};

TEST_F(HundredRows, PlainProgressPrintsALineEachTenPercent) {
  // 20 writes one second apart: a line when a tenth more is done, never 5 s without one.
  const auto lines = ProgressLines(1000 * kMs, 5);
  EXPECT_EQ(text_.find('\r'), std::string::npos);
  ASSERT_EQ(lines.size(), 10u) << text_;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    ASSERT_EQ(lines[i].substr(0, 9), "SPY.csv: ") << lines[i];
    const int percent = std::stoi(lines[i].substr(9));
    EXPECT_GE(percent, 10 * int(i + 1)) << lines[i];  // one line per tenth, none skipped
    EXPECT_LT(percent, 10 * int(i + 2)) << lines[i];
  }
  EXPECT_EQ(lines.back().substr(0, 19), "SPY.csv: 100% (100 ") << text_;
  EXPECT_NE(lines.back().find("rows/s)"), std::string::npos) << lines.back();
}

TEST_F(HundredRows, PlainProgressAlsoPrintsAfterFiveSecondsWithoutOne) {
  // 100 writes six seconds apart: every write is 5 s past the last line.
  const auto lines = ProgressLines(6000 * kMs, 1);
  ASSERT_EQ(lines.size(), 100u) << text_;
  EXPECT_EQ(lines[0], "SPY.csv: 2% (1 rows, 0 rows/s)");  // 1 row in 12 s
}

TEST(CsvReplay, TerminalProgressRedrawsOneLine) {
  Capture c;
  auto file = LoadFile(DataFile("AAPL.csv"), "", c.Reporter());
  ASSERT_TRUE(file.ok());
  std::ostringstream progress;
  Micros now = 0;
  ReplayOptions o;
  o.batch = 1;
  o.now = [&] { return now += 200 * kMs; };
  o.progress = &progress;
  o.terminal = true;
  Replay(*file, c.Sender(), o);
  const std::string text = progress.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;  // only the final line end
  EXPECT_GE(std::count(text.begin(), text.end(), '\r'), 5) << text;
  EXPECT_NE(text.find("AAPL.csv [##############################] 100% 5 rows"), std::string::npos)
      << text;
}

TEST(CsvReplay, StopSendsWhatIsPendingAndSaysStopped) {
  Capture c;
  auto file = LoadFile(DataFile("AAPL.csv"), "", c.Reporter());
  ASSERT_TRUE(file.ok());
  ReplayOptions o;
  o.batch = 2;
  o.stopping = [&] { return !c.writes.empty(); };
  const ReplayResult r = Replay(*file, c.Sender(), o);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.sent, 2u);
  EXPECT_EQ(Summary(*file, r), "AAPL.csv: 9 rows read, 2 sent, 4 skipped (stopped)");
}

TEST(CsvReplay, RefusedWriteEndsTheReplayWithTheStreamsWords) {
  Capture c;
  auto file = LoadFile(DataFile("AAPL.csv"), "", c.Reporter());
  ASSERT_TRUE(file.ok());
  int writes = 0;
  ReplayOptions o;
  o.batch = 2;
  const ReplayResult r = Replay(
      *file,
      [&](std::span<const StreamRecord>) {
        return ++writes == 2 ? Status::Error("stream full") : Status::Ok();
      },
      o);
  EXPECT_EQ(r.status.message(), "stream full");
  EXPECT_EQ(r.sent, 2u);  // the first write only
  EXPECT_EQ(writes, 2);
}

TEST(CsvReplay, UnreadableFilesAreErrors) {
  Capture c;
  auto missing = LoadFile(DataFile("nope.csv"), "", c.Reporter());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("cannot open"), std::string::npos);
  auto readme = LoadFile(DataFile("README.md"), "", c.Reporter());
  ASSERT_FALSE(readme.ok());
  EXPECT_NE(readme.error().find("README.md:1: header"), std::string::npos) << readme.error();
}

}  // namespace
}  // namespace stockpipe::csv
