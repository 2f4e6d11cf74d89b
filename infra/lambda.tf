# Both functions run the one binary the build packs (`stockpipe-lambda.zip`, custom runtime
# provided.al2023); the `handler` attribute becomes `_HANDLER`, which picks ingest or trends.
# The environment names are exactly the configuration keys the code reads (src/core/config.h,
# src/lambda/main.cc): each function gets the ones its handler uses and no other. AWS_REGION is
# set by Lambda itself (it is reserved), credentials come from the function's role.

locals {
  lambda_zip = startswith(var.lambda_zip_path, "/") ? var.lambda_zip_path : "${path.module}/${var.lambda_zip_path}"
}

# ---- ingest: Kinesis -> RAW (S3) + CLEAN and its bars (DynamoDB) --------------------------------

resource "aws_lambda_function" "ingest" {
  function_name    = local.ingest_function_name
  description      = "stockpipe ingest: Kinesis batch -> RAW (S3) + CLEAN (DynamoDB) + quarantine"
  role             = aws_iam_role.ingest.arn
  runtime          = "provided.al2023"
  handler          = "ingest"
  architectures    = [var.lambda_architecture]
  filename         = local.lambda_zip
  source_code_hash = filebase64sha256(local.lambda_zip)
  memory_size      = var.ingest_memory_mb
  timeout          = var.ingest_timeout_seconds

  environment {
    variables = {
      RAW_DATA_BUCKET        = aws_s3_bucket.raw.bucket
      DYNAMODB_TABLE         = aws_dynamodb_table.clean.name
      DYNAMODB_STATE_TABLE   = aws_dynamodb_table.state.name
      DYNAMODB_CANDLES_TABLE = aws_dynamodb_table.candles.name
      CANDLE_INTERVALS       = join(",", var.candle_intervals)
    }
  }

  # The log group exists first (with its retention), and the role may write before the first run.
  depends_on = [aws_cloudwatch_log_group.ingest, aws_iam_role_policy.ingest]
}

# Failed batches (retries or record age exhausted) are described here: shard and sequence range,
# so they can be read again from the stream while it still holds them.
resource "aws_sqs_queue" "ingest_dlq" {
  name                      = "${var.name_prefix}-ingest-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_lambda_event_source_mapping" "ingest" {
  event_source_arn  = aws_kinesis_stream.ticks.arn
  function_name     = aws_lambda_function.ingest.arn
  starting_position = "TRIM_HORIZON"
  enabled           = var.ingest_enabled

  batch_size                         = var.ingest_batch_size
  maximum_batching_window_in_seconds = var.ingest_batching_window_seconds
  parallelization_factor             = var.ingest_parallelization_factor

  # The handler lists the sequence numbers of the records whose writes failed; Lambda retries from
  # the first of them, so a bad record never blocks the shard and a good one is never lost.
  function_response_types        = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = var.ingest_max_retry_attempts
  maximum_record_age_in_seconds  = var.ingest_max_record_age_seconds

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.ingest_dlq.arn
    }
  }

  # Lambda checks the role's stream permissions when the mapping is created.
  depends_on = [aws_iam_role_policy.ingest]
}

# ---- trends: schedule -> rule over CLEAN -> SNS -------------------------------------------------

resource "aws_lambda_function" "trends" {
  function_name    = local.trends_function_name
  description      = "stockpipe trends: PCT + SMA rule over DynamoDB -> SNS alerts"
  role             = aws_iam_role.trends.arn
  runtime          = "provided.al2023"
  handler          = "trends"
  architectures    = [var.lambda_architecture]
  filename         = local.lambda_zip
  source_code_hash = filebase64sha256(local.lambda_zip)
  memory_size      = var.trends_memory_mb
  timeout          = var.trends_timeout_seconds

  environment {
    variables = {
      DYNAMODB_TABLE         = aws_dynamodb_table.clean.name
      DYNAMODB_STATE_TABLE   = aws_dynamodb_table.state.name
      DYNAMODB_CANDLES_TABLE = aws_dynamodb_table.candles.name
      CANDLE_INTERVALS       = join(",", var.candle_intervals)
      SNS_TOPIC_ARN          = aws_sns_topic.alerts.arn
      THRESH_PCT             = tostring(var.thresh_pct)
      LOOKBACK_POINTS        = tostring(var.lookback_points)
      SMA_WINDOW             = tostring(var.sma_window)
      MIN_POINTS             = tostring(var.min_points)
      EPS_PCT                = tostring(var.eps_pct)
      ALERT_LANG             = var.alert_lang
      INCLUDE_JSON_FOOTER    = tostring(var.include_json_footer)
      COOLDOWN_MIN           = tostring(var.cooldown_minutes)
    }
  }

  depends_on = [aws_cloudwatch_log_group.trends, aws_iam_role_policy.trends]
}

# A failed run is retried once while it is still recent; after that the next scheduled run counts.
resource "aws_lambda_function_event_invoke_config" "trends" {
  function_name                = aws_lambda_function.trends.function_name
  maximum_retry_attempts       = 1
  maximum_event_age_in_seconds = 300
}
