# Least privilege, one role per function: exactly the actions the code behind each handler calls,
# on exactly its resources, plus what Lambda itself needs to feed the function. The action lists
# are checked against the adapters' source (tests/infra/check_terraform.mjs): a call added in the
# code fails the check until it is granted here, and a grant the code never uses fails it too.
#
# Table creation, stream creation and bucket creation (the adapters' CreateTablesIfMissing & co.)
# are development helpers for the emulators: Terraform creates those resources, the roles may not.
#
# The single Resource "*": kinesis:ListStreams, which has no resource type in IAM (it lists the
# account's streams, names only). Lambda checks for it when the event source mapping is created.

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# ---- ingest -------------------------------------------------------------------------------------

resource "aws_iam_role" "ingest" {
  name               = "${var.name_prefix}-ingest"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "ingest" {
  # Lambda's poller reads the stream with the function's role.
  statement {
    sid = "ReadTickStream"
    actions = [
      "kinesis:DescribeStream",
      "kinesis:DescribeStreamSummary",
      "kinesis:GetRecords",
      "kinesis:GetShardIterator",
      "kinesis:ListShards",
    ]
    resources = [aws_kinesis_stream.ticks.arn]
  }

  statement {
    sid       = "ListStreamsHasNoResourceType"
    actions   = ["kinesis:ListStreams"]
    resources = ["*"]
  }

  # The records are encrypted with this deployment's key; only Kinesis may use it for the role.
  statement {
    sid       = "DecryptTicksThroughKinesis"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.kinesis.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["kinesis.${var.region}.amazonaws.com"]
    }
  }

  # S3Archive::Put of the RAW and quarantine objects. Put is write-once: it reads the key first
  # (GetObject) and compares what is there.
  statement {
    sid     = "WriteRawAndQuarantine"
    actions = ["s3:PutObject", "s3:GetObject"]
    resources = [
      "${aws_s3_bucket.raw.arn}/raw/*",
      "${aws_s3_bucket.raw.arn}/rejected/*",
    ]
  }

  # Without s3:ListBucket, S3 answers a GET of a missing key 403 AccessDenied, not 404 NoSuchKey,
  # and Put could not tell "absent, write it" from "refused".
  statement {
    sid       = "TellMissingRawKeys"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.raw.arn]
  }

  # DynamoDbCleanStore::Upsert: ticks and new registry entries go out in the same BatchWriteItem
  # calls, then the bars they touch; the registry is loaded once with a Query on the state table.
  statement {
    sid     = "UpsertTicksRegistryAndBars"
    actions = ["dynamodb:BatchWriteItem"]
    resources = [
      aws_dynamodb_table.clean.arn,
      aws_dynamodb_table.candles.arn,
      aws_dynamodb_table.state.arn,
    ]
  }

  statement {
    sid       = "LoadSymbolRegistry"
    actions   = ["dynamodb:Query"]
    resources = [aws_dynamodb_table.state.arn]
  }

  # DynamoDbCleanStore::UpdateBars: the bars a batch touches are read (BatchGetItem); a bar that
  # may already count a tick of the batch is recomputed from the ticks of its range (Query).
  statement {
    sid       = "ReadTouchedBars"
    actions   = ["dynamodb:BatchGetItem"]
    resources = [aws_dynamodb_table.candles.arn]
  }

  statement {
    sid       = "RecomputeBarsFromTicks"
    actions   = ["dynamodb:Query"]
    resources = [aws_dynamodb_table.clean.arn]
  }

  # ExplainMissingTable: on ResourceNotFoundException, which table is missing (the error names it).
  statement {
    sid     = "NameAMissingTable"
    actions = ["dynamodb:DescribeTable"]
    resources = [
      aws_dynamodb_table.clean.arn,
      aws_dynamodb_table.candles.arn,
      aws_dynamodb_table.state.arn,
    ]
  }

  # The event source mapping's on-failure destination is written with the function's role.
  statement {
    sid       = "ReportFailedBatches"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.ingest_dlq.arn]
  }

  statement {
    sid = "OwnLogGroupOnly"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = ["${aws_cloudwatch_log_group.ingest.arn}:*"]
  }
}

resource "aws_iam_role_policy" "ingest" {
  name   = "${var.name_prefix}-ingest"
  role   = aws_iam_role.ingest.id
  policy = data.aws_iam_policy_document.ingest.json
}

# ---- trends -------------------------------------------------------------------------------------

resource "aws_iam_role" "trends" {
  name               = "${var.name_prefix}-trends"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "trends" {
  # DynamoDbCleanStore::Symbols (registry, state table) and LastN (tick table).
  statement {
    sid     = "ReadSymbolsAndTicks"
    actions = ["dynamodb:Query"]
    resources = [
      aws_dynamodb_table.clean.arn,
      aws_dynamodb_table.state.arn,
    ]
  }

  # DynamoDbCleanStore::RebuildRegistry, once per table: a tick table another program filled
  # (the reference's ingest) has no registry; one Scan of its symbols, then the registry entries
  # and the marker saying it is complete.
  statement {
    sid       = "RebuildSymbolRegistryOnce"
    actions   = ["dynamodb:Scan"]
    resources = [aws_dynamodb_table.clean.arn]
  }

  statement {
    sid       = "WriteRebuiltRegistry"
    actions   = ["dynamodb:BatchWriteItem"]
    resources = [aws_dynamodb_table.state.arn]
  }

  # ExplainMissingTable: on ResourceNotFoundException, which table is missing (the error names it).
  statement {
    sid     = "NameAMissingTable"
    actions = ["dynamodb:DescribeTable"]
    resources = [
      aws_dynamodb_table.clean.arn,
      aws_dynamodb_table.state.arn,
    ]
  }

  # DynamoDbStateStore::Get / Put: alert cooldowns and the last run's summary; DynamoDbAlertLog
  # (through LoggedNotifier): each published message and the channel's counters.
  statement {
    sid = "CooldownState"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
    ]
    resources = [aws_dynamodb_table.state.arn]
  }

  # SnsNotifier::Send.
  statement {
    sid       = "PublishAlerts"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
  }

  statement {
    sid = "OwnLogGroupOnly"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = ["${aws_cloudwatch_log_group.trends.arn}:*"]
  }
}

