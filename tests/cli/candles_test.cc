// `stockpipe candles` and `candles rebuild` through the binary over a data folder fed by
// `produce file` + `ingest --once`: random ticks (re-sent, late, several UTC days, some with a
// volume, some with a bad one) give the bars CandlesFrom computes from the same ticks, in csv,
// json and table form and in `clean.candles`; bad volumes are counted, never dropped; bad
// intervals and options exit 2 with the reason.
#include "core/candles.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace stockpipe {
namespace {

using ::testing::HasSubstr;
using testing::RunStockpipe;

constexpr Micros kSecond = 1'000'000;
constexpr Micros kT0 = 1'755'129'600'000'000;  // 2025-08-14T00:00:00Z

class CandlesCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(42);
    std::string file;
    Micros clock = kT0;
    for (int i = 0; i < 3000; ++i) {
      clock += static_cast<Micros>(rng() % 90) * kSecond;
      Tick tick;
      tick.symbol = rng() % 2 ? "AAPL" : "MSFT";
      tick.timestamp = clock - (rng() % 6 == 0 ? static_cast<Micros>(rng() % 3600) * kSecond : 0);
      if (rng() % 12 == 0 && !ticks_.empty())
        tick.timestamp = ticks_[rng() % ticks_.size()].timestamp;
      tick.price = 100 + static_cast<double>(rng() % 2000) / 100;
      std::string volume;
      switch (rng() % 5) {
        case 0:
          break;
        case 1:
          volume = R"(,"volume":-3)";
          ++bad_volumes_;
          break;
        default:
          tick.volume = static_cast<double>(rng() % 1000);
          volume = fmt::format(R"(,"volume":{})", *tick.volume);
      }
      file += fmt::format(R"({{"symbol":"{}","timestamp":"{}","price":{}{}}})"
                          "\n",
                          tick.symbol, FormatCanonical(tick.timestamp), tick.price, volume);
      ticks_.push_back(std::move(tick));
    }
    testing::WriteFile(dir_.path() / "in.jsonl", file);
    testing::WriteFile(dir_.path() / "stockpipe.toml",
                       "[candles]\nintervals = [\"1m\", \"5m\", \"1d\"]\n");
    auto produced = Cli({"produce", "file", (dir_.path() / "in.jsonl").string()});
    ASSERT_EQ(produced.exit_code, 0) << produced.err;
    auto ingested = Cli({"ingest", "--once"});
    ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
  }

  testing::ProcessResult Cli(std::vector<std::string> args,
                             std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {"--data-dir", (dir_.path() / "data").string()});
    return RunStockpipe(args, {.cwd = dir_.path(), .env = std::move(env)});
  }

  std::vector<Candle> Expected(const std::string& symbol, const std::string& interval) {
    const auto kept = ParseIntervals(std::vector<std::string>{interval});
    std::vector<Candle> out;
    for (Candle& bar : CandlesFrom(ticks_, *kept)) {
      if (bar.symbol == symbol) out.push_back(std::move(bar));
    }
    return out;
  }

  // `symbol,interval,start,open,high,low,close,volume,ticks` lines for `bars`.
  static std::string Csv(const std::vector<Candle>& bars) {
    std::string out = "symbol,interval,start,open,high,low,close,volume,ticks\n";
    for (const Candle& b : bars) {
      out += fmt::format("{},{},{},{},{},{},{},{},{}\n", b.symbol, b.interval,
                         FormatCanonical(b.start), b.open, b.high, b.low, b.close,
                         b.volume ? fmt::format("{}", *b.volume) : "", b.ticks);
    }
    return out;
  }

  testing::TempDir dir_;
  std::vector<Tick> ticks_;
  int bad_volumes_ = 0;
};

// CSV lines with CRLF endings (RFC 4180) read as plain lines.
std::string Unix(std::string text) {
  std::string out;
  for (char c : text) {
    if (c != '\r') out += c;
  }
  return out;
}

