// The S3 RawArchive against a real S3 emulator (s3rver): binary round trips, overwrite in place,
// ListObjectsV2 pagination, keys that need encoding, missing keys, bucket creation, both
// addressing styles, and the same behaviour the local archive promises (see
// file_archive_test.cc: prefix filtering inside names, key order, empty objects).
#include "archive/s3/s3_archive.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "codec/gzip.h"
#include "core/timestamp.h"
#include "support/peers.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class S3ArchiveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / fmt::format("stockpipe-s3rver-{}", getpid()));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    // s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (node
    // 20) only offers through its legacy provider: without it every truncated page is a 500.
    ::setenv("NODE_OPTIONS", "--openssl-legacy-provider", 1);
    peer_ = new testing::Peer("s3rver", dir_->string());
  }
  static void TearDownTestSuite() {
    delete peer_;
    fs::remove_all(*dir_);
    delete dir_;
  }

  // A new bucket per test, so tests see only their own objects.
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string bucket = "t-";
    for (char c : name) bucket += static_cast<char>(std::isalnum(c) ? std::tolower(c) : '-');
    archive_ = std::make_unique<S3Archive>(Options(bucket.substr(0, 63)));
    ASSERT_TRUE(archive_->CreateBucketIfMissing().ok());
  }

  static S3ArchiveOptions Options(std::string bucket, std::string region = "us-east-1") {
    S3ArchiveOptions options;
    options.client.service = aws::kS3;
    options.client.region = std::move(region);
    options.client.endpoint = peer_->endpoint();
    // s3rver knows one account: access key S3RVER (its secret is not checked).
    options.client.credentials = aws::StaticCredentials({"S3RVER", "S3RVER", "", "test"});
    options.bucket = std::move(bucket);
    return options;
  }

  std::vector<std::string> Keys(std::string_view prefix) {
    auto list = archive_->List(prefix);
    EXPECT_TRUE(list.ok()) << list.error();
    std::vector<std::string> keys;
    if (list.ok()) {
      for (const ObjectInfo& o : *list) keys.push_back(o.key);
    }
    return keys;
  }

  static fs::path* dir_;
  static testing::Peer* peer_;
  std::unique_ptr<S3Archive> archive_;
};

fs::path* S3ArchiveTest::dir_ = nullptr;
testing::Peer* S3ArchiveTest::peer_ = nullptr;

TEST_F(S3ArchiveTest, GzipBytesRoundTripExactlyWithTheirTypeAndSize) {
  std::string lines;
  for (int i = 0; i < 2000; ++i) {
    lines +=
        fmt::format(R"({{"symbol":"AAPL","timestamp":"2025-08-14T14:38:{:02}.{:06}Z","price":{}}})",
                    i % 60, i, 200 + i * 0.01);
    lines += '\n';
  }
  auto gz = GzipCompress(lines);
  ASSERT_TRUE(gz.ok());
  std::string bytes = *gz;
  for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);  // every byte value, NUL included
  const std::string key = "raw/dt=2025-08-14/shard-000000-1-2000.jsonl.gz";
  ASSERT_TRUE(archive_->Put(key, bytes).ok());

  auto got = archive_->Get(key);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(*got, bytes);
  EXPECT_EQ(*GzipDecompress(got->substr(0, gz->size())), lines);

  auto list = archive_->List("raw/");
  ASSERT_TRUE(list.ok()) << list.error();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, key);
  EXPECT_EQ((*list)[0].size, bytes.size());
  // LastModified is the emulator's clock: within a minute of ours.
  EXPECT_NEAR(static_cast<double>((*list)[0].modified_us), static_cast<double>(NowMicros()), 60e6);

  // What S3 stored about the object: the type the Put declared, and the whole length.
  aws::HttpRequest head;
  head.method = "HEAD";
  head.path = "/" + archive_->bucket() + "/" + key;
  auto meta = archive_->client().Send("HeadObject", head);
  ASSERT_TRUE(meta.ok()) << meta.error();
  EXPECT_EQ(meta->status, 200);
  EXPECT_EQ(meta->Header("content-type"), "application/gzip");
  EXPECT_EQ(meta->Header("content-length"), std::to_string(bytes.size()));
}

