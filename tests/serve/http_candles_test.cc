// GET /api/candles over HTTP (docs/dashboard.md) against a data folder the real pipeline wrote
// from known ticks: random prices and volumes over three hours with gaps, ticks out of order,
// some without a volume and some re-sent with another price, kept at `CANDLE_INTERVALS=1m,5m`.
// The bars the API gives are compared with `CandlesFrom` over the same ticks (the reference
// computation of core/candles.h), its signals with /api/series's over the same span, and every
// bad parameter must be a 400 naming it.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/candles.h"
#include "serve/http_fixture.h"

namespace stockpipe {
namespace {

using testing::Body;
using testing::json;

constexpr std::int64_t kStart = 1'767'603'600;  // 2026-01-05T09:00:00Z
constexpr char kSymbol[] = "CNDL";

// The known ticks, in the order the file sends them.
std::vector<Tick> KnownTicks() {
  std::mt19937 random(7);
  std::vector<Tick> ticks;
  std::int64_t t = kStart * 1'000'000;
  double price = 50;
  for (int i = 0; i < 700; ++i) {
    // Up to 40 s apart, with a few long gaps: some minutes (and five-minute bars) have none.
    t += (random() % 40 + 1) * 1'000'000 + (i % 97 == 0 ? 900'000'000 : 0);
    price =
        std::max(1.0, price + static_cast<double>(static_cast<int>(random() % 201) - 100) / 100);
    Tick tick;
    tick.symbol = kSymbol;
    tick.timestamp = t;
    tick.price = price;
    if (random() % 5 != 0) tick.volume = static_cast<double>(random() % 1000 + 1);
    ticks.push_back(tick);
  }
  // Out of order: neighbours swapped here and there.
  for (std::size_t i = 1; i + 1 < ticks.size(); i += 9) std::swap(ticks[i], ticks[i + 1]);
  // Re-sent with another price (and volume): the later one is CLEAN's, and the bar's.
  for (int i = 0; i < 25; ++i) {
    Tick again = ticks[random() % ticks.size()];
    again.price += 0.5;
    again.volume = static_cast<double>(random() % 50 + 1);
    ticks.push_back(again);
  }
  return ticks;
}

std::string AsLines(const std::vector<Tick>& ticks) {
  std::string out;
  for (const Tick& tick : ticks) {
    out += fmt::format(R"({{"symbol":"{}","timestamp":"{}","price":{:.2f})", tick.symbol,
                       FormatCanonical(tick.timestamp), tick.price);
    if (tick.volume) out += fmt::format(R"(,"volume":{})", *tick.volume);
    out += "}\n";
  }
  return out;
}

// Prices as the file wrote them (two decimals), so the reference bars see what ingest saw.
std::vector<Tick> AsIngested(std::vector<Tick> ticks) {
  for (Tick& tick : ticks) tick.price = std::stod(fmt::format("{:.2f}", tick.price));
  return ticks;
}

class HttpCandlesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    ticks_ = new std::vector<Tick>(AsIngested(KnownTicks()));
    const auto cli = [](std::vector<std::string> args, std::string stdin_text = "") {
      args.insert(args.begin(), {"--data-dir", data()});
      const auto r = testing::RunStockpipe(args, {.cwd = dir_->path(),
                                                  .stdin_text = std::move(stdin_text),
                                                  .env = {{"CANDLE_INTERVALS", "1m,5m"}}});
      EXPECT_EQ(r.exit_code, 0) << fmt::format("{}", fmt::join(args, " ")) << "\n" << r.err;
    };
    cli({"produce", "file", "-"},
        AsLines(KnownTicks()) + testing::RisingSeries("ZZUP", 60, kStart));
    cli({"ingest", "--once"});
  }
  static void TearDownTestSuite() {
    delete ticks_;
    delete dir_;
  }
  static std::string data() { return (dir_->path() / "data").string(); }

