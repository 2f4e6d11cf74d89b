#include "indicators/rsi.h"

namespace stockpipe::indicators {

Result<Rsi> Rsi::Create(RsiParams params) {
  if (Status s = CheckPeriod("RSI period", params.period); !s) return s;
  return Rsi(params.period);
}

std::optional<double> Rsi::Update(double value) {
  if (!has_previous_) {
    has_previous_ = true;
    previous_ = value;
    return std::nullopt;
  }
  const double gain = value > previous_ ? value - previous_ : 0.0;
  const double loss = value < previous_ ? previous_ - value : 0.0;
  previous_ = value;
  const double n = period_;
  if (moves_ < period_) {
    avg_gain_ += gain;
    avg_loss_ += loss;
    if (++moves_ < period_) return std::nullopt;
    avg_gain_ /= n;
    avg_loss_ /= n;
  } else {
    avg_gain_ = (avg_gain_ * (n - 1) + gain) / n;
    avg_loss_ = (avg_loss_ * (n - 1) + loss) / n;
  }
  const double total = avg_gain_ + avg_loss_;
  const double rsi = total == 0 ? 50.0 : 100.0 * avg_gain_ / total;
  value_ = rsi;
  return rsi;  // not value_: copying the optional back costs a store-forwarding stall
}

Result<std::vector<std::optional<double>>> RsiSeries(std::span<const double> values,
                                                     RsiParams params) {
  Result<Rsi> rsi = Rsi::Create(params);
  if (!rsi) return rsi.status();
  return FeedAll(*rsi, values);
}

}  // namespace stockpipe::indicators