// Objects are write-once (issue 19), on s3rver too (which ignores If-None-Match: the GET
// before the PUT is what refuses here): other bytes are refused and the object keeps every
// byte; the same bytes again (a replayed batch) succeed.
TEST_F(S3ArchiveTest, PutNeverReplacesAnObjectWithOtherBytes) {
  const std::string key = "raw/dt=2025-08-14/shard-000001-10-20.jsonl.gz";
  const std::string original(10000, 'a');
  ASSERT_TRUE(archive_->Put(key, original).ok());
  Status again = archive_->Put(key, "short");
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.message(), HasSubstr(key));
  EXPECT_THAT(again.message(), HasSubstr("refusing to replace"));
  EXPECT_EQ(*archive_->Get(key), original);
  auto list = archive_->List("");
  ASSERT_TRUE(list.ok()) << list.error();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, key);
  EXPECT_EQ((*list)[0].size, original.size());
}

TEST_F(S3ArchiveTest, PutOfIdenticalBytesIsAnIdempotentReplay) {
  const std::string key = "raw/dt=2025-08-14/shard-000001-g2-1-5.jsonl.gz";
  const std::string bytes = *GzipCompress("{\"symbol\":\"AAPL\"}\n");
  ASSERT_TRUE(archive_->Put(key, bytes).ok());
  ASSERT_TRUE(archive_->Put(key, bytes).ok());
  EXPECT_EQ(*archive_->Get(key), bytes);
  EXPECT_THAT(Keys("raw/"), ElementsAre(key));
}

// A batch written before an upgrade and replayed after it: same lines, other gzip bytes.
TEST_F(S3ArchiveTest, ReplayOfTheSameLinesCompressedOtherwiseKeepsTheObject) {
  const std::string key = "raw/dt=2025-08-14/shard-000001-1-2.jsonl.gz";
  const std::string lines = "{\"symbol\":\"AAPL\"}\n{\"symbol\":\"MSFT\"}\n";
  // Two gzip members of the halves: other bytes of the same text, as zcat reads them.
  const std::size_t half = lines.find('\n') + 1;
  const std::string before_upgrade =
                        *GzipCompress(lines.substr(0, half)) + *GzipCompress(lines.substr(half)),
                    after_upgrade = *GzipCompress(lines);
  ASSERT_NE(before_upgrade, after_upgrade);
  ASSERT_TRUE(archive_->Put(key, before_upgrade).ok());
  Status replay = archive_->Put(key, after_upgrade);
  EXPECT_TRUE(replay.ok()) << replay.message();
  EXPECT_EQ(*archive_->Get(key), before_upgrade);
  Status other = archive_->Put(key, *GzipCompress(lines + lines));
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(other.message(), HasSubstr("refusing to replace"));
}

TEST_F(S3ArchiveTest, EmptyObjectIsAnObject) {
  ASSERT_TRUE(archive_->Put("raw/empty", "").ok());
  auto got = archive_->Get("raw/empty");
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(*got, "");
  EXPECT_THAT(Keys("raw/"), ElementsAre("raw/empty"));
}

