#include "pipeline/aws_options.h"

#include <cstdlib>

#include "aws/client.h"

namespace stockpipe {
namespace {

const char* ProcessEnvironment(const char* name) {
  return std::getenv(name);
}

// One credential chain for every client of the process: a credential_process runs, a role is
// assumed, once, and its refresh serves them all.
Result<aws::ClientOptions> ClientFor(const aws::Service& service) {
  static const std::shared_ptr<aws::CredentialChain> chain =
      aws::DefaultCredentialChain(ProcessEnvironment);
  return aws::OptionsFromEnvironment(service, ProcessEnvironment, chain);
}

}  // namespace

Result<DynamoDbOptions> DynamoDbOptionsFrom(const Config& config) {
  auto client = ClientFor(aws::kDynamoDb);
  if (!client) return client.status();
  if (config.aws.dynamodb_table.empty()) return Status::Error("DYNAMODB_TABLE is empty");
  DynamoDbOptions options;
  options.client = std::move(*client);
  options.table = config.aws.dynamodb_table;
  options.state_table = config.aws.state_table;
  options.candles_table = config.aws.candles_table;
  options.intervals = config.candles.intervals;
  return options;
}

Result<S3ArchiveOptions> S3ArchiveOptionsFrom(const Config& config) {
  auto client = ClientFor(aws::kS3);
  if (!client) return client.status();
  const bool path_style = PathStyleFor(*client, config.aws.raw_bucket);
  return S3ArchiveOptions{std::move(*client), config.aws.raw_bucket, path_style};
}

Result<SnsOptions> SnsOptionsFrom(const Config& config) {
  auto client = ClientFor(aws::kSns);
  if (!client) return client.status();
  return SnsOptions{std::move(*client), config.aws.sns_topic_arn};
}

Result<KinesisStreamOptions> KinesisOptionsFrom(const Config& config) {
  auto client = ClientFor(aws::kKinesis);
  if (!client) return client.status();
  KinesisStreamOptions options;
  options.client = std::move(*client);
  options.stream_name = config.aws.kinesis_stream;
  return options;
}

Result<AthenaOptions> AthenaOptionsFrom(const Config& config, double timeout_seconds) {
  auto client = ClientFor(aws::kAthena);
  if (!client) return client.status();
  AthenaOptions options;
  options.client = std::move(*client);
  options.workgroup = config.aws.athena_workgroup;
  options.database = config.aws.athena_database;
  options.output_location = config.aws.athena_output;
  options.timeout_seconds = timeout_seconds;
  return options;
}

}  // namespace stockpipe
