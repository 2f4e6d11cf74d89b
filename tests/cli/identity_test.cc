// The reproducers of issue 19, item 1, through the real binary: a stream.db that is emptied,
// deleted or swapped for another folder's, and a clean.db that is emptied, are refused at open
// (exit 1, naming the file and what was expected) by every command that would write through
// them, and no byte of RAW or the quarantine changes. `repair --new-stream` then says what was
// lost, and the new generation's objects sit beside the old ones, never over them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/subprocess.h"
#include "support/folder_snapshot.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using testing::RunStockpipe;

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    Produce(2000, "1");
    // 1,000 records stay unread in the stream: what a lost stream.db takes with it.
    ASSERT_EQ(Run({"ingest", "--once"}).exit_code, 0);
    Produce(1000, "2");
    archive_ = Archive();
    ASSERT_FALSE(archive_.empty());
  }
  testing::ProcessResult Run(std::vector<std::string> args, const fs::path& data = {}) {
    args.insert(args.begin(), {"--data-dir", (data.empty() ? data_ : data).string()});
    return RunStockpipe(args, {.cwd = dir_.path()});
  }
  void Produce(int count, const std::string& seed, const fs::path& data = {}) {
    const auto r = Run(
        {"produce", "synthetic", "--count", std::to_string(count), "--rate", "max", "--seed", seed},
        data);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // RAW and the quarantine, file by file (size, mtime, SHA-256).
  std::map<std::string, testing::FileState> Archive() {
    std::map<std::string, testing::FileState> out;
    for (const char* area : {"raw", "rejected"}) {
      if (!fs::exists(data_ / area)) continue;
      for (const auto& [path, state] : testing::Snapshot(data_ / area)) {
        // Objects only: a day's folder changes its mtime when a new object lands in it.
        if (!fs::is_regular_file(data_ / area / path)) continue;
        out[std::string(area) + "/" + path] = state;
      }
    }
    return out;
  }
  // Every object of the archive before is still there with the same bytes.
  void ExpectArchiveKept() {
    const auto now = Archive();
    for (const auto& [path, state] : archive_) {
      auto it = now.find(path);
      ASSERT_NE(it, now.end()) << path << " is gone";
      EXPECT_EQ(it->second, state) << path << " changed";
    }
  }
  // Each command exits 1 and names `file` and why.
  void ExpectRefused(const std::string& file, const std::string& why) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"ingest", "--once"},
          std::vector<std::string>{"produce", "synthetic", "--count", "10", "--rate", "max"}}) {
      const auto r = Run(args);
      EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.err;
      EXPECT_NE(r.err.find(file), std::string::npos) << args[0] << ": " << r.err;
      EXPECT_NE(r.err.find(why), std::string::npos) << args[0] << ": " << r.err;
    }
    ExpectArchiveKept();
  }
  std::size_t RawLines() {
    const auto r = Run({"query", "--format", "csv", "SELECT count(*) AS n FROM stock_raw_db.raw"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::size_t at = r.out.find('\n');
    return at == std::string::npos ? 0 : std::stoul(r.out.substr(at + 1));
  }

  testing::TempDir dir_;
  fs::path data_;
  std::map<std::string, testing::FileState> archive_;
};

TEST_F(IdentityTest, AnEmptiedStreamIsRefusedUntilANewGenerationSaysWhatWasLost) {
  const std::size_t raw_before = RawLines();
  { std::ofstream truncate(data_ / "stream.db", std::ios::trunc); }
  fs::remove(data_ / "stream.db-wal");
  fs::remove(data_ / "stream.db-shm");
  ExpectRefused("stream.db", "empty");

  const auto repaired = Run({"repair", "--new-stream"});
  ASSERT_EQ(repaired.exit_code, 0) << repaired.out << repaired.err;
  // An emptied file cannot say what it held: the report says so rather than inventing a count.
  EXPECT_NE(repaired.out.find("lost from the old one: unknown: the file was empty"),
            std::string::npos)
      << repaired.out;
  EXPECT_NE(repaired.out.find("stream generation 2 starts"), std::string::npos) << repaired.out;

  Produce(500, "3");
  ASSERT_EQ(Run({"ingest", "--once"}).exit_code, 0);
  ExpectArchiveKept();
  bool named_g2 = false;
  for (const auto& [path, state] : Archive()) {
    if (!archive_.contains(path)) named_g2 = named_g2 || path.find("-g2-") != std::string::npos;
  }
  EXPECT_TRUE(named_g2) << "the new generation's objects carry -g2";
  EXPECT_EQ(RawLines(), raw_before + 500);
}

TEST_F(IdentityTest, ADeletedStreamIsRefusedAndRepairCountsTheUnreadRecordsOfTheOneMovedAside) {
  // Deleted: the manifest lists a stream this folder made, so a new empty one is not taken.
  fs::rename(data_ / "stream.db", dir_.path() / "kept-stream.db");
  fs::remove(data_ / "stream.db-wal");
  fs::remove(data_ / "stream.db-shm");
  ExpectRefused("stream.db", "missing");
  EXPECT_FALSE(fs::exists(data_ / "stream.db")) << "a refused open creates nothing";

  // Put back, the file is its own again; retired on purpose, repair says what it still held:
  // the 1,000 records of SetUp and 700 more.
  fs::rename(dir_.path() / "kept-stream.db", data_ / "stream.db");
  Produce(700, "4");
  const auto repaired = Run({"repair", "--new-stream"});
  ASSERT_EQ(repaired.exit_code, 0) << repaired.out << repaired.err;
  EXPECT_NE(repaired.out.find("lost from the old one: 1700 unread records"), std::string::npos)
      << repaired.out;
  EXPECT_NE(repaired.out.find("stream generation 2 starts"), std::string::npos) << repaired.out;
}

TEST_F(IdentityTest, AnotherFoldersStreamIsRefusedAsForeign) {
  const fs::path other = dir_.path() / "other";
  Produce(100, "5", other);
  fs::copy_file(other / "stream.db", data_ / "stream.db", fs::copy_options::overwrite_existing);
  fs::remove(data_ / "stream.db-wal");
  fs::remove(data_ / "stream.db-shm");
  ExpectRefused("stream.db", "another data folder");
}

TEST_F(IdentityTest, AnEmptiedCleanStoreIsRefusedNotSilentlyRecreated) {
  ASSERT_EQ(Run({"ingest", "--once"}).exit_code, 0);
  archive_ = Archive();
  { std::ofstream truncate(data_ / "clean.db", std::ios::trunc); }
  fs::remove(data_ / "clean.db-wal");
  fs::remove(data_ / "clean.db-shm");
  Produce(10, "6");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"ingest", "--once"},
                                               std::vector<std::string>{"trends", "--once"}}) {
    const auto r = Run(args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("clean.db"), std::string::npos) << args[0] << ": " << r.err;
  }
  EXPECT_EQ(fs::file_size(data_ / "clean.db"), 0u);
  ExpectArchiveKept();

  // Started empty on purpose: the old file is kept aside, ingest goes on.
  const auto reset = Run({"repair", "--reset", "clean"});
  ASSERT_EQ(reset.exit_code, 0) << reset.out << reset.err;
  EXPECT_EQ(Run({"ingest", "--once"}).exit_code, 0);
  ExpectArchiveKept();
}

}  // namespace
}  // namespace stockpipe
