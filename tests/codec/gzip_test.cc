// gzip in and out: RFC 1952 framing, concatenated members read like zcat, corrupt input an error.
#include "codec/gzip.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace stockpipe {
namespace {

using ::testing::HasSubstr;

std::string Noise(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(GzipTest, RoundTripsEmptySmallTextAndLargeBinary) {
  std::string lines;
  for (int i = 0; i < 20000; ++i) {
    lines += R"({"symbol":"AAPL","timestamp":"2025-08-14T14:38:12.000000Z","price":225.11})";
    lines += '\n';
  }
  for (const std::string& data :
       {std::string(), std::string("x"), std::string("a\0b", 3), lines, Noise(300000, 7)}) {
    for (int level : {1, 6, 9}) {
      auto gz = GzipCompress(data, level);
      ASSERT_TRUE(gz.ok()) << gz.error();
      // gzip magic and deflate method: what zcat and Athena expect.
      ASSERT_GE(gz->size(), 18u);
      EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);
      EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
      EXPECT_EQ((*gz)[2], 8);
      auto back = GzipDecompress(*gz);
      ASSERT_TRUE(back.ok()) << back.error();
      EXPECT_EQ(*back, data);
    }
  }
  EXPECT_LT(GzipCompress(lines)->size(), lines.size() / 10);
}

TEST(GzipTest, ConcatenatedMembersDecompressToTheConcatenation) {
  const std::string a = "first member\n", b = Noise(100000, 3), c = "third\n";
  std::string joined = *GzipCompress(a) + *GzipCompress(b, 9) + *GzipCompress(c);
  auto back = GzipDecompress(joined);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, a + b + c);
  // An empty member in the middle changes nothing.
  joined = *GzipCompress(a) + *GzipCompress("") + *GzipCompress(c);
  EXPECT_EQ(*GzipDecompress(joined), a + c);
}

TEST(GzipTest, CorruptOrTruncatedInputIsAnErrorNotAShortResult) {
  const std::string data = Noise(50000, 11) + std::string(50000, 'z');
  const std::string gz = *GzipCompress(data);

  auto garbage = GzipDecompress("this is not gzip at all");
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.error(), HasSubstr("gzip"));

  EXPECT_FALSE(GzipDecompress("").ok());
  EXPECT_FALSE(GzipDecompress(gz.substr(0, gz.size() / 2)).ok()) << "truncated in the middle";
  EXPECT_FALSE(GzipDecompress(gz.substr(0, gz.size() - 4)).ok()) << "trailer cut";

  std::string flipped = gz;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
  EXPECT_FALSE(GzipDecompress(flipped).ok()) << "corrupt body must fail the CRC or the inflate";

  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 6] = static_cast<char>(bad_crc[bad_crc.size() - 6] ^ 1);
  EXPECT_FALSE(GzipDecompress(bad_crc).ok()) << "CRC mismatch";

  // A whole member followed by a torn one: the torn tail is an error, not silently dropped.
  EXPECT_FALSE(GzipDecompress(gz + gz.substr(0, 20)).ok());
}

// The reproducer of issue 19: a valid member whose ISIZE trailer says 0xFFFFFFF0 (and so fails
// the length check). The trailer must not size the buffer.
std::string ForgedTrailer(std::string_view text) {
  std::string gz = *GzipCompress(text);
  const std::uint32_t forged = 0xFFFFFFF0u;
  std::memcpy(gz.data() + gz.size() - 4, &forged, 4);
  return gz;
}

// `members` copies of one member of `block` zero bytes at level 9: ~1030:1, far past any limit.
std::string Bomb(std::size_t block, int members) {
  const std::string one = *GzipCompress(std::string(block, '\0'), 9);
  std::string gz;
  for (int i = 0; i < members; ++i) gz += one;
  return gz;
}

TEST(GzipTest, LimitIsARatioOfTheObjectWithinAFloorAndACeiling) {
  constexpr std::size_t kMiB = 1 << 20;
  EXPECT_EQ(InflateLimit(0), 64 * kMiB);
  EXPECT_EQ(InflateLimit(100 * 1024), 64 * kMiB);
  EXPECT_EQ(InflateLimit(kMiB), 256 * kMiB);
  EXPECT_EQ(InflateLimit(kMiB + 1), 256 * kMiB) << "whole MiB";
  EXPECT_EQ(InflateLimit(100 * kMiB), 1024 * kMiB);
  EXPECT_EQ(InflateLimit(~std::size_t{0}), 1024 * kMiB) << "no overflow";
}

