#include "indicators/ema.h"

namespace stockpipe::indicators {

Result<Ema> Ema::Create(EmaParams params) {
  if (Status s = CheckPeriod("EMA period", params.period); !s) return s;
  return Ema(params);
}

Ema::Ema(EmaParams params)
    : period_(params.period),
      seed_(params.seed),
      alpha_(2.0 / (params.period + 1.0)),
      keep_(1.0 - alpha_) {}

std::optional<double> Ema::Value() const {
  if (!ready_) return std::nullopt;
  return ema_;
}

std::optional<double> Ema::Update(double value) {
  if (ready_) {
    ema_ = value * alpha_ + ema_ * keep_;
    return ema_;
  }
  ++count_;
  if (seed_ == EmaSeed::kSma) {
    ema_ += value;
    if (count_ < period_) return std::nullopt;
    ema_ /= period_;
  } else {
    ema_ = count_ == 1 ? value : value * alpha_ + ema_ * keep_;
    if (count_ < period_) return std::nullopt;
  }
  ready_ = true;
  return ema_;
}

Result<std::vector<std::optional<double>>> EmaSeries(std::span<const double> values,
                                                     EmaParams params) {
  Result<Ema> ema = Ema::Create(params);
  if (!ema) return ema.status();
  return FeedAll(*ema, values);
}

}  // namespace stockpipe::indicators
