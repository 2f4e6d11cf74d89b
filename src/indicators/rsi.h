// Relative strength index, Wilder's definition.
//
// From the second input on, each tick's move d = x_t - x_{t-1} is a gain max(d, 0) and a loss
// max(-d, 0). The averages start as the simple means of the first n gains and losses, then follow
// Wilder's smoothing:  avg_t = (avg_{t-1} * (n - 1) + g_t) / n.
//   RSI = 100 * avgGain / (avgGain + avgLoss)          (= 100 - 100 / (1 + RS))
//
// Warm-up: the first value comes with input n + 1 (n moves). Cost: O(1) per tick, no window.
// Numerics: the smoothing contracts, so rounding does not accumulate.
// Flat: when both averages are 0 (no move at all since the start) RSI is 50, not 100 as in npm
// trading-signals nor 0 as in TA-Lib: a halted symbol is neither overbought nor oversold, so a
// threshold rule does not fire on it. With only losses RSI is 0, with only gains 100.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "core/result.h"
#include "indicators/common.h"

namespace stockpipe::indicators {

struct RsiParams {
  int period = 14;
};

class Rsi {
 public:
  using Output = double;
  static Result<Rsi> Create(RsiParams params);

  std::optional<double> Update(double value);
  std::optional<double> Value() const { return value_; }
  bool Ready() const { return value_.has_value(); }

 private:
  explicit Rsi(int period) : period_(period) {}
  int period_;
  int moves_ = 0;  // counted up to period_ only
  bool has_previous_ = false;
  double previous_ = 0;
  double avg_gain_ = 0;  // during warm-up: the sums of gains and losses
  double avg_loss_ = 0;
  std::optional<double> value_;
};

Result<std::vector<std::optional<double>>> RsiSeries(std::span<const double> values,
                                                     RsiParams params);

}  // namespace stockpipe::indicators
