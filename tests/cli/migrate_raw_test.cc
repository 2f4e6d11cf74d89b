// `stockpipe migrate raw` through the real binary: a reference RAW folder (one object per record,
// the reference's key names) into a data folder that `query` and `check` then read; a SIGKILL in
// the middle and a rerun leave the same data folder as one uninterrupted run.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ReadFile;
using testing::RunStockpipe;

constexpr int kHours = 48;
constexpr int kPerHour = 25;
constexpr int kBadEvery = 10;  // every 10th record of the reference is one it never checked

// The reference tree: 48 arrival hours of 25 records, every 10th with a price it never checked.
int WriteReferenceTree(const fs::path& root) {
  int good = 0;
  for (int h = 0; h < kHours; ++h) {
    const int day = 14 + h / 24, hour = h % 24;
    const fs::path folder = root / fmt::format("2025/08/{:02}", day);
    fs::create_directories(folder);
    for (int i = 0; i < kPerHour; ++i) {
      const int n = h * kPerHour + i;
      const bool bad = n % kBadEvery == 0;
      good += bad ? 0 : 1;
      testing::WriteFile(
          folder / fmt::format("{:02}{:02}{:02}_{:06}.json", hour, i, 30, n),
          fmt::format(
              R"({{"symbol": "{}", "timestamp": "2025-08-{:02}T{:02}:{:02}:30Z", "price": {}}})",
              n % 2 ? "AAPL" : "MSFT", day, hour, i, bad ? "-1" : std::to_string(100 + n)));
    }
  }
  return good;
}

std::map<std::string, std::string> Tree(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const char* area : {"raw", "rejected", "migrate"}) {
    if (!fs::exists(root / area)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / area)) {
      if (entry.is_regular_file()) {
        files[fs::relative(entry.path(), root).string()] = ReadFile(entry.path());
      }
    }
  }
  return files;
}

class MigrateRawCliTest : public ::testing::Test {
 protected:
  void SetUp() override { good_ = WriteReferenceTree(dir_.path() / "reference"); }
  testing::ProcessResult Run(const fs::path& data, std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data.string()});
    return RunStockpipe(args, {.cwd = dir_.path()});
  }
  std::vector<std::string> Migrate() {
    return {"migrate", "raw", "--from", (dir_.path() / "reference").string(), "--parallel", "2"};
  }

  testing::TempDir dir_;
  int good_ = 0;
};

TEST_F(MigrateRawCliTest, MigratedRecordsAreQueryableAndTheFolderChecksOut) {
  const fs::path data = dir_.path() / "data";
  auto migrated = Run(data, Migrate());
  ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
  const int total = kHours * kPerHour;
  EXPECT_THAT(
      migrated.out,
      HasSubstr(fmt::format(
          "{} keys listed: {} records migrated, {} quarantined, 0 "
          "already migrated, 0 already archived by stockpipe's replay, 0 not reference RAW names",
          total, good_, total - good_)));

  auto count =
      Run(data, {"query", "--format", "csv",
                 "SELECT count(*) AS n, count(DISTINCT symbol) AS s FROM stock_raw_db.raw"});
  ASSERT_EQ(count.exit_code, 0) << count.err;
  EXPECT_THAT(count.out, HasSubstr(fmt::format("{},2", good_)));
  auto rejected = Run(data, {"query", "--format", "csv",
                             "SELECT reason, count(*) FROM stock_raw_db.rejected GROUP BY reason"});
  ASSERT_EQ(rejected.exit_code, 0) << rejected.err;
  EXPECT_THAT(rejected.out, HasSubstr(fmt::format("price_not_positive,{}", total - good_)));

  auto check = Run(data, {"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_THAT(check.out, HasSubstr("object(s) from the reference pipeline"));

  auto again = Run(data, Migrate());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr(fmt::format(
                             "0 records migrated, 0 quarantined, {} already migrated", total)));
}

TEST_F(MigrateRawCliTest, AKillMidwayThenARerunGivesTheFolderOfOneRun) {
  const fs::path once = dir_.path() / "once";
  ASSERT_EQ(Run(once, Migrate()).exit_code, 0);
  const auto expected = Tree(once);

  const fs::path killed = dir_.path() / "killed";
  std::vector<std::string> args = Migrate();
  args.insert(args.begin(), {"--data-dir", killed.string()});
  testing::Child child = testing::Start(args, {.cwd = dir_.path()});
  // Killed once the first hour is done and while others are still to come.
  ASSERT_TRUE(testing::Eventually(
      [&] { return child.Poll() || child.StdErrSoFar().find(" done: ") != std::string::npos; }));
  child.Signal(SIGKILL);
  child.Wait();
  const auto partial = Tree(killed);
  EXPECT_LT(partial.size(), expected.size()) << "the run ended before the kill; nothing tested";

  auto rerun = Run(killed, Migrate());
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(Tree(killed), expected);
}

TEST_F(MigrateRawCliTest, ABadSourceIsAUsageErrorNamingIt) {
  auto missing = Run(dir_.path() / "data", {"migrate", "raw", "--from", "/nonexistent/raw"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent/raw"));
  auto no_bucket = Run(dir_.path() / "data", {"migrate", "raw", "--from", "s3:///raw/"});
  EXPECT_EQ(no_bucket.exit_code, 2);
  EXPECT_THAT(no_bucket.err, HasSubstr("no bucket"));
}

}  // namespace
}  // namespace stockpipe
