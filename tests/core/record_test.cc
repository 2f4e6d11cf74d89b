#include "core/record.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>

#include "core/record_corpus.h"

namespace stockpipe {
namespace {

using stockpipe::testing::CorpusCase;
using stockpipe::testing::LoadCorpus;
using ::testing::HasSubstr;

// The stable codes, spelled out: they are a contract with quarantine readers and dashboards.
const std::vector<std::string> kStableCodes = {"empty",
                                               "oversized",
                                               "invalid_utf8",
                                               "malformed_json",
                                               "not_an_object",
                                               "missing_symbol",
                                               "invalid_symbol",
                                               "missing_price",
                                               "invalid_price",
                                               "price_not_finite",
                                               "price_not_positive",
                                               "price_out_of_range",
                                               "invalid_timestamp",
                                               "timestamp_out_of_range"};

const Micros kArrival = *ParseTimestampText("2025-08-14T15:00:00Z");

std::string Describe(const std::variant<Tick, Rejection>& r) {
  if (const Tick* t = std::get_if<Tick>(&r)) {
    std::string out = "accepted ";
    AppendTickJson(*t, out);
    return out;
  }
  const Rejection& j = std::get<Rejection>(r);
  return "rejected " + std::string(ReasonCode(j.reason)) + ": " + j.message;
}

// --- the corpus -------------------------------------------------------------------------------

class RecordCorpusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cases_ = new std::vector<CorpusCase>(LoadCorpus()); }
  static void TearDownTestSuite() {
    delete cases_;
    cases_ = nullptr;
  }
  static std::vector<CorpusCase>* cases_;
};
std::vector<CorpusCase>* RecordCorpusTest::cases_ = nullptr;

TEST_F(RecordCorpusTest, CorpusIsLargeAndCoversEveryReasonCode) {
  std::set<std::string> kinds, expectations;
  std::size_t rejected = 0;
  for (const CorpusCase& c : *cases_) {
    EXPECT_TRUE(kinds.insert(c.kind).second) << "duplicate kind " << c.kind;
    expectations.insert(c.expect);
    if (!c.accepted()) ++rejected;
  }
  EXPECT_GE(kinds.size(), 30u);
  EXPECT_GE(rejected, 30u);
  for (const std::string& code : kStableCodes) {
    EXPECT_TRUE(expectations.count(code)) << "no corpus case is rejected as " << code;
  }
  for (const std::string& e : expectations) {
    EXPECT_TRUE(e == "accepted" || std::count(kStableCodes.begin(), kStableCodes.end(), e))
        << "corpus expects unknown outcome " << e;
  }
}

TEST_F(RecordCorpusTest, EveryCaseHasItsExpectedOutcome) {
  RecordParser parser;
  for (const CorpusCase& c : *cases_) {
    SCOPED_TRACE("case " + c.kind);
    const auto result = parser.Parse(c.input, c.arrival);
    if (c.accepted()) {
      const Tick* tick = std::get_if<Tick>(&result);
      ASSERT_NE(tick, nullptr) << Describe(result);
      EXPECT_EQ(tick->symbol, c.symbol);
      EXPECT_EQ(FormatCanonical(tick->timestamp), c.timestamp);
      EXPECT_EQ(tick->price, c.price);
      if (c.line) {
        std::string line;
        AppendTickJson(*tick, line);
        EXPECT_EQ(line, *c.line);
      }
    } else {
      const Rejection* rejection = std::get_if<Rejection>(&result);
      ASSERT_NE(rejection, nullptr) << Describe(result);
      EXPECT_EQ(ReasonCode(rejection->reason), c.expect) << rejection->message;
      EXPECT_FALSE(rejection->message.empty());
      EXPECT_EQ(std::count(kStableCodes.begin(), kStableCodes.end(),
                           std::string(ReasonCode(rejection->reason))),
                1);
    }
  }
}

