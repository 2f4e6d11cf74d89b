# Inputs. Copy terraform.tfvars.example to terraform.tfvars and set at least alert_email.

# ---- Where and what -----------------------------------------------------------------------------

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name, so several deployments can share an account."
  type        = string
  default     = "stockpipe"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-20 characters of a-z, 0-9 and '-', starting with a letter (it is part of S3 bucket names)."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "alert_email" {
  description = "E-mail address subscribed to the SNS topic (alerts and alarms). AWS sends a confirmation mail first."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an e-mail address."
  }
}

variable "clean_table_name" {
  description = "Name of the CLEAN table (the reference name; change it to run two deployments in one account and region)."
  type        = string
  default     = "StockCleanedData"
}

# Migrating from the reference pipeline keeps its stream and bucket (docs/migrate.md): name them
# here and `import` them; empty means the names this configuration makes up.
variable "kinesis_stream_name" {
  description = "Name of the tick stream; empty: \"<name_prefix>-ticks\". Set it to the reference pipeline's stream to keep it."
  type        = string
  default     = ""
}

# The switch from the reference pipeline turns stockpipe's consumer and schedule on one at a time
# (docs/migrate.md); a fresh deployment leaves both on.
variable "ingest_enabled" {
  description = "Whether the ingest function reads the stream (its event source mapping is enabled)."
  type        = bool
  default     = true
}

variable "trends_enabled" {
  description = "Whether the trends schedule runs."
  type        = bool
  default     = true
}

variable "raw_bucket_name" {
  description = "Name of the RAW bucket; empty: \"<name_prefix>-raw-<account>-<region>\". Set it to the reference pipeline's bucket to keep it."
  type        = string
  default     = ""
}

# ---- Lambda -------------------------------------------------------------------------------------

variable "lambda_zip_path" {
  description = "The deployment zip built by `cmake --build build --target stockpipe-lambda-zip`; a relative path is relative to this folder."
  type        = string
  default     = "../build/stockpipe-lambda.zip"
}

variable "lambda_architecture" {
  description = "Architecture of the machine that built the zip (it packs that machine's binary): x86_64 or arm64."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "ingest_memory_mb" {
  description = "Memory of the ingest function (CPU grows with it)."
  type        = number
  default     = 256

  validation {
    condition     = var.ingest_memory_mb >= 128 && var.ingest_memory_mb <= 10240
    error_message = "ingest_memory_mb must be 128..10240."
  }
}

variable "trends_memory_mb" {
  description = "Memory of the trends function."
  type        = number
  default     = 256

  validation {
    condition     = var.trends_memory_mb >= 128 && var.trends_memory_mb <= 10240
    error_message = "trends_memory_mb must be 128..10240."
  }
}

variable "ingest_timeout_seconds" {
  description = "Time limit of one ingest invocation (one batch)."
  type        = number
  default     = 60

  validation {
    condition     = var.ingest_timeout_seconds >= 3 && var.ingest_timeout_seconds <= 900
    error_message = "ingest_timeout_seconds must be 3..900."
  }
}

variable "trends_timeout_seconds" {
  description = "Time limit of one trends run."
  type        = number
  default     = 120

  validation {
    condition     = var.trends_timeout_seconds >= 3 && var.trends_timeout_seconds <= 900
    error_message = "trends_timeout_seconds must be 3..900."
  }
}

# ---- Kinesis and the event source mapping -------------------------------------------------------

variable "kinesis_stream_mode" {
  description = "PROVISIONED (pay per shard-hour; cheapest at a steady rate) or ON_DEMAND (pay per GB, no shards to size)."
  type        = string
  default     = "PROVISIONED"

  validation {
    condition     = contains(["PROVISIONED", "ON_DEMAND"], var.kinesis_stream_mode)
    error_message = "kinesis_stream_mode must be PROVISIONED or ON_DEMAND."
  }
}

variable "kinesis_shard_count" {
  description = "Shards when PROVISIONED: each takes 1,000 records/s or 1 MiB/s."
  type        = number
  default     = 1

  validation {
    condition     = var.kinesis_shard_count >= 1 && var.kinesis_shard_count <= 500
    error_message = "kinesis_shard_count must be 1..500."
  }
}

variable "kinesis_retention_hours" {
  description = "How long Kinesis keeps records (24 is included in the shard price; longer costs extra)."
  type        = number
  default     = 24

  validation {
    condition     = var.kinesis_retention_hours >= 24 && var.kinesis_retention_hours <= 8760
    error_message = "kinesis_retention_hours must be 24..8760."
  }
}

variable "ingest_batch_size" {
  description = "Most records per ingest invocation (Lambda also stops at a 6 MB event)."
  type        = number
  default     = 10000

  validation {
    condition     = var.ingest_batch_size >= 1 && var.ingest_batch_size <= 10000
    error_message = "ingest_batch_size must be 1..10000."
  }
}

variable "ingest_batching_window_seconds" {
  description = "How long Lambda gathers records before invoking ingest: fewer, larger RAW objects and DynamoDB calls against fresher data."
  type        = number
  default     = 30

  validation {
    condition     = var.ingest_batching_window_seconds >= 0 && var.ingest_batching_window_seconds <= 300
    error_message = "ingest_batching_window_seconds must be 0..300."
  }
}

variable "ingest_parallelization_factor" {
  description = "Concurrent batches per shard (1 keeps each shard's records in order)."
  type        = number
  default     = 1

  validation {
    condition     = var.ingest_parallelization_factor >= 1 && var.ingest_parallelization_factor <= 10
    error_message = "ingest_parallelization_factor must be 1..10."
  }
}

variable "ingest_max_retry_attempts" {
  description = "Retries of a failing batch (after bisecting) before it goes to the dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = var.ingest_max_retry_attempts >= 0 && var.ingest_max_retry_attempts <= 100
    error_message = "ingest_max_retry_attempts must be 0..100 (never -1, unbounded)."
  }
}

