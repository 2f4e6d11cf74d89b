// Exponential moving average with alpha = 2 / (n + 1).
//
//   EMA_t = alpha * x_t + (1 - alpha) * EMA_{t-1}
//
// Seeding (the only place EMA definitions differ between libraries):
// - EmaSeed::kSma (default, as TA-Lib): EMA_{n-1} = the SMA of the first n values; the recursion
//   runs from the (n+1)-th input.
// - EmaSeed::kFirstValue (as npm trading-signals): EMA_0 = x_0 and the recursion runs from the
//   second input, but no value is reported before the n-th input (the seed has not decayed yet).
// Either way the first value comes with the n-th input. The two differ by a seed error that
// decays by (1 - alpha) per tick (tested against trading-signals both ways).
// Cost: O(1) per tick, no window. Numerics: the recursion contracts, so rounding does not
// accumulate; the SMA seed is a plain sum of n values.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "core/result.h"
#include "indicators/common.h"

namespace stockpipe::indicators {

enum class EmaSeed { kSma, kFirstValue };

struct EmaParams {
  int period = 20;
  EmaSeed seed = EmaSeed::kSma;
};

class Ema {
 public:
  using Output = double;
  static Result<Ema> Create(EmaParams params);

  std::optional<double> Update(double value);
  std::optional<double> Value() const;
  bool Ready() const { return ready_; }
  double alpha() const { return alpha_; }

 private:
  explicit Ema(EmaParams params);
  int period_;
  EmaSeed seed_;
  double alpha_;
  double keep_;  // 1 - alpha
  int count_ = 0;
  bool ready_ = false;
  double ema_ = 0;  // during an SMA seed: the running sum of the seed values
};

Result<std::vector<std::optional<double>>> EmaSeries(std::span<const double> values,
                                                     EmaParams params);

}  // namespace stockpipe::indicators
