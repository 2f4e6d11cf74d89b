// What the Lambda tests run the binary with: emulators for S3 (s3rver), DynamoDB (dynalite) and
// SNS (fauxqs) on 127.0.0.1, and the environment Lambda would give the function.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "archive/s3/s3_archive.h"
#include "lambda/sns_inbox.h"
#include "store/dynamodb/dynamodb_clean_store.h"
#include "support/peers.h"

namespace stockpipe::testing {

inline constexpr char kBucket[] = "stock-raw-test";
inline constexpr char kTable[] = "StockCleanedData";
inline constexpr char kStateTable[] = "stockpipe-state";

// s3rver + dynalite with the bucket and tables made, and clients to read them back.
class IngestPeers {
 public:
  explicit IngestPeers(const std::filesystem::path& dir)
      : s3rver_("s3rver", (dir / "s3rver").string()), dynalite_("dynalite") {
    std::filesystem::create_directories(dir / "s3rver");
    archive_ = std::make_unique<S3Archive>(
        S3ArchiveOptions{LocalClientOptions(aws::kS3, s3rver_.endpoint()), kBucket, true});
    if (Status s = archive_->CreateBucketIfMissing(); !s.ok())
      throw std::runtime_error(s.message());
    store_ = std::make_unique<DynamoDbCleanStore>(DynamoDbOptions{
        LocalClientOptions(aws::kDynamoDb, dynalite_.endpoint()), kTable, kStateTable});
    if (Status s = store_->CreateTablesIfMissing(); !s.ok()) throw std::runtime_error(s.message());
  }

  // The function's environment, as Lambda sets it for `handler` (plus the emulators' endpoints).
  std::map<std::string, std::string> Environment(const std::string& runtime_api,
                                                 const std::string& handler) const {
    return {{"AWS_LAMBDA_RUNTIME_API", runtime_api},
            {"_HANDLER", handler},
            {"AWS_LAMBDA_FUNCTION_NAME", "stockpipe-" + handler},
            {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"},
            {"AWS_REGION", "eu-central-1"},
            {"AWS_ACCESS_KEY_ID", "S3RVER"},
            {"AWS_SECRET_ACCESS_KEY", "S3RVER"},
            {"AWS_ENDPOINT_URL_S3", s3rver_.endpoint()},
            {"AWS_ENDPOINT_URL_DYNAMODB", dynalite_.endpoint()},
            {"RAW_DATA_BUCKET", kBucket},
            {"DYNAMODB_TABLE", kTable},
            {"DYNAMODB_STATE_TABLE", kStateTable}};
  }

  S3Archive& archive() { return *archive_; }
  DynamoDbCleanStore& store() { return *store_; }
  const Peer& dynalite() const { return dynalite_; }

 private:
  Peer s3rver_;
  Peer dynalite_;
  std::unique_ptr<S3Archive> archive_;
  std::unique_ptr<DynamoDbCleanStore> store_;
};

inline std::filesystem::path FreshDir(const std::string& what) {
  auto dir = std::filesystem::temp_directory_path() /
             ("stockpipe-" + what + "-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace stockpipe::testing