// libdeflate packs a run of one byte ~860:1 even at level 1, past what the readers accept from an
// object of that size: such data must still come back (a quarantine object of padded records).
TEST(GzipTest, EveryCompressedObjectInflatesWithinItsOwnLimit) {
  constexpr std::size_t kMiB = 1 << 20;
  for (const char fill : {'\0', 'a'}) {
    const std::string run(80 * kMiB, fill);  // past the 64 MiB floor
    for (int level : {1, 9}) {
      auto gz = GzipCompress(run, level);
      ASSERT_TRUE(gz.ok()) << gz.error();
      EXPECT_LE(run.size(), InflateLimit(gz->size())) << "level " << level;
      std::string out;
      auto length = InflateGzip(*gz, out, 64);
      ASSERT_TRUE(length.ok()) << length.error();
      ASSERT_EQ(*length, run.size());
      EXPECT_EQ(std::string_view(out.data(), *length), run);
    }
  }
}

TEST(GzipTest, ForgedSizeTrailerSizesNoBufferAndIsAnError) {
  const std::string gz = ForgedTrailer("{}\n");
  std::string out;
  auto length = InflateGzip(gz, out, 64);
  ASSERT_FALSE(length.ok());
  EXPECT_THAT(length.error(), HasSubstr("corrupt gzip data in member 1 (incorrect length check)"));
  EXPECT_LT(out.size(), 4096u) << "the buffer was sized from the trailer";
  auto back = GzipDecompress(gz);
  ASSERT_FALSE(back.ok());
  EXPECT_THAT(back.error(), HasSubstr("incorrect length check"));
  // A trailer that claims 32 times the object or less is a hint; a wrong one still fails the check.
  std::string plausible = *GzipCompress(std::string(1000, 'a'));
  const std::uint32_t claim = static_cast<std::uint32_t>(plausible.size() * 20);
  std::memcpy(plausible.data() + plausible.size() - 4, &claim, 4);
  EXPECT_THAT(InflateGzip(plausible, out, 64).error(), HasSubstr("incorrect length check"));
}

TEST(GzipTest, TruncatedObjectSaysTruncatedGzip) {
  const std::string gz = *GzipCompress(Noise(20000, 5));
  std::string out;
  for (const std::size_t cut : {std::size_t{5}, gz.size() / 2, gz.size() - 1}) {
    auto length = InflateGzip(gz.substr(0, cut), out, 0);
    ASSERT_FALSE(length.ok()) << cut;
    EXPECT_THAT(length.error(), HasSubstr("truncated gzip (the object ends inside member 1)"));
    EXPECT_THAT(GzipDecompress(gz.substr(0, cut)).error(), HasSubstr("truncated gzip")) << cut;
  }
  EXPECT_THAT(InflateGzip(gz + gz.substr(0, 30), out, 0).error(),
              HasSubstr("truncated gzip (the object ends inside member 2)"));
  EXPECT_THAT(InflateGzip("", out, 0).error(), HasSubstr("truncated gzip (the object is empty)"));
  EXPECT_THAT(InflateGzip("plain text, no gzip", out, 0).error(), HasSubstr("not gzip"));
}

TEST(GzipTest, BombStopsAtTheLimitInBothReaders) {
  const std::string gz = Bomb(1 << 20, 80);  // ~80 KiB inflating to 80 MiB: limit 64 MiB
  ASSERT_LT(gz.size(), 100u * 1024);
  const std::string expected =
      "inflates beyond 64 MiB (the limit for an object of " + std::to_string(gz.size()) + " bytes)";
  std::string out;
  auto length = InflateGzip(gz, out, 64);
  ASSERT_FALSE(length.ok());
  EXPECT_THAT(length.error(), HasSubstr(expected));
  EXPECT_LE(out.size(), (64u << 20) + 64) << "grew past the limit";
  std::size_t streamed = 0, largest = 0;
  const Status s = GzipInflateChunks(gz, InflateLimit(gz.size()), [&](std::string_view c) {
    streamed += c.size();
    largest = std::max(largest, c.size());
  });
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(expected));
  EXPECT_LE(streamed, 64u << 20);
  EXPECT_LE(largest, 64u * 1024) << "one bounded buffer";
  // The same object under a higher limit is fine: the limit, not the data, refused it.
  auto whole = InflateGzip(gz, out, 0, 100u << 20);
  ASSERT_TRUE(whole.ok()) << whole.error();
  EXPECT_EQ(*whole, 80u << 20);
}

TEST(GzipTest, ObjectsAtTheLimitInflateAndTheBufferIsReused) {
  const std::string text = "0123456789abcdef";
  const std::string gz = *GzipCompress(text);
  std::string out;
  auto exact = InflateGzip(gz, out, 8, text.size());
  ASSERT_TRUE(exact.ok()) << exact.error();
  EXPECT_EQ(out.substr(0, *exact), text);
  EXPECT_EQ(out.substr(*exact, 8), std::string(8, '\0')) << "zero padding";
  EXPECT_THAT(InflateGzip(gz, out, 8, text.size() - 1).error(),
              HasSubstr("inflates beyond 15 bytes"));
  EXPECT_THAT(GzipDecompress(gz, text.size() - 1).error(), HasSubstr("inflates beyond 15 bytes"));
  ASSERT_TRUE(GzipDecompress(gz, text.size()).ok());
}

}  // namespace
}  // namespace stockpipe
