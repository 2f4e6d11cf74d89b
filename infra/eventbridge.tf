# The schedule of the trends function (the reference's rate(2 minutes) by default).
# EventBridge invokes asynchronously; the retries of a failed run are bounded in lambda.tf
# (aws_lambda_function_event_invoke_config.trends), since the next scheduled run comes anyway.

resource "aws_cloudwatch_event_rule" "trends" {
  name                = "${var.name_prefix}-trends"
  description         = "Runs the stockpipe trends function"
  schedule_expression = var.trends_schedule
  state               = var.trends_enabled ? "ENABLED" : "DISABLED"
}

resource "aws_cloudwatch_event_target" "trends" {
  rule = aws_cloudwatch_event_rule.trends.name
  arn  = aws_lambda_function.trends.arn

  retry_policy {
    maximum_event_age_in_seconds = 300
    maximum_retry_attempts       = 2
  }
}

resource "aws_lambda_permission" "trends_from_schedule" {
  statement_id  = "AllowScheduleInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.trends.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.trends.arn
}
