#include "indicators/bollinger.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace stockpipe::indicators {

Result<Bollinger> Bollinger::Create(BollingerParams params) {
  if (Status s = CheckPeriod("Bollinger period", params.period); !s) return s;
  if (!std::isfinite(params.k) || params.k < 0) {
    return Status::Error(fmt::format("Bollinger k must be a finite number >= 0, got {}", params.k));
  }
  return Bollinger(params.period, params.k);
}

void Bollinger::Recompute() {
  const std::span<const double> values = window_.OldestFirst();
  sum_ = SumOf(values);
  const double mean = sum_ / static_cast<double>(values.size());
  m2_ = 0;
  for (double v : values) m2_ += (v - mean) * (v - mean);
}

std::optional<Bands> Bollinger::Update(double value) {
  const double count_before = static_cast<double>(window_.count());
  const bool full = window_.Full();
  const double left = window_.Push(value);
  if (full) {
    const double n = static_cast<double>(window_.size());
    const double mean_before = sum_ / n;
    sum_ += value - left;
    m2_ += (value - left) * (value - sum_ / n + left - mean_before);
  } else {
    // Welford's add while the window fills.
    const double mean_before = count_before > 0 ? sum_ / count_before : 0.0;
    sum_ += value;
    m2_ += (value - mean_before) * (value - sum_ / (count_before + 1));
  }
  if (!window_.Full()) return std::nullopt;
  if (window_.Wrapped()) Recompute();
  Bands bands;
  if (window_.Constant()) {
    bands.middle = value;
  } else {
    bands.middle = sum_ / static_cast<double>(window_.size());
    bands.stddev = std::sqrt(std::max(m2_, 0.0) / static_cast<double>(window_.size()));
  }
  bands.lower = bands.middle - k_ * bands.stddev;
  bands.upper = bands.middle + k_ * bands.stddev;
  value_ = bands;
  return bands;  // not value_: copying the optional back costs a store-forwarding stall
}

Result<std::vector<std::optional<Bands>>> BollingerSeries(std::span<const double> values,
                                                          BollingerParams params) {
  Result<Bollinger> bollinger = Bollinger::Create(params);
  if (!bollinger) return bollinger.status();
  return FeedAll(*bollinger, values);
}

}  // namespace stockpipe::indicators