TEST_F(RecordCorpusTest, AcceptedCasesSurviveTheirOwnCanonicalLine) {
  RecordParser parser;
  for (const CorpusCase& c : *cases_) {
    if (!c.accepted()) continue;
    SCOPED_TRACE("case " + c.kind);
    const auto first = parser.Parse(c.input, c.arrival);
    ASSERT_TRUE(std::holds_alternative<Tick>(first)) << Describe(first);
    const Tick tick = std::get<Tick>(first);
    std::string line;
    AppendTickJson(tick, line);
    // The archived line is valid JSON on its own...
    simdjson::dom::parser json;
    simdjson::dom::element root;
    ASSERT_EQ(json.parse(line).get(root), simdjson::SUCCESS) << line;
    // ...and reads back as the same tick, even with an arrival time far away.
    const auto again = parser.Parse(line, tick.timestamp + 3600'000'000LL);
    ASSERT_TRUE(std::holds_alternative<Tick>(again)) << Describe(again);
    const Tick& back = std::get<Tick>(again);
    EXPECT_EQ(back.symbol, tick.symbol);
    EXPECT_EQ(back.timestamp, tick.timestamp);
    EXPECT_EQ(back.price, tick.price);
    EXPECT_EQ(back.extras, tick.extras);
  }
}

TEST_F(RecordCorpusTest, ParsingDoesNotDependOnEarlierRecords) {
  // One parser reuses its buffers; the outcome of a record must not change with what came before.
  RecordParser shared;
  std::mt19937 rng(7);
  std::vector<const CorpusCase*> order;
  for (const CorpusCase& c : *cases_) order.push_back(&c);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(order.begin(), order.end(), rng);
    for (const CorpusCase* c : order) {
      RecordParser fresh;
      EXPECT_EQ(Describe(shared.Parse(c->input, c->arrival)),
                Describe(fresh.Parse(c->input, c->arrival)))
          << c->kind;
    }
  }
}

// --- reason codes and messages -----------------------------------------------------------------

TEST(ReasonCodeTest, CodesAreStableDistinctSnakeCase) {
  ASSERT_EQ(kRejectReasonCount, static_cast<int>(kStableCodes.size()));
  for (int i = 0; i < kRejectReasonCount; ++i) {
    const std::string_view code = ReasonCode(static_cast<RejectReason>(i));
    EXPECT_EQ(code, kStableCodes[i]) << "reason " << i << " was renamed or renumbered";
    for (char ch : code) {
      EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') << code;
    }
  }
}

Rejection MustReject(std::string_view line, Micros arrival = kArrival, RecordLimits limits = {}) {
  RecordParser parser(limits);
  auto result = parser.Parse(line, arrival);
  EXPECT_TRUE(std::holds_alternative<Rejection>(result)) << line << " -> " << Describe(result);
  if (auto* r = std::get_if<Rejection>(&result)) return *r;
  return {RejectReason::kEmpty, ""};
}

Tick MustAccept(std::string_view line, Micros arrival = kArrival, RecordLimits limits = {}) {
  RecordParser parser(limits);
  auto result = parser.Parse(line, arrival);
  EXPECT_TRUE(std::holds_alternative<Tick>(result)) << line << " -> " << Describe(result);
  if (auto* t = std::get_if<Tick>(&result)) return *t;
  return {};
}

TEST(RecordMessageTest, MessagesNameTheOffendingValue) {
  EXPECT_THAT(MustReject(R"({"symbol":"AAPL","price":-3.5})").message, HasSubstr("-3.5"));
  EXPECT_THAT(MustReject(R"({"symbol":"AAPL","price":"abc"})").message, HasSubstr("abc"));
  EXPECT_THAT(MustReject(R"({"symbol":"AAPL","price":1,"timestamp":"soon"})").message,
              HasSubstr("soon"));
  EXPECT_THAT(MustReject(R"({"symbol":"AA PL","price":1})").message, HasSubstr("AA PL"));
  EXPECT_THAT(MustReject(R"({"symbol":"AAPL","price":2e9})").message, HasSubstr("limit"));
}

