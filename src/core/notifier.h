// Notifier: delivers one alert message (subject + body) to one channel.
//
// All alerts of one trends run arrive as one message. A channel that fails returns the error;
// it never throws, and it is never asked to shorten the text itself: the subject is already cut
// to 100 characters.
//
// Implementations: console, alert log (JSON Lines), SMTP, webhook, SNS, Telegram, Discord.
//
// Most channels send a message in one request. Telegram and Discord may need several (their
// length limits split a long message into parts): they implement `Resume`, which starts after
// the parts a previous attempt already delivered and reports how far it got, and how long the
// service asked to be left alone (HTTP 429). The outbox keeps both, so a retry sends no part
// twice and comes no sooner than the service allowed.
#pragma once

#include <cstddef>
#include <functional>
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

// Where one delivery of one message to one channel stands, kept by the caller between attempts.
struct DeliveryProgress {
  // In: parts the service already accepted; out: updated as parts are accepted.
  std::size_t parts_sent = 0;
  // Out: the service asked not to be called again for this long (HTTP 429); 0 = no such ask.
  Micros retry_after = 0;
  // Called after each part accepted with the new `parts_sent`, so a crash between parts does
  // not send the accepted ones again; may be empty.
  std::function<void(std::size_t)> on_part;
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual std::string_view Name() const = 0;
  virtual Status Send(const AlertMessage& message) = 0;
  // Send, resuming after `progress.parts_sent` parts. Channels that send one request per message
  // never report parts, so for them this is Send.
  virtual Status Resume(const AlertMessage& message, DeliveryProgress& progress) {
    (void)progress;
    return Send(message);
  }
};

}  // namespace stockpipe
