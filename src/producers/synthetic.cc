#include "producers/synthetic.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "codec/json_write.h"

namespace stockpipe {
namespace {

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

template <typename T>
bool Number(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

Status Bad(std::string_view key, std::string_view value, std::string_view expected) {
  return Status::Error(fmt::format("{} must be {}, got \"{}\"", key, expected, value));
}

}  // namespace

Status SetSyntheticParam(SyntheticParams& p, std::string_view key, std::string_view v) {
  const auto number = [&](double& out, double min) -> Status {
    if (!Number(v, out) || !std::isfinite(out) || out < min) {
      return Bad(key, v, fmt::format("a number >= {}", min));
    }
    return Status::Ok();
  };
  if (key == "SYMBOLS") {
    p.symbols = SplitList(v);
    if (p.symbols.empty()) return Bad(key, v, "a comma-separated list of symbols");
    return Status::Ok();
  }
  if (key == "BASE_PRICE") return number(p.base_price, 0.01);
  if (key == "VOLATILITY") return number(p.volatility, 0);
  if (key == "DRIFT_UP") return number(p.drift_up, 0);
  if (key == "DRIFT_DOWN") return number(p.drift_down, 0);
  if (key == "INTERVAL_SEC") return number(p.interval_sec, 0);
  if (key == "DURATION_SEC") return number(p.duration_sec, 0);
  if (key == "SPIKE_PCT") return number(p.spike_pct, 0);
  if (key == "SPIKE_EVERY") {
    if (!Number(v, p.spike_every) || p.spike_every < 0) return Bad(key, v, "a whole number >= 0");
    return Status::Ok();
  }
  if (key == "TRENDS") {
    p.trends.clear();
    for (const std::string& item : SplitList(v)) {
      const auto colon = item.rfind(':');
      const std::string sign = colon == std::string::npos ? "" : item.substr(colon + 1);
      if (sign != "+" && sign != "-") return Bad(key, v, "a list like AAPL:+,MSFT:-");
      p.trends[item.substr(0, colon)] = sign == "+" ? 1 : -1;
    }
    return Status::Ok();
  }
  if (key == "BASE_PER_SYM") {
    p.base_per_symbol.clear();
    for (const std::string& item : SplitList(v)) {
      const auto colon = item.rfind(':');
      double price = 0;
      if (colon == std::string::npos || !Number(std::string_view(item).substr(colon + 1), price) ||
          !(price > 0)) {
        return Bad(key, v, "a list like AAPL:225,MSFT:420");
      }
      p.base_per_symbol[item.substr(0, colon)] = price;
    }
    return Status::Ok();
  }
  return Status::Error(fmt::format("unknown synthetic producer parameter {}", key));
}

SyntheticFeed::SyntheticFeed(const SyntheticParams& params)
    : params_(params),
      rng_(params.seed != 0 ? params.seed
                            : static_cast<std::uint64_t>(NowMicros()) ^ 0x9E3779B97F4A7C15ULL),
      noise_(0.0, params.volatility > 0 ? params.volatility : 1e-300) {
  for (const std::string& symbol : params_.symbols) {
    const auto base = params_.base_per_symbol.find(symbol);
    const auto trend = params_.trends.find(symbol);
    states_.push_back({symbol,
                       base != params_.base_per_symbol.end() ? base->second : params_.base_price,
                       trend != params_.trends.end() ? trend->second : 0});
  }
}

std::string ReferenceTimestamp(Micros t) {
  std::string s = FormatCanonical(t);
  if (t % 1'000'000 == 0) return s.substr(0, 19) + "Z";
  return s;
}

void SyntheticFeed::NextRound(Micros t, std::vector<StreamRecord>& out) {
  ++round_;
  const bool spike = params_.spike_every > 0 && round_ % params_.spike_every == 0;
  const std::string timestamp = ReferenceTimestamp(t);
  for (std::size_t i = 0; i < states_.size(); ++i) {
    SymbolState& s = states_[i];
    const double drift = s.trend > 0 ? params_.drift_up : s.trend < 0 ? -params_.drift_down : 0.0;
    const double shock = params_.volatility > 0 ? noise_(rng_) : 0.0;
    double next = s.price * (1.0 + drift + shock);
    if (spike) {
      const int direction =
          s.trend != 0 ? s.trend : ((round_ / params_.spike_every + i) % 2 ? 1 : -1);
      next *= 1.0 + direction * params_.spike_pct / 100.0;
    }
    s.price = std::max(0.01, std::round(next * 100.0) / 100.0);
    std::string data;
    data.reserve(64 + s.symbol.size());
    data += R"({"symbol":)";
    AppendJsonString(s.symbol, data);
    data.append(R"(,"timestamp":")").append(timestamp).append(R"(","price":)");
    AppendShortestDouble(s.price, data);
    data += '}';
    out.push_back({s.symbol, std::move(data)});
  }
}

}  // namespace stockpipe
