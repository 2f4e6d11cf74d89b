// Percent change over n ticks:  100 * (x_t - x_{t-n}) / x_{t-n}.
//
// Warm-up: the first value comes with input n + 1. With a reference of 0 there is no finite
// change: Update returns nullopt (and Value() keeps nothing) although Ready() is true.
// Cost: O(1) per tick, memory n values. Numerics: (x - ref) / ref rather than x / ref - 1, which
// would cancel when x is close to ref.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "core/result.h"
#include "indicators/common.h"

namespace stockpipe::indicators {

struct PercentChangeParams {
  int period = 1;
};

class PercentChange {
 public:
  using Output = double;
  static Result<PercentChange> Create(PercentChangeParams params);

  std::optional<double> Update(double value);
  std::optional<double> Value() const { return value_; }
  bool Ready() const { return ready_; }

 private:
  explicit PercentChange(int period) : window_(period) {}
  RollingWindow window_;
  bool ready_ = false;
  std::optional<double> value_;
};

Result<std::vector<std::optional<double>>> PercentChangeSeries(std::span<const double> values,
                                                               PercentChangeParams params);

}  // namespace stockpipe::indicators
