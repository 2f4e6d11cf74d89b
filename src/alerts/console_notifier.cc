#include "alerts/console_notifier.h"

#include <fmt/format.h>

namespace stockpipe {

Status ConsoleNotifier::Send(const AlertMessage& message) {
  std::lock_guard lock(mutex_);
  fmt::print(out_, "\n=== {} ===\n{}\n\n", message.subject, message.body);
  std::fflush(out_);
  return Status::Ok();
}

}  // namespace stockpipe
