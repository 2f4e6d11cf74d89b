// The local RAW archive: objects as files, atomic Put, key-ordered prefix listing that skips
// temporary files, and keys that cannot escape the root.
#include "archive/local/file_archive.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "codec/gzip.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class FileArchiveTest : public ::testing::Test {
 protected:
  std::vector<std::string> Keys(FileArchive& a, std::string_view prefix) {
    auto list = a.List(prefix);
    EXPECT_TRUE(list.ok()) << list.error();
    std::vector<std::string> keys;
    if (list.ok()) {
      for (const ObjectInfo& o : *list) keys.push_back(o.key);
    }
    return keys;
  }

  testing::TempDir temp_;
  std::filesystem::path root_ = temp_.path();
};

TEST_F(FileArchiveTest, PutThenGetAndListReturnTheObject) {
  FileArchive a(root_);
  const std::string bytes("binary\0bytes\n\xff", 14);
  ASSERT_TRUE(a.Put("raw/dt=2025-08-14/shard-000001-1-5.jsonl.gz", bytes).ok());
  auto got = a.Get("raw/dt=2025-08-14/shard-000001-1-5.jsonl.gz");
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(*got, bytes);
  EXPECT_TRUE(fs::is_regular_file(root_ / "raw/dt=2025-08-14/shard-000001-1-5.jsonl.gz"));

  auto list = a.List("raw/");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, "raw/dt=2025-08-14/shard-000001-1-5.jsonl.gz");
  EXPECT_EQ((*list)[0].size, bytes.size());
  EXPECT_GT((*list)[0].modified_us, 0);
  EXPECT_EQ(a.root(), root_);
}

TEST_F(FileArchiveTest, EmptyObjectIsAnObject) {
  FileArchive a(root_);
  ASSERT_TRUE(a.Put("raw/empty", "").ok());
  EXPECT_EQ(*a.Get("raw/empty"), "");
  EXPECT_THAT(Keys(a, "raw/"), ElementsAre("raw/empty"));
}

TEST_F(FileArchiveTest, ListFiltersByPrefixAndSortsByKey) {
  FileArchive a(root_);
  for (const char* key : {"raw/dt=2025-08-15/shard-000000-3-4.jsonl.gz",
                          "raw/dt=2025-08-14/shard-000001-1-2.jsonl.gz",
                          "raw/dt=2025-08-14/shard-000000-1-2.jsonl.gz",
                          "rejected/dt=2025-08-14/shard-000000-1-2.jsonl.gz",
                          "raw/dt=2025-09-01/shard-000000-5-6.jsonl.gz", "rawish"}) {
    ASSERT_TRUE(a.Put(key, key).ok()) << key;
  }
  EXPECT_THAT(Keys(a, "raw/dt=2025-08-14/"),
              ElementsAre("raw/dt=2025-08-14/shard-000000-1-2.jsonl.gz",
                          "raw/dt=2025-08-14/shard-000001-1-2.jsonl.gz"));
  // A prefix that ends inside a name, not at a folder boundary.
  EXPECT_THAT(Keys(a, "raw/dt=2025-08"),
              ElementsAre("raw/dt=2025-08-14/shard-000000-1-2.jsonl.gz",
                          "raw/dt=2025-08-14/shard-000001-1-2.jsonl.gz",
                          "raw/dt=2025-08-15/shard-000000-3-4.jsonl.gz"));
  EXPECT_THAT(Keys(a, "raw/dt=2025-08-14/shard-000001"),
              ElementsAre("raw/dt=2025-08-14/shard-000001-1-2.jsonl.gz"));
  EXPECT_THAT(Keys(a, "rejected/"),
              ElementsAre("rejected/dt=2025-08-14/shard-000000-1-2.jsonl.gz"));
  EXPECT_EQ(Keys(a, "raw").size(), 5u);  // raw/... and rawish
  EXPECT_EQ(Keys(a, "").size(), 6u);
  EXPECT_THAT(Keys(a, "raw/dt=2030-01-01/"), IsEmpty());
  EXPECT_THAT(Keys(a, "nothing/here/"), IsEmpty());
}

TEST_F(FileArchiveTest, ListOnAMissingRootIsEmptyNotAnError) {
  FileArchive a(root_ / "never-created");
  auto list = a.List("raw/");
  ASSERT_TRUE(list.ok()) << list.error();
  EXPECT_THAT(*list, IsEmpty());
}

// Objects are write-once (issue 19): another Put of a key with other bytes is refused and the
// object keeps every byte; the same bytes again (a replayed batch) succeed.
TEST_F(FileArchiveTest, PutNeverReplacesAnObjectWithOtherBytes) {
  FileArchive a(root_);
  const std::string original(10000, 'a');
  ASSERT_TRUE(a.Put("raw/k", original).ok());
  Status again = a.Put("raw/k", "short");
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.message(), HasSubstr("raw/k"));
  EXPECT_THAT(again.message(), HasSubstr("refusing to replace"));
  EXPECT_EQ(*a.Get("raw/k"), original);
  EXPECT_THAT(Keys(a, "raw/"), ElementsAre("raw/k"));
  // Neither the refused Put nor a successful one leaves a temporary file behind.
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(root_)) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST_F(FileArchiveTest, PutOfIdenticalBytesIsAnIdempotentReplay) {
  FileArchive a(root_);
  ASSERT_TRUE(a.Put("raw/dt=2025-08-14/k.jsonl.gz", "same bytes").ok());
  const auto before = fs::last_write_time(root_ / "raw/dt=2025-08-14/k.jsonl.gz");
  ASSERT_TRUE(a.Put("raw/dt=2025-08-14/k.jsonl.gz", "same bytes").ok());
  EXPECT_EQ(*a.Get("raw/dt=2025-08-14/k.jsonl.gz"), "same bytes");
  EXPECT_EQ(fs::last_write_time(root_ / "raw/dt=2025-08-14/k.jsonl.gz"), before);
  EXPECT_THAT(Keys(a, "raw/"), ElementsAre("raw/dt=2025-08-14/k.jsonl.gz"));
}

