// UTF-8: RFC 3629's well-formedness (overlong forms, surrogates, values past U+10FFFF and cut
// sequences refused), the decoder, the repair with U+FFFD per bad byte, and cuts that never split
// a character.
#include "codec/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stockpipe {
namespace {

TEST(Utf8, SequenceLengthAcceptsWellFormedAndRefusesTheRest) {
  EXPECT_EQ(Utf8SequenceLength("A", 0), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xC3\xA9", 0), 2u);          // é
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82\xAC", 0), 3u);      // €
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9F\x98\x80", 0), 4u);  // 😀
  EXPECT_EQ(Utf8SequenceLength("\xF4\x8F\xBF\xBF", 0), 4u);  // U+10FFFF
  const std::vector<std::string> bad = {
      "\x80",              // lone continuation byte
      "\xC0\xAF",          // overlong '/'
      "\xE0\x80\xAF",      // overlong '/'
      "\xED\xA0\x80",      // surrogate U+D800
      "\xF4\x90\x80\x80",  // U+110000
      "\xF8\x88\x80\x80",  // 5-byte form
      "\xC3",              // cut short
      "\xE2\x82",          // cut short
      "\xC3(",             // continuation missing
  };
  for (const std::string& b : bad) {
    EXPECT_EQ(Utf8SequenceLength(b, 0), 0u) << testing::PrintToString(b);
    EXPECT_FALSE(IsValidUtf8(b)) << testing::PrintToString(b);
  }
  EXPECT_TRUE(IsValidUtf8(
      "za\xC5\xBC\xC3\xB3\xC5\x82\xC4\x87 g\xC4\x99\xC5\x9Bl\xC4\x85 ja\xC5\xBA\xC5\x84"));
  EXPECT_TRUE(IsValidUtf8(""));
}

TEST(Utf8, NextCodePointDecodesAndStepsOneByteOverMalformedBytes) {
  const std::string text = "a\xC3\xA9\xFF\xE2\x82\xAC\xF0\x9F\x98\x80";
  std::vector<long> points;
  for (std::size_t i = 0; i < text.size();) points.push_back(NextCodePoint(text, i));
  EXPECT_EQ(points, (std::vector<long>{'a', 0xE9, -1, 0x20AC, 0x1F600}));
}

TEST(Utf8, AppendUtf8EncodesEveryLengthAndRoundTripsThroughTheDecoder) {
  for (std::uint32_t code :
       {0x41u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xFFFDu, 0xFFFFu, 0x10000u, 0x1F600u, 0x10FFFFu}) {
    std::string out;
    AppendUtf8(code, out);
    std::size_t i = 0;
    EXPECT_EQ(NextCodePoint(out, i), static_cast<long>(code)) << std::hex << code;
    EXPECT_EQ(i, out.size());
  }
  std::string euro;
  AppendUtf8(0x20AC, euro);
  EXPECT_EQ(euro, "\xE2\x82\xAC");
}

TEST(Utf8, ToValidUtf8ReplacesEachBadByteAndKeepsTheValidTextAfterIt) {
  EXPECT_EQ(ToValidUtf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(ToValidUtf8("ok\xFF\xC3("), "ok\xEF\xBF\xBD\xEF\xBF\xBD(");
  // A cut sequence before valid text: only its bytes are replaced.
  EXPECT_EQ(ToValidUtf8("\xE2\x82\xC3\xA9"), "\xEF\xBF\xBD\xEF\xBF\xBD\xC3\xA9");
  EXPECT_TRUE(IsValidUtf8(ToValidUtf8("\xED\xA0\x80\xC0\xAF\xF8")));
}

TEST(Utf8, PrefixNeverSplitsACharacter) {
  const std::string text =
      "ab\xE2\x82\xAC"
      "cd";  // a b € c d: bytes 0,1 | 2..4 | 5,6
  EXPECT_EQ(Utf8Prefix(text, 100), text);
  EXPECT_EQ(Utf8Prefix(text, 7), text);
  EXPECT_EQ(Utf8Prefix(text, 5), "ab\xE2\x82\xAC");
  EXPECT_EQ(Utf8Prefix(text, 4), "ab");
  EXPECT_EQ(Utf8Prefix(text, 3), "ab");
  EXPECT_EQ(Utf8Prefix(text, 2), "ab");
  EXPECT_EQ(Utf8Prefix(text, 0), "");
}

}  // namespace
}  // namespace stockpipe
