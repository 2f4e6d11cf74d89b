// Moving average convergence/divergence.
//
//   macd      = EMA_fast(x) - EMA_slow(x)
//   signal    = EMA_signal(macd)
//   histogram = macd - signal
//
// The three EMAs are indicators::Ema with the same seeding (default: SMA seeds, see ema.h). The
// signal EMA is fed from the first tick the slow EMA has a value, so with the defaults (12, 26, 9)
// the first output comes with input slow + signal - 1 = 34, all three numbers at once (the same
// index as TA-Lib). npm trading-signals reports from input 26 with a signal that is still the
// seed; with EmaSeed::kFirstValue our numbers equal its numbers from input 34 on.
// Cost: O(1) per tick (three EMA updates).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "core/result.h"
#include "indicators/ema.h"

namespace stockpipe::indicators {

struct MacdParams {
  int fast = 12;
  int slow = 26;
  int signal = 9;
  EmaSeed seed = EmaSeed::kSma;
};

struct MacdValue {
  double macd = 0;
  double signal = 0;
  double histogram = 0;
};

class Macd {
 public:
  using Output = MacdValue;
  // Rejects periods outside [1, kMaxPeriod] and fast >= slow.
  static Result<Macd> Create(MacdParams params);

  std::optional<MacdValue> Update(double value);
  std::optional<MacdValue> Value() const { return value_; }
  bool Ready() const { return value_.has_value(); }

 private:
  Macd(Ema fast, Ema slow, Ema signal)
      : fast_(std::move(fast)), slow_(std::move(slow)), signal_(std::move(signal)) {}
  Ema fast_;
  Ema slow_;
  Ema signal_;
  std::optional<MacdValue> value_;
};

Result<std::vector<std::optional<MacdValue>>> MacdSeries(std::span<const double> values,
                                                         MacdParams params);

}  // namespace stockpipe::indicators