resource "aws_iam_role_policy" "trends" {
  name   = "${var.name_prefix}-trends"
  role   = aws_iam_role.trends.id
  policy = data.aws_iam_policy_document.trends.json
}

# ---- People and machines outside Lambda ---------------------------------------------------------
# Managed policies to attach to whoever runs `stockpipe produce --to kinesis` (a feed host) and
# `stockpipe query --engine athena` (an analyst). Not attached to anyone by this configuration.

data "aws_iam_policy_document" "producer" {
  # KinesisStream::Put.
  statement {
    sid       = "PutTicks"
    actions   = ["kinesis:PutRecords"]
    resources = [aws_kinesis_stream.ticks.arn]
  }

  # Producers of a stream encrypted with a customer key need data keys from it.
  statement {
    sid       = "EncryptTicksThroughKinesis"
    actions   = ["kms:GenerateDataKey"]
    resources = [aws_kms_key.kinesis.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["kinesis.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_policy" "producer" {
  name        = "${var.name_prefix}-producer"
  description = "Put ticks into the ${var.name_prefix} Kinesis stream"
  policy      = data.aws_iam_policy_document.producer.json
}

data "aws_iam_policy_document" "analyst" {
  # AthenaQueryEngine::Run, in the pipeline's workgroup only.
  statement {
    sid = "RunQueries"
    actions = [
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:StartQueryExecution",
      "athena:StopQueryExecution",
    ]
    resources = [aws_athena_workgroup.stockpipe.arn]
  }

  # Athena reads the catalog with the caller's permissions.
  statement {
    sid = "ReadCatalog"
    actions = [
      "glue:BatchGetPartition",
      "glue:GetDatabase",
      "glue:GetDatabases",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:GetTable",
      "glue:GetTables",
    ]
    resources = [
      "arn:${local.partition}:glue:${var.region}:${local.account_id}:catalog",
      aws_glue_catalog_database.stock_raw_db.arn,
      "arn:${local.partition}:glue:${var.region}:${local.account_id}:table/${aws_glue_catalog_database.stock_raw_db.name}/*",
    ]
  }

  # ... and the data with the caller's permissions too.
  statement {
    sid     = "ReadRawAndQuarantine"
    actions = ["s3:GetObject"]
    resources = [
      "${aws_s3_bucket.raw.arn}/raw/*",
      "${aws_s3_bucket.raw.arn}/rejected/*",
    ]
  }

  statement {
    sid       = "ListRawAndQuarantine"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.raw.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["raw/*", "rejected/*"]
    }
  }

  statement {
    sid     = "LocateBuckets"
    actions = ["s3:GetBucketLocation"]
    resources = [
      aws_s3_bucket.raw.arn,
      aws_s3_bucket.results.arn,
    ]
  }

  # Athena writes the result of each query to the workgroup's result location.
  statement {
    sid = "WriteQueryResults"
    actions = [
      "s3:AbortMultipartUpload",
      "s3:GetObject",
      "s3:ListMultipartUploadParts",
      "s3:PutObject",
    ]
    resources = ["${aws_s3_bucket.results.arn}/*"]
  }

  statement {
    sid = "ListQueryResults"
    actions = [
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
    ]
    resources = [aws_s3_bucket.results.arn]
  }
}

resource "aws_iam_policy" "analyst" {
  name        = "${var.name_prefix}-analyst"
  description = "Query the ${var.name_prefix} RAW archive with Athena"
  policy      = data.aws_iam_policy_document.analyst.json
}

# `stockpipe serve --store dynamodb --from kinesis` (serve/aws/aws_dashboard_data.h) and `stockpipe
# candles`: the dashboard over this deployment, read-only. Points and newest ticks (Query on the
# tick table), bars (Query on the candles table), the symbol
# registry, state values, logged alerts and channel counters (Query / GetItem on the state table),
# the stream's shard count. Nothing here writes: attach to a person or a host that only looks.
data "aws_iam_policy_document" "viewer" {
  statement {
    sid     = "ReadTicksAndBars"
    actions = ["dynamodb:Query"]
    resources = [
      aws_dynamodb_table.clean.arn,
      aws_dynamodb_table.candles.arn,
    ]
  }

  statement {
    sid = "ReadState"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:Query",
    ]
    resources = [aws_dynamodb_table.state.arn]
  }

  statement {
    sid       = "StreamSummary"
    actions   = ["kinesis:DescribeStreamSummary"]
    resources = [aws_kinesis_stream.ticks.arn]
  }
}

resource "aws_iam_policy" "viewer" {
  name        = "${var.name_prefix}-viewer"
  description = "Look at the ${var.name_prefix} deployment through stockpipe serve (read-only)"
  policy      = data.aws_iam_policy_document.viewer.json
}
