// `migrate raw`: a reference RAW tree (one object per record, raw/YYYY/MM/DD/HHMMSS_ffffff.json,
// written here with the reference's key names and record shapes) compacted into stockpipe's
// archive, from a local folder and from S3 (s3rver), exactly once across reruns and failures.
#include "migrate/raw_migration.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "archive/local/file_archive.h"
#include "archive/s3/s3_archive.h"
#include "codec/gzip.h"
#include "pipeline/aws_options.h"
#include "support/peers.h"
#include "support/temp_dir.h"

namespace stockpipe::migrate {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

// The reference's objects: what its ingest Lambda wrote, one record each (json.dumps), keyed by
// arrival. Two hours of one day and one of the next; three bad records; one pretty-printed.
const std::map<std::string, std::string> kReferenceObjects = {
    {"2025/08/14/143812_000001.json",
     R"({"symbol": "AAPL", "timestamp": "2025-08-14T14:38:12Z", "price": 225.11})"},
    {"2025/08/14/143813_500000.json",
     R"({"symbol": "MSFT", "timestamp": "2025-08-14T14:38:13.5+00:00", "price": "512.5"})"},
    {"2025/08/14/145959_999999.json",
     R"({"symbol": "AAPL", "timestamp": "2025-08-14T14:59:59", "price": -3})"},
    {"2025/08/14/150000_000000.json",
     "{\n  \"symbol\": \"TSLA\",\n  \"timestamp\": \"2025-08-14T15:00:00Z\",\n  \"price\": "
     "330\n}\n"},
    {"2025/08/14/150001_000000.json", R"({"symbol": "TSLA", "timestamp": "2025-08-14T15:00:01Z")"},
    // Arrived after midnight, happened before it: its line goes to the event's day.
    {"2025/08/15/000000_250000.json",
     R"({"symbol": "NVDA", "timestamp": "2025-08-14T23:59:59.75Z", "price": 181.25})"},
    {"2025/08/15/000001_000000.json", R"({"symbol": "NVDA", "price": "n/a"})"},
};

// What stockpipe's ingest writes for the good ones (canonical timestamp, price a number).
const std::map<std::string, std::string> kExpectedRaw = {
    {"raw/dt=2025-08-14/migrated-ref-2025081414-p1.jsonl.gz",
     "{\"symbol\":\"AAPL\",\"timestamp\":\"2025-08-14T14:38:12.000000Z\",\"price\":225.11}\n"
     "{\"symbol\":\"MSFT\",\"timestamp\":\"2025-08-14T14:38:13.500000Z\",\"price\":512.5}\n"},
    {"raw/dt=2025-08-14/migrated-ref-2025081415-p1.jsonl.gz",
     "{\"symbol\":\"TSLA\",\"timestamp\":\"2025-08-14T15:00:00.000000Z\",\"price\":330}\n"},
    {"raw/dt=2025-08-14/migrated-ref-2025081500-p1.jsonl.gz",
     "{\"symbol\":\"NVDA\",\"timestamp\":\"2025-08-14T23:59:59.750000Z\",\"price\":181.25}\n"},
};

void WriteReferenceTree(const fs::path& root, const std::map<std::string, std::string>& objects) {
  for (const auto& [key, bytes] : objects) {
    fs::create_directories((root / key).parent_path());
    WriteFile(root / key, bytes);
  }
}

// Every file under `root` (relative path -> bytes).
std::map<std::string, std::string> Tree(const fs::path& root) {
  std::map<std::string, std::string> files;
  if (!fs::exists(root)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) {
      files[fs::relative(entry.path(), root).string()] = ReadFile(entry.path());
    }
  }
  return files;
}

std::string Inflate(const std::string& gz) {
  auto text = GzipDecompress(gz);
  EXPECT_TRUE(text.ok()) << text.error();
  return text.ok() ? *text : "";
}

Result<RawMigrationCounts> Migrate(const fs::path& source_root, RawArchive& destination,
                                   RawMigrationOptions options = {}) {
  Config config;
  auto source = OpenReferenceRawSource(source_root.string(), config);
  if (!source) return source.status();
  return MigrateRaw(**source, destination, options);
}

// An archive that refuses every Put after the first `allowed`: a run killed at that point.
class FailingArchive final : public RawArchive {
 public:
  FailingArchive(RawArchive& inner, int allowed) : inner_(inner), allowed_(allowed) {}
  Status Put(std::string_view key, std::string_view bytes) override {
    if (allowed_-- <= 0) return Status::Error("disk gone");
    return inner_.Put(key, bytes);
  }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    return inner_.List(prefix);
  }
  Result<std::string> Get(std::string_view key) override { return inner_.Get(key); }

 private:
  RawArchive& inner_;
  int allowed_;
};

