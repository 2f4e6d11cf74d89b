// The DynamoDB JSON protocol (`DynamoDB_20120810`, JSON 1.0) over `aws::Client`, and table setup.
// Internal to the DynamoDB adapters.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aws/client.h"
#include "core/result.h"

namespace stockpipe::dynamodb {

// Sends `body` as operation `op`; the parsed answer of a 2xx reply, otherwise an error
// "DynamoDB <op>: <error type>: <message> (HTTP n)" (the client has already retried throttling).
Result<nlohmann::json> Call(aws::Client& client, std::string_view op, const nlohmann::json& body);
Result<nlohmann::json> Call(aws::Client& client, std::string_view op, std::string body);

// Whether `status` is the error `code` (a DynamoDB exception name such as
// `ResourceNotFoundException`).
bool IsError(const Status& status, std::string_view code);

// Creates table `name` (`hash` S hash key, `range` S range key, on-demand billing: the schema of
// infra/dynamodb.tf) unless it exists, and waits until it is ACTIVE; `created` (if given) says
// whether this call created it. An existing table with another key schema is an error.
Status EnsureTable(aws::Client& client, const std::string& name, const std::string& hash,
                   const std::string& range, bool* created = nullptr);

// A table an adapter uses, what it is ("the state table") and the setting naming it.
struct TableRole {
  std::string name;
  std::string_view what;
  std::string_view setting;
};

// `status` as it is, unless it is a ResourceNotFoundException: then the first of `tables` that
// does not exist (asked with DescribeTable) is named with what to do, e.g. "DynamoDB table
// stockpipe-state (the state table) does not exist in region eu-central-1: create it with
// `stockpipe init --store dynamodb` (or Terraform, infra/dynamodb.tf), or set
// DYNAMODB_STATE_TABLE to the table that holds it".
Status ExplainMissingTable(aws::Client& client, Status status,
                           std::initializer_list<TableRole> tables);

// The string value of attribute `name` of type `type` ("S", "N") in an item, or null.
const std::string* Attribute(const nlohmann::json& item, const char* name, const char* type);
// The value of attribute `name` whether a string or a number, as text; empty when absent.
std::string AttributeText(const nlohmann::json& item, const char* name);

// Appends the fixed-point decimal DynamoDB stores for `value`: numbers there are decimal, so this
// is the double itself, not a rounding of it.
void AppendNumber(double value, std::string& out);

// BatchWriteItem's limit of requests per call, all tables together.
inline constexpr std::size_t kWritesPerCall = 25;
// BatchGetItem's limit of keys per call.
inline constexpr std::size_t kReadsPerCall = 100;

// BatchWriteItem request bodies built in order, at most kWritesPerCall requests each:
// `Add(table)` returns the body to append one request to (`{"PutRequest":...}` or
// `{"DeleteRequest":...}` JSON text), so hot paths write their items straight into the body.
class WriteBodies {
 public:
  std::string& Add(std::string_view table);
  // The bodies so far; the builder is empty afterwards.
  std::vector<std::string> Take();
  bool empty() const { return bodies_.empty() && count_ == 0; }

 private:
  void Close();

  std::vector<std::string> bodies_;
  std::string body_;
  std::vector<std::string> tables_;  // of body_, the last one open
  std::size_t count_ = 0;            // requests in body_
};

// Sends BatchWriteItem `bodies`, up to `concurrency` calls in flight, and resends each call's
// `UnprocessedItems` with the client's RetryPolicy (full-jitter backoff, at most max_attempts
// rounds) until none are left. An error when a call fails or items are still refused after the
// last round: the caller retries the whole write (puts and deletes are idempotent).
Status WriteAll(aws::Client& client, std::vector<std::string> bodies, std::size_t concurrency = 1);

// The items of `table` at `keys` (any number; kReadsPerCall a call), strongly consistent, with
// `UnprocessedKeys` asked again under the client's RetryPolicy; `extra` (ProjectionExpression,
// ExpressionAttributeNames) is added to each request. Missing keys are simply absent.
Result<std::vector<nlohmann::json>> GetAll(aws::Client& client, const std::string& table,
                                           const std::vector<nlohmann::json>& keys,
                                           const nlohmann::json& extra = nlohmann::json::object());

// JSON text that never throws on invalid UTF-8 (it is replaced).
std::string Dump(const nlohmann::json& value);

}  // namespace stockpipe::dynamodb