TEST_F(S3ArchiveTest, ListFiltersByPrefixAndSortsByKey) {
  for (const char* key : {"raw/dt=2025-08-15/shard-000000-3-4.jsonl.gz",
                          "raw/dt=2025-08-14/shard-000001-1-2.jsonl.gz",
                          "raw/dt=2025-08-14/shard-000000-1-2.jsonl.gz",
                          "rejected/dt=2025-08-14/shard-000000-1-2.jsonl.gz",
                          "raw/dt=2025-09-01/shard-000000-5-6.jsonl.gz", "rawish"}) {
    ASSERT_TRUE(archive_->Put(key, key).ok()) << key;
  }
  EXPECT_THAT(Keys("raw/dt=2025-08-14/"),
              ElementsAre("raw/dt=2025-08-14/shard-000000-1-2.jsonl.gz",
                          "raw/dt=2025-08-14/shard-000001-1-2.jsonl.gz"));
  // A prefix that ends inside a name, not at a folder boundary.
  EXPECT_THAT(Keys("raw/dt=2025-08"), ElementsAre("raw/dt=2025-08-14/shard-000000-1-2.jsonl.gz",
                                                  "raw/dt=2025-08-14/shard-000001-1-2.jsonl.gz",
                                                  "raw/dt=2025-08-15/shard-000000-3-4.jsonl.gz"));
  EXPECT_THAT(Keys("rejected/"), ElementsAre("rejected/dt=2025-08-14/shard-000000-1-2.jsonl.gz"));
  EXPECT_EQ(Keys("raw").size(), 5u);  // raw/... and rawish
  EXPECT_EQ(Keys("").size(), 6u);
  EXPECT_THAT(Keys("raw/dt=2030-01-01/"), IsEmpty());
}

TEST_F(S3ArchiveTest, ListPagesThroughMoreThanAThousandKeys) {
  // 1100 objects under the prefix and some beside it; four writers to keep the test short.
  constexpr int kObjects = 1100;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = w; i < kObjects; i += 4) {
        const std::string key = fmt::format("raw/dt=2025-08-14/shard-{:06}-{}.jsonl.gz", i % 7, i);
        if (!archive_->Put(key, std::to_string(i)).ok()) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_EQ(failures, 0);
  ASSERT_TRUE(archive_->Put("raw/dt=2025-08-15/other.jsonl.gz", "x").ok());
  ASSERT_TRUE(archive_->Put("raw/dt=2025-08-13/other.jsonl.gz", "x").ok());

  const auto before = archive_->client().Stats()["ListObjectsV2"].calls;
  auto list = archive_->List("raw/dt=2025-08-14/");
  ASSERT_TRUE(list.ok()) << list.error();
  // S3 answers at most 1000 keys a page: the second page came through the continuation token.
  EXPECT_EQ(archive_->client().Stats()["ListObjectsV2"].calls - before, 2u);
  ASSERT_EQ(list->size(), static_cast<std::size_t>(kObjects));
  std::vector<std::string> expected;
  for (int i = 0; i < kObjects; ++i) {
    expected.push_back(fmt::format("raw/dt=2025-08-14/shard-{:06}-{}.jsonl.gz", i % 7, i));
  }
  std::sort(expected.begin(), expected.end());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ((*list)[i].key, expected[i]) << i;
  }
  EXPECT_EQ(Keys("raw/").size(), static_cast<std::size_t>(kObjects + 2));
}

TEST_F(S3ArchiveTest, KeysThatNeedEncodingSurvivePutListAndGet) {
  const std::vector<std::string> keys = {
      "raw/dt=2025-08-14/a b+c.jsonl.gz",           // space and plus (form encoding confuses them)
      "raw/dt=2025-08-14/q?x=1&y=2#frag.jsonl.gz",  // query and fragment characters
      "raw/dt=2025-08-14/<tag> \"quoted\" 'single'",  // XML's special characters in List
      "raw/dt=2025-08-14/100%25 ~tilde~ (1),[2];@$!*",
      "raw/dt=2025-08-14/zürich-€.jsonl.gz",  // UTF-8
  };
  for (const auto& key : keys) ASSERT_TRUE(archive_->Put(key, "body of " + key).ok()) << key;
  for (const auto& key : keys) {
    auto got = archive_->Get(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.error();
    EXPECT_EQ(*got, "body of " + key);
  }
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(Keys("raw/dt=2025-08-14/"), sorted);
  EXPECT_THAT(Keys("raw/dt=2025-08-14/<tag>"),
              ElementsAre("raw/dt=2025-08-14/<tag> \"quoted\" 'single'"));
  EXPECT_THAT(Keys("raw/dt=2025-08-14/a b+"), ElementsAre("raw/dt=2025-08-14/a b+c.jsonl.gz"));
}

TEST_F(S3ArchiveTest, GetOfAMissingKeyIsAnErrorNamingTheKey) {
  auto got = archive_->Get("raw/dt=2025-08-14/none.jsonl.gz");
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.error(), HasSubstr("raw/dt=2025-08-14/none.jsonl.gz"));
  EXPECT_THAT(got.error(), HasSubstr("does not exist"));
  EXPECT_FALSE(archive_->Put("", "x").ok());
}

