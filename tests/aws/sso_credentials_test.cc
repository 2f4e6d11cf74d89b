// IAM Identity Center profiles: the token `aws sso login` cached, traded at the portal. No SSO
// portal runs here: an in-test server on 127.0.0.1 speaks its documented GetRoleCredentials
// (GET /federation/credentials, bearer token header, roleCredentials JSON).
#include "aws/sso_credentials.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "aws/shared_config.h"
#include "support/env_from.h"
#include "support/loopback_http.h"
#include "support/temp_dir.h"

namespace stockpipe::aws {
namespace {

using testing::EnvFrom;

using testing::LoopbackHttp;
using testing::TempDir;
using testing::WriteFile;

constexpr const char* kStartUrl = "https://corp.awsapps.com/start";

class Sso : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Get("/federation/credentials", [this](const httplib::Request& req,
                                                           httplib::Response& res) {
      std::lock_guard lock(mutex_);
      requests_.push_back(req.get_param_value("account_id") + "/" +
                          req.get_param_value("role_name") + " bearer " +
                          req.get_header_value("x-amz-sso_bearer_token"));
      if (req.get_header_value("x-amz-sso_bearer_token") != "sso-access-token") {
        res.status = 401;
        res.set_content(R"({"message":"Session token not found or invalid"})", "application/json");
        return;
      }
      res.set_content(answer_, "application/json");
    });
    server_.Start();
    std::filesystem::create_directories(home_.path() / ".aws/sso/cache");
    WriteFile(home_.path() / ".aws/config",
              "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n"
              "sso_role_name = ReadOnly\nregion = eu-west-1\n"
              "[sso-session corp]\nsso_start_url = " +
                  std::string(kStartUrl) +
                  "\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n"
                  "[profile legacy]\nsso_start_url = " +
                  std::string(kStartUrl) +
                  "\nsso_region = us-east-1\nsso_account_id = 444455556666\n"
                  "sso_role_name = Admin\n");
  }

  void CacheToken(const std::string& key, const std::string& token, const std::string& expires) {
    WriteFile(home_.path() / ".aws/sso/cache" / SsoCacheFileName(key),
              R"({"startUrl": ")" + std::string(kStartUrl) + R"(", "region": "eu-west-1",
                  "accessToken": ")" +
                  token + R"(", "expiresAt": ")" + expires + R"("})");
  }

  Result<Credentials> Fetch(const std::string& profile, TimePoint now) {
    auto env = EnvFrom({{"HOME", home_.str()},
                        {"AWS_PROFILE", profile},
                        {"AWS_ENDPOINT_URL_SSO", server_.url()},
                        {"AWS_EC2_METADATA_DISABLED", "true"}});
    return DefaultCredentialChain(env, [now] { return now; })->Get();
  }

  std::vector<std::string> Requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  TempDir home_;
  std::mutex mutex_;
  std::vector<std::string> requests_;
  std::string answer_ = R"({"roleCredentials": {"accessKeyId": "ASIASSO",
      "secretAccessKey": "sso-secret", "sessionToken": "sso-token",
      "expiration": 1924992000000}})";
  LoopbackHttp server_;
  const TimePoint now_ = *ParseExpiration("2026-12-06T12:00:00Z", "test");
};

TEST(SsoCacheFileName, IsTheSha1HexOfTheKey) {
  EXPECT_EQ(SsoCacheFileName("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d.json");
}

TEST_F(Sso, SessionProfileTradesTheCachedTokenForRoleCredentials) {
  CacheToken("corp", "sso-access-token", "2026-12-06T20:00:00Z");
  auto got = Fetch("dev", now_);
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(got->access_key_id, "ASIASSO");
  EXPECT_EQ(got->session_token, "sso-token");
  ASSERT_TRUE(got->expiration);
  EXPECT_EQ(*got->expiration, TimePoint(std::chrono::milliseconds(1924992000000)));
  EXPECT_EQ(Requests(), std::vector<std::string>{"111122223333/ReadOnly bearer sso-access-token"});
}

TEST_F(Sso, LegacyProfileKeysTheCacheByStartUrl) {
  CacheToken(kStartUrl, "sso-access-token", "2026-12-06T20:00:00UTC");
  auto got = Fetch("legacy", now_);
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(Requests(), std::vector<std::string>{"444455556666/Admin bearer sso-access-token"});
}

TEST_F(Sso, ExpiredMissingOrRefusedTokensSayToLogIn) {
  auto missing = Fetch("dev", now_);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("aws sso login --profile dev"), std::string::npos)
      << missing.error();

  CacheToken("corp", "sso-access-token", "2026-12-06T11:59:59Z");
  auto expired = Fetch("dev", now_);
  ASSERT_FALSE(expired);
  EXPECT_NE(expired.error().find("expired"), std::string::npos) << expired.error();
  EXPECT_NE(expired.error().find("aws sso login --profile dev"), std::string::npos);
  EXPECT_TRUE(Requests().empty());  // an expired token is not even tried

  CacheToken("corp", "revoked-token", "2026-12-06T20:00:00Z");
  auto refused = Fetch("dev", now_);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("HTTP 401"), std::string::npos) << refused.error();
  EXPECT_NE(refused.error().find("aws sso login --profile dev"), std::string::npos);
  EXPECT_EQ(refused.error().find("revoked-token"), std::string::npos);
}

TEST_F(Sso, MalformedPortalAnswersAndCacheFilesAreErrors) {
  CacheToken("corp", "sso-access-token", "2026-12-06T20:00:00Z");
  for (const std::string& bad :
       {std::string("not json"), std::string(R"({"roleCredentials": {"accessKeyId": "A"}})"),
        std::string(R"({"roleCredentials": {"accessKeyId": "A", "secretAccessKey": "S",
                        "expiration": "tomorrow"}})")}) {
    {
      std::lock_guard lock(mutex_);
      answer_ = bad;
    }
    auto got = Fetch("dev", now_);
    ASSERT_FALSE(got) << bad;
    EXPECT_NE(got.error().find("IAM Identity Center"), std::string::npos) << got.error();
  }
  WriteFile(home_.path() / ".aws/sso/cache" / SsoCacheFileName("corp"), "{\"accessToken\": 1}");
  auto broken = Fetch("dev", now_);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().find("accessToken"), std::string::npos) << broken.error();

  WriteFile(home_.path() / ".aws/config", "[profile dev]\nsso_session = nowhere\n");
  auto no_session = Fetch("dev", now_);
  ASSERT_FALSE(no_session);
  EXPECT_NE(no_session.error().find("[sso-session nowhere]"), std::string::npos)
      << no_session.error();
}

}  // namespace
}  // namespace stockpipe::aws
