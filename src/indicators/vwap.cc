#include "indicators/vwap.h"

#include <fmt/format.h>

#include <cmath>

namespace stockpipe::indicators {

void CompensatedSum::Add(double x) {
  const double t = sum_ + x;
  // The low-order bits lost in `t`, taken from whichever operand was smaller.
  compensation_ += std::abs(sum_) >= std::abs(x) ? (sum_ - t) + x : (x - t) + sum_;
  sum_ = t;
}

std::optional<double> Vwap::Update(double price, double volume) {
  price_volume_.Add(price * volume);
  volume_.Add(volume);
  const double total_volume = volume_.Total();
  if (total_volume > 0) value_ = price_volume_.Total() / total_volume;
  return value_;
}

Result<RollingVwap> RollingVwap::Create(RollingVwapParams params) {
  if (Status s = CheckPeriod("rolling VWAP period", params.period); !s) return s;
  return RollingVwap(params.period);
}

std::optional<double> RollingVwap::Update(double price, double volume) {
  const double pv = price * volume;
  sum_price_volume_ += pv - price_volume_.Push(pv);
  sum_volume_ += volume - volume_.Push(volume);
  if (!volume_.Full()) return std::nullopt;
  if (volume_.Wrapped()) {
    sum_price_volume_ = SumOf(price_volume_.OldestFirst());
    sum_volume_ = SumOf(volume_.OldestFirst());
  }
  // A window of zero volumes has no weight at all, whatever residue the running sum still holds.
  if (sum_volume_ > 0 && !(volume == 0 && volume_.Constant())) {
    const double vwap = sum_price_volume_ / sum_volume_;
    value_ = vwap;
    return vwap;  // not value_: copying the optional back costs a store-forwarding stall
  }
  value_.reset();
  return std::nullopt;
}

namespace {

Status CheckPairs(std::span<const double> prices, std::span<const double> volumes) {
  if (prices.size() != volumes.size()) {
    return Status::Error(
        fmt::format("VWAP needs one volume per price, got {} prices and {} volumes", prices.size(),
                    volumes.size()));
  }
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    if (!std::isfinite(volumes[i]) || volumes[i] < 0) {
      return Status::Error(
          fmt::format("volume must be a finite number >= 0, got {} at index {}", volumes[i], i));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::optional<double>>> VwapSeries(std::span<const double> prices,
                                                      std::span<const double> volumes) {
  if (Status s = CheckPairs(prices, volumes); !s) return s;
  Vwap vwap;
  std::vector<std::optional<double>> out;
  out.reserve(prices.size());
  for (std::size_t i = 0; i < prices.size(); ++i) out.push_back(vwap.Update(prices[i], volumes[i]));
  return out;
}

Result<std::vector<std::optional<double>>> RollingVwapSeries(std::span<const double> prices,
                                                             std::span<const double> volumes,
                                                             RollingVwapParams params) {
  if (Status s = CheckPairs(prices, volumes); !s) return s;
  Result<RollingVwap> vwap = RollingVwap::Create(params);
  if (!vwap) return vwap.status();
  std::vector<std::optional<double>> out;
  out.reserve(prices.size());
  for (std::size_t i = 0; i < prices.size(); ++i) {
    out.push_back(vwap->Update(prices[i], volumes[i]));
  }
  return out;
}

}  // namespace stockpipe::indicators
