#include "indicators/percent_change.h"

namespace stockpipe::indicators {

Result<PercentChange> PercentChange::Create(PercentChangeParams params) {
  if (Status s = CheckPeriod("percent change period", params.period); !s) return s;
  return PercentChange(params.period);
}

std::optional<double> PercentChange::Update(double value) {
  // The value pushed out of an n-slot window is the one n ticks older than `value`.
  const bool full = window_.Full();
  const double reference = window_.Push(value);
  if (!full) return std::nullopt;
  ready_ = true;
  if (reference == 0) {
    value_.reset();
    return std::nullopt;
  }
  const double change = (value - reference) / reference * 100.0;
  value_ = change;
  return change;  // not value_: copying the optional back costs a store-forwarding stall
}

Result<std::vector<std::optional<double>>> PercentChangeSeries(std::span<const double> values,
                                                               PercentChangeParams params) {
  Result<PercentChange> change = PercentChange::Create(params);
  if (!change) return change.status();
  return FeedAll(*change, values);
}

}  // namespace stockpipe::indicators