TEST_F(CandlesCliTest, BarsEqualAFreshComputationAtEveryInterval) {
  for (const std::string symbol : {"AAPL", "MSFT"}) {
    for (const std::string interval : {"1m", "5m", "1d"}) {
      const auto r = Cli({"candles", "--symbol", symbol, "--interval", interval, "--format", "csv",
                          "--limit", "100000"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(Unix(r.out), Csv(Expected(symbol, interval))) << symbol << " " << interval;
    }
  }
}

TEST_F(CandlesCliTest, JsonTableLimitAndRange) {
  const auto all = Expected("AAPL", "1d");
  ASSERT_GE(all.size(), 2U);
  auto r = Cli({"candles", "--symbol", "aapl", "--interval", "1d", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json.size(), all.size());
  EXPECT_EQ(json[0]["start"], FormatCanonical(all[0].start));
  EXPECT_EQ(json[0]["open"], all[0].open);
  EXPECT_EQ(json[0]["ticks"], all[0].ticks);

  r = Cli({"candles", "--symbol", "AAPL", "--interval", "1d", "--limit", "1", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Unix(r.out), Csv({all.back()})) << "the newest";

  r = Cli({"candles", "--symbol", "AAPL", "--interval", "1d", "--from",
           FormatCanonical(all[1].start), "--to", FormatCanonical(all[1].start + 1), "--format",
           "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Unix(r.out), Csv({all[1]}));

  r = Cli({"candles", "--symbol", "AAPL", "--interval", "1d"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("close"));
  EXPECT_THAT(r.out, HasSubstr(FormatCanonical(all[0].start)));
}

TEST_F(CandlesCliTest, SqlSeesTheSameBars) {
  const auto r =
      Cli({"query", "--format", "csv",
           "SELECT symbol, interval, start, open, high, low, close, volume, ticks "
           "FROM clean.candles WHERE symbol = 'MSFT' AND interval = '5m' ORDER BY start"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Unix(r.out), Csv(Expected("MSFT", "5m")));
}

TEST_F(CandlesCliTest, BadVolumesAreCountedAndTheirTicksKept) {
  ASSERT_GT(bad_volumes_, 0);
  const auto r = Cli({"health", "--json"});
  const auto json = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << r.out << r.err;
  const std::string text = json.dump();
  EXPECT_THAT(text, HasSubstr(fmt::format(R"("volume_negative":{})", bad_volumes_))) << text;
  EXPECT_THAT(text, HasSubstr(R"("received":3000)")) << "no tick dropped";
  EXPECT_THAT(text, HasSubstr(R"("accepted":3000)"));
}

TEST_F(CandlesCliTest, RebuildGivesTheSameBarsAndSaysWhatItDid) {
  const auto before = Cli(
      {"candles", "--symbol", "AAPL", "--interval", "1m", "--format", "csv", "--limit", "100000"});
  const auto r = Cli({"candles", "rebuild", "--symbols", "AAPL,MSFT"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t bars = 0;
  for (const std::string interval : {"1m", "5m", "1d"}) {
    bars += Expected("AAPL", interval).size() + Expected("MSFT", interval).size();
  }
  EXPECT_THAT(r.out, HasSubstr(fmt::format("rebuilt {} bars of 2 symbols at 1m,5m,1d", bars)));
  EXPECT_THAT(r.err, HasSubstr("candles rebuild: 100% (2 symbols")) << "progress, not a terminal";
  const auto after = Cli(
      {"candles", "--symbol", "AAPL", "--interval", "1m", "--format", "csv", "--limit", "100000"});
  EXPECT_EQ(after.out, before.out);
}

TEST_F(CandlesCliTest, BadOptionsAndIntervalsExit2WithTheReason) {
  auto r = Cli({"candles", "--symbol", "AAPL", "--interval", "1h"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("1m, 5m, 1d"));
  r = Cli({"candles", "--interval", "1m"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--symbol is required"));
  r = Cli({"candles", "--symbol", "AAPL", "--from", "yesterday"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--from"));
  const std::pair<std::string, std::string> bad_configs[] = {
      {"0m", "is zero"},
      {"-5m", "is negative"},
      {"5w", "no known unit"},
      {"1m,2m,3m,4m,5m,6m,7m,8m,9m", "at most 8"}};
  for (const auto& [intervals, why] : bad_configs) {
    r = Cli({"candles", "--symbol", "AAPL"}, {{"CANDLE_INTERVALS", intervals}});
    EXPECT_EQ(r.exit_code, 2) << intervals;
    EXPECT_THAT(r.err, HasSubstr(why)) << intervals;
  }
}

}  // namespace
}  // namespace stockpipe