variable "ingest_max_record_age_seconds" {
  description = "A record older than this is not retried any more and goes to the dead-letter queue."
  type        = number
  default     = 3600

  validation {
    condition     = var.ingest_max_record_age_seconds >= 60 && var.ingest_max_record_age_seconds <= 86400
    error_message = "ingest_max_record_age_seconds must be 60..86400 (never -1, unbounded)."
  }
}

# ---- Trends: the reference rule and its parameters ----------------------------------------------

variable "trends_schedule" {
  description = "EventBridge schedule of the trends function."
  type        = string
  default     = "rate(2 minutes)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.trends_schedule))
    error_message = "trends_schedule must be rate(...) or cron(...)."
  }
}

variable "thresh_pct" {
  description = "THRESH_PCT: percent change against LOOKBACK_POINTS points back that triggers BUY/SELL."
  type        = number
  default     = 1.5

  validation {
    condition     = var.thresh_pct > 0
    error_message = "thresh_pct must be positive."
  }
}

variable "lookback_points" {
  description = "LOOKBACK_POINTS: how many points back the reference price is."
  type        = number
  default     = 15

  validation {
    condition     = var.lookback_points >= 1 && floor(var.lookback_points) == var.lookback_points
    error_message = "lookback_points must be a whole number >= 1."
  }
}

variable "sma_window" {
  description = "SMA_WINDOW: points in the simple moving average."
  type        = number
  default     = 20

  validation {
    condition     = var.sma_window >= 1 && floor(var.sma_window) == var.sma_window
    error_message = "sma_window must be a whole number >= 1."
  }
}

variable "min_points" {
  description = "MIN_POINTS: fewest points before any decision."
  type        = number
  default     = 20

  validation {
    condition     = var.min_points >= 1 && floor(var.min_points) == var.min_points
    error_message = "min_points must be a whole number >= 1."
  }
}

variable "eps_pct" {
  description = "EPS_PCT: no decision while the price is closer than this (percent) to the SMA."
  type        = number
  default     = 0.2

  validation {
    condition     = var.eps_pct >= 0
    error_message = "eps_pct must be >= 0."
  }
}

variable "alert_lang" {
  description = "ALERT_LANG: language of the alert texts, pl or en."
  type        = string
  default     = "pl"

  validation {
    condition     = contains(["pl", "en"], var.alert_lang)
    error_message = "alert_lang must be pl or en."
  }
}