TEST(RecordMessageTest, MessagesStayShortForHugeInput) {
  // A message quotes a preview of the input, never the whole 60 KB of it.
  const std::string junk = "{" + std::string(60'000, 'x');
  const Rejection r = MustReject(junk);
  EXPECT_EQ(ReasonCode(r.reason), "malformed_json");
  EXPECT_LT(r.message.size(), 400u);
  const std::string long_symbol = R"({"price":1,"symbol":")" + std::string(10'000, 'Q') + "\"}";
  EXPECT_LT(MustReject(long_symbol).message.size(), 400u);
}

// --- limits and anchoring ----------------------------------------------------------------------

TEST(RecordLimitsTest, RecordSizeLimitIsInclusive) {
  RecordLimits limits;
  limits.max_record_bytes = 200;
  std::string line = R"({"symbol":"AAPL","price":1,"pad":")";
  line += std::string(200 - line.size() - 2, 'p') + "\"}";
  ASSERT_EQ(line.size(), 200u);
  MustAccept(line, kArrival, limits);
  line.insert(line.size() - 2, "p");
  EXPECT_EQ(MustReject(line, kArrival, limits).reason, RejectReason::kOversized);
}

TEST(RecordLimitsTest, BomAndLineEndDoNotCountTowardsTheLimit) {
  RecordLimits limits;
  limits.max_record_bytes = 40;
  const std::string record = R"({"symbol":"AAPL","price":1})";
  std::string padded = "\xEF\xBB\xBF" + record + std::string(40 - record.size(), ' ');
  MustAccept(padded + "\r\n", kArrival, limits);
}

TEST(RecordLimitsTest, SymbolLengthAndPriceLimitsAreConfigurable) {
  RecordLimits limits;
  limits.max_symbol_length = 4;
  limits.max_price = 10;
  EXPECT_EQ(MustAccept(R"({"symbol":"abcd","price":10})", kArrival, limits).symbol, "ABCD");
  EXPECT_EQ(MustReject(R"({"symbol":"abcde","price":1})", kArrival, limits).reason,
            RejectReason::kInvalidSymbol);
  EXPECT_EQ(MustReject(R"({"symbol":"A","price":10.000001})", kArrival, limits).reason,
            RejectReason::kPriceOutOfRange);
}

TEST(RecordLimitsTest, FutureLimitIsCountedFromArrival) {
  const std::string line = R"({"symbol":"AAPL","price":1,"timestamp":"2026-08-14T15:00:00Z"})";
  EXPECT_EQ(MustReject(line, kArrival).reason, RejectReason::kTimestampOutOfRange);
  const Micros year_later = *ParseTimestampText("2026-08-14T12:00:00Z");
  EXPECT_EQ(FormatCanonical(MustAccept(line, year_later).timestamp), "2026-08-14T15:00:00.000000Z");

  RecordLimits strict;
  strict.max_future = 0;
  const std::string at_arrival = R"({"symbol":"A","price":1,"timestamp":"2025-08-14T15:00:00Z"})";
  MustAccept(at_arrival, kArrival, strict);
  const std::string after = R"({"symbol":"A","price":1,"timestamp":"2025-08-14T15:00:00.000001Z"})";
  EXPECT_EQ(MustReject(after, kArrival, strict).reason, RejectReason::kTimestampOutOfRange);
}

