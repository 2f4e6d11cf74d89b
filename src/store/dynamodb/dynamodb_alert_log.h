// The DynamoDB AlertLog, in the state table (`stockpipe-state`, see dynamodb_options.h):
// - `pk=alerts, sk=<id, 19 digits>`: one item per delivered message (kind, subject, body,
//   created, channel), `id` its send time in microseconds (bumped by one when two sends share a
//   microsecond: a conditional put never overwrites). `expires` (epoch seconds, 90 days on) lets
//   the table's TTL drop old ones (infra/dynamodb.tf).
// - `pk=channels, sk=<channel>`: counters `delivered`, `failures` (atomic ADD), `last_success`,
//   `last_error`, `last_error_at`.
// Recent is one Query, newest first. Thread-safe.
#pragma once

#include "aws/client.h"
#include "core/alert_log.h"
#include "store/dynamodb/dynamodb_options.h"

namespace stockpipe {

class DynamoDbAlertLog final : public AlertLog {
 public:
  explicit DynamoDbAlertLog(DynamoDbOptions options);

  Status Delivered(const AlertMessage& message, std::string_view channel) override;
  Status Failed(std::string_view channel, std::string_view error, Micros at) override;
  Result<std::vector<LoggedAlert>> Recent(std::size_t limit, std::int64_t after_id) override;
  Result<ChannelRecord> Channel(std::string_view channel) override;

 private:
  DynamoDbOptions options_;
  aws::Client client_;
};

}  // namespace stockpipe
