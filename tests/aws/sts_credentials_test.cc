// Assumed roles (a profile's role_arn + source_profile, chained) and web identity, against an
// in-test STS: no STS runs here, so a server on 127.0.0.1 speaks its documented Query API
// (form-encoded POST, Action/Version, AssumeRoleResponse XML) and records what it was sent.
#include "aws/sts_credentials.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "aws/client.h"
#include "aws/profile_credentials.h"
#include "support/env_from.h"
#include "support/loopback_http.h"
#include "support/temp_dir.h"

namespace stockpipe::aws {
namespace {

using testing::EnvFrom;

using testing::LoopbackHttp;
using testing::TempDir;
using testing::WriteFile;

struct StsCall {
  std::map<std::string, std::string> params;
  std::string authorization;
  std::string security_token;
};

std::string CredentialsXml(const std::string& action, const std::string& key) {
  return "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action +
         "Result><Credentials><AccessKeyId>" + key + "</AccessKeyId><SecretAccessKey>secret-of-" +
         key + "</SecretAccessKey><SessionToken>token-of-" + key +
         "</SessionToken><Expiration>2031-01-01T00:00:00Z</Expiration></Credentials>"
         "</" +
         action + "Result></" + action + "Response>";
}

class Sts : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      httplib::Params form;
      httplib::detail::parse_query_text(req.body, form);
      StsCall call;
      for (const auto& [k, v] : form) call.params[k] = v;
      call.authorization = req.get_header_value("Authorization");
      call.security_token = req.get_header_value("X-Amz-Security-Token");
      std::lock_guard lock(mutex_);
      calls_.push_back(call);
      if (!override_.empty()) {
        res.status = status_;
        res.set_content(override_, "text/xml");
        return;
      }
      const std::string action = call.params["Action"];
      const std::string role = call.params["RoleArn"];
      // The key names the role it is for, so a chained call shows which key signed it.
      res.set_content(CredentialsXml(action, "ASIA" + role.substr(role.rfind('/') + 1)),
                      "text/xml");
    });
    server_.Start();
    std::filesystem::create_directories(home_.path() / ".aws");
  }

  GetEnv Env(std::map<std::string, std::string> more = {}) {
    more["HOME"] = home_.str();
    more["AWS_REGION"] = "eu-central-1";
    more["AWS_ENDPOINT_URL_STS"] = server_.url();
    more["AWS_EC2_METADATA_DISABLED"] = "true";
    return EnvFrom(std::move(more));
  }

  // Makes the server answer `body` with `status` to every call instead of credentials.
  void SetAnswer(std::string body, int status) {
    std::lock_guard lock(mutex_);
    override_ = std::move(body);
    status_ = status;
  }

  std::vector<StsCall> Calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

  TempDir home_;
  std::mutex mutex_;
  std::vector<StsCall> calls_;
  std::string override_;
  int status_ = 200;
  LoopbackHttp server_;
};

TEST_F(Sts, AssumeRoleSignedWithTheSourceProfileAndItsOptions) {
  WriteFile(home_.path() / ".aws/credentials",
            "[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = source-secret\n");
  WriteFile(home_.path() / ".aws/config",
            "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\n"
            "external_id = ext-42\nrole_session_name = stockpipe-test\nduration_seconds = 1800\n");
  auto got = DefaultCredentialChain(Env({{"AWS_PROFILE", "app"}}))->Get();
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(got->access_key_id, "ASIAapp");
  EXPECT_EQ(got->session_token, "token-of-ASIAapp");
  EXPECT_TRUE(got->expiration);

  const auto calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  const auto& p = calls[0].params;
  EXPECT_EQ(p.at("Action"), "AssumeRole");
  EXPECT_EQ(p.at("Version"), "2011-06-15");
  EXPECT_EQ(p.at("RoleArn"), "arn:aws:iam::123456789012:role/app");
  EXPECT_EQ(p.at("ExternalId"), "ext-42");
  EXPECT_EQ(p.at("RoleSessionName"), "stockpipe-test");
  EXPECT_EQ(p.at("DurationSeconds"), "1800");
  EXPECT_NE(calls[0].authorization.find("Credential=AKIDSOURCE/"), std::string::npos)
      << calls[0].authorization;
  EXPECT_NE(calls[0].authorization.find("/eu-central-1/sts/aws4_request"), std::string::npos)
      << calls[0].authorization;
}

TEST_F(Sts, ChainedProfilesAssumeInTurnAndALoopIsRefused) {
  WriteFile(home_.path() / ".aws/config",
            "[profile base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = s\n"
            "[profile first]\nrole_arn = arn:aws:iam::1:role/first\nsource_profile = base\n"
            "[profile second]\nrole_arn = arn:aws:iam::2:role/second\nsource_profile = first\n"
            "[profile loop-a]\nrole_arn = arn:aws:iam::3:role/a\nsource_profile = loop-b\n"
            "[profile loop-b]\nrole_arn = arn:aws:iam::3:role/b\nsource_profile = loop-a\n");
  auto got = DefaultCredentialChain(Env({{"AWS_PROFILE", "second"}}))->Get();
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(got->access_key_id, "ASIAsecond");
  const auto calls = Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].params.at("RoleArn"), "arn:aws:iam::1:role/first");
  EXPECT_NE(calls[0].authorization.find("Credential=AKIDSOURCE/"), std::string::npos);
  EXPECT_EQ(calls[1].params.at("RoleArn"), "arn:aws:iam::2:role/second");
  EXPECT_NE(calls[1].authorization.find("Credential=ASIAfirst/"), std::string::npos)
      << calls[1].authorization;
  EXPECT_EQ(calls[1].security_token, "token-of-ASIAfirst");
  EXPECT_EQ(calls[1].params.count("ExternalId"), 0u);
  EXPECT_EQ(calls[1].params.count("DurationSeconds"), 0u);

  auto loop = DefaultCredentialChain(Env({{"AWS_PROFILE", "loop-a"}}))->Get();
  ASSERT_FALSE(loop);
  EXPECT_NE(loop.error().find("loop"), std::string::npos) << loop.error();
  EXPECT_EQ(Calls().size(), 2u);
}

