#include "producers/yahoo/chart.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace stockpipe::yahoo {
namespace {

using nlohmann::json;

std::string StringOr(const json& object, const char* key, std::string fallback = {}) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::optional<std::int64_t> IntegerOf(const json& value) {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d)) return static_cast<std::int64_t>(std::llround(d));
  }
  return std::nullopt;
}

std::optional<TradingPeriod> PeriodOf(const json& meta, const char* name) {
  const auto periods = meta.find("currentTradingPeriod");
  if (periods == meta.end() || !periods->is_object()) return std::nullopt;
  const auto period = periods->find(name);
  if (period == periods->end() || !period->is_object()) return std::nullopt;
  const auto start = period->find("start");
  const auto end = period->find("end");
  if (start == period->end() || end == period->end()) return std::nullopt;
  const auto s = IntegerOf(*start);
  const auto e = IntegerOf(*end);
  if (!s || !e || *e <= *s) return std::nullopt;
  TradingPeriod p{*s, *e, StringOr(*period, "timezone"), 0};
  if (const auto off = period->find("gmtoffset"); off != period->end()) {
    p.gmtoffset = IntegerOf(*off).value_or(0);
  }
  return p;
}

std::int64_t GranularitySeconds(const std::string& text) {
  // "1m", "2m", "5m", "15m", "30m", "60m", "90m", "1h", "1d": the chart API's intervals.
  if (text.size() < 2) return 60;
  std::int64_t n = 0;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return 60;
    n = n * 10 + (text[i] - '0');
  }
  switch (text.back()) {
    case 'm':
      return n * 60;
    case 'h':
      return n * 3600;
    case 'd':
      return n * 86400;
    default:
      return 60;
  }
}

std::optional<ChartError> ErrorOf(const json& root) {
  if (!root.is_object()) return std::nullopt;
  const auto chart = root.find("chart");
  if (chart == root.end() || !chart->is_object()) return std::nullopt;
  const auto error = chart->find("error");
  if (error == chart->end() || error->is_null()) return std::nullopt;
  if (!error->is_object()) return ChartError{"error", error->dump()};
  return ChartError{StringOr(*error, "code", "error"), StringOr(*error, "description")};
}

}  // namespace

std::optional<ChartError> ParseChartError(std::string_view body) {
  const json root = json::parse(body, nullptr, false);
  if (root.is_discarded()) return std::nullopt;
  return ErrorOf(root);
}

Result<Chart> ParseChart(std::string_view body) {
  const json root = json::parse(body, nullptr, false);
  if (root.is_discarded()) return Status::Error("the chart response is not JSON");
  if (auto error = ErrorOf(root)) {
    return Status::Error(fmt::format("{}: {}", error->code, error->description));
  }
  const json* result = nullptr;
  if (root.is_object() && root.contains("chart") && root["chart"].is_object()) {
    const json& chart = root["chart"];
    if (const auto r = chart.find("result"); r != chart.end() && r->is_array() && !r->empty()) {
      result = &(*r)[0];
    }
  }
  if (result == nullptr || !result->is_object()) {
    return Status::Error("the chart response has no chart.result[0]");
  }

  Chart out;
  if (const auto meta = result->find("meta"); meta != result->end() && meta->is_object()) {
    out.meta.symbol = StringOr(*meta, "symbol");
    out.meta.currency = StringOr(*meta, "currency");
    out.meta.exchange_name = StringOr(*meta, "exchangeName");
    out.meta.exchange_timezone = StringOr(*meta, "exchangeTimezoneName");
    if (const auto hint = meta->find("priceHint"); hint != meta->end()) {
      if (auto h = IntegerOf(*hint); h && *h >= 0 && *h <= 8) out.meta.price_hint = int(*h);
    }
    out.meta.granularity_s = GranularitySeconds(StringOr(*meta, "dataGranularity", "1m"));
    out.meta.regular = PeriodOf(*meta, "regular");
  }

  const auto timestamps = result->find("timestamp");
  if (timestamps == result->end() || !timestamps->is_array()) return out;  // empty chart
  out.has_timestamps = true;

  const json* quote = nullptr;
  if (const auto ind = result->find("indicators"); ind != result->end() && ind->is_object()) {
    if (const auto q = ind->find("quote"); q != ind->end() && q->is_array() && !q->empty()) {
      quote = &(*q)[0];
    }
  }
  if (quote == nullptr || !quote->is_object()) {
    return Status::Error("the chart response has timestamps but no indicators.quote[0]");
  }
  const auto closes = quote->find("close");
  if (closes == quote->end() || !closes->is_array()) {
    return Status::Error("the chart response has timestamps but no close prices");
  }
  const std::size_t n = timestamps->size();
  if (closes->size() != n) {
    return Status::Error(
        fmt::format("the chart response has {} timestamps but {} close prices", n, closes->size()));
  }
  const auto volumes = quote->find("volume");
  const bool has_volumes = volumes != quote->end() && volumes->is_array() && volumes->size() == n;

  out.bars.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto t = IntegerOf((*timestamps)[i]);
    if (!t) return Status::Error(fmt::format("timestamp {} of the chart is not a number", i));
    const json& close = (*closes)[i];
    if (!close.is_number() || !std::isfinite(close.get<double>())) {
      ++out.null_bars;
      continue;
    }
    ChartBar bar{*t, close.get<double>(), std::nullopt};
    if (has_volumes) bar.volume = IntegerOf((*volumes)[i]);
    out.bars.push_back(bar);
  }
  return out;
}

}  // namespace stockpipe::yahoo
