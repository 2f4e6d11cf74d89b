// The DynamoDB JSON protocol (`DynamoDB_20120810`, JSON 1.0) over `aws::Client`, and table setup.
// Internal to the DynamoDB adapters.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

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

// Creates table `name` (`hash` S hash key, `range` S range key, on-demand billing) unless it
// exists, and waits until it is ACTIVE. An existing table with another key schema is an error.
Status EnsureTable(aws::Client& client, const std::string& name, const std::string& hash,
                   const std::string& range);

// JSON text that never throws on invalid UTF-8 (it is replaced).
std::string Dump(const nlohmann::json& value);

}  // namespace stockpipe::dynamodb
