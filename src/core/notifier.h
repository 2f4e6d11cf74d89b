// Notifier: delivers one alert message (subject + body) to one channel.
//
// All alerts of one trends run arrive as one message. A channel that fails returns the error;
// it never throws, and it is never asked to shorten the text itself: the subject is already cut
// to 100 characters.
//
// Implementations: console, alert log (JSON Lines), and later SMTP, webhook, SNS.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "core/timestamp.h"

namespace stockpipe {

enum class MessageKind { kSignals, kNoData, kRecovered };

struct AlertMessage {
  MessageKind kind = MessageKind::kSignals;
  std::string subject;
  std::string body;
  Micros created = 0;
};

std::string_view KindName(MessageKind kind);

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual std::string_view Name() const = 0;
  virtual Status Send(const AlertMessage& message) = 0;
};

}  // namespace stockpipe