TEST(ReferenceKeyTest, ReadsTheArrivalAndHourOfReferenceNamesOnly) {
  auto key = ParseReferenceKey("2025/08/14/143812_123456.json");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(FormatCanonical(key->arrival), "2025-08-14T14:38:12.123456Z");
  EXPECT_EQ(key->hour, "2025081414");
  for (const char* bad : {"2025/02/30/143812_123456.json", "2025/08/14/143812_12345.json",
                          "2025/08/14/243812_123456.json", "2025/08/14/143812-123456.json",
                          "2025/08/14/143812_123456.jsonl", "dt=2025-08-14/shard-0-1-2.jsonl.gz",
                          "README.md", "2025/8/14/143812_123456.json"}) {
    EXPECT_FALSE(ParseReferenceKey(bad).has_value()) << bad;
  }
}

TEST(MigrateRawTest, CompactsRecordsIntoPartitionsAndQuarantinesBadOnesWithTheirKey) {
  TempDir dir;
  const fs::path source = dir.path() / "reference-raw";
  WriteReferenceTree(source, kReferenceObjects);
  WriteFile(source / "README.txt", "not a record");
  FileArchive destination(dir.path() / "data");

  auto counts = Migrate(source, destination);
  ASSERT_TRUE(counts.ok()) << counts.error();
  EXPECT_EQ(counts->listed, 8u);
  EXPECT_EQ(counts->migrated, 4u);
  EXPECT_EQ(counts->quarantined, 3u);
  EXPECT_EQ(counts->already_migrated, 0u);
  EXPECT_EQ(counts->not_reference, 1u);
  EXPECT_EQ(counts->listed, counts->migrated + counts->quarantined + counts->already_migrated +
                                counts->replayed + counts->not_reference);
  EXPECT_EQ(counts->parts, 3u);  // hours 14h, 15h, 00h

  for (const auto& [key, lines] : kExpectedRaw) {
    EXPECT_EQ(Inflate(ReadFile(dir.path() / "data" / key)), lines) << key;
  }
  // The quarantine: by arrival date, each line naming its reason and the source object.
  const std::string day1 = Inflate(
      ReadFile(dir.path() / "data/rejected/dt=2025-08-14/migrated-ref-2025081414-p1.jsonl.gz"));
  EXPECT_THAT(day1, HasSubstr(R"("reason":"price_not_positive")"));
  EXPECT_THAT(day1, HasSubstr((source / "2025/08/14/145959_999999.json").string()));
  const std::string day1_15h = Inflate(
      ReadFile(dir.path() / "data/rejected/dt=2025-08-14/migrated-ref-2025081415-p1.jsonl.gz"));
  EXPECT_THAT(day1_15h, HasSubstr(R"("reason":"malformed_json")"));
  const std::string day2 = Inflate(
      ReadFile(dir.path() / "data/rejected/dt=2025-08-15/migrated-ref-2025081500-p1.jsonl.gz"));
  EXPECT_THAT(day2, HasSubstr(R"("reason":"invalid_price")"));
  EXPECT_THAT(day2, HasSubstr(R"("arrival":"2025-08-15T00:00:01.000000Z")"));
  // The source is left as it was.
  EXPECT_EQ(Tree(source).size(), kReferenceObjects.size() + 1);
}

TEST(MigrateRawTest, ARerunWritesNothingAndCountsEverythingAsAlreadyMigrated) {
  TempDir dir;
  const fs::path source = dir.path() / "reference-raw";
  WriteReferenceTree(source, kReferenceObjects);
  FileArchive destination(dir.path() / "data");
  ASSERT_TRUE(Migrate(source, destination).ok());
  const auto before = Tree(dir.path() / "data");
  std::map<std::string, fs::file_time_type> mtimes;
  for (const auto& [path, _] : before)
    mtimes[path] = fs::last_write_time(dir.path() / "data" / path);

  auto again = Migrate(source, destination);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->already_migrated, kReferenceObjects.size());
  EXPECT_EQ(again->migrated + again->quarantined, 0u);
  EXPECT_EQ(again->objects_written, 0u);
  EXPECT_EQ(Tree(dir.path() / "data"), before);
  for (const auto& [path, mtime] : mtimes) {
    EXPECT_EQ(fs::last_write_time(dir.path() / "data" / path), mtime) << path;
  }
}

