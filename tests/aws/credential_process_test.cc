// credential_process: the command split like the AWS CLI splits it, run without a shell, its
// JSON read; scripts written into a TempDir play good, garbage, failing and hanging processes.
#include "aws/credential_process.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/temp_dir.h"

namespace stockpipe::aws {
namespace {

using testing::TempDir;
using testing::WriteFile;

std::string Script(const TempDir& dir, const std::string& name, const std::string& body) {
  const auto path = dir.path() / name;
  WriteFile(path, "#!/bin/sh\n" + body);
  ::chmod(path.c_str(), 0755);
  return path.string();
}

TEST(SplitCommandLine, ShellWordsWithoutExpansion) {
  auto words = SplitCommandLine(R"(  tool --profile 'a b' "c \"d\" $HOME" e\ f ;rm  )");
  ASSERT_TRUE(words) << words.error();
  EXPECT_EQ(*words,
            (std::vector<std::string>{"tool", "--profile", "a b", "c \"d\" $HOME", "e f", ";rm"}));
  EXPECT_FALSE(SplitCommandLine("tool 'open"));
  EXPECT_FALSE(SplitCommandLine("tool \"open"));
}

TEST(ProcessProvider, ReadsTheJsonOfAGoodProcessWithItsArguments) {
  TempDir dir;
  // Echoes its second argument as the key id: the words arrive as split, no shell in between.
  const std::string script = Script(dir, "good.sh", R"(printf '{"Version": 1, "AccessKeyId": "%s",
 "SecretAccessKey": "S", "SessionToken": "T", "Expiration": "2031-01-02T03:04:05Z"}' "$2"
)");
  ProcessProvider provider("dev", script + " --key 'AKID WITH;SPACE'");
  auto got = provider.Fetch();
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(got->access_key_id, "AKID WITH;SPACE");
  EXPECT_EQ(got->secret_access_key, "S");
  EXPECT_EQ(got->session_token, "T");
  ASSERT_TRUE(got->expiration);
  EXPECT_EQ(*got->expiration, *ParseExpiration("2031-01-02T03:04:05Z", "x"));

  // Static keys: no expiration, no token.
  const std::string fixed =
      Script(dir, "fixed.sh",
             R"(echo '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S"}')"
             "\n");
  auto still = ProcessProvider("dev", fixed).Fetch();
  ASSERT_TRUE(still) << still.error();
  EXPECT_FALSE(still->expiration);
}

TEST(ProcessProvider, GarbageFailureMissingFieldsAndHangsAreErrorsNamingProfileAndCommand) {
  TempDir dir;
  struct Case {
    std::string body;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"echo 'not json at all SECRETOUT'\n", "JSON"},
      {"echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\","
       " \"Expiration\": \"soon\"}'\n",
       "expiration"},
      {"echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\"}'\n", "Version"},
      {"echo '{\"Version\": 1, \"AccessKeyId\": \"A\"}'\n", "SecretAccessKey"},
      {"echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"SECRETOUT\"}'\n"
       "exit 3\n",
       "status 3"},
      {"sleep 30\n", "killed"},
  };
  int n = 0;
  for (const auto& c : cases) {
    const std::string script = Script(dir, "case" + std::to_string(++n) + ".sh", c.body);
    ProcessProvider provider("ci-profile", script, std::chrono::milliseconds(300));
    auto got = provider.Fetch();
    ASSERT_FALSE(got) << c.body;
    EXPECT_NE(got.error().find(c.expect), std::string::npos) << got.error();
    EXPECT_NE(got.error().find("ci-profile"), std::string::npos) << got.error();
    EXPECT_NE(got.error().find(script), std::string::npos) << got.error();
    EXPECT_EQ(got.error().find("SECRETOUT"), std::string::npos) << got.error();
  }

  auto missing = ProcessProvider("p", (dir.path() / "no-such-tool").string()).Fetch();
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("cannot start"), std::string::npos) << missing.error();
}

}  // namespace
}  // namespace stockpipe::aws
