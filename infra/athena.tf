# SQL over the RAW archive. The workgroup enforces its result location (query results never land
# where a client says), encrypts results, publishes metrics and cancels runaway scans.
# `stockpipe query --engine athena` uses it with ATHENA_WORKGROUP / ATHENA_DATABASE (outputs).

resource "aws_athena_workgroup" "stockpipe" {
  name          = "${var.name_prefix}-analytics"
  description   = "stockpipe: SQL over the RAW archive (stock_raw_db)"
  force_destroy = true

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_bytes_scanned_cutoff

    result_configuration {
      output_location = "s3://${aws_s3_bucket.results.bucket}/athena/"

      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }
}

# The reference pipeline's queries, saved in the workgroup.

resource "aws_athena_named_query" "show_tables" {
  name      = "show-tables"
  workgroup = aws_athena_workgroup.stockpipe.id
  database  = aws_glue_catalog_database.stock_raw_db.name
  query     = "SHOW TABLES;"
}

resource "aws_athena_named_query" "sample" {
  name      = "raw-sample"
  workgroup = aws_athena_workgroup.stockpipe.id
  database  = aws_glue_catalog_database.stock_raw_db.name
  query     = "SELECT * FROM stock_raw_db.raw LIMIT 10;"
}

resource "aws_athena_named_query" "max_price" {
  name      = "max-price-per-symbol"
  workgroup = aws_athena_workgroup.stockpipe.id
  database  = aws_glue_catalog_database.stock_raw_db.name
  query     = "SELECT symbol, MAX(price) AS max_price FROM stock_raw_db.raw GROUP BY symbol;"
}

resource "aws_athena_named_query" "count" {
  name      = "raw-count"
  workgroup = aws_athena_workgroup.stockpipe.id
  database  = aws_glue_catalog_database.stock_raw_db.name
  query     = "SELECT count(*) FROM stock_raw_db.raw;"
}
