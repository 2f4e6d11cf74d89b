# Logs and alarms. Every alarm goes to the alerts topic (sns.tf), the one place a person reads.

# Made before the functions, so Lambda never creates them itself with unlimited retention.
resource "aws_cloudwatch_log_group" "ingest" {
  name              = "/aws/lambda/${local.ingest_function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "trends" {
  name              = "/aws/lambda/${local.trends_function_name}"
  retention_in_days = var.log_retention_days
}

# ---- Data stopped arriving (the watchdog of the embedded pipeline) -------------------------------
# A period without a single datapoint is a period without records: missing data is breaching.
# The OK notice tells that data is flowing again.

resource "aws_cloudwatch_metric_alarm" "no_incoming_records" {
  alarm_name          = "${var.name_prefix}-no-incoming-records"
  alarm_description   = "No record reached ${aws_kinesis_stream.ticks.name} for ${var.no_data_alarm_minutes} minutes"
  namespace           = "AWS/Kinesis"
  metric_name         = "IncomingRecords"
  dimensions          = { StreamName = aws_kinesis_stream.ticks.name }
  statistic           = "Sum"
  period              = var.no_data_alarm_minutes * 60
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}

# ---- Ingest falling behind ----------------------------------------------------------------------
# Age of the newest record of each batch the function received: grows when ingest cannot keep up
# or keeps failing a batch.

resource "aws_cloudwatch_metric_alarm" "ingest_iterator_age" {
  alarm_name          = "${var.name_prefix}-ingest-iterator-age"
  alarm_description   = "Ingest is more than ${var.iterator_age_alarm_seconds} s behind the stream"
  namespace           = "AWS/Lambda"
  metric_name         = "IteratorAge"
  dimensions          = { FunctionName = aws_lambda_function.ingest.function_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.iterator_age_alarm_seconds * 1000
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

# ---- Function errors and throttles --------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "ingest_errors" {
  alarm_name          = "${var.name_prefix}-ingest-errors"
  alarm_description   = "The ingest function failed (a whole invocation, not a reported record)"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.ingest.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_metric_alarm" "ingest_throttles" {
  alarm_name          = "${var.name_prefix}-ingest-throttles"
  alarm_description   = "Invocations of the ingest function were throttled"
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.ingest.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_metric_alarm" "trends_errors" {
  alarm_name          = "${var.name_prefix}-trends-errors"
  alarm_description   = "The trends function failed (store unreadable, or alerts no channel took)"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.trends.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_metric_alarm" "trends_throttles" {
  alarm_name          = "${var.name_prefix}-trends-throttles"
  alarm_description   = "Invocations of the trends function were throttled"
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.trends.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

# ---- Batches given up on ------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "ingest_dlq_not_empty" {
  alarm_name          = "${var.name_prefix}-ingest-dlq-not-empty"
  alarm_description   = "Ingest gave up on a batch: its shard and sequence range are in ${aws_sqs_queue.ingest_dlq.name}"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.ingest_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}