TEST(RecordLimitsTest, PastLimitIsConfigurable) {
  const std::string line = R"({"symbol":"A","price":1,"timestamp":"1970-01-02T00:00:00Z"})";
  EXPECT_EQ(MustReject(line).reason, RejectReason::kTimestampOutOfRange);
  RecordLimits lenient;
  lenient.min_timestamp = 0;
  EXPECT_EQ(MustAccept(line, kArrival, lenient).timestamp, 86'400'000'000LL);
}

TEST(RecordParseTest, ReadsOnlyTheGivenBytes) {
  // The line is a view into a larger buffer (as when a batch is split on newlines).
  const std::string buffer =
      R"({"symbol":"AAPL","price":225.11}{"symbol":"MSFT","price":1} trailing junk)";
  const std::string_view first(buffer.data(), buffer.find('}') + 1);
  const Tick tick = MustAccept(first);
  EXPECT_EQ(tick.symbol, "AAPL");
  EXPECT_EQ(tick.price, 225.11);
  EXPECT_EQ(tick.timestamp, kArrival);
}

TEST(RecordParseTest, PriceStringAndNumberGiveTheSameDouble) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> price(1e-6, 1e9);
  for (int i = 0; i < 2000; ++i) {
    const double p = price(rng);
    char text[64];
    const auto end = std::to_chars(text, text + sizeof text, p, std::chars_format::general, 17).ptr;
    const std::string digits(text, end);
    const Tick a = MustAccept(R"({"symbol":"X","price":)" + digits + "}");
    const Tick b = MustAccept(R"({"symbol":"X","price":")" + digits + "\"}");
    ASSERT_EQ(a.price, p) << digits;
    ASSERT_EQ(b.price, p) << digits;
  }
}

TEST(RecordParseTest, NoExtrasMeansNoTrailingText) {
  const Tick t = MustAccept(R"({"symbol":"AAPL","timestamp":"2025-08-14T14:38:12Z","price":1})");
  EXPECT_TRUE(t.extras.empty());
  const Tick e = MustAccept(R"({"symbol":"AAPL","price":1,"volume":5})");
  EXPECT_EQ(e.extras, R"(,"volume":5)");
}

TEST(AppendTickJsonTest, RandomTicksRoundTripThroughTheParser) {
  std::mt19937_64 rng(5);
  const std::string symbol_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-^=_:/";
  const Micros lo = *ParseTimestampText("1971-01-01T00:00:00Z");
  std::uniform_int_distribution<Micros> when(lo, kArrival);
  std::uniform_real_distribution<double> log_price(-6, 9);
  RecordParser parser;
  for (int i = 0; i < 5000; ++i) {
    Tick tick;
    const std::size_t n = 1 + rng() % 32;
    for (std::size_t k = 0; k < n; ++k) tick.symbol += symbol_chars[rng() % symbol_chars.size()];
    tick.timestamp = when(rng);
    tick.price = std::min(1e9, std::pow(10.0, log_price(rng)));
    if (rng() % 2) tick.extras = R"(,"volume":)" + std::to_string(rng() % 100000);
    std::string line;
    AppendTickJson(tick, line);
    const auto result = parser.Parse(line, kArrival);
    ASSERT_TRUE(std::holds_alternative<Tick>(result)) << line << " -> " << Describe(result);
    const Tick& back = std::get<Tick>(result);
    ASSERT_EQ(back.symbol, tick.symbol) << line;
    ASSERT_EQ(back.timestamp, tick.timestamp) << line;
    ASSERT_EQ(back.price, tick.price) << line;
    ASSERT_EQ(back.extras, tick.extras) << line;
  }
}

TEST(AppendTickJsonTest, TimestampIsCanonicalFixedWidth) {
  Tick tick{"AAPL", *ParseTimestampText("2025-08-14T14:38:12.5+02:00"), 225.11, ""};
  std::string line = "prefix:";
  AppendTickJson(tick, line);
  EXPECT_EQ(line,
            R"(prefix:{"symbol":"AAPL","timestamp":"2025-08-14T12:38:12.500000Z","price":225.11})");
}

}  // namespace
}  // namespace stockpipe

