// A channel whose every send is written to an AlertLog (core/alert_log.h): what lets a dashboard
// over AWS list the alerts SNS delivered and the channel's health.
//
// It wraps single-request channels (SNS): `Resume` is `Send`, with no parts to resume.
// The log is written after the channel answered. A log that cannot be written is only logged: the
// message went out, and failing the send would make the caller send it again.
#pragma once

#include "core/alert_log.h"
#include "core/notifier.h"

namespace stockpipe {

class LoggedNotifier final : public Notifier {
 public:
  LoggedNotifier(Notifier& channel, AlertLog& log) : channel_(channel), log_(log) {}
  std::string_view Name() const override { return channel_.Name(); }
  Status Send(const AlertMessage& message) override;

 private:
  Notifier& channel_;
  AlertLog& log_;
};

}  // namespace stockpipe
