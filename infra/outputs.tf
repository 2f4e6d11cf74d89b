# Every name docs/deploy-aws.md's commands need. `terraform output -raw shell_exports` prints the
# environment the stockpipe CLI reads (the same variable names as the Lambda functions).

locals {
  cli_environment = {
    AWS_REGION             = var.region
    KINESIS_STREAM         = aws_kinesis_stream.ticks.name
    RAW_DATA_BUCKET        = aws_s3_bucket.raw.bucket
    DYNAMODB_TABLE         = aws_dynamodb_table.clean.name
    DYNAMODB_STATE_TABLE   = aws_dynamodb_table.state.name
    DYNAMODB_CANDLES_TABLE = aws_dynamodb_table.candles.name
    CANDLE_INTERVALS       = join(",", var.candle_intervals)
    ATHENA_WORKGROUP       = aws_athena_workgroup.stockpipe.name
    ATHENA_DATABASE        = aws_glue_catalog_database.stock_raw_db.name
  }
}

output "region" {
  value = var.region
}

output "name_prefix" {
  description = "Prefix of every resource name (alarms: aws cloudwatch describe-alarms --alarm-name-prefix)."
  value       = var.name_prefix
}

output "cli_environment" {
  description = "Environment of the stockpipe CLI for this deployment (SNS_TOPIC_ARN left out on purpose: set it only where alerts should also go to the topic)."
  value       = local.cli_environment
}

output "shell_exports" {
  description = "eval \"$(terraform output -raw shell_exports)\" sets cli_environment in a POSIX shell."
  value       = join("\n", [for name, value in local.cli_environment : "export ${name}='${value}'"])
}

output "kinesis_stream_name" {
  value = aws_kinesis_stream.ticks.name
}

output "kinesis_stream_arn" {
  value = aws_kinesis_stream.ticks.arn
}

output "raw_bucket_name" {
  value = aws_s3_bucket.raw.bucket
}

output "athena_results_bucket_name" {
  value = aws_s3_bucket.results.bucket
}

output "athena_workgroup" {
  value = aws_athena_workgroup.stockpipe.name
}

output "glue_database" {
  value = aws_glue_catalog_database.stock_raw_db.name
}

output "dynamodb_table_name" {
  value = aws_dynamodb_table.clean.name
}

output "dynamodb_candles_table_name" {
  value = aws_dynamodb_table.candles.name
}

output "dynamodb_state_table_name" {
  value = aws_dynamodb_table.state.name
}

output "sns_topic_arn" {
  value = aws_sns_topic.alerts.arn
}

output "ingest_function_name" {
  value = aws_lambda_function.ingest.function_name
}

output "trends_function_name" {
  value = aws_lambda_function.trends.function_name
}

output "ingest_log_group" {
  value = aws_cloudwatch_log_group.ingest.name
}

output "trends_log_group" {
  value = aws_cloudwatch_log_group.trends.name
}

output "ingest_dlq_url" {
  value = aws_sqs_queue.ingest_dlq.url
}

output "trends_schedule_rule" {
  value = aws_cloudwatch_event_rule.trends.name
}

output "alarm_names" {
  value = [
    aws_cloudwatch_metric_alarm.no_incoming_records.alarm_name,
    aws_cloudwatch_metric_alarm.ingest_iterator_age.alarm_name,
    aws_cloudwatch_metric_alarm.ingest_errors.alarm_name,
    aws_cloudwatch_metric_alarm.ingest_throttles.alarm_name,
    aws_cloudwatch_metric_alarm.trends_errors.alarm_name,
    aws_cloudwatch_metric_alarm.trends_throttles.alarm_name,
    aws_cloudwatch_metric_alarm.ingest_dlq_not_empty.alarm_name,
  ]
}

output "producer_policy_arn" {
  description = "Attach to whoever runs `stockpipe produce --to kinesis`."
  value       = aws_iam_policy.producer.arn
}

output "analyst_policy_arn" {
  description = "Attach to whoever runs `stockpipe query --engine athena`."
  value       = aws_iam_policy.analyst.arn
}

output "viewer_policy_arn" {
  description = "Attach to whoever runs `stockpipe serve --store dynamodb` against this deployment (read-only)."
  value       = aws_iam_policy.viewer.arn
}
