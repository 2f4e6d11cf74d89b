// How a profile resolves: static keys, credential_process, and the errors of a profile that
// cannot work (missing, empty, half keys, a bad duration). Roles and SSO have their own tests
// (sts_credentials_test, sso_credentials_test) with their in-test servers.
#include "aws/profile_credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>

#include "support/env_from.h"
#include "support/temp_dir.h"

namespace stockpipe::aws {
namespace {

using testing::EnvFrom;

using testing::TempDir;
using testing::WriteFile;

class Profiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(home_.path() / ".aws");
    const auto script = home_.path() / "creds.sh";
    WriteFile(script,
              "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
              "\"SecretAccessKey\": \"proc-secret\"}'\n");
    ::chmod(script.c_str(), 0755);
    WriteFile(home_.path() / ".aws/credentials",
              "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = HALFSECRET-NO\n"
              "[half]\naws_secret_access_key = HALFSECRET\n");
    WriteFile(home_.path() / ".aws/config",
              "[profile proc]\ncredential_process = " + script.string() +
                  "\n"
                  "[profile both]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = s\n"
                  "credential_process = /bin/false\n"
                  "[profile empty]\nregion = eu-west-1\n"
                  "[profile long]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n"
                  "duration_seconds = forever\n");
  }

  Result<Credentials> Fetch(const std::string& profile) {
    return ProfileProvider(EnvFrom({{"HOME", home_.str()}, {"AWS_PROFILE", profile}}),
                           std::chrono::system_clock::now)
        .Fetch();
  }

  TempDir home_;
};

TEST_F(Profiles, StaticKeysWinOverAProcessAndAProcessAnswersAlone) {
  auto fixed = Fetch("both");
  ASSERT_TRUE(fixed) << fixed.error();
  EXPECT_EQ(fixed->access_key_id, "AKIDSTATIC");
  auto process = Fetch("proc");
  ASSERT_TRUE(process) << process.error();
  EXPECT_EQ(process->access_key_id, "AKIDPROC");
  auto by_default = Fetch("default");
  ASSERT_TRUE(by_default) << by_default.error();
  EXPECT_EQ(by_default->access_key_id, "AKIDDEFAULT");
}

TEST_F(Profiles, ProfilesThatCannotWorkSayWhyWithoutSecrets) {
  const std::map<std::string, std::string> expected = {
      {"nowhere", "no profile nowhere"},
      {"empty", "has no credentials"},
      {"half", "lacks aws_access_key_id"},
      {"long", "duration_seconds"},
  };
  for (const auto& [profile, message] : expected) {
    auto got = Fetch(profile);
    ASSERT_FALSE(got) << profile;
    EXPECT_NE(got.error().find(message), std::string::npos) << got.error();
    EXPECT_EQ(got.error().find("HALFSECRET"), std::string::npos) << got.error();
  }
}

}  // namespace
}  // namespace stockpipe::aws