  void SetUp() override {
    Config config;
    config.data_dir = data();
    config.serve.http = "127.0.0.1:0";
    // The server's own configuration names other intervals: what clean.db keeps is what counts.
    server_ = testing::StartServer(config);
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  json Get(const std::string& path) {
    auto r = client_->Get(path);
    EXPECT_TRUE(r);
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << path << ": " << r->body.substr(0, 300);
    return Body(r);
  }

  // A 400 `bad_request` whose message holds `mentions`.
  void ExpectBadRequest(const std::string& path, const std::string& mentions) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 400) << path << ": " << r->body;
    const json doc = Body(r);
    EXPECT_EQ(doc.value("error", ""), "bad_request") << path;
    EXPECT_NE(doc.value("message", "").find(mentions), std::string::npos)
        << path << ": " << doc.value("message", "");
  }

  static std::vector<Candle> Reference(const std::string& interval) {
    auto parsed = ParseInterval(interval);
    EXPECT_TRUE(parsed.ok());
    std::vector<Candle> bars;
    for (Candle& bar : CandlesFrom(*ticks_, std::vector<Interval>{*parsed})) {
      if (bar.symbol == kSymbol) bars.push_back(std::move(bar));
    }
    return bars;
  }

  // `got` (the API's bars) against `want`, member by member.
  static void ExpectSameBars(const json& got, const std::vector<Candle>& want) {
    ASSERT_TRUE(got.is_array());
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      const json& g = got[i];
      const Candle& w = want[i];
      SCOPED_TRACE(fmt::format("bar {} at {}", i, FormatCanonical(w.start)));
      EXPECT_EQ(g.value("start", ""), FormatCanonical(w.start));
      EXPECT_EQ(g.value("ms", std::int64_t{0}), w.start / 1000);
      EXPECT_EQ(g.value("open", 0.0), w.open);
      EXPECT_EQ(g.value("high", 0.0), w.high);
      EXPECT_EQ(g.value("low", 0.0), w.low);
      EXPECT_EQ(g.value("close", 0.0), w.close);
      EXPECT_EQ(g.value("ticks", std::uint64_t{0}), w.ticks);
      if (w.volume) {
        EXPECT_EQ(g["volume"], json(*w.volume));
      } else {
        EXPECT_TRUE(g["volume"].is_null()) << g.dump();
      }
    }
  }

  static testing::TempDir* dir_;
  static std::vector<Tick>* ticks_;
  std::unique_ptr<serve::HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

testing::TempDir* HttpCandlesTest::dir_ = nullptr;
std::vector<Tick>* HttpCandlesTest::ticks_ = nullptr;

TEST_F(HttpCandlesTest, TheShortestKeptIntervalByDefaultWithBarsEqualToTheReference) {
  const json doc = Get("/api/candles?symbol=CNDL&limit=10000");
  EXPECT_EQ(doc.value("symbol", ""), "CNDL");
  EXPECT_EQ(doc.value("interval", ""), "1m");
  EXPECT_EQ(doc["intervals"], json({"1m", "5m"}));
  const auto want = Reference("1m");
  ASSERT_GT(want.size(), 100u);
  // The ticks carry volumes, and some bars only ticks without one.
  ASSERT_TRUE(std::any_of(want.begin(), want.end(), [](const Candle& c) { return !c.volume; }));
  ExpectSameBars(doc["candles"], want);
}

TEST_F(HttpCandlesTest, EachKeptIntervalHasItsBars) {
  ExpectSameBars(Get("/api/candles?symbol=CNDL&interval=5m&limit=10000")["candles"],
                 Reference("5m"));
  // Lower case is the same symbol.
  ExpectSameBars(Get("/api/candles?symbol=cndl&interval=5m&limit=10000")["candles"],
                 Reference("5m"));
}

TEST_F(HttpCandlesTest, LimitKeepsTheNewestBarsOldestFirst) {
  const auto all = Reference("1m");
  const json doc = Get("/api/candles?symbol=CNDL&limit=7");
  ExpectSameBars(doc["candles"], std::vector<Candle>(all.end() - 7, all.end()));
  // The default is 500.
  EXPECT_EQ(Get("/api/candles?symbol=CNDL")["candles"].size(),
            std::min<std::size_t>(500, all.size()));
}

TEST_F(HttpCandlesTest, FromAndToSelectTheBarsOverlappingTheRange) {
  const auto all = Reference("5m");
  ASSERT_GT(all.size(), 20u);
  // `from` inside a bar takes that bar; `to` is the last bar start taken (inclusive).
  const Micros from = all[5].start + 90'000'000;
  const Micros to = all[15].start;
  std::vector<Candle> want;
  for (const Candle& c : all) {
    if (c.start >= all[5].start && c.start <= to) want.push_back(c);
  }
  ExpectSameBars(Get(fmt::format("/api/candles?symbol=CNDL&interval=5m&from={}&to={}",
                                 FormatCanonical(from), FormatCanonical(to)))["candles"],
                 want);
  // Epoch milliseconds name the same times.
  ExpectSameBars(Get(fmt::format("/api/candles?symbol=CNDL&interval=5m&from={}&to={}", from / 1000,
                                 to / 1000))["candles"],
                 want);
  // A range with no ticks has no bars.
  EXPECT_TRUE(Get("/api/candles?symbol=CNDL&from=2020-01-01&to=2020-01-02")["candles"].empty());
}

