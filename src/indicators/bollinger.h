// Bollinger bands: an SMA with bands k population standard deviations away.
//
//   middle = SMA_n(x),  sd = sqrt(sum over the window of (x - middle)^2 / n)
//   upper  = middle + k * sd,  lower = middle - k * sd
//
// Population (divide by n), as npm trading-signals and TA-Lib do. Warm-up: the first value comes
// with the n-th input. Cost: O(1) per tick, plus one two-pass recomputation every n ticks
// (O(1) amortized).
// Numerics: the sum is kept exactly as Sma keeps it (so `middle` equals Sma's value bit for bit);
// the sum of squared deviations M2 by the rolling Welford update
//   M2 += (new - old) * (new - mean' + old - mean)
// which avoids the E[x^2] - mean^2 cancellation, and both are recomputed from the window (two
// passes) each time it wraps, so error never comes from more than n updates. A window of one
// repeated value gives sd = 0 exactly.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "core/result.h"
#include "indicators/common.h"

namespace stockpipe::indicators {

struct BollingerParams {
  int period = 20;
  double k = 2.0;  // band width in standard deviations, finite and >= 0
};

struct Bands {
  double lower = 0;
  double middle = 0;
  double upper = 0;
  double stddev = 0;
};

class Bollinger {
 public:
  using Output = Bands;
  static Result<Bollinger> Create(BollingerParams params);

  std::optional<Bands> Update(double value);
  std::optional<Bands> Value() const { return value_; }
  bool Ready() const { return value_.has_value(); }

 private:
  Bollinger(int period, double k) : window_(period), k_(k) {}
  void Recompute();
  RollingWindow window_;
  double k_;
  double sum_ = 0;
  double m2_ = 0;
  std::optional<Bands> value_;
};

Result<std::vector<std::optional<Bands>>> BollingerSeries(std::span<const double> values,
                                                          BollingerParams params);

}  // namespace stockpipe::indicators
