// Console channel: prints each message to a stream (stdout by default), subject first.
#pragma once

#include <cstdio>
#include <mutex>

#include "core/notifier.h"

namespace stockpipe {

class ConsoleNotifier final : public Notifier {
 public:
  explicit ConsoleNotifier(std::FILE* out = stdout) : out_(out) {}
  std::string_view Name() const override { return "console"; }
  Status Send(const AlertMessage& message) override;

 private:
  std::FILE* out_;
  std::mutex mutex_;
};

}  // namespace stockpipe
