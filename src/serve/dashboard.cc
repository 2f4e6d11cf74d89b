#include "serve/dashboard.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>

#include "alerts/outbox/outbox.h"
#include "backtest/backtest.h"
#include "core/candles.h"
#include "rules/rule_book.h"
#include "serve/dashboard_metrics.h"
#include "serve/dashboard_stores.h"
#include "serve/status_json.h"
#include "trends/trends_job.h"
#include "trends/watchdog.h"

namespace stockpipe::serve {
namespace {

// The ingest consumer's name in stream.db (pipeline/local_stores.h's kIngestConsumer).
constexpr std::string_view kIngestConsumer = "ingest";
constexpr std::size_t kMaxSeriesLimit = 50'000;
constexpr std::size_t kMaxAlertsLimit = 500;
// The cooldown is replayed over at most this many points before the first one shown.
constexpr std::size_t kMaxCooldownPoints = 50'000;

ApiError Internal(const Status& s) {
  return {500, "internal", s.message()};
}
ApiError BadRequest(std::string message) {
  return {400, "bad_request", std::move(message)};
}

std::int64_t Millis(Micros t) {
  return t / 1000;
}

// The ticks /api/candles replays for its signals at most (the newest of the bars' span).
constexpr std::size_t kMaxSignalPoints = 50'000;

// One signal as /api/series and /api/candles show it.
Json SignalJson(const backtest::Signal& s) {
  return {{"ms", Millis(s.time)},           {"time", FormatCanonical(s.time)},
          {"action", ActionName(s.action)}, {"price", s.price},
          {"reason", s.decision.reason},    {"alerted", s.alerted}};
}

// The SMA the chart draws beside a rule: the rule's own, else [trends] sma_window.
int SmaWindowOf(const rules::Rule& rule, const Config& config) {
  return rule.SmaWindow().value_or(config.trends.sma_window);
}

}  // namespace

struct Dashboard::Impl {
  Config config;
  std::shared_ptr<const rules::RuleBook> rules;
  Micros cooldown = 0;
  std::vector<std::string> channels;
  std::mutex mutex;  // one caller at a time on the connections
  std::unique_ptr<DashboardData> source;
  DashboardData& data;

  Impl(const Config& c, std::unique_ptr<DashboardData> d)
      : config(c), source(std::move(d)), data(*source) {}

  // Everything /api/status shows, and with `every_symbol` what /metrics shows.
  Result<StatusNumbers> ReadStatus(Micros now, bool every_symbol);
  ApiResult<std::string> SeriesLocked(const SeriesRequest& request);
  ApiResult<std::string> CandlesLocked(const CandlesRequest& request);

