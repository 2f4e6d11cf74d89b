// JSON writing for the hot paths: RFC 8259 escaping, U+FFFD for bad bytes, and numbers that read
// back exactly.
#include "codec/json_write.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace stockpipe {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(text, out);
  return out;
}

TEST(AppendJsonStringTest, EscapesWhatRfc8259Requires) {
  EXPECT_EQ(JsonString("AAPL"), R"("AAPL")");
  EXPECT_EQ(JsonString("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(JsonString("\n\r\t"), R"("\n\r\t")");
  EXPECT_EQ(JsonString(std::string_view("\0\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(JsonString("za\xC5\xBC\xC3\xB3\xC5\x82\xC4\x87"),
            "\"za\xC5\xBC\xC3\xB3\xC5\x82\xC4\x87\"");
  EXPECT_EQ(JsonString(""), R"("")");
}

TEST(AppendJsonStringTest, InvalidUtf8BecomesReplacementCharacters) {
  const std::string out = JsonString("ok\xFF\xC3(");
  EXPECT_THAT(out, Not(HasSubstr("\xFF")));
  EXPECT_TRUE(simdjson::validate_utf8(out.data(), out.size()));
  simdjson::dom::parser parser;
  std::string_view back;
  ASSERT_EQ(parser.parse(out).get_string().get(back), simdjson::SUCCESS) << out;
  EXPECT_EQ(back, "ok\xEF\xBF\xBD\xEF\xBF\xBD(");
}

TEST(AppendJsonStringTest, ValidTextRoundTripsThroughAJsonParser) {
  // Random strings drawn from the troublesome characters: control bytes, quotes, backslashes,
  // multi-byte UTF-8 (2, 3 and 4 bytes).
  const std::vector<std::string> pieces = {"a",
                                           "Z",
                                           " ",
                                           "\"",
                                           "\\",
                                           "/",
                                           "\n",
                                           "\t",
                                           std::string(1, '\0'),
                                           "\x01",
                                           "\x1f",
                                           "\x7f",
                                           "\xC3\xA9",
                                           "\xE2\x82\xAC",
                                           "\xF0\x9F\x98\x80",
                                           "\\u0041",
                                           "}",
                                           "{",
                                           ","};
  std::mt19937 rng(3);
  simdjson::dom::parser parser;
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    const int n = static_cast<int>(rng() % 20);
    for (int k = 0; k < n; ++k) text += pieces[rng() % pieces.size()];
    const std::string json = JsonString(text);
    std::string_view back;
    ASSERT_EQ(parser.parse(json).get_string().get(back), simdjson::SUCCESS) << json;
    ASSERT_EQ(back, text) << json;
  }
}

TEST(AppendShortestDoubleTest, ShortestTextThatReadsBackExactly) {
  auto text = [](double v) {
    std::string out;
    AppendShortestDouble(v, out);
    return out;
  };
  EXPECT_EQ(text(225.11), "225.11");
  EXPECT_EQ(text(0.1), "0.1");
  EXPECT_EQ(text(1), "1");
  EXPECT_EQ(text(1e9), "1e+09");
  EXPECT_EQ(text(-0.5), "-0.5");
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    double v;
    do {
      const std::uint64_t bits = rng();
      std::memcpy(&v, &bits, sizeof v);
    } while (!std::isfinite(v));
    const std::string s = text(v);
    double back = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), back);
    ASSERT_EQ(ec, std::errc()) << s;
    ASSERT_EQ(end, s.data() + s.size()) << s;
    ASSERT_EQ(std::memcmp(&back, &v, sizeof v), 0) << s;
    // Never longer than the always-exact 17-significant-digit form.
    char full[64];
    const auto p = std::to_chars(full, full + sizeof full, v, std::chars_format::general, 17).ptr;
    ASSERT_LE(s.size(), static_cast<std::size_t>(p - full)) << s;
  }
}

}  // namespace
}  // namespace stockpipe
