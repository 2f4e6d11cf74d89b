#include "indicators/common.h"

#include <fmt/format.h>

namespace stockpipe::indicators {

Status CheckPeriod(std::string_view what, int period) {
  if (period < 1 || period > kMaxPeriod) {
    return Status::Error(
        fmt::format("{} must be between 1 and {}, got {}", what, kMaxPeriod, period));
  }
  return Status::Ok();
}

}  // namespace stockpipe::indicators
