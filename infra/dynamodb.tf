# The CLEAN store, its candles and the small state table, as the DynamoDB adapters expect them
# (src/store/dynamodb/dynamodb_options.h). All on demand, with point-in-time recovery.
#
# CLEAN: `symbol` S hash key, `timestamp` S range key (canonical UTC text, so text order is time
# order), `price` N and, when the tick had them, `volume`, `open`, `high`, `low` N (not keys, so
# not declared). Ingest upserts ticks; trends reads the newest points of a symbol.
# Candles: one item per OHLCV bar, `series` S hash key ("AAPL#1m": symbol and interval), `start`
# S range key (canonical UTC text of the bar's start), then open/high/low/close/volume/ticks N and
# first/last/symbol/interval S. Ingest keeps the bars of `candle_intervals` up to date after each
# batch of ticks; `stockpipe candles` reads them, `stockpipe candles rebuild` recomputes them.
# State: `pk` S hash key, `sk` S range key. `pk = symbols` is the symbol registry ingest keeps (so
# trends never scans the tick table, except once to rebuild it for a table another program
# filled); `pk = state` holds alert cooldowns, the last trends run, the registry's completeness
# marker and Kinesis consumer checkpoints (when `stockpipe ingest --from kinesis` runs outside
# Lambda). `stockpipe init --store dynamodb` creates the three tables with these keys where missing.

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

resource "aws_dynamodb_table" "candles" {
  name                        = "${var.name_prefix}-candles"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "series"
  range_key                   = "start"
  deletion_protection_enabled = var.dynamodb_deletion_protection

  attribute {
    name = "series"
    type = "S"
  }

  attribute {
    name = "start"
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
