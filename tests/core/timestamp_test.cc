#include "core/timestamp.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>

namespace stockpipe {
namespace {

namespace chr = std::chrono;

// An independent oracle: std::chrono's civil calendar, not the code under test.
Micros Utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0, Micros us = 0) {
  const chr::sys_days day = chr::year{y} / chr::month{m} / chr::day{d};
  return chr::duration_cast<chr::microseconds>(day.time_since_epoch()).count() +
         ((hh * 3600LL + mm * 60LL + ss) * 1'000'000LL) + us;
}

std::string OracleFormat(Micros t) {
  const chr::sys_time<chr::microseconds> tp{chr::microseconds{t}};
  const chr::sys_days day = chr::floor<chr::days>(tp);
  const chr::year_month_day ymd{day};
  const chr::hh_mm_ss<chr::microseconds> hms{tp - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                     hms.subseconds().count());
}

std::string Canon(std::string_view text) {
  const auto t = ParseTimestampText(text);
  return t ? FormatCanonical(*t) : "<rejected>";
}

std::string CanonEpoch(double value) {
  const auto t = ParseEpoch(value);
  return t ? FormatCanonical(*t) : "<rejected>";
}

constexpr char kRef[] = "2025-08-14T14:38:12.000000Z";

TEST(TimestampTest, OracleAgreesWithKnownEpoch) {
  // Pins the oracle itself: `date -u -d @1755182292` is Thu Aug 14 14:38:12 UTC 2025.
  EXPECT_EQ(Utc(2025, 8, 14, 14, 38, 12), 1'755'182'292'000'000LL);
  EXPECT_EQ(OracleFormat(1'755'182'292'000'000LL), kRef);
}

TEST(TimestampTest, IsoZulu) {
  EXPECT_EQ(Canon("2025-08-14T14:38:12Z"), kRef);
  EXPECT_EQ(Canon("2025-08-14t14:38:12z"), kRef);
  EXPECT_EQ(Canon("2025-08-14T14:38:12.000000Z"), kRef);
}

TEST(TimestampTest, IsoOffsets) {
  EXPECT_EQ(Canon("2025-08-14T16:38:12+02:00"), kRef);
  EXPECT_EQ(Canon("2025-08-14T16:38:12+0200"), kRef);
  EXPECT_EQ(Canon("2025-08-14T16:38:12+02"), kRef);
  EXPECT_EQ(Canon("2025-08-14T09:38:12-05:00"), kRef);
  EXPECT_EQ(Canon("2025-08-14T09:38:12-0500"), kRef);
  EXPECT_EQ(Canon("2025-08-14T09:38:12-05"), kRef);
  EXPECT_EQ(Canon("2025-08-14T20:08:12+05:30"), kRef);
  EXPECT_EQ(Canon("2025-08-14T04:23:12-10:15"), kRef);
  EXPECT_EQ(Canon("2025-08-14T14:38:12+00:00"), kRef);
  EXPECT_EQ(Canon("2025-08-14T14:38:12-00:00"), kRef);
  // Offsets move the date too, across month and year ends.
  EXPECT_EQ(Canon("2025-01-01T01:00:00+02:00"), "2024-12-31T23:00:00.000000Z");
  EXPECT_EQ(Canon("2024-02-28T22:00:00-03:00"), "2024-02-29T01:00:00.000000Z");
  EXPECT_EQ(Canon("2023-02-28T22:00:00-03:00"), "2023-03-01T01:00:00.000000Z");
}

TEST(TimestampTest, NoZoneMeansUtc) {
  EXPECT_EQ(Canon("2025-08-14T14:38:12"), kRef);
  EXPECT_EQ(Canon("2025-08-14 14:38:12"), kRef);
  EXPECT_EQ(Canon("2025-08-14 14:38:12Z"), kRef);
  EXPECT_EQ(Canon("2025-08-14 16:38:12+02:00"), kRef);
}

TEST(TimestampTest, MinutesOnlyAndDateOnly) {
  EXPECT_EQ(Canon("2025-08-14T14:38Z"), "2025-08-14T14:38:00.000000Z");
  EXPECT_EQ(Canon("2025-08-14T14:38"), "2025-08-14T14:38:00.000000Z");
  EXPECT_EQ(Canon("2025-08-14T16:38+02:00"), "2025-08-14T14:38:00.000000Z");
  EXPECT_EQ(Canon("2025-08-14"), "2025-08-14T00:00:00.000000Z");
  EXPECT_EQ(Canon("2025-08-14Z"), "2025-08-14T00:00:00.000000Z");
}

TEST(TimestampTest, FractionsOfOneToNineDigits) {
  const char* digits = "123456789";
  const std::string expected[] = {".100000", ".120000", ".123000", ".123400", ".123450",
                                  ".123456", ".123456", ".123456", ".123456"};
  for (int n = 1; n <= 9; ++n) {
    const std::string frac(digits, n);
    SCOPED_TRACE(frac);
    EXPECT_EQ(Canon("2025-08-14T14:38:12." + frac + "Z"),
              "2025-08-14T14:38:12" + expected[n - 1] + "Z");
    EXPECT_EQ(Canon("2025-08-14T16:38:12." + frac + "+02:00"),
              "2025-08-14T14:38:12" + expected[n - 1] + "Z");
    EXPECT_EQ(Canon("2025-08-14 14:38:12." + frac), "2025-08-14T14:38:12" + expected[n - 1] + "Z");
  }
  // Beyond microseconds digits are truncated, never rounded into the next second.
  EXPECT_EQ(Canon("2025-08-14T14:38:12.9999999Z"), "2025-08-14T14:38:12.999999Z");
  EXPECT_EQ(Canon("2025-08-14T14:38:12.000000999Z"), kRef);
  EXPECT_EQ(Canon("2025-08-14T14:38:12,5Z"), "2025-08-14T14:38:12.500000Z");
  EXPECT_EQ(Canon("2025-08-14T14:38:12." + std::string(200, '0') + "1Z"), kRef);
}

TEST(TimestampTest, SurroundingBlanksAreIgnored) {
  EXPECT_EQ(Canon("  2025-08-14T14:38:12Z\t"), kRef);
  EXPECT_EQ(Canon(" 1755182292 "), kRef);
}

TEST(TimestampTest, EpochNumbersByMagnitude) {
  EXPECT_EQ(CanonEpoch(1755182292), kRef);
  EXPECT_EQ(CanonEpoch(1755182292.25), "2025-08-14T14:38:12.250000Z");
  EXPECT_EQ(CanonEpoch(1755182292123), "2025-08-14T14:38:12.123000Z");
  EXPECT_EQ(CanonEpoch(1755182292123.5), "2025-08-14T14:38:12.123500Z");
  EXPECT_EQ(CanonEpoch(1755182292123456), "2025-08-14T14:38:12.123456Z");
  // Exactly representable as a double (a multiple of 256 ns).
  EXPECT_EQ(CanonEpoch(1755182292123456000.0), "2025-08-14T14:38:12.123456Z");
  // Unit boundaries: 1e11 and up is milliseconds, 1e14 microseconds, 1e17 nanoseconds.
  EXPECT_EQ(CanonEpoch(99'999'999'999), OracleFormat(99'999'999'999 * 1'000'000LL));
  EXPECT_EQ(CanonEpoch(1e11), OracleFormat(100'000'000'000'000LL));
  EXPECT_EQ(CanonEpoch(1e14), OracleFormat(100'000'000'000'000LL));
  EXPECT_EQ(CanonEpoch(1e17), OracleFormat(100'000'000'000'000LL));
  EXPECT_EQ(CanonEpoch(0), "1970-01-01T00:00:00.000000Z");
}

TEST(TimestampTest, EpochAsNumericText) {
  EXPECT_EQ(Canon("1755182292"), kRef);
  EXPECT_EQ(Canon("1755182292.5"), "2025-08-14T14:38:12.500000Z");
  EXPECT_EQ(Canon("1755182292123"), "2025-08-14T14:38:12.123000Z");
  EXPECT_EQ(Canon("1755182292123456"), "2025-08-14T14:38:12.123456Z");
  EXPECT_EQ(Canon("1755182292123456000"), "2025-08-14T14:38:12.123456Z");
  EXPECT_EQ(Canon("1.755182292e9"), kRef);
  EXPECT_EQ(Canon("0"), "1970-01-01T00:00:00.000000Z");
  // Short numeric text is an epoch too, not a year: "2025" is 2025 seconds after 1970.
  EXPECT_EQ(Canon("2025"), "1970-01-01T00:33:45.000000Z");
}

TEST(TimestampTest, EpochRejectsNonsense) {
  EXPECT_FALSE(ParseEpoch(-1));
  EXPECT_FALSE(ParseEpoch(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_FALSE(ParseEpoch(std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(ParseEpoch(1e300));
  EXPECT_FALSE(ParseEpoch(std::numeric_limits<double>::max()));
  EXPECT_FALSE(ParseTimestampText("-1"));
  EXPECT_FALSE(ParseTimestampText("1e400"));
  EXPECT_FALSE(ParseTimestampText("nan"));
  EXPECT_FALSE(ParseTimestampText("inf"));
  EXPECT_FALSE(ParseTimestampText("0x10"));
  EXPECT_FALSE(ParseTimestampText("1755182292s"));
  EXPECT_FALSE(ParseTimestampText("1.2.3"));
  EXPECT_FALSE(ParseTimestampText("--1"));
  EXPECT_FALSE(ParseTimestampText("e"));
}

TEST(TimestampTest, LeapDays) {
  EXPECT_EQ(Canon("2024-02-29T00:00:00Z"), "2024-02-29T00:00:00.000000Z");
  EXPECT_EQ(Canon("2000-02-29"), "2000-02-29T00:00:00.000000Z");  // divisible by 400
  EXPECT_EQ(Canon("2400-02-29"), "2400-02-29T00:00:00.000000Z");
  EXPECT_FALSE(ParseTimestampText("2023-02-29"));
  EXPECT_FALSE(ParseTimestampText("1900-02-29"));  // divisible by 100, not 400
  EXPECT_FALSE(ParseTimestampText("2100-02-29"));
  EXPECT_FALSE(ParseTimestampText("2024-02-30"));
  EXPECT_EQ(*ParseTimestampText("2024-03-01") - *ParseTimestampText("2024-02-28"),
            2 * 86'400'000'000LL);
  EXPECT_EQ(*ParseTimestampText("2023-03-01") - *ParseTimestampText("2023-02-28"),
            86'400'000'000LL);
}

TEST(TimestampTest, EveryDayOfEveryMonthAgreesWithTheOracle) {
  for (int y : {1971, 1999, 2000, 2023, 2024, 2100, 2400}) {
    for (unsigned m = 1; m <= 12; ++m) {
      for (unsigned d = 1; d <= 31; ++d) {
        const std::string text = fmt::format("{:04}-{:02}-{:02}T12:34:56Z", y, m, d);
        const bool valid = chr::year_month_day{chr::year{y}, chr::month{m}, chr::day{d}}.ok();
        const auto t = ParseTimestampText(text);
        ASSERT_EQ(t.has_value(), valid) << text;
        if (valid) {
          ASSERT_EQ(*t, Utc(y, m, d, 12, 34, 56)) << text;
        }
      }
    }
  }
}

TEST(TimestampTest, InvalidFields) {
  for (const char* text : {
           "2025-00-14T14:38:12Z",
           "2025-13-14T14:38:12Z",
           "2025-99-14",
           "2025-08-00T14:38:12Z",
           "2025-08-32T14:38:12Z",
           "2025-04-31",
           "2025-06-31",
           "2025-08-14T24:00:00Z",
           "2025-08-14T25:00:00Z",
           "2025-08-14T14:60:00Z",
           "2025-08-14T14:38:60Z",
           "2025-08-14T14:38:99Z",
           "2025-08-14T14:38:12+24:00",
           "2025-08-14T14:38:12+02:60",
           "2025-08-14T14:38:12+2",
       }) {
    EXPECT_FALSE(ParseTimestampText(text)) << text << " -> " << Canon(text);
  }
}

// The canonical width has a fast path of its own: it must refuse what the general parser refuses.
TEST(TimestampTest, InvalidFieldsAtTheCanonicalWidth) {
  for (const char* text : {
           "2025-13-14T14:38:12.000000Z",
           "2025-00-14T14:38:12.000000Z",
           "2023-02-29T00:00:00.000000Z",
           "2025-04-31T00:00:00.000000Z",
           "2025-08-14T24:00:00.000000Z",
           "2025-08-14T14:60:00.000000Z",
           "2025-08-14T14:38:60.000000Z",
           "2025-08-14T14:38:12.00000aZ",
           "2025-08-14T14:38:12.-00000Z",
           "2O25-08-14T14:38:12.000000Z",
           "2025-08-14X14:38:12.000000Z",
           "2025-08-14T14:38:12.000000X",
       }) {
    ASSERT_EQ(std::string_view(text).size(), kCanonicalTimestampSize) << text;
    EXPECT_FALSE(ParseTimestampText(text)) << text << " -> " << Canon(text);
  }
  // Lower-case t and z, and a space, are other spellings the general parser takes.
  EXPECT_EQ(Canon("2025-08-14t14:38:12.000001z"), "2025-08-14T14:38:12.000001Z");
  EXPECT_EQ(Canon("2025-08-14 14:38:12.000001Z"), "2025-08-14T14:38:12.000001Z");
}

TEST(TimestampTest, Garbage) {
  for (const char* text : {
           "",
           " ",
           "abc",
           "yesterday",
           "now",
           "2025-08",
           "2025-8-14",
           "2025/08/14",
           "14/08/2025",
           "08/14/2025 14:38:12",
           "20250814T143812Z",
           "2025-08-14T",
           "2025-08-14T14",
           "2025-08-14T14:",
           "2025-08-14T14:3",
           "2025-08-14T14:38:1",
           "2025-08-14T14:38:12.",
           "2025-08-14T14:38:12.Z",
           "2025-08-14T14:38:12ZZ",
           "2025-08-14T14:38:12Z ",
           "2025-08-14T14:38:12+",
           "2025-08-14T14:38:12 UTC",
           "2025-08-14T14:38:12 +02:00",
           "2025-08-14T14:38:12GMT",
           "2025-08-14X14:38:12Z",
           "2025-08-14T14:38:12.5.5Z",
           "Thu, 14 Aug 2025 14:38:12 GMT",
           "2025-08-14T14:38:12Zjunk",
           "\xEF\xBB\xBF"
           "2025-08-14",
           "2025-08-14\n",
           "--",
           "+",
           ".",
           "-",
           "1e",
       }) {
    // Trailing blanks are trimmed, so the one case above with a trailing space is valid.
    if (std::string_view(text) == "2025-08-14T14:38:12Z ") {
      EXPECT_EQ(Canon(text), kRef);
      continue;
    }
    EXPECT_FALSE(ParseTimestampText(text)) << '"' << text << "\" -> " << Canon(text);
  }
}

TEST(TimestampTest, FormatCanonicalIsFixedWidth) {
  EXPECT_EQ(FormatCanonical(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatCanonical(1), "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(FormatCanonical(Utc(9999, 12, 31, 23, 59, 59, 999'999)), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatCanonical(-1), "1969-12-31T23:59:59.999999Z");
  char buf[kCanonicalTimestampSize + 1] = {};
  buf[kCanonicalTimestampSize] = '#';
  FormatCanonical(Utc(2025, 8, 14, 14, 38, 12), buf);
  EXPECT_EQ(std::string(buf, kCanonicalTimestampSize), kRef);
  EXPECT_EQ(buf[kCanonicalTimestampSize], '#') << "wrote past 27 bytes";
}

TEST(TimestampTest, FormatDateIsTheUtcDay) {
  EXPECT_EQ(FormatDate(Utc(2025, 8, 14, 23, 59, 59, 999'999)), "2025-08-14");
  EXPECT_EQ(FormatDate(Utc(2025, 8, 15)), "2025-08-15");
  EXPECT_EQ(FormatDate(*ParseTimestampText("2025-08-15T01:00:00+02:00")), "2025-08-14");
}

TEST(TimestampTest, RandomTimesRoundTripAndMatchTheOracle) {
  std::mt19937_64 rng(20250814);
  const Micros lo = Utc(1971, 1, 1);
  const Micros hi = Utc(9998, 12, 31);  // room for a +23:59 local time
  std::uniform_int_distribution<Micros> any(lo, hi);
  std::uniform_int_distribution<Micros> recent(Utc(2020, 1, 1), Utc(2030, 1, 1));
  std::uniform_int_distribution<int> offset_minutes(-23 * 60 - 59, 23 * 60 + 59);
  for (int i = 0; i < 100'000; ++i) {
    const Micros t = i % 2 ? any(rng) : recent(rng);
    const std::string text = FormatCanonical(t);
    ASSERT_EQ(text.size(), kCanonicalTimestampSize);
    ASSERT_EQ(text, OracleFormat(t));
    const auto back = ParseTimestampText(text);
    ASSERT_TRUE(back) << text;
    ASSERT_EQ(*back, t) << text;

    // The same instant written in another zone, with the offset in each spelling.
    const int off = offset_minutes(rng);
    const Micros local = t + off * 60'000'000LL;
    const std::string local_text = OracleFormat(local).substr(0, 26);  // drop the Z
    const char sign = off < 0 ? '-' : '+';
    const int a = std::abs(off);
    for (const std::string& zone : {fmt::format("{}{:02}:{:02}", sign, a / 60, a % 60),
                                    fmt::format("{}{:02}{:02}", sign, a / 60, a % 60)}) {
      const auto parsed = ParseTimestampText(local_text + zone);
      ASSERT_TRUE(parsed) << local_text + zone;
      ASSERT_EQ(*parsed, t) << local_text + zone;
    }
  }
}

TEST(TimestampTest, CanonicalTextOrderIsTimeOrder) {
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<Micros> any(0, Utc(9999, 12, 31));
  for (int i = 0; i < 20'000; ++i) {
    const Micros a = any(rng), b = i % 3 ? any(rng) : a + static_cast<Micros>(rng() % 3) - 1;
    ASSERT_EQ(a < b, FormatCanonical(a) < FormatCanonical(b)) << a << " " << b;
  }
}

TEST(TimestampTest, NowIsRecentAndCanonical) {
  const Micros now = NowMicros();
  EXPECT_GT(now, Utc(2024, 1, 1));
  EXPECT_EQ(*ParseTimestampText(FormatCanonical(now)), now);
}

}  // namespace
}  // namespace stockpipe
