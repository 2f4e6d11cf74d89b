// Bar files through the binary, as a user runs them: `produce csv` of Yahoo's daily and intraday
// downloads, `ingest --once`, then the bars of the data folder equal the files' rows (open, high,
// low, close, volume; one tick each) at the files' own intervals: those ingest kept (`stockpipe
// candles`) and those the README's bars-over-RAW query gives through `stockpipe query`.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/timestamp.h"
#include "support/csv_cells.h"
#include "support/lines.h"
#include "support/readme_sql.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

using testing::RunStockpipe;

std::filesystem::path DataFile(const std::string& name) {
  return std::filesystem::path(STOCKPIPE_TESTS_DIR) / "producers" / "csv" / "data" / name;
}

// `symbol,start,open,high,low,close,volume,ticks` with the numbers as the file writes them, read
// back as doubles: equal values print equal here whatever their text was.
std::string BarLine(const std::string& symbol, const std::string& start,
                    const std::vector<std::string>& numbers) {
  std::string line = symbol + "," + start;
  for (const std::string& n : numbers) {
    line += n.empty() ? "," : fmt::format(",{}", std::stod(n));
  }
  return line;
}

class CsvBarsTest : public ::testing::Test {
 protected:
  std::string data() const { return (dir_.path() / "data").string(); }

  testing::ProcessResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data()});
    return RunStockpipe(args, {.cwd = dir_.path()});
  }

  // The rows of `stockpipe ... --format csv` output, split at commas (no cell here has one).
  static std::vector<std::vector<std::string>> CsvRows(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    for (std::string line : testing::Lines(text)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::vector<std::string> cells;
      std::size_t at = 0;
      for (std::size_t comma; (comma = line.find(',', at)) != std::string::npos; at = comma + 1) {
        cells.push_back(line.substr(at, comma - at));
      }
      cells.push_back(line.substr(at));
      rows.push_back(std::move(cells));
    }
    return rows;
  }

  // The bars of `symbol` at `seconds`, as BarLine lines, from the README's query over RAW.
  std::vector<std::string> RawBars(const std::string& symbol, int seconds) {
    const std::string sql = testing::RawBarsSql(seconds);
    EXPECT_FALSE(sql.empty()) << "README.md has no raw-bars-sql query";
    const auto r = Cli({"query", "--format", "csv", sql});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> out;
    for (const auto& c : CsvRows(r.out)) {
      if (c.size() != 8 || c[0] != symbol) continue;  // the header, other symbols
      out.push_back(BarLine(c[0], c[1], {c[2], c[3], c[4], c[5], c[6], c[7]}));
    }
    return out;
  }

  // The bars ingest kept, from `stockpipe candles`.
  std::vector<std::string> StoredBars(const std::string& symbol, const std::string& interval) {
    const auto r = Cli({"candles", "--symbol", symbol, "--interval", interval, "--format", "csv"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto rows = CsvRows(r.out);
    EXPECT_FALSE(rows.empty());
    if (rows.empty()) return {};
    EXPECT_EQ(rows[0], (std::vector<std::string>{"symbol", "interval", "start", "open", "high",
                                                 "low", "close", "volume", "ticks"}));
    std::vector<std::string> out;
    for (std::size_t i = 1; i < rows.size(); ++i) {
      const auto& c = rows[i];
      if (c.size() != 9) {
        ADD_FAILURE() << "row " << i << " has " << c.size() << " cells";
        continue;
      }
      EXPECT_EQ(c[1], interval);
      out.push_back(BarLine(c[0], c[2], {c[3], c[4], c[5], c[6], c[7], c[8]}));
    }
    return out;
  }

  // The file's rows at `lines` as the bars they are: start = the row's time in UTC, one tick.
  static std::vector<std::string> FileBars(const std::string& symbol, const std::string& file,
                                           const std::vector<int>& lines) {
    const auto cells = testing::CsvCells(DataFile(file));
    std::vector<std::string> out;
    for (const int line : lines) {
      const auto& row = cells.at(line);
      const std::string& time = row.contains("date") ? row.at("date") : row.at("datetime");
      const auto start = ParseTimestampText(time);
      EXPECT_TRUE(start.has_value()) << time;
      out.push_back(BarLine(
          symbol, FormatCanonical(start.value_or(0)),
          {row.at("open"), row.at("high"), row.at("low"), row.at("close"), row.at("volume"), "1"}));
    }
    return out;
  }

  testing::TempDir dir_;
};

TEST_F(CsvBarsTest, DailyAndIntradayFilesGiveBackTheirOwnBars) {
  const auto produced =
      Cli({"produce", "csv", DataFile("AAPL.csv").string(), DataFile("MSFT.csv").string()});
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  const auto ingested = Cli({"ingest", "--once"});
  ASSERT_EQ(ingested.exit_code, 0) << ingested.err;

  // The usable rows (AAPL.csv's others are reported and skipped, see its README).
  const auto daily = FileBars("AAPL", "AAPL.csv", {2, 3, 4, 6, 10});
  const auto minutes = FileBars("MSFT", "MSFT.csv", {2, 3, 4});
  EXPECT_EQ(StoredBars("AAPL", "1d"), daily);
  EXPECT_EQ(StoredBars("MSFT", "1m"), minutes);
  // A daily bar stamped 00:00Z is also the only tick of its first minute.
  EXPECT_EQ(StoredBars("AAPL", "1m"), daily);
  // The README's query over RAW gives the same bars.
  EXPECT_EQ(RawBars("AAPL", 86'400), daily);
  EXPECT_EQ(RawBars("MSFT", 60), minutes);
  EXPECT_EQ(RawBars("AAPL", 60), daily);
}

}  // namespace
}  // namespace stockpipe
