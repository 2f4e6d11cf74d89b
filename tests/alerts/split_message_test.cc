// SplitMessage: random texts (multi-byte UTF-8, emoji, no line breaks, words longer than the
// limit, malformed bytes) split into parts within the limit whose concatenation is the text.
// Lengths are counted here by a counter of the test's own, not the one under test.
#include "alerts/split_message.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace stockpipe {
namespace {

// UTF-16 units as the services count them; a malformed byte counts 1 (it becomes U+FFFD).
std::size_t Units(std::string_view text) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    std::size_t n = b < 0x80             ? 1
                    : (b & 0xE0) == 0xC0 ? 2
                    : (b & 0xF0) == 0xE0 ? 3
                    : (b & 0xF8) == 0xF0 ? 4
                                         : 0;
    bool ok = n > 0 && i + n <= text.size();
    for (std::size_t k = 1; ok && k < n; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (!ok) {
      units += 1;
      i += 1;
      continue;
    }
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return units;
}

// Whether `part` starts and ends on a code point boundary of well-formed text.
bool StartsAndEndsWhole(std::string_view part) {
  if (part.empty()) return false;
  if ((static_cast<unsigned char>(part.front()) & 0xC0) == 0x80) return false;
  std::size_t i = part.size();
  std::size_t back = 0;
  while (i > 0 && (static_cast<unsigned char>(part[i - 1]) & 0xC0) == 0x80) {
    --i;
    ++back;
  }
  if (i == 0) return false;
  const auto lead = static_cast<unsigned char>(part[i - 1]);
  const std::size_t n = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : 4;
  return back == n - 1;
}

const std::vector<std::string> kPieces = {"a", "Z", "7",           ".",  "ż",      "ó", "€", "日本",
                                          "📈", "📉", "👩‍💻", "🇵🇱", "\u00e9", "𝄞", "ß"};

std::string RandomText(std::mt19937& rng, std::size_t min_units, bool line_breaks, bool spaces,
                       std::size_t word = 12) {
  std::string out;
  std::uniform_int_distribution<std::size_t> piece(0, kPieces.size() - 1);
  std::uniform_int_distribution<std::size_t> gap(1, word);
  std::size_t next_gap = gap(rng);
  std::size_t units = 0;
  while (units < min_units) {
    const std::string& p = kPieces[piece(rng)];
    out += p;
    units += Units(p);
    if (--next_gap == 0) {
      next_gap = gap(rng);
      if (line_breaks && rng() % 4 == 0) {
        out += "\n";
        ++units;
      } else if (spaces) {
        out += " ";
        ++units;
      }
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += p;
  return out;
}

void ExpectGoodSplit(const std::string& text, std::size_t limit) {
  const auto parts = SplitMessage(text, limit);
  EXPECT_EQ(Join(parts), text) << "nothing lost, nothing added";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_LE(Units(parts[i]), limit) << "part " << i;
    EXPECT_TRUE(StartsAndEndsWhole(parts[i])) << "part " << i << " cuts a UTF-8 sequence";
    // A part is only short when it had to be: the last one, or the text runs out.
    if (i + 1 < parts.size()) {
      EXPECT_GE(2 * Units(parts[i]), limit) << "part " << i;
    }
  }
  EXPECT_EQ(Units(text) <= limit, parts.size() == 1u);
}

TEST(SplitMessage, ShortTextIsOnePartAndEmptyTextNone) {
  EXPECT_EQ(SplitMessage("Alerts: AAPL:BUY\n\nbody 📈", 4096),
            (std::vector<std::string>{"Alerts: AAPL:BUY\n\nbody 📈"}));
  EXPECT_TRUE(SplitMessage("", 4096).empty());
}

TEST(SplitMessage, RandomTextsWithLinesSpacesAndEmoji) {
  for (unsigned seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    const std::size_t limit = seed % 2 ? 4096 : 2000;
    const std::string text = RandomText(rng, limit * (1 + seed % 4) + seed, true, true);
    SCOPED_TRACE(seed);
    ExpectGoodSplit(text, limit);
  }
}

TEST(SplitMessage, RandomTextsWithoutLineBreaksSplitAtSpaces) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed * 7);
    const std::string text = RandomText(rng, 9000 + seed, false, true);
    SCOPED_TRACE(seed);
    ExpectGoodSplit(text, 2000);
    const auto parts = SplitMessage(text, 2000);
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      EXPECT_EQ(parts[i].back(), ' ') << "part " << i << " should end after a space";
    }
  }
}

TEST(SplitMessage, LongWordsAndEmojiOnlyAreSplitAtTheLimitOnCodePoints) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed * 13);
    // No break at all: emoji (2 units each) and letters mixed, so the limit falls inside a
    // surrogate pair's worth as often as not.
    const std::string text = RandomText(rng, 12'000, false, false);
    SCOPED_TRACE(seed);
    ExpectGoodSplit(text, 4096);
    const auto parts = SplitMessage(text, 4096);
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      EXPECT_GE(Units(parts[i]), 4095u) << "a hard cut fills the part";
    }
  }
}

TEST(SplitMessage, PrefersLineBreaksOverSpaces) {
  std::string text;
  for (int line = 0; text.size() < 10'000; ++line) {
    text += "Alert " + std::to_string(line) + ": AAPL SELL at 225.11, SMA20 220.05 📈\n";
  }
  const auto parts = SplitMessage(text, 2000);
  ASSERT_GT(parts.size(), 4u);
  EXPECT_EQ(Join(parts), text);
  for (const std::string& p : parts) EXPECT_EQ(p.back(), '\n');
}

TEST(SplitMessage, AnEarlyLineBreakDoesNotMakeATinyPart) {
  const std::string text = "Alerts: AAPL:BUY\n" + std::string(5000, 'x');
  const auto parts = SplitMessage(text, 2000);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(Units(parts[0]), 2000u);
  EXPECT_EQ(Join(parts), text);
}

TEST(SplitMessage, AnAstralCharacterAtTheLimitGoesToTheNextPart) {
  // 4095 letters then an emoji (2 units): it would make 4097, so it starts part 2.
  const std::string text = std::string(4095, 'a') + "📈" + "tail";
  const auto parts = SplitMessage(text, 4096);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], std::string(4095, 'a'));
  EXPECT_EQ(parts[1], "📈tail");
  EXPECT_EQ(Utf16Length(text), 4095u + 2 + 4);
}

TEST(SplitMessage, MalformedBytesAreKeptAndCountedOnce) {
  std::string text;
  for (int i = 0; i < 3000; ++i) text += i % 3 ? "\xC3\xB3" : "\xFF";  // ó and a stray byte
  text += "\xE2\x82";                                                  // cut short at the end
  const auto parts = SplitMessage(text, 1000);
  EXPECT_EQ(Join(parts), text);
  for (const std::string& p : parts) EXPECT_LE(Units(p), 1000u);
  EXPECT_EQ(Utf16Length(text), Units(text));
}

}  // namespace
}  // namespace stockpipe
