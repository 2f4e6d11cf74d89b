// Base64 both ways (RFC 4648 test vectors, binary round trips) and strict decoding whose errors say
// what is wrong; SHA-256 hex beside it, the other digest text the AWS and quarantine paths write.
#include "codec/base64.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "codec/sha256.h"

namespace stockpipe {
namespace {

using ::testing::HasSubstr;

TEST(Encoding, Sha256AndBase64RoundTrip) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  for (std::string text : {"", "a", "ab", "abc", "{\"symbol\":\"AAPL\"}\n\xff"}) {
    const auto back = Base64Decode(Base64Encode(text));
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(*back, text);
  }
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_FALSE(Base64Decode("abc").ok());
  EXPECT_FALSE(Base64Decode("a$c=").ok());
}

TEST(Base64, Rfc4648TestVectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    const auto back = Base64Decode(encoded);
    ASSERT_TRUE(back.ok()) << encoded << ": " << back.error();
    EXPECT_EQ(*back, plain);
  }
  std::string out = "prefix:";
  AppendBase64("foo", out);
  EXPECT_EQ(out, "prefix:Zm9v");
}

TEST(Base64, RandomBytesRoundTrip) {
  std::mt19937 rng(7);
  for (int i = 0; i < 500; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    const std::string text = Base64Encode(bytes);
    EXPECT_EQ(text.size() % 4, 0u);
    const auto back = Base64Decode(text);
    ASSERT_TRUE(back.ok()) << back.error();
    ASSERT_EQ(*back, bytes);
  }
}

TEST(Base64, DecodingErrorsSayWhatIsWrong) {
  EXPECT_THAT(Base64Decode("YWJ").error(), HasSubstr("3 characters, not a multiple of 4"));
  EXPECT_THAT(Base64Decode("YW J").error(), HasSubstr("0x20 at offset 2"));
  EXPECT_THAT(Base64Decode("Zm9v\nYmFy").error(), HasSubstr("not a multiple of 4"));
  EXPECT_THAT(Base64Decode("Zm9-Zg==").error(), HasSubstr("0x2D at offset 3"));  // URL-safe
  EXPECT_THAT(Base64Decode("Zg==Zm9v").error(), HasSubstr("'=' before the end, at offset 2"));
  EXPECT_THAT(Base64Decode("Z===").error(), HasSubstr("'=' before the end, at offset 1"));
  for (const char* bad : {"YWJ", "====", "Zm9v====", "%%%%"}) {
    const auto decoded = Base64Decode(bad);
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_THAT(decoded.error(), HasSubstr("not base64")) << bad;
  }
}

}  // namespace
}  // namespace stockpipe
