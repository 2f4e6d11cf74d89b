# The CLEAN store and the small state table, as the DynamoDB adapters expect them
# (src/store/dynamodb/dynamodb_options.h). Both on demand, with point-in-time recovery.
#
# CLEAN: `symbol` S hash key, `timestamp` S range key (canonical UTC text, so text order is time
# order), `price` N (not a key, so not declared). Ingest upserts ticks; trends reads the newest
# points of a symbol.
# State: `pk` S hash key, `sk` S range key. `pk = symbols` is the symbol registry ingest keeps (so
# trends never scans the tick table, except once to rebuild it for a table another program
# filled); `pk = state` holds alert cooldowns, the last trends run, the registry's completeness
# marker and Kinesis consumer checkpoints (when `stockpipe ingest --from kinesis` runs outside
# Lambda). `stockpipe init --store dynamodb` creates both tables with these keys where missing.

resource "aws_dynamodb_table" "clean" {
  name                        = var.clean_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "symbol"
  range_key                   = "timestamp"
  deletion_protection_enabled = var.dynamodb_deletion_protection

  attribute {
    name = "symbol"
    type = "S"
  }

  attribute {
    name = "timestamp"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }
}

resource "aws_dynamodb_table" "state" {
  name                        = "${var.name_prefix}-state"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.dynamodb_deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  # Logged alert messages (pk = alerts) carry `expires`: DynamoDB drops them 90 days on.
  ttl {
    attribute_name = "expires"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }
}