// A batch written before an upgrade and replayed after it: same lines, other gzip bytes.
TEST_F(FileArchiveTest, ReplayOfTheSameLinesCompressedOtherwiseKeepsTheObject) {
  FileArchive a(root_);
  const std::string lines =
      "{\"symbol\":\"AAPL\",\"price\":1}\n{\"symbol\":\"MSFT\",\"price\":2}\n";
  // Two gzip members of the halves: other bytes of the same text, as zcat reads them.
  const std::size_t half = lines.find('\n') + 1;
  const std::string before_upgrade =
                        *GzipCompress(lines.substr(0, half)) + *GzipCompress(lines.substr(half)),
                    after_upgrade = *GzipCompress(lines);
  ASSERT_NE(before_upgrade, after_upgrade);
  ASSERT_TRUE(a.Put("raw/k.jsonl.gz", before_upgrade).ok());
  Status replay = a.Put("raw/k.jsonl.gz", after_upgrade);
  EXPECT_TRUE(replay.ok()) << replay.message();
  EXPECT_EQ(*a.Get("raw/k.jsonl.gz"), before_upgrade);
  Status other = a.Put("raw/k.jsonl.gz", *GzipCompress(lines + lines));
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(other.message(), HasSubstr("refusing to replace"));
  EXPECT_EQ(*a.Get("raw/k.jsonl.gz"), before_upgrade);
}

TEST_F(FileArchiveTest, TemporaryFilesOfACrashedPutAreNotListed) {
  FileArchive a(root_);
  ASSERT_TRUE(a.Put("raw/dt=2025-08-14/done.jsonl.gz", "whole").ok());
  // What a process killed between write and rename leaves behind.
  {
    std::ofstream torn(root_ / "raw/dt=2025-08-14/torn.jsonl.gz.tmp");
    torn << "half an obj";
  }
  {
    std::ofstream torn(root_ / "raw/dt=2025-08-14/done.jsonl.gz.tmp");
    torn << "newer but unfinished";
  }
  EXPECT_THAT(Keys(a, "raw/"), ElementsAre("raw/dt=2025-08-14/done.jsonl.gz"));
  EXPECT_EQ(*a.Get("raw/dt=2025-08-14/done.jsonl.gz"), "whole");
  EXPECT_FALSE(a.Get("raw/dt=2025-08-14/torn.jsonl.gz").ok());
  // The retried Put of the torn key produces the object.
  ASSERT_TRUE(a.Put("raw/dt=2025-08-14/torn.jsonl.gz", "complete").ok());
  EXPECT_THAT(Keys(a, "raw/"),
              ElementsAre("raw/dt=2025-08-14/done.jsonl.gz", "raw/dt=2025-08-14/torn.jsonl.gz"));
  EXPECT_EQ(*a.Get("raw/dt=2025-08-14/torn.jsonl.gz"), "complete");
  // The retry reused the leftover instead of leaving it behind.
  EXPECT_FALSE(fs::exists(root_ / "raw/dt=2025-08-14/torn.jsonl.gz.tmp"));
}

TEST_F(FileArchiveTest, KeysThatAreNotRelativePathsAreRejected) {
  FileArchive a(root_ / "inner");
  for (const char* bad : {"", "/etc/passwd", "../escape", "raw/../../escape", "raw/..", ".."}) {
    Status put = a.Put(bad, "x");
    EXPECT_FALSE(put.ok()) << "Put accepted \"" << bad << "\"";
    EXPECT_FALSE(a.Get(bad).ok()) << "Get accepted \"" << bad << "\"";
  }
  EXPECT_THAT(a.Put("../x", "x").message(), HasSubstr("not a relative path"));
  EXPECT_FALSE(fs::exists(root_ / "escape"));
  EXPECT_FALSE(fs::exists(root_ / "x"));
}

TEST_F(FileArchiveTest, GetOfAMissingObjectIsAnErrorNamingTheKey) {
  FileArchive a(root_);
  auto got = a.Get("raw/none.jsonl.gz");
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.error(), HasSubstr("raw/none.jsonl.gz"));
}

TEST_F(FileArchiveTest, PutFailsCleanlyWhenTheFolderCannotBeCreated) {
  FileArchive a(root_);
  ASSERT_TRUE(a.Put("blocker", "a file where a folder should be").ok());
  Status s = a.Put("blocker/inside", "x");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(*a.Get("blocker"), "a file where a folder should be");
}

}  // namespace
}  // namespace stockpipe
