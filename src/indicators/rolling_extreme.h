// Rolling minimum and maximum: the smallest / largest of the newest n values.
//
// Warm-up: the first value comes with the n-th input. Cost: O(1) amortized per tick (each input
// enters and leaves the monotonic deque once), memory n slots. Exact: values are compared, never
// combined.
//
// The deque holds the inputs that can still become the extreme, oldest first, each strictly
// better than the ones before it; an input makes every earlier one that is not better obsolete.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "core/result.h"
#include "indicators/common.h"

namespace stockpipe::indicators {

struct RollingExtremeParams {
  int period = 20;
};

// `Better(a, b)`: a replaces b as the extreme (std::less for a minimum).
template <typename Better>
class RollingExtreme {
 public:
  using Output = double;
  static Result<RollingExtreme> Create(RollingExtremeParams params) {
    if (Status s = CheckPeriod("rolling min/max period", params.period); !s) return s;
    return RollingExtreme(params.period);
  }

  std::optional<double> Update(double value) {
    const std::int64_t tick = ticks_++;
    // Drop from the back every candidate the new value is at least as good as (ties: the newer
    // one lives longer).
    while (size_ > 0 && !Better{}(slots_[Back()].value, value)) --size_;
    // Drop from the front the candidate that left the window.
    if (size_ > 0 && slots_[front_].tick <= tick - period_) {
      front_ = Next(front_);
      --size_;
    }
    slots_[At(size_)] = {tick, value};
    ++size_;
    if (ticks_ < period_) return std::nullopt;
    const double extreme = slots_[front_].value;
    value_ = extreme;
    return extreme;  // not value_: copying the optional back costs a store-forwarding stall
  }
  std::optional<double> Value() const { return value_; }
  bool Ready() const { return value_.has_value(); }

 private:
  struct Slot {
    std::int64_t tick;
    double value;
  };
  explicit RollingExtreme(int period) : period_(period), slots_(static_cast<std::size_t>(period)) {}
  std::size_t Next(std::size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }
  std::size_t At(std::size_t offset) const {
    const std::size_t i = front_ + offset;
    return i >= slots_.size() ? i - slots_.size() : i;
  }
  std::size_t Back() const { return At(size_ - 1); }

  std::int64_t period_;
  std::vector<Slot> slots_;  // a ring: at most `period` candidates are ever alive
  std::size_t front_ = 0;
  std::size_t size_ = 0;
  std::int64_t ticks_ = 0;
  std::optional<double> value_;
};

using RollingMin = RollingExtreme<std::less<double>>;
using RollingMax = RollingExtreme<std::greater<double>>;

Result<std::vector<std::optional<double>>> RollingMinSeries(std::span<const double> values,
                                                            RollingExtremeParams params);
Result<std::vector<std::optional<double>>> RollingMaxSeries(std::span<const double> values,
                                                            RollingExtremeParams params);

}  // namespace stockpipe::indicators