TEST_F(S3ArchiveTest, AMissingBucketIsAnErrorNotAnEmptyArchive) {
  S3Archive other(Options("never-created-bucket"));
  auto list = other.List("raw/");
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.error(), HasSubstr("NoSuchBucket"));
  auto got = other.Get("raw/x");
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.error(), HasSubstr("NoSuchBucket"));
  Status put = other.Put("raw/x", "x");
  ASSERT_FALSE(put.ok());
  EXPECT_THAT(put.message(), HasSubstr("never-created-bucket"));
  // Each says what to do.
  for (const std::string& error : {list.error(), got.error(), put.message()}) {
    EXPECT_THAT(error, HasSubstr("the bucket does not exist: create it"));
    EXPECT_THAT(error, HasSubstr("RAW_DATA_BUCKET"));
  }
}

TEST_F(S3ArchiveTest, CreateBucketIfMissingIsIdempotentAndNamesTheRegion) {
  // eu-central-1 sends a LocationConstraint body; us-east-1 must not.
  S3Archive eu(Options("stockpipe-eu-bucket", "eu-central-1"));
  ASSERT_TRUE(eu.CreateBucketIfMissing().ok());
  ASSERT_TRUE(eu.CreateBucketIfMissing().ok());
  ASSERT_TRUE(eu.Put("raw/k", "v").ok());
  EXPECT_EQ(*eu.Get("raw/k"), "v");
  EXPECT_EQ(eu.client().Stats()["CreateBucket"].calls, 1u);
  EXPECT_TRUE(archive_->CreateBucketIfMissing().ok());
  EXPECT_FALSE(S3Archive(Options("Not_A_Valid_Bucket")).CreateBucketIfMissing().ok());
}

TEST_F(S3ArchiveTest, VirtualHostedStyleNamesTheBucketInTheHost) {
  // curl resolves every `*.localhost` to loopback, and s3rver takes a host name it does not
  // know as the bucket name. So a virtual-hosted archive of bucket B on endpoint
  // http://localhost:P sends to host `B.localhost` with path `/<key>`, and its objects land in
  // s3rver's bucket "B.localhost": seen there, path style, the request had the vhost shape.
  S3ArchiveOptions options = Options("vhost");
  options.client.endpoint = "http://localhost:" + std::to_string(peer_->port());
  options.path_style = false;
  S3Archive vhost(options);
  S3Archive seen(Options("vhost.localhost"));
  ASSERT_TRUE(seen.CreateBucketIfMissing().ok());
  ASSERT_TRUE(vhost.CreateBucketIfMissing().ok());  // HEAD finds it: no second bucket

  ASSERT_TRUE(vhost.Put("raw/dt=2025-08-14/a b.jsonl.gz", "virtual").ok());
  EXPECT_EQ(*seen.Get("raw/dt=2025-08-14/a b.jsonl.gz"), "virtual");
  ASSERT_TRUE(seen.Put("raw/dt=2025-08-14/c.jsonl.gz", "path").ok());
  auto list = vhost.List("raw/");
  ASSERT_TRUE(list.ok()) << list.error();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].key, "raw/dt=2025-08-14/c.jsonl.gz");
  EXPECT_EQ(*vhost.Get("raw/dt=2025-08-14/c.jsonl.gz"), "path");
}

}  // namespace
}  // namespace stockpipe