variable "include_json_footer" {
  description = "INCLUDE_JSON_FOOTER: append the alerts as raw JSON to each message."
  type        = bool
  default     = false
}

variable "cooldown_minutes" {
  description = "COOLDOWN_MIN: minutes before the same (symbol, action) alerts again; 0 alerts on every run like the reference."
  type        = number
  default     = 30

  validation {
    condition     = var.cooldown_minutes >= 0
    error_message = "cooldown_minutes must be >= 0."
  }
}

# ---- Storage ------------------------------------------------------------------------------------

variable "raw_infrequent_access_after_days" {
  description = "Days after which RAW objects move to S3 Standard-IA."
  type        = number
  default     = 90

  validation {
    condition     = var.raw_infrequent_access_after_days >= 30
    error_message = "raw_infrequent_access_after_days must be >= 30 (the S3 minimum for Standard-IA)."
  }
}

variable "raw_expire_after_days" {
  description = "Days after which RAW objects are deleted."
  type        = number
  default     = 730

  validation {
    condition     = var.raw_expire_after_days >= 1
    error_message = "raw_expire_after_days must be >= 1."
  }
}

variable "rejected_expire_after_days" {
  description = "Days after which quarantined records (rejected/) are deleted."
  type        = number
  default     = 90

  validation {
    condition     = var.rejected_expire_after_days >= 1
    error_message = "rejected_expire_after_days must be >= 1."
  }
}

variable "athena_results_expire_after_days" {
  description = "Days after which Athena query results are deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.athena_results_expire_after_days >= 1
    error_message = "athena_results_expire_after_days must be >= 1."
  }
}

variable "raw_bucket_force_destroy" {
  description = "Let `terraform destroy` delete the RAW bucket with its objects (all history is lost)."
  type        = bool
  default     = false
}

variable "raw_projection_start" {
  description = "First day (yyyy-MM-dd) Athena's partition projection considers for dt."
  type        = string
  default     = "2020-01-01"

  validation {
    condition     = can(regex("^\\d{4}-\\d{2}-\\d{2}$", var.raw_projection_start))
    error_message = "raw_projection_start must look like 2020-01-01."
  }
}

variable "athena_bytes_scanned_cutoff" {
  description = "Athena cancels a query of this workgroup that would scan more bytes (cost guard)."
  type        = number
  default     = 107374182400 # 100 GiB

  validation {
    condition     = var.athena_bytes_scanned_cutoff >= 10485760
    error_message = "athena_bytes_scanned_cutoff must be at least 10 MiB (Athena's minimum)."
  }
}

variable "candle_intervals" {
  description = "CANDLE_INTERVALS: the OHLCV bar lengths kept in the candles table (\"30s\", \"1m\", \"5m\", \"1h\", \"1d\"; 1 to 8 of them)."
  type        = list(string)
  default     = ["1m", "1h", "1d"]

  validation {
    condition     = length(var.candle_intervals) >= 1 && length(var.candle_intervals) <= 8 && alltrue([for i in var.candle_intervals : can(regex("^[1-9][0-9]*[smhd]$", i))])
    error_message = "candle_intervals must be 1 to 8 lengths written as a positive whole number and s, m, h or d (\"1m\", \"1h\")."
  }
}

variable "dynamodb_deletion_protection" {
  description = "Refuse to delete the DynamoDB tables (set true in production)."
  type        = bool
  default     = false
}

# ---- Monitoring ---------------------------------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of the Lambda log groups."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ...)."
  }
}

variable "no_data_alarm_minutes" {
  description = "Alarm when Kinesis received no record for this many minutes (the watchdog's NO_DATA_AFTER)."
  type        = number
  default     = 10

  validation {
    condition     = var.no_data_alarm_minutes >= 1 && var.no_data_alarm_minutes <= 1440
    error_message = "no_data_alarm_minutes must be 1..1440."
  }
}

variable "iterator_age_alarm_seconds" {
  description = "Alarm when the newest batch ingest received was older than this (ingest falling behind)."
  type        = number
  default     = 300

  validation {
    condition     = var.iterator_age_alarm_seconds >= 1
    error_message = "iterator_age_alarm_seconds must be >= 1."
  }
}
