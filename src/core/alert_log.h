// AlertLog: what each channel did with the alert messages, kept where the pipeline keeps its
// state, for the dashboard to show where no outbox holds them (on AWS, SNS delivers and the state
// table remembers). Locally the outbox is the log (alerts/outbox/outbox.h).
//
// Implementations: DynamoDB (store/dynamodb/dynamodb_alert_log.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/notifier.h"
#include "core/result.h"

namespace stockpipe {

struct LoggedAlert {
  std::int64_t id = 0;  // increasing with the time it was sent; never 0
  AlertMessage message;
  std::string channel;
};

// A channel's record: every send it was asked for, and how the last one went.
struct ChannelRecord {
  std::string channel;
  std::uint64_t delivered = 0;
  std::uint64_t failures = 0;
  Micros last_success = 0;
  std::string last_error;  // redacted by the channel that produced it
  Micros last_error_at = 0;
};

class AlertLog {
 public:
  virtual ~AlertLog() = default;
  // `message` went out on `channel`.
  virtual Status Delivered(const AlertMessage& message, std::string_view channel) = 0;
  // `channel` failed to send a message with `error`.
  virtual Status Failed(std::string_view channel, std::string_view error, Micros at) = 0;
  // The newest `limit` messages with id > after_id, newest first.
  virtual Result<std::vector<LoggedAlert>> Recent(std::size_t limit, std::int64_t after_id) = 0;
  // The record of `channel` (zeros when it never sent).
  virtual Result<ChannelRecord> Channel(std::string_view channel) = 0;
};

}  // namespace stockpipe
