#include "cli/backends.h"

#include <cstdlib>

#include "alerts/sns/sns_notifier.h"
#include "archive/s3/s3_archive.h"
#include "aws/client.h"
#include "cli/local_pipeline.h"
#include "store/dynamodb/dynamodb_clean_store.h"
#include "store/dynamodb/dynamodb_state_store.h"
#include "stream/kinesis/kinesis_stream.h"

namespace stockpipe {
namespace {

Result<aws::ClientOptions> AwsOptions(const aws::Service& service) {
  return aws::OptionsFromEnvironment(service, [](const char* name) { return std::getenv(name); });
}

Result<DynamoDbOptions> DynamoOptions(const Config& config) {
  auto client = AwsOptions(aws::kDynamoDb);
  if (!client) return client.status();
  return DynamoDbOptions{std::move(*client), config.aws.dynamodb_table, config.aws.state_table};
}

template <typename Base, typename Derived>
Result<std::unique_ptr<Base>> Up(Result<std::unique_ptr<Derived>> opened) {
  if (!opened) return opened.status();
  return std::unique_ptr<Base>(std::move(*opened));
}

}  // namespace

Result<std::unique_ptr<StateStore>> OpenState(const Config& config) {
  if (config.backends.store == "dynamodb") {
    auto options = DynamoOptions(config);
    if (!options) return options.status();
    return std::unique_ptr<StateStore>(std::make_unique<DynamoDbStateStore>(std::move(*options)));
  }
  return Up<StateStore>(OpenStateStore(config));
}

Result<std::unique_ptr<CleanStore>> OpenStore(const Config& config) {
  if (config.backends.store == "dynamodb") {
    auto options = DynamoOptions(config);
    if (!options) return options.status();
    return std::unique_ptr<CleanStore>(std::make_unique<DynamoDbCleanStore>(std::move(*options)));
  }
  return Up<CleanStore>(OpenCleanStore(config));
}

Result<std::unique_ptr<RawArchive>> OpenArchive(const Config& config) {
  if (config.backends.archive == "s3") {
    auto client = AwsOptions(aws::kS3);
    if (!client) return client.status();
    const bool path_style = PathStyleFor(*client, config.aws.raw_bucket);
    return std::unique_ptr<RawArchive>(std::make_unique<S3Archive>(
        S3ArchiveOptions{std::move(*client), config.aws.raw_bucket, path_style}));
  }
  if (Status s = EnsureDataDir(config); !s.ok()) return s;
  return std::unique_ptr<RawArchive>(std::make_unique<FileArchive>(config.data_dir));
}

Result<std::unique_ptr<Stream>> OpenStreamBackend(const Config& config, StateStore& checkpoints) {
  if (config.backends.stream == "kinesis") {
    auto client = AwsOptions(aws::kKinesis);
    if (!client) return client.status();
    return std::unique_ptr<Stream>(std::make_unique<KinesisStream>(
        KinesisStreamOptions{std::move(*client), config.aws.kinesis_stream}, checkpoints));
  }
  return Up<Stream>(OpenStream(config));
}

Result<std::unique_ptr<Notifier>> OpenSns(const Config& config) {
  if (config.aws.sns_topic_arn.empty()) return std::unique_ptr<Notifier>();
  auto client = AwsOptions(aws::kSns);
  if (!client) return client.status();
  return std::unique_ptr<Notifier>(
      std::make_unique<SnsNotifier>(SnsOptions{std::move(*client), config.aws.sns_topic_arn}));
}

}  // namespace stockpipe
