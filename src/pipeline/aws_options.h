// The AWS adapters' options, built once from the configuration and the AWS environment (region,
// credentials, `AWS_ENDPOINT_URL[_<SERVICE>]`): the CLI's backends (pipeline/backends.h) and the
// Lambda build their adapters from these, so a setting is read in one place.
//
// Each fails with a message naming the variable to set. No adapter is opened and nothing is
// called here; this part of the pipeline layer depends on no embedded store, so the Lambda binary
// links it alone.
#pragma once

#include "alerts/sns/sns_notifier.h"
#include "archive/s3/s3_archive.h"
#include "core/config.h"
#include "query/athena_query_engine.h"
#include "store/dynamodb/dynamodb_options.h"
#include "stream/kinesis/kinesis_stream.h"

namespace stockpipe {

// DYNAMODB_TABLE (CLEAN), DYNAMODB_STATE_TABLE (state), DYNAMODB_CANDLES_TABLE and
// CANDLE_INTERVALS (bars); fails when DYNAMODB_TABLE is empty.
Result<DynamoDbOptions> DynamoDbOptionsFrom(const Config& config);
// RAW_DATA_BUCKET, path style when the endpoint is not AWS's own.
Result<S3ArchiveOptions> S3ArchiveOptionsFrom(const Config& config);
// SNS_TOPIC_ARN.
Result<SnsOptions> SnsOptionsFrom(const Config& config);
// KINESIS_STREAM.
Result<KinesisStreamOptions> KinesisOptionsFrom(const Config& config);
// ATHENA_WORKGROUP, ATHENA_DATABASE, ATHENA_OUTPUT; `timeout_seconds` 0 = no limit.
Result<AthenaOptions> AthenaOptionsFrom(const Config& config, double timeout_seconds);

}  // namespace stockpipe
