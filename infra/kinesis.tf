# The tick stream. Records are encrypted at rest with a key of this deployment, so reading and
# writing them is granted per key (the ingest role may Decrypt through Kinesis only; the producer
# policy may GenerateDataKey), not to everyone in the account who may use Kinesis.
# Lambda's event source mapping is the only consumer: no registered (enhanced fan-out) consumer.

resource "aws_kms_key" "kinesis" {
  description             = "${var.name_prefix}: Kinesis stream encryption"
  enable_key_rotation     = true
  deletion_window_in_days = 7
}

resource "aws_kms_alias" "kinesis" {
  name          = "alias/${var.name_prefix}-kinesis"
  target_key_id = aws_kms_key.kinesis.key_id
}

resource "aws_kinesis_stream" "ticks" {
  name             = local.kinesis_stream_name
  retention_period = var.kinesis_retention_hours
  shard_count      = var.kinesis_stream_mode == "PROVISIONED" ? var.kinesis_shard_count : null

  stream_mode_details {
    stream_mode = var.kinesis_stream_mode
  }

  encryption_type = "KMS"
  kms_key_id      = aws_kms_key.kinesis.arn
}
