# The AWS shape of stockpipe: Kinesis -> Lambda ingest -> S3 (RAW) + DynamoDB (CLEAN), Glue +
# Athena over RAW, EventBridge -> Lambda trends -> SNS, CloudWatch alarms -> SNS.
#
# No backend and no account are written here: state stays in this folder unless you add a backend
# of your own (see docs/deploy-aws.md), and the account is whichever your credentials belong to.
# Checked statically against the C++ code by tests/infra/check_terraform.mjs.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  tags = merge({ Project = "stockpipe", ManagedBy = "terraform" }, var.tags)

  # S3 bucket names are global: the account and region keep two deployments apart.
  raw_bucket_name     = var.raw_bucket_name != "" ? var.raw_bucket_name : "${var.name_prefix}-raw-${local.account_id}-${var.region}"
  results_bucket_name = "${var.name_prefix}-results-${local.account_id}-${var.region}"

  kinesis_stream_name  = var.kinesis_stream_name != "" ? var.kinesis_stream_name : "${var.name_prefix}-ticks"
  ingest_function_name = "${var.name_prefix}-ingest"
  trends_function_name = "${var.name_prefix}-trends"
}
