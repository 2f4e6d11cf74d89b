// Simple moving average: the mean of the newest n values.
//
//   SMA_t = (x_{t-n+1} + ... + x_t) / n
//
// Warm-up: the first value comes with the n-th input. Cost: O(1) per tick, plus one pass over the
// window every n ticks (O(1) amortized; a latency step of n additions once per n ticks).
// Numerics: a running sum updated by (new - old), recomputed from the window oldest-first each
// time the window wraps, so after any number of ticks the error is that of at most n updates
// (a 10M-tick stream does not drift; tested against a fresh sum after 1M ticks). On the wrap ticks
// the sum is formed exactly as the reference rule (rules/pct_sma_rule) forms it; in between the two
// agree to rounding, not to the bit. A window of one repeated value gives exactly that value.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "core/result.h"
#include "indicators/common.h"

namespace stockpipe::indicators {

struct SmaParams {
  int period = 20;
};

class Sma {
 public:
  using Output = double;
  static Result<Sma> Create(SmaParams params);

  std::optional<double> Update(double value);
  std::optional<double> Value() const { return value_; }
  bool Ready() const { return value_.has_value(); }
  int period() const { return static_cast<int>(window_.size()); }

 private:
  explicit Sma(int period) : window_(period) {}
  RollingWindow window_;
  double sum_ = 0;
  std::optional<double> value_;
};

Result<std::vector<std::optional<double>>> SmaSeries(std::span<const double> values,
                                                     SmaParams params);

}  // namespace stockpipe::indicators