TEST(MigrateRawTest, AFailureAtAnyWriteThenARerunGivesTheArchiveOfOneCleanRun) {
  TempDir dir;
  const fs::path source = dir.path() / "reference-raw";
  WriteReferenceTree(source, kReferenceObjects);
  FileArchive clean(dir.path() / "clean-run");
  ASSERT_TRUE(Migrate(source, clean).ok());
  const auto expected = Tree(dir.path() / "clean-run");
  // Every object the run writes, counted: the ledger (key list + marker per part) and the data.
  const auto writes = static_cast<int>(expected.size());
  ASSERT_EQ(writes, 3 * 2 + 3 + 3);

  for (int allowed = 0; allowed < writes; ++allowed) {
    const fs::path root = dir.path() / fmt::format("killed-after-{}", allowed);
    FileArchive destination(root);
    FailingArchive failing(destination, allowed);
    auto first = Migrate(source, failing);
    ASSERT_FALSE(first.ok()) << "the run should have failed after " << allowed << " writes";
    EXPECT_THAT(first.error(), HasSubstr("disk gone"));
    auto rerun = Migrate(source, destination);
    ASSERT_TRUE(rerun.ok()) << rerun.error();
    EXPECT_EQ(rerun->listed,
              rerun->migrated + rerun->quarantined + rerun->already_migrated + rerun->replayed);
    EXPECT_EQ(Tree(root), expected) << "after a failure at write " << allowed + 1;
  }
}

TEST(MigrateRawTest, KeysAddedToAMigratedHourGoToANewPartOnly) {
  TempDir dir;
  const fs::path source = dir.path() / "reference-raw";
  WriteReferenceTree(source, kReferenceObjects);
  FileArchive destination(dir.path() / "data");
  ASSERT_TRUE(Migrate(source, destination).ok());
  // The old pipeline was still writing into 14h.
  WriteReferenceTree(source,
                     {{"2025/08/14/145000_000000.json",
                       R"({"symbol":"AAPL","timestamp":"2025-08-14T14:50:00Z","price":226})"}});

  auto counts = Migrate(source, destination);
  ASSERT_TRUE(counts.ok()) << counts.error();
  EXPECT_EQ(counts->migrated, 1u);
  EXPECT_EQ(counts->already_migrated, kReferenceObjects.size());
  EXPECT_EQ(counts->parts, 1u);
  EXPECT_EQ(
      Inflate(ReadFile(dir.path() / "data/raw/dt=2025-08-14/migrated-ref-2025081414-p2.jsonl.gz")),
      "{\"symbol\":\"AAPL\",\"timestamp\":\"2025-08-14T14:50:00.000000Z\",\"price\":226}\n");
  EXPECT_EQ(Inflate(ReadFile(dir.path() / "data" / kExpectedRaw.begin()->first)),
            kExpectedRaw.begin()->second);
}

TEST(MigrateRawTest, RecordsStockpipesReplayAlreadyArchivedAreCountedNotCopied) {
  TempDir dir;
  const fs::path source = dir.path() / "reference-raw";
  WriteReferenceTree(source, kReferenceObjects);
  FileArchive destination(dir.path() / "data");
  // stockpipe's consumer replayed the stream's window: the MSFT tick is in its own object.
  const std::string replayed =
      "{\"symbol\":\"MSFT\",\"timestamp\":\"2025-08-14T14:38:13.500000Z\",\"price\":512.5}\n"
      "{\"symbol\":\"MSFT\",\"timestamp\":\"2025-08-14T14:38:14.000000Z\",\"price\":512.75}\n";
  ASSERT_TRUE(
      destination.Put("raw/dt=2025-08-14/shard-000000-1-2.jsonl.gz", *GzipCompress(replayed)).ok());

  auto counts = Migrate(source, destination);
  ASSERT_TRUE(counts.ok()) << counts.error();
  EXPECT_EQ(counts->replayed, 1u);
  EXPECT_EQ(counts->migrated, 3u);
  EXPECT_EQ(
      Inflate(ReadFile(dir.path() / "data/raw/dt=2025-08-14/migrated-ref-2025081414-p1.jsonl.gz")),
      "{\"symbol\":\"AAPL\",\"timestamp\":\"2025-08-14T14:38:12.000000Z\",\"price\":225.11}\n");
}

TEST(MigrateRawTest, ADryRunCountsAndWritesNothing) {
  TempDir dir;
  const fs::path source = dir.path() / "reference-raw";
  WriteReferenceTree(source, kReferenceObjects);
  FileArchive destination(dir.path() / "data");
  RawMigrationOptions options;
  options.dry_run = true;
  auto counts = Migrate(source, destination, options);
  ASSERT_TRUE(counts.ok()) << counts.error();
  EXPECT_EQ(counts->migrated, 4u);
  EXPECT_EQ(counts->quarantined, 3u);
  EXPECT_EQ(counts->objects_written, 0u);
  EXPECT_TRUE(Tree(dir.path() / "data").empty());
}

