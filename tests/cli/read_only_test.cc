// Read-only commands never create or change a file: health, check, query (its own
// query-results/ excepted), backtest and serve leave a data folder built by the real binary
// byte- and mtime-identical; on a folder where no store exists yet health reports empty and
// creates nothing; and (as root, on a tmpfs) they work on a read-only mount and a full disk.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "support/folder_snapshot.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using testing::RunStockpipe;

// produce + ingest + trends into `data`, with the real binary.
void BuildDataFolder(const fs::path& cwd, const fs::path& data) {
  const std::string d = data.string();
  auto produced = RunStockpipe({"--data-dir", d, "produce", "synthetic", "--count", "3000",
                                "--rate", "max", "--seed", "7", "--SPIKE_EVERY", "40"},
                               {.cwd = cwd});
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  const fs::path bad = cwd / "bad.jsonl";
  testing::WriteFile(bad, "{\"symbol\":\"AAPL\",\"price\":-3}\nnot json\n");
  auto file = RunStockpipe({"--data-dir", d, "produce", "file", bad.string()}, {.cwd = cwd});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  auto ingested = RunStockpipe({"--data-dir", d, "ingest", "--once"}, {.cwd = cwd});
  ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
  auto trends = RunStockpipe({"--data-dir", d, "trends", "--once"}, {.cwd = cwd});
  ASSERT_EQ(trends.exit_code, 0) << trends.err;
  ASSERT_TRUE(fs::exists(data / "clean.db"));
  ASSERT_TRUE(fs::exists(data / "raw"));
}

// Every read-only command on `data`; each must exit 0.
void RunReaders(const fs::path& cwd, const fs::path& data, bool with_query) {
  const std::string d = data.string();
  std::vector<std::vector<std::string>> commands = {{"health"},
                                                    {"health", "--json"},
                                                    {"check"},
                                                    {"check", "--deep"},
                                                    {"check", "--json"},
                                                    {"backtest"},
                                                    {"backtest", "--source", "raw"}};
  if (with_query) {
    commands.push_back({"query", "SELECT count(*) FROM stock_raw_db.raw"});
    commands.push_back({"query", "SELECT count(*) FROM clean.ticks"});
  }
  for (std::vector<std::string> args : commands) {
    args.insert(args.begin(), {"--data-dir", d});
    const auto r = RunStockpipe(args, {.cwd = cwd});
    EXPECT_EQ(r.exit_code, 0) << args[2] << ": " << r.err << r.out;
  }
}

class ReadOnlyTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(ReadOnlyTest, ReadersLeaveABuiltFolderByteAndMtimeIdentical) {
  const fs::path data = dir_.path() / "data";
  BuildDataFolder(dir_.path(), data);
  const auto before = testing::Snapshot(data);
  ASSERT_GT(before.size(), 5u);
  RunReaders(dir_.path(), data, /*with_query=*/true);

  // The dashboard: every read endpoint once.
  auto child = testing::Start({"--data-dir", data.string(), "serve", "--http", "127.0.0.1:0"},
                              {.cwd = dir_.path()});
  const int port = testing::WaitForDashboardPort(child);
  ASSERT_GT(port, 0) << child.StdErrSoFar();
  httplib::Client client("127.0.0.1", port);
  for (const char* path : {"/api/status", "/api/symbols", "/api/series?symbol=AAPL", "/api/alerts",
                           "/metrics", "/healthz"}) {
    auto res = client.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path << ": " << res->body;
  }
  child.Signal(SIGINT);
  EXPECT_EQ(child.Wait().exit_code, 0);

  auto after = testing::Snapshot(data);
  // query keeps each result as query-results/<id>.csv by contract: that, and nothing else.
  std::vector<std::string> differences;
  for (const std::string& d : testing::Differences(before, after)) {
    if (d == "created query-results" || d.starts_with("created query-results/")) continue;
    differences.push_back(d);
  }
  EXPECT_TRUE(differences.empty()) << ::testing::PrintToString(differences);
}

TEST_F(ReadOnlyTest, HealthOnAFolderWithoutStoresReportsEmptyAndCreatesNothing) {
  const fs::path data = dir_.path() / "data";
  fs::create_directories(data);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"health"}, std::vector<std::string>{"health", "--json"},
        std::vector<std::string>{"check"}}) {
    std::vector<std::string> full = {"--data-dir", data.string()};
    full.insert(full.end(), args.begin(), args.end());
    const auto r = RunStockpipe(full, {.cwd = dir_.path()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::is_empty(data)) << args[0] << " created a file";
  }
  const auto r =
      RunStockpipe({"--data-dir", data.string(), "health", "--json"}, {.cwd = dir_.path()});
  EXPECT_NE(r.out.find(R"("clean":{"rows":0)"), std::string::npos) << r.out;
  // No folder at all: health creates none either.
  const fs::path missing = dir_.path() / "missing";
  const auto m = RunStockpipe({"--data-dir", missing.string(), "health"}, {.cwd = dir_.path()});
  EXPECT_EQ(m.exit_code, 0) << m.err;
  EXPECT_FALSE(fs::exists(missing));
}

// Root is not stopped by chmod: a read-only tmpfs mount is what a read-only folder is here.
TEST_F(ReadOnlyTest, ReadersWorkOnAReadOnlyMount) {
  if (!testing::IsRoot()) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
  testing::TmpfsMount mount(dir_.path() / "mnt", "64m");
  ASSERT_TRUE(mount.mounted()) << mount.error();
  const fs::path data = dir_.path() / "mnt" / "data";
  BuildDataFolder(dir_.path(), data);
  ASSERT_TRUE(mount.MakeReadOnly());
  const auto before = testing::Snapshot(data);
  RunReaders(dir_.path(), data, /*with_query=*/false);
  EXPECT_TRUE(testing::Differences(before, testing::Snapshot(data)).empty());
}

TEST_F(ReadOnlyTest, ReadersWorkOnAFullDisk) {
  if (!testing::IsRoot()) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
  testing::TmpfsMount mount(dir_.path() / "mnt", "64m");
  ASSERT_TRUE(mount.mounted()) << mount.error();
  const fs::path data = dir_.path() / "mnt" / "data";
  BuildDataFolder(dir_.path(), data);
  ASSERT_TRUE(mount.Fill());
  const auto before = testing::Snapshot(data);
  RunReaders(dir_.path(), data, /*with_query=*/false);
  EXPECT_TRUE(testing::Differences(before, testing::Snapshot(data)).empty());
}

}  // namespace
}  // namespace stockpipe
