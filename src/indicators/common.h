// What every indicator in src/indicators shares: parameter checks that return errors as values,
// the window that rolling indicators keep, and the loop that turns a streaming indicator into a
// whole-series function.
//
// Conventions of the library (each indicator's header gives its own definition):
// - `Create(params)` validates and returns `Result<Indicator>`; nothing throws.
// - `Update(x)` is O(1) (amortized where a header says so) and returns the new output, or nullopt
//   while the indicator warms up. `Value()` is the last output, `Ready()` says warm-up is over.
// - Inputs are finite (the pipeline validates prices before they get here); a NaN in a rolling
//   window poisons the output until the window's next recomputation, an EMA forever.
// - `XSeries(values, params)` feeds the same object tick by tick: it is the streaming code path.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace stockpipe::indicators {

// Same ceiling as the reference rule's windows: a window is memory, and a typo like 2e9 should be
// an error rather than a 16 GB allocation.
inline constexpr int kMaxPeriod = 1'000'000;

// Ok, or "<what> must be between 1 and 1000000, got 0".
Status CheckPeriod(std::string_view what, int period);

// The newest `size` values of a stream in a ring. Rolling sums kept beside it are recomputed from
// the ring each time it wraps (every `size` ticks): an incremental sum then carries the rounding of
// at most `size` updates, however long the stream, for one extra pass per `size` ticks (O(1)
// amortized). It also tracks whether the window holds a single repeated value, so flat stretches
// come out exact (mean = the value, deviation = 0) instead of carrying the residue of earlier
// moves.
class RollingWindow {
 public:
  explicit RollingWindow(int size) : values_(static_cast<std::size_t>(size)) {}

  // Adds `value`; returns the value it pushed out (the one `size` ticks older) if the window was
  // Full() before, else 0. (A plain double: an optional here costs a store-forwarding stall.)
  double Push(double value) {
    run_ = (count_ > 0 && value == newest_) ? run_ + (run_ < size()) : 1;
    newest_ = value;
    double left = 0;
    if (count_ == values_.size()) {
      left = values_[next_];
    } else {
      ++count_;
    }
    values_[next_] = value;
    if (++next_ == values_.size()) next_ = 0;
    return left;
  }

  std::size_t size() const { return values_.size(); }
  std::size_t count() const { return count_; }
  bool Full() const { return count_ == values_.size(); }
  // True right after the push that filled the last slot: the ring is then oldest-first in memory,
  // the moment to recompute sums from it.
  bool Wrapped() const { return next_ == 0 && Full(); }
  // The whole window is one value repeated.
  bool Constant() const { return Full() && run_ >= size(); }
  // Valid only when Wrapped(): the values oldest first.
  std::span<const double> OldestFirst() const { return values_; }

 private:
  std::vector<double> values_;
  std::size_t next_ = 0;
  std::size_t count_ = 0;
  std::size_t run_ = 0;
  double newest_ = 0;
};

// Sum oldest to newest (the order the reference rule sums its SMA window in).
inline double SumOf(std::span<const double> values) {
  double sum = 0;
  for (double v : values) sum += v;
  return sum;
}

// The whole-series form of any indicator with `Update(double)`: the streaming path, tick by tick.
template <typename Indicator>
std::vector<std::optional<typename Indicator::Output>> FeedAll(Indicator& indicator,
                                                               std::span<const double> values) {
  std::vector<std::optional<typename Indicator::Output>> out;
  out.reserve(values.size());
  for (double v : values) out.push_back(indicator.Update(v));
  return out;
}

}  // namespace stockpipe::indicators
