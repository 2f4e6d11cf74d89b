#include "alerts/logged_notifier.h"

#include <spdlog/spdlog.h>

namespace stockpipe {

Status LoggedNotifier::Send(const AlertMessage& message) {
  Status sent = channel_.Send(message);
  Status logged = sent.ok() ? log_.Delivered(message, channel_.Name())
                            : log_.Failed(channel_.Name(), sent.message(), NowMicros());
  if (!logged.ok()) {
    spdlog::warn("alert log: {} (the {} send itself {})", logged.message(), channel_.Name(),
                 sent.ok() ? "succeeded" : "failed");
  }
  return sent;
}

}  // namespace stockpipe
