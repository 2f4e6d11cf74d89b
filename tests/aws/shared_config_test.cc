// The shared config and credentials files: sections, merging, and malformed lines.
#include "aws/shared_config.h"

#include <gtest/gtest.h>

#include <map>

#include "support/env_from.h"
#include "support/temp_dir.h"

namespace stockpipe::aws {
namespace {

using testing::EnvFrom;

using testing::TempDir;
using testing::WriteFile;

TEST(SharedConfig, ProfilesFromBothFilesTheCredentialsFileOnTop) {
  TempDir home;
  std::filesystem::create_directories(home.path() / ".aws");
  WriteFile(home.path() / ".aws/config",
            "# comment\n[default]\nregion = eu-west-1\n"
            "[profile trading]\nregion=us-east-2\naws_access_key_id = FROM-CONFIG\n"
            "s3 =\n  max_concurrent_requests = 20\n"
            "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
            "[ignored-without-profile-prefix]\nx = y\n");
  WriteFile(home.path() / ".aws/credentials",
            "; comment\n[trading]\naws_access_key_id = T\naws_secret_access_key = TS\n");
  auto config = LoadSharedConfig(EnvFrom({{"HOME", home.str()}}));
  ASSERT_TRUE(config) << config.error();
  const Settings* trading = config->Profile("trading");
  ASSERT_NE(trading, nullptr);
  EXPECT_EQ(Setting(*trading, "aws_access_key_id"), "T");
  EXPECT_EQ(Setting(*trading, "region"), "us-east-2");
  EXPECT_EQ(Setting(*trading, "s3"), "");  // the nested block is skipped
  ASSERT_NE(config->SsoSession("corp"), nullptr);
  EXPECT_EQ(config->Profile("ignored-without-profile-prefix"), nullptr);

  EXPECT_EQ(RegionFromEnvironment(EnvFrom({{"HOME", home.str()}})), "eu-west-1");
  EXPECT_EQ(RegionFromEnvironment(EnvFrom({{"HOME", home.str()}, {"AWS_PROFILE", "trading"}})),
            "us-east-2");
  EXPECT_EQ(
      RegionFromEnvironment(EnvFrom({{"HOME", home.str()}, {"AWS_DEFAULT_REGION", "ap-south-1"}})),
      "ap-south-1");
  EXPECT_EQ(RegionFromEnvironment(EnvFrom({{"HOME", home.str()},
                                           {"AWS_DEFAULT_REGION", "ap-south-1"},
                                           {"AWS_REGION", "sa-east-1"}})),
            "sa-east-1");
}

TEST(SharedConfig, AMalformedFileIsAnErrorNamingFileAndLine) {
  TempDir home;
  const auto path = home.path() / "config";
  WriteFile(path, "[default]\nregion = eu-west-1\nthis line is wrong\n");
  auto config = LoadSharedConfig(EnvFrom({{"AWS_CONFIG_FILE", path.string()}}));
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().find(path.string() + " line 3"), std::string::npos) << config.error();

  EXPECT_FALSE(ParseIni("[default\n", "f"));
  EXPECT_FALSE(ParseIni("key = before any section\n", "f"));
  // Missing files are no error: most users have none.
  EXPECT_TRUE(LoadSharedConfig(EnvFrom({{"HOME", (home.path() / "nowhere").string()}})));
}

}  // namespace
}  // namespace stockpipe::aws