  struct Replayed {
    std::vector<PricePoint> points;  // read before the shown ones, then the shown ones
    std::size_t first_shown = 0;
    std::vector<backtest::Signal> signals;  // at or after the first shown point
  };
  Result<Replayed> Replay(const std::string& symbol, const rules::Rule& rule,
                          std::vector<PricePoint> shown, std::size_t warm);
};

Result<StatusNumbers> Dashboard::Impl::ReadStatus(Micros now, bool every_symbol) {
  StatusNumbers n;
  n.now = now;
  auto stream = data.Stream(kIngestConsumer);
  if (!stream) return stream.status();
  n.stream = *stream;
  auto totals = data.Totals();
  if (!totals) return totals.status();
  n.clean = *totals;
  if (every_symbol) {
    auto symbols = data.Symbols();
    if (!symbols) return symbols.status();
    n.symbols = std::move(*symbols);
  }
  auto last_run = data.State(kLastTrendsRunKey);
  if (!last_run) return last_run.status();
  if (*last_run) {
    // {"at":"...","symbols_checked":...} (trends/trends_job.cc); anything else reads as never.
    const Json parsed = Json::parse(**last_run, nullptr, false);
    if (parsed.is_object()) {
      n.last_run = **last_run;
      const Json at = parsed.value("at", Json());
      if (at.is_string()) n.last_run_at = ParseTimestampText(at.get<std::string>()).value_or(0);
    }
  }
  auto watchdog = data.State(kWatchdogKey);
  if (!watchdog) return watchdog.status();
  if (*watchdog) {
    // "alarm <time>" / "ok <time>" (trends/watchdog.cc).
    const std::string& text = **watchdog;
    const std::size_t space = text.find(' ');
    n.watchdog = text.substr(0, space);
    if (space != std::string::npos) {
      n.watchdog_since = ParseTimestampText(text.substr(space + 1)).value_or(0);
    }
  }
  auto channels_health = data.Channels(channels);
  if (!channels_health) return channels_health.status();
  n.channels = std::move(*channels_health);
  return n;
}

Result<std::unique_ptr<Dashboard>> Dashboard::Open(const Config& config) {
  return Open(config, std::make_unique<DataFolder>(config.data_dir, config.candles.intervals));
}

Result<std::unique_ptr<Dashboard>> Dashboard::Open(const Config& config,
                                                   std::unique_ptr<DashboardData> data) {
  auto settings = TrendsSettingsFrom(config.trends, config.candles.intervals);
  if (!settings) return Status::Error(fmt::format("configuration: {}", settings.error()));
  auto impl = std::make_unique<Impl>(config, std::move(data));
  impl->rules = settings->rules ? settings->rules : rules::RuleBook::PctSmaOnly(settings->params);
  impl->cooldown = settings->cooldown;
  impl->channels = AlertChannelNames(config);
  return std::unique_ptr<Dashboard>(new Dashboard(std::move(impl)));
}

Dashboard::Dashboard(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Dashboard::~Dashboard() = default;

ApiResult<std::string> Dashboard::Symbols() {
  std::lock_guard lock(impl_->mutex);
  auto symbols = impl_->data.Symbols();
  if (!symbols) return Internal(symbols.status());
  Json list = Json::array();
  for (const SymbolSummary& s : *symbols) {
    auto last = impl_->data.LastPrice(s.symbol);
    if (!last) return Internal(last.status());
    const rules::Rule& rule = impl_->rules->For(s.symbol);
    list.push_back({{"symbol", s.symbol},
                    {"rows", s.rows},
                    {"newest", TimeOrNull(s.newest)},
                    {"newest_ms", Millis(s.newest)},
                    {"last_price", *last ? Json(**last) : Json(nullptr)},
                    {"rule", rule.Describe()},
                    {"sma_window", SmaWindowOf(rule, impl_->config)}});
  }
  return DumpJson(Json{{"symbols", std::move(list)}});
}

ApiResult<std::string> Dashboard::Series(const SeriesRequest& request) {
  if (request.symbol.empty()) return BadRequest("symbol: required (e.g. ?symbol=AAPL)");
  if (request.limit < 1 || request.limit > kMaxSeriesLimit) {
    return BadRequest(fmt::format("limit: must be 1..{}, got {}", kMaxSeriesLimit, request.limit));
  }
  if (request.from && request.to && *request.from > *request.to) {
    return BadRequest(fmt::format("from ({}) is after to ({})", FormatCanonical(*request.from),
                                  FormatCanonical(*request.to)));
  }
  std::lock_guard lock(impl_->mutex);
  return impl_->SeriesLocked(request);
}

// The rule's signals on `shown`, as the trends job gave them: replayed from the cooldown's span
// before the first shown point (so `alerted` sees the signals that held later ones back), after
// the `warm` points before that which the rule's windows need.
Result<Dashboard::Impl::Replayed> Dashboard::Impl::Replay(const std::string& symbol,
                                                          const rules::Rule& rule,
                                                          std::vector<PricePoint> shown,
                                                          std::size_t warm) {
  Replayed out;
  if (shown.empty()) return out;
  const Micros first = shown.front().timestamp;
  std::vector<PricePoint> span;
  if (cooldown > 0) {
    auto read = data.Before(symbol, first, first - cooldown, kMaxCooldownPoints);
    if (!read) return read.status();
    span = std::move(*read);
  }
  const Micros replay_from = span.empty() ? first : span.front().timestamp;
  auto before = data.Before(symbol, replay_from, std::nullopt, warm);
  if (!before) return before.status();
  out.points = std::move(*before);
  out.points.insert(out.points.end(), span.begin(), span.end());
  out.first_shown = out.points.size();
  out.points.insert(out.points.end(), shown.begin(), shown.end());

  backtest::Options options;
  options.cooldown = cooldown;
  options.from = replay_from;
  auto report = backtest::Replay(symbol, out.points, rule, options);
  for (backtest::Signal& s : report.signals) {
    if (s.time >= first) out.signals.push_back(std::move(s));
  }
  return out;
}

ApiResult<std::string> Dashboard::Impl::SeriesLocked(const SeriesRequest& request) {
  auto known = data.HasSymbol(request.symbol);
  if (!known) return Internal(known.status());
  if (!*known) {
    return ApiError{
        404, "unknown_symbol",
        fmt::format("no symbol \"{}\" in the CLEAN store (see /api/symbols)", request.symbol)};
  }
  const rules::Rule& rule = rules->For(request.symbol);
  const int window = SmaWindowOf(rule, config);
  auto shown = data.Newest(request.symbol, request.from, request.to, request.limit + 1);
  if (!shown) return Internal(shown.status());
  const bool truncated = shown->size() > request.limit;
  if (truncated) shown->erase(shown->begin());

  const std::size_t warm =
      std::max(rule.Needed(), static_cast<std::size_t>(std::max(window, 1))) - 1;
  auto replayed = Replay(request.symbol, rule, std::move(*shown), warm);
  if (!replayed) return Internal(replayed.status());
  const std::vector<PricePoint>& points = replayed->points;
  // Filled apart and placed last: ordered_json keeps its members in a vector, so a reference
  // to one does not survive adding the next.
  Json json_points = Json::array();
  Json sma = Json::array();
  const auto w = static_cast<std::size_t>(std::max(window, 1));
  for (std::size_t i = replayed->first_shown; i < points.size(); ++i) {
    json_points.push_back({Millis(points[i].timestamp), points[i].price});
    if (i + 1 < w) continue;
    // A fresh sum over the window, oldest first (as the rules form it): the same bits
    // whichever range asked for this point.
    double sum = 0;
    for (std::size_t k = i + 1 - w; k <= i; ++k) sum += points[k].price;
    sma.push_back({Millis(points[i].timestamp), sum / static_cast<double>(w)});
  }
  Json signals = Json::array();
  for (const backtest::Signal& s : replayed->signals) signals.push_back(SignalJson(s));
  Json out{{"symbol", request.symbol}, {"rule", rule.Describe()},
           {"sma_window", window},     {"points", std::move(json_points)},
           {"sma", std::move(sma)},    {"signals", std::move(signals)},
           {"truncated", truncated}};
  return DumpJson(out);
}

ApiResult<std::string> Dashboard::Candles(const CandlesRequest& request) {
  if (request.symbol.empty()) return BadRequest("symbol: required (e.g. ?symbol=AAPL)");
  if (request.limit < 1 || request.limit > kMaxCandlesLimit) {
    return BadRequest(fmt::format("limit: must be 1..{}, got {}", kMaxCandlesLimit, request.limit));
  }
  if (request.from && request.to && *request.from > *request.to) {
    return BadRequest(fmt::format("from ({}) is after to ({})", FormatCanonical(*request.from),
                                  FormatCanonical(*request.to)));
  }
  std::lock_guard lock(impl_->mutex);
  return impl_->CandlesLocked(request);
}

ApiResult<std::string> Dashboard::Impl::CandlesLocked(const CandlesRequest& request) {
  auto intervals = data.CandleIntervals();
  if (!intervals) return Internal(intervals.status());
  if (intervals->empty()) return Internal(Status::Error("no candle intervals are kept"));
  Interval interval = intervals->front();
  if (!request.interval.empty()) {
    auto found = FindInterval(*intervals, request.interval);
    if (!found) return BadRequest(fmt::format("interval: {}", found.status().message()));
    interval = *found;
  }
  CandleQuery query;
  query.symbol = request.symbol;
  query.interval = interval.name;
  if (request.from) query.from = BarStart(*request.from, interval.length);
  if (request.to) query.to = *request.to + 1;
  query.limit = request.limit;
  auto bars = data.Candles(query);
  if (!bars) return Internal(bars.status());

  // The signals on the bars' span, from the ticks in it: the rule decides on ticks. The newest
  // kMaxSignalPoints of them at most, so a long span of busy bars stays fast; `signals_since`
  // says from when on the list is complete.
  const rules::Rule& rule = rules->For(request.symbol);
  Json signals = Json::array();
  Json since = nullptr;
  if (!bars->empty()) {
    const Micros span_from = bars->front().start;
    const Micros span_to = bars->back().start + interval.length - 1;
    auto ticks = data.Newest(request.symbol, span_from, span_to, kMaxSignalPoints + 1);
    if (!ticks) return Internal(ticks.status());
    since = Millis(span_from);
    if (ticks->size() > kMaxSignalPoints) {
      ticks->erase(ticks->begin());
      since = Millis(ticks->front().timestamp);
    }
    auto replayed = Replay(request.symbol, rule, std::move(*ticks),
                           std::max<std::size_t>(rule.Needed(), 1) - 1);
    if (!replayed) return Internal(replayed.status());
    for (const backtest::Signal& s : replayed->signals) {
      Json j = SignalJson(s);
      j["bar_ms"] = Millis(BarStart(s.time, interval.length));
      signals.push_back(std::move(j));
    }
  }

  Json names = Json::array();
  for (const Interval& i : *intervals) names.push_back(i.name);
  // Written by hand into one buffer: 10,000 bars through a JSON tree cost more than reading them.
  fmt::memory_buffer out;
  out.reserve(bars->size() * 150 + 256);
  fmt::format_to(fmt::appender(out), R"({{"symbol":{},"interval":{},"intervals":{},"candles":[)",
                 DumpJson(Json(request.symbol)), DumpJson(Json(interval.name)), DumpJson(names));
  char start[kCanonicalTimestampSize];
  bool comma = false;
  for (const Candle& bar : *bars) {
    FormatCanonical(bar.start, start);
    fmt::format_to(fmt::appender(out),
                   R"({}{{"start":"{}","ms":{},"open":{},"high":{},"low":{},"close":{},"volume":)",
                   comma ? "," : "", std::string_view(start, sizeof start), Millis(bar.start),
                   bar.open, bar.high, bar.low, bar.close);
    if (bar.volume && std::isfinite(*bar.volume)) {
      fmt::format_to(fmt::appender(out), "{}", *bar.volume);
    } else {
      out.append(std::string_view("null"));
    }
    fmt::format_to(fmt::appender(out), R"(,"ticks":{}}})", bar.ticks);
    comma = true;
  }
  fmt::format_to(fmt::appender(out),
                 R"(],"rule":{},"signals_on":"ticks","signals_since":{},"signals":{}}})",
                 DumpJson(Json(rule.Describe())), DumpJson(since), DumpJson(signals));
  return fmt::to_string(out);
}

ApiResult<std::string> Dashboard::Alerts(std::size_t limit, std::optional<std::int64_t> after_id) {
  if (limit < 1 || limit > kMaxAlertsLimit) {
    return BadRequest(fmt::format("limit: must be 1..{}, got {}", kMaxAlertsLimit, limit));
  }
  std::lock_guard lock(impl_->mutex);
  auto rows = impl_->data.Alerts(limit, after_id.value_or(0));
  if (!rows) return Internal(rows.status());
  Json list = Json::array();
  for (const AlertRow& row : *rows) {
    Json deliveries = Json::array();
    for (const AlertDelivery& d : row.deliveries) {
      Json entry{{"channel", d.channel}, {"state", d.state}};
      if (d.state != "delivered") entry["attempts"] = d.attempts;
      deliveries.push_back(std::move(entry));
    }
    list.push_back({{"id", row.id},
                    {"ms", Millis(row.created)},
                    {"time", TimeOrNull(row.created)},
                    {"kind", row.kind},
                    {"subject", row.subject},
                    {"body", row.body},
                    {"deliveries", std::move(deliveries)}});
  }
  return DumpJson(Json{{"alerts", std::move(list)}});
}

ApiResult<IngestSample> Dashboard::Sample(Micros now) {
  std::lock_guard lock(impl_->mutex);
  auto stream = impl_->data.Stream(kIngestConsumer);
  if (!stream) return Internal(stream.status());
  return IngestSample{now, stream->counts.received};
}

ApiResult<std::string> Dashboard::Status(Micros now,
                                         const std::optional<IngestSample>& rate_since) {
  std::lock_guard lock(impl_->mutex);
  auto n = impl_->ReadStatus(now, /*every_symbol=*/false);
  if (!n) return Internal(n.status());
  const IngestCounts& c = n->stream.counts;
  Json rate = nullptr;
  if (rate_since && now > rate_since->at && c.received >= rate_since->received) {
    rate = static_cast<double>(c.received - rate_since->received) /
           (static_cast<double>(now - rate_since->at) / 1e6);
  }
  const Micros lag_age = n->stream.oldest_pending > 0 ? now - n->stream.oldest_pending : 0;
  Json out;
  out["time"] = FormatCanonical(now);
  out["ms"] = Millis(now);
  out["stream"] = {{"shards", n->stream.shards},
                   {"lag_records", n->stream.lag_records},
                   {"lag_seconds", static_cast<double>(lag_age) / 1e6},
                   {"last_put", TimeOrNull(n->stream.last_put)}};
  out["ingest"] = {{"received", c.received},
                   {"accepted", c.accepted},
                   {"rejected_total", c.rejected_total()},
                   {"rejected", RejectedJson(c)},
                   {"ignored", IgnoredJson(c)},
                   {"records_per_second", std::move(rate)}};
  out["clean"] = {{"rows", n->clean.rows}, {"symbols", n->clean.symbols}};
  out["trends"] = {
      {"last_run", n->last_run.empty() ? Json(nullptr) : Json::parse(n->last_run, nullptr, false)}};
  out["watchdog"] = {{"state", n->watchdog.empty() ? "not_started" : n->watchdog},
                     {"since", TimeOrNull(n->watchdog_since)}};
  out["alerts"] = ChannelsJson(n->channels, now);
  return DumpJson(out);
}

ApiResult<std::string> Dashboard::Metrics(Micros now) {
  std::lock_guard lock(impl_->mutex);
  auto n = impl_->ReadStatus(now, /*every_symbol=*/true);
  if (!n) return Internal(n.status());
  return PrometheusText(*n);
}

Status Dashboard::Health() {
  std::lock_guard lock(impl_->mutex);
  return impl_->data.Readable();
}

ApiResult<Dashboard::Fingerprint> Dashboard::Look() {
  std::lock_guard lock(impl_->mutex);
  auto symbols = impl_->data.Symbols();
  if (!symbols) return Internal(symbols.status());
  auto newest_alert = impl_->data.NewestAlertId();
  if (!newest_alert) return Internal(newest_alert.status());
  Fingerprint f;
  for (const SymbolSummary& s : *symbols) f.newest_by_symbol.emplace_back(s.symbol, s.newest);
  f.newest_alert_id = *newest_alert;
  return f;
}

}  // namespace stockpipe::serve
