// The AWS QueryEngine: Amazon Athena over the Glue database (`stock_raw_db` by default).
//
// `Run` starts one query execution (StartQueryExecution, with a ClientRequestToken so a start the
// client retries is not started twice), polls GetQueryExecution every `poll_interval` until it is
// SUCCEEDED, FAILED or CANCELLED, then pages through GetQueryResults (NextToken) and hands every
// page's rows to the sink as it arrives: nothing is buffered beyond one page.
//
// Read-only before anything is sent: only SELECT, WITH, SHOW, DESCRIBE and EXPLAIN (of such a
// statement) go to Athena; anything else is refused (kRefused) without a request. One statement
// per query; a trailing `;` is dropped.
//
// Failures keep Athena's words: a FAILED query whose reason is a syntax or analysis error
// ("SYNTAX_ERROR: line 1:8: ...", "TABLE_NOT_FOUND: ...") is kInvalid, any other is kFailed.
// Past `timeout_seconds` (0 = no limit) the execution is stopped (StopQueryExecution) and the
// outcome is kTimedOut. The stats carry rows, Athena's DataScannedInBytes and wall-clock seconds.
//
// Cells: tinyint..bigint are integers, real/double and decimals up to 15 digits are reals, a
// missing VarCharValue is NULL, everything else (varchar, boolean, date, timestamp, wider
// decimals, arrays, ...) is Athena's text. One engine serves one thread at a time.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "aws/client.h"
#include "core/query_engine.h"

namespace stockpipe {

struct AthenaOptions {
  aws::ClientOptions client;  // the service is forced to Athena
  std::string workgroup = "primary";
  std::string database = "stock_raw_db";
  std::string output_location;  // s3://bucket/prefix/, or empty when the workgroup sets it
  std::chrono::milliseconds poll_interval{250};
  double timeout_seconds = 600;  // 0 = no limit
};

class AthenaQueryEngine final : public QueryEngine {
 public:
  explicit AthenaQueryEngine(AthenaOptions options);

  QueryOutcome Run(std::string_view sql, RowSink& sink) override;

  // The last Run's QueryExecutionId (empty when nothing was started) and the S3 object where
  // Athena keeps that result as CSV (empty until the execution reports it).
  const std::string& last_query_id() const { return last_query_id_; }
  const std::string& last_output_location() const { return last_output_location_; }

  // Calls, attempts and retries per Athena operation since the engine was made.
  std::map<std::string, aws::OperationStats> CallStats() const { return client_.Stats(); }

 private:
  AthenaOptions options_;
  aws::Client client_;
  std::string last_query_id_;
  std::string last_output_location_;
};

// What the read-only gate makes of a statement: the text to send (comments kept, a trailing `;`
// dropped) or why it is not sent (kRefused for writes, kInvalid for empty or several statements).
struct AthenaStatement {
  QueryFailure failure = QueryFailure::kNone;
  std::string message;
  std::string text;
};
AthenaStatement CheckAthenaStatement(std::string_view sql);

}  // namespace stockpipe
