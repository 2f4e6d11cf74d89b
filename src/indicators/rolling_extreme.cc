#include "indicators/rolling_extreme.h"

namespace stockpipe::indicators {

template class RollingExtreme<std::less<double>>;
template class RollingExtreme<std::greater<double>>;

namespace {
template <typename Indicator>
Result<std::vector<std::optional<double>>> Run(std::span<const double> values,
                                               RollingExtremeParams params) {
  Result<Indicator> indicator = Indicator::Create(params);
  if (!indicator) return indicator.status();
  return FeedAll(*indicator, values);
}
}  // namespace

Result<std::vector<std::optional<double>>> RollingMinSeries(std::span<const double> values,
                                                            RollingExtremeParams params) {
  return Run<RollingMin>(values, params);
}

Result<std::vector<std::optional<double>>> RollingMaxSeries(std::span<const double> values,
                                                            RollingExtremeParams params) {
  return Run<RollingMax>(values, params);
}

}  // namespace stockpipe::indicators