TEST(MigrateRawTest, AnUnreadableSourceObjectStopsTheRunNamingItAndARerunFinishes) {
  TempDir dir;
  const fs::path source = dir.path() / "reference-raw";
  WriteReferenceTree(source, kReferenceObjects);
  // Listed but not readable (even by root): a link to nothing.
  const fs::path broken = source / "2025/08/14/150002_000000.json";
  fs::create_symlink(dir.path() / "gone.json", broken);
  FileArchive destination(dir.path() / "data");
  auto counts = Migrate(source, destination);
  ASSERT_FALSE(counts.ok());
  EXPECT_THAT(counts.error(), HasSubstr("2025/08/14/150002_000000.json"));

  WriteFile(dir.path() / "gone.json",
            R"({"symbol":"TSLA","timestamp":"2025-08-14T15:00:02Z","price":331})");
  auto rerun = Migrate(source, destination);
  ASSERT_TRUE(rerun.ok()) << rerun.error();
  EXPECT_EQ(rerun->already_migrated, 3u);  // 14h finished before the failure in 15h
  EXPECT_EQ(rerun->migrated, 3u);
  EXPECT_EQ(
      Inflate(ReadFile(dir.path() / "data/raw/dt=2025-08-14/migrated-ref-2025081415-p1.jsonl.gz")),
      "{\"symbol\":\"TSLA\",\"timestamp\":\"2025-08-14T15:00:00.000000Z\",\"price\":330}\n"
      "{\"symbol\":\"TSLA\",\"timestamp\":\"2025-08-14T15:00:02.000000Z\",\"price\":331}\n");
}

// s3rver 3.7.1 answers ListObjectsV2 with InternalError once a bucket holds more than 1,000 keys:
// the bucket here stays small, and pages of 3 keys exercise the paging a real bucket needs.
TEST(MigrateRawTest, ReadsTheReferenceBucketFromS3PageByPage) {
  TempDir dir;
  ::setenv("NODE_OPTIONS", "--openssl-legacy-provider", 1);
  testing::Peer s3rver("s3rver", (dir.path() / "s3rver").string());
  ::setenv("AWS_ENDPOINT_URL_S3", s3rver.endpoint().c_str(), 1);
  ::setenv("AWS_REGION", "us-east-1", 1);
  // s3rver knows one account: access key S3RVER (its secret is not checked).
  ::setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
  Config config;
  config.aws.raw_bucket = "reference-bucket";
  {
    // The reference bucket, written through stockpipe's own S3 client with the reference's keys.
    auto options = S3ArchiveOptionsFrom(config);
    ASSERT_TRUE(options.ok()) << options.error();
    S3Archive bucket(*options);
    ASSERT_TRUE(bucket.CreateBucketIfMissing().ok());
    for (const auto& [key, bytes] : kReferenceObjects)
      ASSERT_TRUE(bucket.Put("raw/" + key, bytes).ok());
    ASSERT_TRUE(bucket.Put("raw/dt=2025-08-14/shard-000000-1-2.jsonl.gz", "ours").ok());
    ASSERT_TRUE(bucket.Put("other/2025/08/14/143812_000001.json", "{}").ok());
  }
  auto source = OpenReferenceRawSource("s3://reference-bucket/raw", config);
  ASSERT_TRUE(source.ok()) << source.error();
  FileArchive destination(dir.path() / "data");
  RawMigrationOptions options;
  options.page_size = 3;
  auto counts = MigrateRaw(**source, destination, options);
  ASSERT_TRUE(counts.ok()) << counts.error();
  EXPECT_EQ(counts->listed, kReferenceObjects.size() + 1);  // + stockpipe's own object
  EXPECT_EQ(counts->not_reference, 1u);
  EXPECT_EQ(counts->migrated, 4u);
  EXPECT_EQ(counts->quarantined, 3u);
  for (const auto& [key, lines] : kExpectedRaw) {
    EXPECT_EQ(Inflate(ReadFile(dir.path() / "data" / key)), lines) << key;
  }
  const std::string rejected = Inflate(
      ReadFile(dir.path() / "data/rejected/dt=2025-08-14/migrated-ref-2025081414-p1.jsonl.gz"));
  EXPECT_THAT(rejected, HasSubstr("s3://reference-bucket/raw/2025/08/14/145959_999999.json"));
}

}  // namespace
}  // namespace stockpipe::migrate
