// The README's bars-over-RAW query (between its `<!-- raw-bars-sql -->` markers, read from the file
// so the two cannot drift), run by the real query engine over a RAW archive the ingestor wrote
// from random ticks fed through the local stream: re-sent ticks with other prices (in one batch
// and across batches), out of time order, gaps, several UTC days, times a microsecond before a
// bar's end, valid and unusable volumes, bar-file ticks with valid and unusable open/high/low.
// The expected bars are computed here from what the test sent, with the rule the pipeline uses
// (the last arrival of a (symbol, timestamp) wins; open/close by event time); the query's bars
// must equal them, and so must CandlesFrom over the parsed records and the bars ingest kept in
// CLEAN (clean.candles), at 1m, 5m, 1h and 1d.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <span>
#include <variant>

#include "archive/local/file_archive.h"
#include "codec/json_write.h"
#include "core/candles.h"
#include "core/record.h"
#include "core/timestamp.h"
#include "ingest/ingestor.h"
#include "query/sqlite_query_engine.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "stream/local/sqlite_stream.h"
#include "support/readme_sql.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kDay = 86'400 * kSecond;

struct Bar {
  std::string symbol;
  Micros start = 0;
  double open = 0, high = 0, low = 0, close = 0;
  std::optional<double> volume;
  std::int64_t ticks = 0;

  friend bool operator==(const Bar&, const Bar&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Bar& b) {
    return out << fmt::format("{} {} o={} h={} l={} c={} v={} n={}", b.symbol,
                              FormatCanonical(b.start), b.open, b.high, b.low, b.close,
                              b.volume ? fmt::format("{}", *b.volume) : "null", b.ticks);
  }
};

// One record the test sends, with what ingest keeps of it: the volume and the bar (open, high,
// low) when they are usable, by construction.
struct Sent {
  std::string symbol;
  Micros time = 0;
  double price = 0;
  std::optional<double> volume;
  std::optional<std::array<double, 3>> bar;
  std::string json;
};

class RandomTicks {
 public:
  explicit RandomTicks(std::uint32_t seed) : rng_(seed) {}

