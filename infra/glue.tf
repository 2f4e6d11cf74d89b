# The catalog of the RAW archive, declared instead of crawled: the layout is ingest's own
# (`raw/dt=YYYY-MM-DD/<shard>-<first>-<last>.jsonl.gz`, gzip JSON Lines, one stable schema), so
# the tables are known up front, and partition projection on `dt` lets Athena compute partitions
# from the query instead of reading them from the catalog: no crawler run, no MSCK REPAIR, and a new
# day is queryable the moment ingest writes it. The columns are the fields ingest writes
# (src/core/record.cc AppendTickJson; the quarantine lines of src/ingest/ingestor.cc and
# src/lambda/ingest_handler.cc), with the types of the embedded catalog (src/query/catalog.cc).
# Extra fields of a record (volume, currency, ...) stay in the objects; add columns to query them.

resource "aws_glue_catalog_database" "stock_raw_db" {
  name        = "stock_raw_db"
  description = "stockpipe RAW archive (S3, gzip JSON Lines)"
}

resource "aws_glue_catalog_table" "raw" {
  name          = "raw"
  database_name = aws_glue_catalog_database.stock_raw_db.name
  description   = "Every accepted tick as ingest received it, partitioned by event date"
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL                      = "TRUE"
    classification                = "json"
    compressionType               = "gzip"
    "projection.enabled"          = "true"
    "projection.dt.type"          = "date"
    "projection.dt.format"        = "yyyy-MM-dd"
    "projection.dt.range"         = "${var.raw_projection_start},NOW"
    "projection.dt.interval"      = "1"
    "projection.dt.interval.unit" = "DAYS"
    "storage.location.template"   = "s3://${aws_s3_bucket.raw.bucket}/raw/dt=$${dt}/"
  }

  partition_keys {
    name = "dt"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${aws_s3_bucket.raw.bucket}/raw/"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      name                  = "json"
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
    }

    columns {
      name = "symbol"
      type = "string"
    }

    columns {
      name    = "timestamp"
      type    = "string"
      comment = "UTC, microseconds, fixed width: 2025-08-14T14:38:12.000000Z"
    }

    columns {
      name = "price"
      type = "double"
    }
  }
}

resource "aws_glue_catalog_table" "rejected" {
  name          = "rejected"
  database_name = aws_glue_catalog_database.stock_raw_db.name
  description   = "The quarantine: records ingest could not accept, with the reason, partitioned by arrival date"
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL                      = "TRUE"
    classification                = "json"
    compressionType               = "gzip"
    "projection.enabled"          = "true"
    "projection.dt.type"          = "date"
    "projection.dt.format"        = "yyyy-MM-dd"
    "projection.dt.range"         = "${var.raw_projection_start},NOW"
    "projection.dt.interval"      = "1"
    "projection.dt.interval.unit" = "DAYS"
    "storage.location.template"   = "s3://${aws_s3_bucket.raw.bucket}/rejected/dt=$${dt}/"
  }

  partition_keys {
    name = "dt"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${aws_s3_bucket.raw.bucket}/rejected/"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      name                  = "json"
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
    }

    columns {
      name = "reason"
      type = "string"
    }

    columns {
      name = "message"
      type = "string"
    }

    columns {
      name = "shard"
      type = "string"
    }

    columns {
      name = "sequence"
      type = "string"
    }

    columns {
      name = "arrival"
      type = "string"
    }

    columns {
      name    = "record"
      type    = "string"
      comment = "The record as received (invalid UTF-8 replaced by U+FFFD)"
    }

    columns {
      name    = "record_base64"
      type    = "string"
      comment = "The exact bytes, present only when the record was not valid UTF-8"
    }

    columns {
      name    = "record_bytes"
      type    = "bigint"
      comment = "The whole record's length, present only when it was over 64 KiB and record holds its first 64 KiB"
    }

    columns {
      name    = "record_sha256"
      type    = "string"
      comment = "The whole record's SHA-256 (hex), present only with record_bytes"
    }
  }
}
