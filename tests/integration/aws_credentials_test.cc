// The binary resolves AWS credentials through the chain: `stockpipe produce --to kinesis`
// against kinesalite with no key anywhere but a profile's `credential_process` (a script written
// here, which logs each run). Without that profile the same command fails with the chain's
// message naming every provider tried.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "aws/client.h"
#include "store/sqlite/sqlite_state_store.h"
#include "stream/kinesis/kinesis_stream.h"
#include "support/peers.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

TEST(AwsCredentials, TheBinaryTakesItsKeysFromACredentialProcessProfile) {
  testing::TempDir dir;
  testing::Peer kinesalite{"kinesalite"};
  {
    auto state = SqliteStateStore::Open((dir.path() / "setup-state.db").string());
    ASSERT_TRUE(state) << state.error();
    aws::ClientOptions options;
    options.service = aws::kKinesis;
    options.region = "us-east-1";
    options.endpoint = kinesalite.endpoint();
    options.credentials = aws::StaticCredentials({"AKIDSETUP", "setup", "", "test"});
    KinesisStream stream({options, "ticks"}, **state);
    ASSERT_TRUE(stream.CreateIfMissing(1).ok());
  }

  const auto log = dir.path() / "process.log";
  const auto script = dir.path() / "issue-credentials.sh";
  testing::WriteFile(script, "#!/bin/sh\necho \"run $1\" >> '" + log.string() +
                                 "'\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", "
                                 "\"SecretAccessKey\": \"process-secret\", \"SessionToken\": "
                                 "\"process-token\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n");
  ::chmod(script.c_str(), 0755);
  const auto config = dir.path() / "aws-config";
  testing::WriteFile(config, "[profile pipeline]\nregion = us-east-1\ncredential_process = " +
                                 script.string() + " 'from stockpipe'\n");
  const auto input = dir.path() / "ticks.jsonl";
  testing::WriteFile(input, R"({"symbol":"AAPL","timestamp":"2026-12-06T10:00:00Z","price":190.5})"
                            "\n"
                            R"({"symbol":"MSFT","timestamp":"2026-12-06T10:00:00Z","price":410.25})"
                            "\n");

  std::map<std::string, std::string> env = {
      {"HOME", dir.str()},
      {"AWS_CONFIG_FILE", config.string()},
      {"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "no-credentials-file").string()},
      {"AWS_PROFILE", "pipeline"},
      // Whatever the machine running the test has is blanked out: only the profile may answer.
      {"AWS_ACCESS_KEY_ID", ""},
      {"AWS_SECRET_ACCESS_KEY", ""},
      {"AWS_REGION", ""},
      {"AWS_DEFAULT_REGION", ""},
      {"AWS_WEB_IDENTITY_TOKEN_FILE", ""},
      {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", ""},
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", ""},
      {"AWS_EC2_METADATA_DISABLED", "true"},
      {"AWS_ENDPOINT_URL_KINESIS", kinesalite.endpoint()},
      {"STOCKPIPE_STREAM", "kinesis"},
      {"KINESIS_STREAM", "ticks"},
      {"STOCKPIPE_DATA_DIR", (dir.path() / "data").string()}};
  auto produced =
      testing::RunStockpipe({"produce", "file", input.string()}, {.cwd = dir.path(), .env = env});
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  EXPECT_EQ(produced.out, "sent 2\n");
  // One chain per process: the process ran once, with its argument split as the CLI splits it.
  EXPECT_EQ(testing::ReadFile(log), "run from stockpipe\n");
  EXPECT_EQ(produced.err.find("process-secret"), std::string::npos);

  env["AWS_PROFILE"] = "missing";
  env["AWS_REGION"] = "us-east-1";
  auto refused =
      testing::RunStockpipe({"produce", "file", input.string()}, {.cwd = dir.path(), .env = env});
  EXPECT_NE(refused.exit_code, 0);
  for (const char* provider : {"environment", "profile missing", "web identity",
                               "container endpoint", "EC2 instance metadata"}) {
    EXPECT_NE(refused.err.find(provider), std::string::npos) << provider << ": " << refused.err;
  }
  EXPECT_EQ(testing::ReadFile(log), "run from stockpipe\n");
}

}  // namespace
}  // namespace stockpipe