  // `count` records over `days` UTC days from `first_day`, in bursts on a few hundred minutes
  // (so bars hold several ticks and most minutes hold none), sent out of time order.
  std::vector<Sent> Make(std::size_t count, Micros first_day, int days) {
    std::vector<Micros> minutes;
    for (int i = 0; i < 300; ++i) {
      minutes.push_back(first_day + static_cast<Micros>(Pick(0, days * 1440 - 1)) * kMinute);
    }
    // The last minute of each day and the first of the next: the day boundary.
    for (int d = 1; d < days; ++d) {
      minutes.push_back(first_day + d * kDay - kMinute);
      minutes.push_back(first_day + d * kDay);
    }
    std::vector<Sent> out;
    while (out.size() < count) {
      const std::string symbol = kSymbols[Pick(0, kSymbols.size() - 1)];
      if (!out.empty() && Pick(0, 9) == 0) {
        // A re-send of a recent tick (often in the same batch, sometimes many batches later):
        // the same key, with its time written another way, and another price (or by chance the
        // same).
        const Sent earlier =
            out[out.size() - 1 - Pick(0, std::min<std::size_t>(out.size() - 1, 400))];
        out.push_back(Record(earlier.symbol, earlier.time, true));
        continue;
      }
      const Micros minute = minutes[Pick(0, minutes.size() - 1)];
      Micros offset =
          static_cast<Micros>(Pick(0, 59)) * kSecond + static_cast<Micros>(Pick(0, 999'999));
      if (Pick(0, 9) == 0) offset = kMinute - 1;  // the bar's last microsecond
      if (Pick(0, 9) == 0) offset = 0;            // its first
      out.push_back(Record(symbol, minute + offset, false));
    }
    return out;
  }

 private:
  std::size_t Pick(std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng_);
  }

  Sent Record(const std::string& symbol, Micros time, bool offset_form) {
    Sent s{symbol, time, static_cast<double>(Pick(1000, 99'999)) / 100, {}, {}, {}};
    std::string extras;
    switch (Pick(0, 11)) {  // volume: usable most often, else absent or unusable
      case 0:
      case 1:
        break;
      case 2:
        extras += R"(,"volume":-5)";
        break;
      case 3:
        extras += R"(,"volume":"many")";
        break;
      case 4:
        extras += R"(,"volume":null)";
        break;
      case 5:
        extras += R"(,"volume":1e999)";  // beyond a double
        break;
      default: {
        const double v = static_cast<double>(Pick(0, 100'000));
        s.volume = v;
        extras += fmt::format(R"(,"volume":{})", v);
      }
    }
    switch (Pick(0, 5)) {  // a bar file's tick: whole, inconsistent, or partial
      case 0: {
        const double open = static_cast<double>(Pick(1000, 99'999)) / 100;
        const double high = std::max(open, s.price) + static_cast<double>(Pick(0, 500)) / 100;
        const double low = std::min(open, s.price) - static_cast<double>(Pick(0, 900)) / 100;
        extras += ",\"open\":";
        AppendShortestDouble(open, extras);
        extras += ",\"high\":";
        AppendShortestDouble(high, extras);
        extras += ",\"low\":";
        AppendShortestDouble(low, extras);
        s.bar = std::array<double, 3>{open, high, low};
        break;
      }
      case 1:  // a high below the close: not a bar, only a tick
        extras += fmt::format(R"(,"open":{},"high":{},"low":{})", s.price, s.price - 1, 1);
        break;
      case 2:  // no low
        extras += fmt::format(R"(,"open":{},"high":{})", s.price, s.price + 1);
        break;
      default:
        break;
    }
    std::string when = FormatCanonical(time);
    if (offset_form) when.replace(when.size() - 1, 1, "+00:00");
    s.json = fmt::format(R"({{"symbol":"{}","timestamp":"{}","price":)", symbol, when);
    AppendShortestDouble(s.price, s.json);
    s.json += extras + "}";
    return s;
  }

  static constexpr std::array<const char*, 3> kSymbols = {"AAPL", "MSFT", "BRK.B"};
  std::mt19937 rng_;
};

// The bars of `sent` at `length`: each (symbol, time) once, the last sent (= the last arrived:
// one symbol is one shard); open and close by event time.
std::vector<Bar> ExpectedBars(const std::vector<Sent>& sent, Micros length) {
  std::map<std::pair<std::string, Micros>, const Sent*> points;
  for (const Sent& s : sent) points[{s.symbol, s.time}] = &s;
  std::map<std::pair<std::string, Micros>, Bar> bars;
  for (const auto& [key, s] : points) {  // in (symbol, time) order
    const Micros start = s->time / length * length;
    const double open = s->bar ? (*s->bar)[0] : s->price;
    const double high = s->bar ? (*s->bar)[1] : s->price;
    const double low = s->bar ? (*s->bar)[2] : s->price;
    auto [it, fresh] = bars.try_emplace({s->symbol, start});
    Bar& b = it->second;
    if (fresh) b = Bar{s->symbol, start, open, high, low, s->price, {}, 0};
    b.high = std::max(b.high, high);
    b.low = std::min(b.low, low);
    b.close = s->price;
    if (s->volume) b.volume = b.volume.value_or(0) + *s->volume;
    ++b.ticks;
  }
  std::vector<Bar> out;
  for (auto& [key, b] : bars) out.push_back(b);
  return out;
}

// Collects the query's bars, checking each column's name and type on the way.
struct BarSink final : RowSink {
  std::vector<std::string> names;
  std::vector<Bar> bars;
  std::string problem;
  Status Columns(std::span<const std::string> n) override {
    names.assign(n.begin(), n.end());
    return Status::Ok();
  }
  Status Row(std::span<const Cell> c) override {
    const auto number = [](const Cell& cell) {
      return cell.type == Cell::Type::kInteger ? static_cast<double>(cell.integer) : cell.real;
    };
    if (c.size() != 8 || c[0].type != Cell::Type::kText || c[1].type != Cell::Type::kText) {
      return Status::Error("unexpected row shape");
    }
    Bar b;
    b.symbol = std::string(c[0].text);
    const auto start = ParseTimestampText(c[1].text);
    if (!start || FormatCanonical(*start) != c[1].text) {
      return Status::Error(fmt::format("start {} is not a canonical time", c[1].text));
    }
    b.start = *start;
    b.open = number(c[2]);
    b.high = number(c[3]);
    b.low = number(c[4]);
    b.close = number(c[5]);
    if (c[6].type != Cell::Type::kNull) b.volume = number(c[6]);
    if (c[7].type != Cell::Type::kInteger) return Status::Error("ticks is not an integer");
    b.ticks = c[7].integer;
    bars.push_back(std::move(b));
    return Status::Ok();
  }
};

class RawBarsSqlTest : public ::testing::Test {
 protected:
  // Sends `sent` through the local stream in random slices and ingests it in random batch sizes,
  // so one shard's records land in many RAW objects and a re-send often in another object.
  void Ingest(const std::vector<Sent>& sent, std::uint32_t seed) {
    std::mt19937 rng(seed);
    auto stream = SqliteStream::Open((dir_.path() / "stream.db").string(), 2);
    ASSERT_TRUE(stream.ok()) << stream.error();
    FileArchive archive(dir_.path());
    auto store = SqliteCleanStore::Open((dir_.path() / "clean.db").string(), sqlite::Sync::kNormal,
                                        Intervals());
    ASSERT_TRUE(store.ok()) << store.error();
    Ingestor ingestor(archive, **store);
    std::size_t at = 0;
    while (at < sent.size()) {
      const std::size_t n =
          std::min(sent.size() - at, std::uniform_int_distribution<std::size_t>(1, 400)(rng));
      std::vector<StreamRecord> records;
      for (std::size_t i = at; i < at + n; ++i) records.push_back({sent[i].symbol, sent[i].json});
      ASSERT_TRUE((*stream)->Put(records).ok());
      at += n;
      const std::size_t batch = std::uniform_int_distribution<std::size_t>(1, 300)(rng);
      auto counts = ingestor.PollOnce(**stream, "ingest", batch);
      ASSERT_TRUE(counts.ok()) << counts.error();
    }
    for (std::uint64_t received = 1; received > 0;) {
      auto counts = ingestor.PollOnce(**stream, "ingest", 250);
      ASSERT_TRUE(counts.ok()) << counts.error();
      received = counts->received;
      EXPECT_EQ(counts->accepted, counts->received);  // every record the test sends is valid
    }
  }

  // The intervals the test reads, as the store keeps them.
  static std::vector<Interval> Intervals() {
    const std::vector<std::string> names = {"1m", "5m", "1h", "1d"};
    return *ParseIntervals(names);
  }

  std::vector<Bar> Run(const std::string& sql) {
    auto engine = SqliteQueryEngine::Open({dir_.str()});
    EXPECT_TRUE(engine.ok()) << engine.error();
    if (!engine.ok()) return {};
    BarSink sink;
    const QueryOutcome r = (*engine)->Run(sql, sink);
    EXPECT_TRUE(r.ok()) << r.status.message();
    EXPECT_EQ(sink.names, (std::vector<std::string>{"symbol", "start", "open", "high", "low",
                                                    "close", "volume", "ticks"}));
    return sink.bars;
  }

  testing::TempDir dir_;
};

TEST_F(RawBarsSqlTest, ReadmeQueryGivesTheBarsOfRandomTicks) {
  ASSERT_FALSE(testing::RawBarsSql(60).empty())
      << "README.md has no ```sql block with VALUES (60) between <!-- raw-bars-sql --> marks";
  const std::uint32_t seed = std::random_device{}();
  SCOPED_TRACE(fmt::format("seed {}", seed));
  const Micros first_day = *ParseTimestampText("2026-03-06T00:00:00Z");
  const std::vector<Sent> sent = RandomTicks(seed).Make(6000, first_day, 3);
  Ingest(sent, seed);

  // What the pipeline's own computation makes of the same records, parsed as ingest parses them.
  RecordParser parser;
  std::vector<Tick> ticks;
  for (const Sent& s : sent) {
    auto parsed = parser.Parse(s.json, NowMicros());
    ASSERT_TRUE(std::holds_alternative<Tick>(parsed)) << s.json;
    ticks.push_back(std::get<Tick>(std::move(parsed)));
  }

  for (const Interval& interval : Intervals()) {
    SCOPED_TRACE(fmt::format("interval {}", interval.name));
    const int seconds = static_cast<int>(interval.length / kSecond);
    const std::vector<Bar> expected = ExpectedBars(sent, interval.length);
    const std::vector<Bar> got = Run(testing::RawBarsSql(seconds));
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], expected[i]) << "bar " << i;
    }

    std::vector<Bar> pipeline;
    for (const Candle& c : CandlesFrom(ticks, std::span(&interval, 1))) {
      pipeline.push_back({c.symbol, c.start, c.open, c.high, c.low, c.close, c.volume,
                          static_cast<std::int64_t>(c.ticks)});
    }
    EXPECT_EQ(pipeline, expected) << "CandlesFrom disagrees with the test's own computation";

    // And the bars ingest kept in CLEAN, through the same engine.
    const std::vector<Bar> clean = Run(fmt::format(
        "SELECT symbol, start, open, high, low, close, volume, ticks FROM clean.candles "
        "WHERE interval = '{}' ORDER BY symbol, start",
        interval.name));
    EXPECT_EQ(clean, got) << "clean.candles disagrees with the README's query over RAW";
  }
}

}  // namespace
}  // namespace stockpipe
