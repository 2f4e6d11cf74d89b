// Alert log channel: appends each message as one JSON line
// `{"time":"...","kind":"signals","subject":"...","body":"..."}` and fsyncs it before returning.
#pragma once

#include <mutex>
#include <string>

#include "core/notifier.h"

namespace stockpipe {

class LogNotifier final : public Notifier {
 public:
  explicit LogNotifier(std::string path) : path_(std::move(path)) {}
  std::string_view Name() const override { return "log"; }
  Status Send(const AlertMessage& message) override;

 private:
  std::string path_;
  std::mutex mutex_;
};

}  // namespace stockpipe
