#include "indicators/sma.h"

namespace stockpipe::indicators {

Result<Sma> Sma::Create(SmaParams params) {
  if (Status s = CheckPeriod("SMA period", params.period); !s) return s;
  return Sma(params.period);
}

std::optional<double> Sma::Update(double value) {
  // The difference is exactly 0 when a value replaces an equal one: the sum does not move.
  sum_ += value - window_.Push(value);
  if (!window_.Full()) return std::nullopt;
  if (window_.Wrapped()) sum_ = SumOf(window_.OldestFirst());
  const double mean = window_.Constant() ? value : sum_ / static_cast<double>(window_.size());
  value_ = mean;
  return mean;  // not value_: copying the optional back costs a store-forwarding stall
}

Result<std::vector<std::optional<double>>> SmaSeries(std::span<const double> values,
                                                     SmaParams params) {
  Result<Sma> sma = Sma::Create(params);
  if (!sma) return sma.status();
  return FeedAll(*sma, values);
}

}  // namespace stockpipe::indicators