TEST_F(Sts, CredentialSourceEnvironmentSignsWithTheEnvironmentKeys) {
  WriteFile(home_.path() / ".aws/config",
            "[profile ci]\nrole_arn = arn:aws:iam::1:role/ci\ncredential_source = Environment\n");
  // The chain's own environment step comes first; the profile alone shows credential_source.
  auto config = LoadSharedConfig(Env());
  ASSERT_TRUE(config);
  auto provider = ResolveProfile(
      *config, "ci",
      {Env({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "env-secret"}}),
       std::chrono::system_clock::now});
  ASSERT_TRUE(provider) << provider.error();
  auto got = (*provider)->Fetch();
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(got->access_key_id, "ASIAci");
  ASSERT_EQ(Calls().size(), 1u);
  EXPECT_NE(Calls()[0].authorization.find("Credential=AKIDENV/"), std::string::npos);
}

TEST_F(Sts, WebIdentityIsUnsignedAndRereadsTheTokenFile) {
  const auto token = home_.path() / "token";
  WriteFile(token, "jwt-one\n");
  WebIdentityProvider provider(
      WebIdentityFromEnvironment(Env({{"AWS_WEB_IDENTITY_TOKEN_FILE", token.string()},
                                      {"AWS_ROLE_ARN", "arn:aws:iam::1:role/pod"},
                                      {"AWS_ROLE_SESSION_NAME", "pod-session"}})));
  auto got = provider.Fetch();
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(got->access_key_id, "ASIApod");
  WriteFile(token, "jwt-two");  // EKS rotates the projected token
  ASSERT_TRUE(provider.Fetch());

  const auto calls = Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].params.at("Action"), "AssumeRoleWithWebIdentity");
  EXPECT_EQ(calls[0].params.at("RoleArn"), "arn:aws:iam::1:role/pod");
  EXPECT_EQ(calls[0].params.at("RoleSessionName"), "pod-session");
  EXPECT_EQ(calls[0].params.at("WebIdentityToken"), "jwt-one");
  EXPECT_EQ(calls[1].params.at("WebIdentityToken"), "jwt-two");
  EXPECT_EQ(calls[0].authorization, "");  // unsigned, as STS expects for this call

  // The same from a profile's web_identity_token_file.
  WriteFile(home_.path() / ".aws/config",
            "[profile eks]\nrole_arn = arn:aws:iam::1:role/eks\nweb_identity_token_file = " +
                token.string() + "\n");
  auto from_profile = DefaultCredentialChain(Env({{"AWS_PROFILE", "eks"}}))->Get();
  ASSERT_TRUE(from_profile) << from_profile.error();
  EXPECT_EQ(from_profile->access_key_id, "ASIAeks");

  std::filesystem::remove(token);
  auto gone = provider.Fetch();
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().find(token.string()), std::string::npos) << gone.error();
}

TEST_F(Sts, MalformedAndRefusedAnswersAreErrorsWithoutSecrets) {
  WriteFile(home_.path() / ".aws/credentials",
            "[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = SOURCE-SECRET\n");
  WriteFile(home_.path() / ".aws/config",
            "[profile app]\nrole_arn = arn:aws:iam::1:role/app\nsource_profile = base\n");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"<AssumeRoleResponse><AssumeRoleResult>", "not XML"},
      {"<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>", "no <Credentials>"},
      {"<AssumeRoleResponse><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>S"
       "</SecretAccessKey><SessionToken>T</SessionToken></Credentials></AssumeRoleResponse>",
       "Expiration"},
      {"<AssumeRoleResponse><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>S"
       "</SecretAccessKey><SessionToken>T</SessionToken><Expiration>later</Expiration>"
       "</Credentials></AssumeRoleResponse>",
       "RFC 3339"},
  };
  for (const auto& [body, expect] : cases) {
    SetAnswer(body, 200);
    auto got = DefaultCredentialChain(Env({{"AWS_PROFILE", "app"}}))->Get();
    ASSERT_FALSE(got) << body;
    EXPECT_NE(got.error().find(expect), std::string::npos) << got.error();
    EXPECT_NE(got.error().find("arn:aws:iam::1:role/app"), std::string::npos) << got.error();
  }
  SetAnswer(
      "<ErrorResponse><Error><Code>AccessDenied</Code><Message>not allowed to assume</Message>"
      "</Error></ErrorResponse>",
      403);
  auto denied = DefaultCredentialChain(Env({{"AWS_PROFILE", "app"}}))->Get();
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().find("AccessDenied"), std::string::npos) << denied.error();
  EXPECT_EQ(denied.error().find("SOURCE-SECRET"), std::string::npos);
}

TEST(StsEndpoint, RegionalGlobalOrOverridden) {
  EXPECT_EQ(StsEndpointFrom(EnvFrom({}), "eu-west-1").endpoint,
            "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(StsEndpointFrom(EnvFrom({}), "").endpoint, "https://sts.amazonaws.com");
  EXPECT_EQ(StsEndpointFrom(EnvFrom({{"AWS_ENDPOINT_URL", "http://127.0.0.1:1/"}}), "").endpoint,
            "http://127.0.0.1:1");
}

}  // namespace
}  // namespace stockpipe::aws
