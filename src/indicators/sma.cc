#include "indicators/sma.h"

namespace stockpipe::indicators {

Result<Sma> Sma::Create(SmaParams params) {
  if (Status s = CheckPeriod("SMA period", params.period); !s) return s;
  return Sma(params.period);
}

std::optional<double> Sma::Update(double value) {
  const std::optional<double> left = window_.Push(value);
  // The difference is exactly 0 when a value replaces an equal one: the sum does not move.
  sum_ += left ? value - *left : value;
  if (!window_.Full()) return std::nullopt;
  if (window_.Wrapped()) sum_ = SumOf(window_.OldestFirst());
  value_ = window_.Constant() ? value : sum_ / static_cast<double>(window_.size());
  return value_;
}

Result<std::vector<std::optional<double>>> SmaSeries(std::span<const double> values,
                                                     SmaParams params) {
  Result<Sma> sma = Sma::Create(params);
  if (!sma) return sma.status();
  return FeedAll(*sma, values);
}

}  // namespace stockpipe::indicators