namespace stockpipe {
namespace {

// The candle members: read when good, left out (tick kept) and their reason set when bad.
TEST(RecordCandleMembers, VolumeAndBarAreReadOrIgnoredWithAReason) {
  RecordParser parser;
  const Micros arrival = *ParseTimestampText("2025-08-14T15:00:00Z");
  const auto parse = [&](std::string_view members) {
    const std::string line = fmt::format(
        R"({{"symbol":"AAPL","timestamp":"2025-08-14T14:38:12Z","price":100{}}})", members);
    auto result = parser.Parse(line, arrival);
    EXPECT_TRUE(std::holds_alternative<Tick>(result)) << line;
    return std::holds_alternative<Tick>(result) ? std::get<Tick>(result) : Tick{};
  };
  const auto only = [](const Tick& tick, std::optional<IgnoredField> field) {
    for (int i = 0; i < kIgnoredFieldCount; ++i) {
      const auto f = static_cast<IgnoredField>(i);
      if (tick.Ignored(f) != (field == f)) return false;
    }
    return true;
  };

  Tick plain = parse("");
  EXPECT_EQ(plain.volume, std::nullopt);
  EXPECT_EQ(plain.bar, std::nullopt);
  EXPECT_TRUE(only(plain, std::nullopt));

  EXPECT_EQ(parse(R"(,"volume":1500)").volume, 1500.0);
  EXPECT_EQ(parse(R"(,"volume":"1500.5")").volume, 1500.5);
  EXPECT_EQ(parse(R"(,"volume":0)").volume, 0.0);
  EXPECT_TRUE(only(parse(R"(,"volume":null)"), std::nullopt)) << "null is no volume";

  const std::pair<std::string, IgnoredField> bad_volumes[] = {
      {R"(,"volume":"lots")", IgnoredField::kVolumeNotANumber},
      {R"(,"volume":[1])", IgnoredField::kVolumeNotANumber},
      {R"(,"volume":true)", IgnoredField::kVolumeNotANumber},
      {R"(,"volume":"NaN")", IgnoredField::kVolumeNotFinite},
      {R"(,"volume":"inf")", IgnoredField::kVolumeNotFinite},
      {R"(,"volume":1e309)", IgnoredField::kVolumeNotFinite},
      {R"(,"volume":-5)", IgnoredField::kVolumeNegative},
      {R"(,"volume":"-0.5")", IgnoredField::kVolumeNegative}};
  for (const auto& [members, field] : bad_volumes) {
    const Tick tick = parse(members);
    EXPECT_EQ(tick.volume, std::nullopt) << members;
    EXPECT_TRUE(only(tick, field)) << members << " -> " << IgnoredCode(field);
    EXPECT_NE(tick.extras.find("volume"), std::string::npos) << "kept verbatim in RAW";
  }

  const Tick bar = parse(R"(,"open":99,"high":102,"low":98.5,"volume":10)");
  ASSERT_TRUE(bar.bar.has_value());
  EXPECT_EQ(*bar.bar, (TickBar{99, 102, 98.5}));
  EXPECT_EQ(bar.volume, 10.0);

  const std::pair<std::string, IgnoredField> bad_bars[] = {
      {R"(,"open":99,"high":102)", IgnoredField::kBarInvalid},
      {R"(,"open":99,"high":"x","low":98)", IgnoredField::kBarInvalid},
      {R"(,"open":-1,"high":102,"low":98)", IgnoredField::kBarInvalid},
      {R"(,"open":99,"high":102,"low":101)", IgnoredField::kBarInconsistent},   // low > open
      {R"(,"open":99,"high":99.5,"low":98)", IgnoredField::kBarInconsistent},   // high < close
      {R"(,"open":103,"high":102,"low":98)", IgnoredField::kBarInconsistent}};  // high < open
  for (const auto& [members, field] : bad_bars) {
    const Tick tick = parse(members);
    EXPECT_EQ(tick.bar, std::nullopt) << members;
    EXPECT_TRUE(only(tick, field)) << members << " -> " << IgnoredCode(field);
  }
}

TEST(RecordCandleMembers, IgnoredCodesAreStableAndDistinct) {
  const std::vector<std::string> expected = {"volume_not_a_number", "volume_not_finite",
                                             "volume_negative", "bar_invalid", "bar_inconsistent"};
  ASSERT_EQ(expected.size(), static_cast<std::size_t>(kIgnoredFieldCount));
  for (int i = 0; i < kIgnoredFieldCount; ++i) {
    EXPECT_EQ(IgnoredCode(static_cast<IgnoredField>(i)), expected[static_cast<std::size_t>(i)]);
  }
}

}  // namespace
}  // namespace stockpipe
