// gzip in and out: RFC 1952 framing, concatenated members read like zcat, corrupt input an error.
#include "archive/gzip.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace stockpipe