TEST_F(HttpCandlesTest, AnUnknownSymbolHasNoBarsAndNoSignals) {
  const json doc = Get("/api/candles?symbol=NOPE");
  EXPECT_EQ(doc.value("symbol", ""), "NOPE");
  EXPECT_EQ(doc["intervals"], json({"1m", "5m"}));
  EXPECT_TRUE(doc["candles"].is_array() && doc["candles"].empty()) << doc.dump();
  EXPECT_TRUE(doc["signals"].is_array() && doc["signals"].empty()) << doc.dump();
}

TEST_F(HttpCandlesTest, SignalsAreTheSeriesSignalsOverTheBarsSpanAtTheirBars) {
  const json doc = Get("/api/candles?symbol=ZZUP&limit=10000");
  const json& bars = doc["candles"];
  ASSERT_FALSE(bars.empty());
  EXPECT_EQ(doc.value("signals_on", ""), "ticks");
  const std::int64_t first = bars.front().value("ms", std::int64_t{0});
  const std::int64_t end = bars.back().value("ms", std::int64_t{0}) + 60'000;
  EXPECT_EQ(doc["signals_since"], json(first));
  const json series =
      Get(fmt::format("/api/series?symbol=ZZUP&from={}&to={}&limit=50000", first, end - 1));
  const json& want = series["signals"];
  ASSERT_FALSE(want.empty()) << "the rising series gives SELL signals";
  const json& got = doc["signals"];
  ASSERT_EQ(got.size(), want.size()) << got.dump() << "\nvs\n" << want.dump();
  for (std::size_t i = 0; i < want.size(); ++i) {
    for (const char* key : {"ms", "time", "action", "price", "reason", "alerted"}) {
      EXPECT_EQ(got[i][key], want[i][key]) << key << " of signal " << i;
    }
    const std::int64_t ms = got[i].value("ms", std::int64_t{0});
    EXPECT_EQ(got[i].value("bar_ms", std::int64_t{-1}), ms - ms % 60'000);
  }
}

TEST_F(HttpCandlesTest, BadParametersAre400NamingThem) {
  ExpectBadRequest("/api/candles", "symbol");
  ExpectBadRequest("/api/candles?symbol=", "symbol");
  ExpectBadRequest("/api/candles?symbol=A%24B", "symbol");
  ExpectBadRequest("/api/candles?symbol=" + std::string(33, 'A'), "symbol");
  // An interval not kept names the kept ones.
  ExpectBadRequest("/api/candles?symbol=CNDL&interval=1h", "1m");
  ExpectBadRequest("/api/candles?symbol=CNDL&interval=1h", "5m");
  ExpectBadRequest("/api/candles?symbol=CNDL&interval=soon", "interval");
  ExpectBadRequest("/api/candles?symbol=CNDL&limit=0", "limit");
  ExpectBadRequest("/api/candles?symbol=CNDL&limit=10001", "10000");
  ExpectBadRequest("/api/candles?symbol=CNDL&limit=ten", "limit");
  ExpectBadRequest("/api/candles?symbol=CNDL&from=yesterday", "from");
  ExpectBadRequest("/api/candles?symbol=CNDL&to=2026-13-45", "to");
  ExpectBadRequest("/api/candles?symbol=CNDL&from=2026-01-06&to=2026-01-05", "after");
}

TEST(HttpCandlesEmptyTest, AFolderWithoutStoresHasTheConfiguredIntervalsAndNoBars) {
  testing::TempDir dir;
  Config config;
  config.data_dir = (dir.path() / "data").string();
  config.serve.http = "127.0.0.1:0";
  auto intervals = ParseIntervals(std::vector<std::string>{"1h", "30s"});
  ASSERT_TRUE(intervals.ok());
  config.candles.intervals = *intervals;
  auto server = testing::StartServer(config);
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  auto r = client.Get("/api/candles?symbol=AAPL");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json doc = Body(r);
  EXPECT_EQ(doc.value("interval", ""), "30s");
  EXPECT_EQ(doc["intervals"], json({"30s", "1h"}));
  EXPECT_TRUE(doc["candles"].empty());
  EXPECT_TRUE(doc["signals_since"].is_null());
}

}  // namespace
}  // namespace stockpipe
