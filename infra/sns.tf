# One topic for everything a person should read: BUY/SELL alerts from trends and the CloudWatch
# alarms. The e-mail subscription stays "pending confirmation" until the link AWS mails is opened.
#
# Not encrypted with KMS on purpose: CloudWatch alarms cannot publish to a topic encrypted with the
# AWS managed key, and a customer key would need a key policy for CloudWatch as well.

resource "aws_sns_topic" "alerts" {
  name = "${var.name_prefix}-alerts"
}

resource "aws_sns_topic_subscription" "alert_email" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}
