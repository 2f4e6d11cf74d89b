// `stockpipe run` fails as a whole when one of its parts stops for good: on a full disk (a tiny
// tmpfs, as root) the producer or ingest fails, the run stops, names the part and exits 1, never
// "stopped cleanly", whether the disk is full from the start or fills while the run goes on.
// (A read-only remount is refused with EBUSY while the run holds files open for writing, so a
// disk filling under the run is the failure arriving mid-run.)
// Real failures of the real parts: nothing is mocked.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/subprocess.h"
#include "support/folder_snapshot.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;

TEST(RunFailure, AFullDiskStopsTheWholeRunWithExitOne) {
  if (!testing::IsRoot()) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
  testing::TempDir dir;
  testing::TmpfsMount mount(dir.path() / "mnt", "3m");
  ASSERT_TRUE(mount.mounted()) << mount.error();
  // --for bounds the test if the run failed to stop by itself (it would then exit 0: a failure).
  auto child = testing::Start({"--data-dir", (dir.path() / "mnt" / "data").string(), "run",
                               "--producer", "synthetic", "--rate", "max", "--no-http", "--for",
                               "5m"},
                              {.cwd = dir.path()});
  const auto r = child.Wait();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.find("stopped cleanly"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("run: stopped because a part failed"), std::string::npos) << r.err;
  EXPECT_TRUE(r.err.find("producer failed") != std::string::npos ||
              r.err.find("ingest failed") != std::string::npos)
      << r.err;
}

TEST(RunFailure, ADiskFillingUnderTheRunStopsIt) {
  if (!testing::IsRoot()) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
  testing::TempDir dir;
  testing::TmpfsMount mount(dir.path() / "mnt", "256m");
  ASSERT_TRUE(mount.mounted()) << mount.error();
  const fs::path data = dir.path() / "mnt" / "data";
  auto child =
      testing::Start({"--data-dir", data.string(), "run", "--producer", "synthetic",
                      "--INTERVAL_SEC", "0.05", "--no-http", "--for", "5m"},
                     {.cwd = dir.path()});
  // Once ingest has written its first RAW object, the disk fills under the run.
  ASSERT_TRUE(testing::Eventually(
      [&] {
        std::error_code ec;
        return fs::exists(data / "raw", ec) && !fs::is_empty(data / "raw", ec);
      },
      std::chrono::seconds(120)));
  ASSERT_TRUE(mount.Fill());
  const auto r = child.Wait();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.find("stopped cleanly"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("failed"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace stockpipe
